// Drives the dashboard in headless Chromium against a running platform and compares
// every panel with the analytics figures of the same filters.
//
// The Rust test tests/year_of_activity.rs starts the platform, fills it with a year of
// work and runs this file with:
//   DASHBOARD_URL          the page, such as http://127.0.0.1:8080/dashboard/
//   DASHBOARD_TOKEN        a token with the ministry role
//   DASHBOARD_EXPECT       a JSON file: the filters to try and the figures of each
//   DASHBOARD_SCREENSHOTS  folder for the screenshots of every panel
//   CHROMIUM               the browser (default /usr/bin/chromium)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const url = required("DASHBOARD_URL");
const token = required("DASHBOARD_TOKEN");
const expect = JSON.parse(readFileSync(required("DASHBOARD_EXPECT"), "utf8"));
const screenshots = required("DASHBOARD_SCREENSHOTS");
const origin = new URL(url).origin;

// Chromium must send nothing off the machine: no background requests, no updates, no
// metrics, no safe-browsing lookups.
const CHROMIUM_ARGS = [
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-default-apps",
  "--disable-domain-reliability",
  "--disable-sync",
  "--disable-client-side-phishing-detection",
  "--disable-breakpad",
  "--metrics-recording-only",
  "--no-first-run",
  "--no-default-browser-check",
  "--no-pings",
  "--safebrowsing-disable-auto-update",
  "--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions",
];

const KAZAKH_MONTHS = [
  "қаңтар",
  "ақпан",
  "наурыз",
  "сәуір",
  "мамыр",
  "маусым",
  "шілде",
  "тамыз",
  "қыркүйек",
  "қазан",
  "қараша",
  "желтоқсан",
];

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; see the head of this file`);
  return value;
}

let browser;
let context;
const offMachine = [];

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
  context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: "ru-RU" });
  // Every request of the page goes to the platform; anything else is recorded and
  // refused.
  await context.route("**/*", (route) => {
    const target = route.request().url();
    if (target.startsWith(origin) || target.startsWith("data:")) return route.continue();
    offMachine.push(target);
    return route.abort();
  });
});

after(async () => {
  await browser?.close();
});

/** Reads a displayed number, whatever the locale's group separator. */
function number(text) {
  const plain = text.replace(/[\s\u00a0\u202f]/g, "").replace(",", ".");
  assert.match(plain, /^-?\d+(\.\d+)?$/, `"${text}" is a number`);
  return Number(plain);
}

async function shown(page, testid) {
  const locator = page.locator(`[data-testid="${testid}"]`);
  await locator.waitFor({ state: "attached" });
  return number(await locator.innerText());
}

async function waitUntilLoaded(page) {
  await page.waitForFunction(() => document.body.dataset.state === "ready");
}

async function openWithToken() {
  const page = await context.newPage();
  await page.goto(`${url}#token=${encodeURIComponent(token)}`);
  await waitUntilLoaded(page);
  return page;
}

async function choose(page, filters) {
  for (const [name, value] of Object.entries(filters)) {
    await page.selectOption(`#filter-${name}`, value ?? "");
    await waitUntilLoaded(page);
  }
}

