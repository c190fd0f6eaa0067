// The ministry's national dashboard: every panel reads one analytics endpoint of the
// aggregation service with the caller's token, and the filters apply to every panel.

import {
  AuthError,
  ForbiddenError,
  adoptTokenFromAddress,
  checkToken,
  forgetToken,
  getAsset,
  getJson,
  recordUrl,
  storeToken,
  storedToken,
} from "./api.js";
import { bars, element, figures, funnel, heatMap, message } from "./charts.js";
import {
  LANGUAGES,
  currentLanguage,
  formatDate,
  formatNumber,
  formatPercent,
  setLanguage,
  t,
  translatePage,
} from "./i18n.js";

const LANGUAGE_KEY = "liaison.dashboard.language";
const FIRST_YEAR = 2020;
const FINDINGS_SHOWN = 25;

const state = {
  catalogues: null,
  territories: [],
  filters: { year: "", region: "", district: "", sphere: "" },
  data: {},
  generation: 0,
};

const $ = (selector) => document.querySelector(selector);

function almatyYear() {
  return Number(new Intl.DateTimeFormat("en", { year: "numeric", timeZone: "Asia/Almaty" }).format(new Date()));
}

function label(catalogue, code) {
  const entry = state.catalogues?.[catalogue]?.find((item) => item.code === code);
  return entry ? entry.labels[currentLanguage()] || entry.labels.ru : code;
}

function regionName(code) {
  if (!code) return t("central");
  const region = state.territories.find((item) => item.code === code);
  if (region) return region[currentLanguage()] || region.ru;
  for (const item of state.territories) {
    const district = item.districts.find((d) => d.code === code);
    if (district) return district.ru;
  }
  return code;
}

// ---- filters ----------------------------------------------------------------

function readFiltersFromAddress() {
  const query = new URLSearchParams(location.search);
  const year = query.get("year");
  state.filters.year = year === null ? String(almatyYear()) : year;
  state.filters.region = query.get("region") ?? "";
  state.filters.district = query.get("district") ?? "";
  state.filters.sphere = query.get("sphere") ?? "";
}

function writeFiltersToAddress() {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(state.filters)) query.set(name, value);
  history.replaceState(null, "", `${location.pathname}?${query}`);
}

function option(value, text, selected) {
  const node = element("option", { value, text });
  node.selected = value === selected;
  return node;
}

function fillFilters() {
  const { year, region, district, sphere } = state.filters;
  const years = [];
  for (let y = almatyYear(); y >= FIRST_YEAR; y -= 1) years.push(String(y));
  $("#filter-year").replaceChildren(option("", t("filter.all_years"), year), ...years.map((y) => option(y, y, year)));
  $("#filter-region").replaceChildren(
    option("", t("filter.all_regions"), region),
    ...state.territories.map((item) => option(item.code, item[currentLanguage()] || item.ru, region)),
  );
  const districts = state.territories.find((item) => item.code === region)?.districts ?? [];
  $("#filter-district").replaceChildren(
    option("", t("filter.whole_region"), district),
    ...districts.map((item) => option(item.code, item.ru, district)),
  );
  $("#filter-district").disabled = districts.length === 0;
  $("#filter-sphere").replaceChildren(
    option("", t("filter.all_spheres"), sphere),
    ...(state.catalogues?.sphere ?? []).map((item) => option(item.code, label("sphere", item.code), sphere)),
  );
}

function territoryFilter() {
  return state.filters.district || state.filters.region;
}

// ---- panels -----------------------------------------------------------------

function byCountDescending(rows) {
  return rows.sort((a, b) => b.value - a.value || a.label.localeCompare(b.label, currentLanguage()));
}

function renderNpos(data) {
  $('[data-testid="npos-total"]').textContent = formatNumber(data.total);
  const regions = byCountDescending(
    data.by_region.map((row) => ({ key: row.region, label: regionName(row.region), value: row.count })),
  );
  const spheres = byCountDescending(
    data.by_sphere.map((row) => ({ key: row.sphere, label: label("sphere", row.sphere), value: row.count })),
  );
  const regionBox = $('[data-testid="npos-by-region"]');
  const sphereBox = $('[data-testid="npos-by-sphere"]');
  regions.length ? bars(regionBox, regions, "npos-region") : message(regionBox, t("empty"));
  spheres.length ? bars(sphereBox, spheres, "npos-sphere") : message(sphereBox, t("empty"));
}

function riskRows(rows, key, name) {
  return rows
    .map((row) => ({ key: row[key], label: name(row[key]), cells: row, total: row.total }))
    .sort((a, b) => b.total - a.total || a.label.localeCompare(b.label, currentLanguage()));
}

function renderPriorities(data) {
  $('[data-testid="priorities-total"]').textContent = formatNumber(data.total.total);
  const levels = ["high", "medium", "low"].map((code) => ({ code, label: label("risk_level", code) }));
  const regionBox = $('[data-testid="priorities-by-region"]');
  const sphereBox = $('[data-testid="priorities-by-sphere"]');
  const regions = riskRows(data.by_region, "region", regionName);
  const spheres = riskRows(data.by_sphere, "sphere", (code) => label("sphere", code));
  regions.length
    ? heatMap(regionBox, regions, levels, "priorities-region", t("priorities.total_column"))
    : message(regionBox, t("empty"));
  spheres.length
    ? heatMap(sphereBox, spheres, levels, "priorities-sphere", t("priorities.total_column"))
    : message(sphereBox, t("empty"));
}