/** Compares every panel with the figures the API gave for the same filters. */
async function assertPanels(page, figures, stateName) {
  const { npos, priorities, actions, recommendations, compliance, findings, reports } = figures;

  assert.equal(await shown(page, "npos-total"), npos.total, `${stateName}: NPO total`);
  for (const row of npos.by_region) {
    assert.equal(await shown(page, `npos-region-${row.region}`), row.count, `${stateName}: NPOs of ${row.region}`);
  }
  for (const row of npos.by_sphere) {
    assert.equal(await shown(page, `npos-sphere-${row.sphere}`), row.count, `${stateName}: NPOs of ${row.sphere}`);
  }
  assert.equal(
    await page.locator('[data-testid="npos-by-region"] .bar').count(),
    npos.by_region.length,
    `${stateName}: one bar per region`,
  );

  assert.equal(await shown(page, "priorities-total"), priorities.total.total, `${stateName}: priorities`);
  for (const row of priorities.by_region) {
    for (const level of ["high", "medium", "low", "total"]) {
      assert.equal(
        await shown(page, `priorities-region-${row.region}-${level}`),
        row[level],
        `${stateName}: priorities of ${row.region}, ${level}`,
      );
    }
  }
  for (const row of priorities.by_sphere) {
    assert.equal(await shown(page, `priorities-sphere-${row.sphere}-total`), row.total, `${stateName}: ${row.sphere}`);
  }

  assert.equal(await shown(page, "actions-actions"), actions.actions, `${stateName}: joint actions`);
  assert.equal(await shown(page, "actions-planned"), actions.indicators.total, `${stateName}: planned indicators`);
  assert.equal(await shown(page, "actions-measured"), actions.indicators.measured, `${stateName}: measured`);
  assert.equal(await shown(page, "actions-met"), actions.indicators.met, `${stateName}: met`);
  for (const [status, count] of Object.entries(actions.statuses)) {
    assert.equal(await shown(page, `actions-status-${status}`), count, `${stateName}: actions ${status}`);
  }
  for (const row of actions.by_region.filter((r) => r.actions > 0)) {
    assert.equal(
      await shown(page, `actions-region-${row.region}-planned`),
      row.indicators.total,
      `${stateName}: planned indicators of ${row.region}`,
    );
    assert.equal(
      await shown(page, `actions-region-${row.region}-met`),
      row.indicators.met,
      `${stateName}: met indicators of ${row.region}`,
    );
  }

  for (const stage of ["received", "forwarded", "decided", "feedback_given"]) {
    assert.equal(await shown(page, `recommendations-${stage}`), recommendations[stage], `${stateName}: ${stage}`);
  }
  for (const [key, field] of [
    ["decision", "median_days_to_decision"],
    ["feedback", "median_days_to_feedback"],
  ]) {
    const text = await page.locator(`[data-testid="recommendations-median-${key}"]`).innerText();
    if (recommendations[field] === null || recommendations[field] === undefined) assert.equal(text, "—");
    else assert.equal(number(text), Math.round(recommendations[field] * 10) / 10, `${stateName}: ${field}`);
  }

  assert.equal(await shown(page, "compliance-total"), compliance.total, `${stateName}: findings`);
  for (const [rule, count] of Object.entries(compliance.by_rule)) {
    assert.equal(await shown(page, `compliance-rule-${rule}`), count, `${stateName}: findings of ${rule}`);
  }
  const rows = page.locator('[data-testid="compliance-findings"] tbody tr[data-rule]');
  assert.equal(await rows.count(), findings.items.length, `${stateName}: listed findings`);
  for (const [index, finding] of findings.items.entries()) {
    const row = rows.nth(index);
    assert.equal(await row.getAttribute("data-body"), finding.government_body);
    assert.equal(await row.getAttribute("data-rule"), finding.rule);
    const links = await row.locator("a").evaluateAll((anchors) => anchors.map((a) => a.getAttribute("href")));
    assert.ok(
      links[0].endsWith(`/v1/government-bodies/${encodeURIComponent(finding.government_body)}`),
      `${stateName}: the finding links to its body (${links[0]})`,
    );
    assert.equal(links.length, 1 + finding.records.length, `${stateName}: one link per record`);
  }

  for (const row of reports.regions) {
    const key = row.region ?? "central";
    for (const column of ["due", "on_time", "late", "missing"]) {
      assert.equal(await shown(page, `reports-${key}-${column}`), row[column], `${stateName}: reports of ${key}`);
    }
  }
}

async function screenshotPanels(page, suffix) {
  for (const panel of ["npos", "priorities", "actions", "recommendations", "compliance", "reports"]) {
    await page.locator(`[data-panel="${panel}"]`).screenshot({ path: join(screenshots, `${panel}-${suffix}.png`) });
  }
}

test("without a token the page asks for one, in both languages", async () => {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state === "auth");
  assert.equal(await page.locator("#auth-message").getAttribute("data-reason"), "missing");
  assert.match(await page.locator("#auth-message").innerText(), /нужен токен/);
  assert.ok(await page.locator("#panels").isHidden());
  await page.click('[data-lang="kk"]');
  assert.match(await page.locator("#auth-message").innerText(), /токені қажет/);
  assert.equal(await page.locator("html").getAttribute("lang"), "kk");
  await page.screenshot({ path: join(screenshots, "token-missing.png") });
  await page.click('[data-lang="ru"]');
  await page.close();
});

test("an expired or refused token is named as such", async () => {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = encode({ alg: "EdDSA", typ: "JWT" });
  const expired = `${header}.${encode({ sub: "someone", role: "ministry", exp: 1_000_000_000 })}.c2ln`;
  const forged = `${header}.${encode({ sub: "someone", role: "ministry", exp: 4_000_000_000 })}.c2ln`;

  const page = await context.newPage();
  await page.goto(`${url}#token=${expired}`);
  await page.waitForFunction(() => document.body.dataset.state === "auth");
  assert.equal(await page.locator("#auth-message").getAttribute("data-reason"), "expired");
  assert.match(await page.locator("#auth-message").innerText(), /истёк/);

  await page.fill("#token-input", forged);
  await page.click('#auth-form button[type="submit"]');
  await page.waitForFunction(() => document.getElementById("auth-message").dataset.reason === "rejected");
  assert.match(await page.locator("#auth-message").innerText(), /не принял токен/);

  await page.fill("#token-input", "not a token");
  await page.click('#auth-form button[type="submit"]');
  assert.equal(await page.locator("#auth-message").getAttribute("data-reason"), "malformed");

  await page.fill("#token-input", token);
  await page.click('#auth-form button[type="submit"]');
  await waitUntilLoaded(page);
  assert.ok(await page.locator("#panels").isVisible());
  assert.ok(!page.url().includes("token="), "the token is not left in the address");
  await page.close();
});

test("every panel shows the national figures, and the filters change them", async () => {
  const page = await openWithToken();
  await choose(page, { year: String(expect.year) });
  await assertPanels(page, expect.national, "national");
  await screenshotPanels(page, "national");
  await page.screenshot({ path: join(screenshots, "dashboard.png"), fullPage: true });

  await choose(page, { region: expect.region });
  await assertPanels(page, expect.regional, `region ${expect.region}`);
  assert.notEqual(expect.regional.npos.total, expect.national.npos.total, "the region filter is a real change");
  const districts = await page.locator("#filter-district option").count();
  assert.ok(districts > 1, "the region's districts are offered");

  await choose(page, { district: expect.district });
  await assertPanels(page, expect.district_figures, `district ${expect.district}`);

  await choose(page, { district: "", sphere: expect.sphere });
  await assertPanels(page, expect.sphere_figures, `region ${expect.region}, sphere ${expect.sphere}`);
  await screenshotPanels(page, "filtered");
  await page.close();
});

test("the Kazakh interface shows the same figures in local formats", async () => {
  const page = await openWithToken();
  await choose(page, { year: String(expect.year) });
  await page.click('[data-lang="kk"]');
  assert.equal(await page.locator("h1").innerText(), "ҮЕҰ: ұлттық панель");
  assert.equal(await page.locator("html").getAttribute("lang"), "kk");
  assert.match(await page.locator("#as-of").innerText(), /жағдай бойынша/);
  const [year, month, day] = expect.national.compliance.as_of.split("-").map(Number);
  const asOfText = await page.locator("#as-of").innerText();
  assert.ok(asOfText.includes(KAZAKH_MONTHS[month - 1]), `"${asOfText}" names the month in Kazakh`);
  assert.ok(asOfText.includes(String(day)), `"${asOfText}" has the day`);
  assert.ok(asOfText.includes(`${year} жылғы`), `"${asOfText}" has the year`);
  const region = expect.national.npos.by_region[0]?.region;
  if (region) {
    const bar = page.locator(`[data-testid="npos-by-region"] .bar[data-key="${region}"] .label`);
    assert.match(await bar.innerText(), /облысы|қаласы/, "regions are named in Kazakh");
  }
  await assertPanels(page, expect.national, "national, in Kazakh");
  await screenshotPanels(page, "kk");
  await page.screenshot({ path: join(screenshots, "dashboard-kk.png"), fullPage: true });
  await page.click('[data-lang="ru"]');
  assert.equal(await page.locator("h1").innerText(), "НПО: национальная панель");
  await page.close();
});

test("the page sent nothing off the machine", () => {
  assert.deepEqual(offMachine, []);
});