function renderActions(data) {
  figures(
    $('[data-testid="actions-summary"]'),
    [
      { key: "actions", label: t("actions.count"), text: formatNumber(data.actions) },
      { key: "planned", label: t("actions.planned"), text: formatNumber(data.indicators.total) },
      { key: "measured", label: t("actions.measured"), text: formatNumber(data.indicators.measured) },
      { key: "met", label: t("actions.met"), text: formatNumber(data.indicators.met) },
    ],
    "actions",
  );
  const statuses = (state.catalogues?.action_status ?? []).map((item) => ({
    key: item.code,
    label: label("action_status", item.code),
    value: data.statuses[item.code] ?? 0,
  }));
  bars($('[data-testid="actions-by-status"]'), statuses, "actions-status");

  const box = $('[data-testid="actions-by-region"]');
  const regions = data.by_region
    .filter((row) => row.actions > 0)
    .sort((a, b) => b.indicators.total - a.indicators.total || b.actions - a.actions);
  if (!regions.length) {
    message(box, t("empty"));
    return;
  }
  box.replaceChildren(
    ...regions.map((row) => {
      const group = element("div", { className: "group", "data-key": row.region });
      group.append(element("h4", { text: regionName(row.region) }));
      const chart = element("div", { className: "bars" });
      bars(
        chart,
        [
          { key: "planned", label: t("actions.planned"), value: row.indicators.total },
          { key: "measured", label: t("actions.measured"), value: row.indicators.measured },
          { key: "met", label: t("actions.met"), value: row.indicators.met },
        ],
        `actions-region-${row.region}`,
      );
      group.append(chart);
      return group;
    }),
  );
}

function days(value) {
  return value === null || value === undefined ? "—" : formatNumber(value, { maximumFractionDigits: 1 });
}

function renderRecommendations(data) {
  funnel(
    $('[data-testid="recommendations-funnel"]'),
    ["received", "forwarded", "decided", "feedback_given"].map((key) => ({
      key,
      label: t(`recommendations.${key}`),
      value: data[key],
    })),
    "recommendations",
  );
  figures(
    $('[data-testid="recommendations-medians"]'),
    [
      { key: "decision", label: t("recommendations.median_decision"), text: days(data.median_days_to_decision) },
      { key: "feedback", label: t("recommendations.median_feedback"), text: days(data.median_days_to_feedback) },
    ],
    "recommendations-median",
  );
}

function renderCompliance({ counts, page }) {
  $('[data-testid="compliance-total"]').textContent = formatNumber(counts.total);
  const rules = Object.entries(counts.by_rule).map(([rule, value]) => ({ key: rule, label: t(`rule.${rule}`), value }));
  bars($('[data-testid="compliance-by-rule"]'), rules, "compliance-rule");
  const body = $('[data-testid="compliance-findings"] tbody');
  if (!page.items.length) {
    body.replaceChildren(element("tr", {}, element("td", { colspan: "4", className: "message", text: t("empty") })));
    return;
  }
  body.replaceChildren(
    ...page.items.map((finding) => {
      const records = element("td", {});
      for (const record of finding.records) {
        const href = recordUrl(record.kind, record.id);
        records.append(
          href
            ? element("a", { href, className: "record", text: `${t(`record.${record.kind}`)} ${record.id}` })
            : element("span", { text: record.id }),
          " ",
        );
      }
      return element(
        "tr",
        { "data-rule": finding.rule, "data-body": finding.government_body },
        element(
          "td",
          {},
          element("a", { href: recordUrl("body", finding.government_body), text: finding.government_body }),
        ),
        element("td", { text: t(`rule.${finding.rule}`) }),
        element("td", { text: formatDate(finding.due_on) }),
        records,
      );
    }),
  );
}

function renderReports(data) {
  const body = $('[data-testid="reports-by-region"] tbody');
  if (!data.regions.length) {
    body.replaceChildren(element("tr", {}, element("td", { colspan: "6", className: "message", text: t("empty") })));
    return;
  }
  const key = (row) => row.region ?? "central";
  body.replaceChildren(
    ...data.regions.map((row) =>
      element(
        "tr",
        { "data-key": key(row) },
        element("th", { scope: "row", text: regionName(row.region) }),
        ...["due", "on_time", "late", "missing"].map((column) =>
          element("td", { "data-testid": `reports-${key(row)}-${column}`, text: formatNumber(row[column]) }),
        ),
        element("td", {
          "data-testid": `reports-${key(row)}-rate`,
          text: row.on_time_rate === null || row.on_time_rate === undefined ? "—" : formatPercent(row.on_time_rate),
        }),
      ),
    ),
  );
}

const PANELS = {
  npos: { render: renderNpos, load: (q) => getJson("v1/analytics/npos", q) },
  priorities: { render: renderPriorities, load: (q) => getJson("v1/analytics/priorities", q) },
  actions: { render: renderActions, load: (q) => getJson("v1/analytics/joint-actions", q) },
  recommendations: { render: renderRecommendations, load: (q) => getJson("v1/analytics/recommendations", q) },
  compliance: {
    render: renderCompliance,
    load: async (q) => {
      const [counts, page] = await Promise.all([
        getJson("v1/analytics/compliance", { region: q.region }),
        getJson("v1/compliance", { region: q.region, limit: FINDINGS_SHOWN }),
      ]);
      return { counts, page };
    },
  },
  reports: {
    render: renderReports,
    load: (q) => getJson("v1/analytics/annual-reports", { ...q, year: q.year || almatyYear() }),
  },
};

function panelSection(name) {
  return document.querySelector(`[data-panel="${name}"]`);
}

function renderPanel(name) {
  const section = panelSection(name);
  const result = state.data[name];
  section.querySelector(":scope > .message")?.remove();
  if (!result) return;
  if (result.error) {
    section.append(element("p", { className: "message error", text: result.error }));
    section.dataset.state = "error";
    return;
  }
  PANELS[name].render(result.value);
  section.dataset.state = "ready";
}

async function refresh() {
  const generation = ++state.generation;
  const query = { year: state.filters.year, region: territoryFilter(), sphere: state.filters.sphere };
  document.body.dataset.state = "loading";
  for (const name of Object.keys(PANELS)) panelSection(name).dataset.state = "loading";
  const results = await Promise.all(
    Object.entries(PANELS).map(async ([name, panel]) => {
      try {
        return [name, { value: await panel.load(query) }];
      } catch (error) {
        return [name, { failure: error }];
      }
    }),
  );
  if (generation !== state.generation) return;
  const refused = results.find(([, result]) => result.failure instanceof AuthError);
  if (refused) {
    showAuth(refused[1].failure.reason);
    return;
  }
  for (const [name, result] of results) {
    if (result.failure instanceof ForbiddenError) state.data[name] = { error: t("forbidden") };
    else if (result.failure) state.data[name] = { error: t("failed", { reason: result.failure.message }) };
    else state.data[name] = result;
    renderPanel(name);
  }
  const asOf = state.data.compliance?.value?.counts?.as_of;
  $("#as-of").textContent = asOf ? t("as_of", { date: formatDate(asOf) }) : "";
  document.body.dataset.state = "ready";
}

// ---- token and language -----------------------------------------------------

function showAuth(reason) {
  forgetToken();
  $("#auth").hidden = false;
  $("#filters").hidden = true;
  $("#panels").hidden = true;
  $("#sign-out").hidden = true;
  $("#auth-message").textContent = t(`auth.${reason}`);
  $("#auth-message").dataset.reason = reason;
  document.body.dataset.state = "auth";
}

function showDashboard() {
  $("#auth").hidden = true;
  $("#filters").hidden = false;
  $("#panels").hidden = false;
  $("#sign-out").hidden = false;
  refresh();
}

function applyLanguage(code) {
  setLanguage(code);
  localStorage.setItem(LANGUAGE_KEY, code);
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === code));
  }
  translatePage();
  fillFilters();
  const reason = $("#auth-message").dataset.reason;
  if (reason) $("#auth-message").textContent = t(`auth.${reason}`);
  for (const name of Object.keys(PANELS)) renderPanel(name);
  const asOf = state.data.compliance?.value?.counts?.as_of;
  $("#as-of").textContent = asOf ? t("as_of", { date: formatDate(asOf) }) : "";
  document.body.dataset.language = code;
}

function wire() {
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => applyLanguage(button.dataset.lang));
  }
  $("#filters").addEventListener("change", (event) => {
    const { name, value } = event.target;
    state.filters[name] = value;
    if (name === "region") state.filters.district = "";
    fillFilters();
    writeFiltersToAddress();
    refresh();
  });
  $("#filters").addEventListener("submit", (event) => event.preventDefault());
  $("#auth-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("#token-input").value.trim();
    try {
      checkToken(token);
    } catch (error) {
      showAuth(error.reason);
      return;
    }
    storeToken(token);
    $("#token-input").value = "";
    delete $("#auth-message").dataset.reason;
    showDashboard();
  });
  $("#sign-out").addEventListener("click", () => showAuth("missing"));
}

async function start() {
  const saved = localStorage.getItem(LANGUAGE_KEY);
  setLanguage(LANGUAGES.includes(saved) ? saved : "ru");
  adoptTokenFromAddress();
  readFiltersFromAddress();
  [state.catalogues, state.territories] = await Promise.all([
    getAsset("catalogues.json"),
    getAsset("territories.json"),
  ]);
  wire();
  applyLanguage(currentLanguage());
  try {
    checkToken(storedToken());
  } catch (error) {
    showAuth(error.reason);
    return;
  }
  showDashboard();
}

start().catch((error) => {
  document.body.replaceChildren(element("p", { className: "message error", text: t("failed", { reason: error.message }) }));
});
