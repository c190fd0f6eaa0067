// Bar charts, heat maps and tables drawn as plain elements. Sizes and colours are set
// through the CSS object model, which the page's content security policy allows.

import { formatNumber } from "./i18n.js";

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

/**
 * Draws a ranked bar chart. Each row: { key, label, value, extra? }; rows are drawn in
 * the order given. `testid` prefixes the data-testid of each row's value.
 */
export function bars(container, rows, testid) {
  container.replaceChildren();
  const max = Math.max(1, ...rows.map((row) => row.value));
  for (const row of rows) {
    const fill = element("span", { className: "fill" });
    fill.style.width = `${(100 * row.value) / max}%`;
    container.append(
      element(
        "div",
        { className: "bar", "data-key": row.key },
        element("span", { className: "label", text: row.label, title: row.label }),
        element("span", { className: "track" }, fill),
        element("span", { className: "value", "data-testid": `${testid}-${row.key}`, text: formatNumber(row.value) }),
      ),
    );
  }
}

/**
 * Draws a heat map: one row per entry, one column per level; each cell is shaded by
 * its share of the largest cell. Rows: { key, label, cells: {level: n}, total }.
 */
export function heatMap(container, rows, levels, testid, totalLabel) {
  const max = Math.max(1, ...rows.flatMap((row) => levels.map((level) => row.cells[level.code] ?? 0)));
  const head = element(
    "tr",
    {},
    element("th", {}),
    ...levels.map((level) => element("th", { className: `level level-${level.code}`, text: level.label })),
    element("th", { text: totalLabel }),
  );
  const body = rows.map((row) =>
    element(
      "tr",
      { "data-key": row.key },
      element("th", { scope: "row", text: row.label }),
      ...levels.map((level) => {
        const value = row.cells[level.code] ?? 0;
        const cell = element("td", {
          className: `cell level-${level.code}`,
          "data-testid": `${testid}-${row.key}-${level.code}`,
          text: formatNumber(value),
        });
        cell.style.setProperty("--share", String(value / max));
        return cell;
      }),
      element("td", { className: "row-total", "data-testid": `${testid}-${row.key}-total`, text: formatNumber(row.total) }),
    ),
  );
  container.replaceChildren(element("table", {}, element("thead", {}, head), element("tbody", {}, ...body)));
}

/** Draws a funnel: each stage is a bar whose width is its share of the first stage. */
export function funnel(container, stages, testid) {
  container.replaceChildren();
  const first = Math.max(1, stages[0]?.value ?? 0);
  for (const stage of stages) {
    const fill = element("span", { className: "fill" });
    fill.style.width = `${Math.max(2, (100 * stage.value) / first)}%`;
    container.append(
      element(
        "div",
        { className: "stage", "data-key": stage.key },
        element("span", { className: "label", text: stage.label }),
        element("span", { className: "track" }, fill),
        element("span", { className: "value", "data-testid": `${testid}-${stage.key}`, text: formatNumber(stage.value) }),
      ),
    );
  }
}

/** Fills a definition list with label and value pairs. */
export function figures(container, items, testid) {
  container.replaceChildren(
    ...items.flatMap((item) => [
      element("dt", { text: item.label }),
      element("dd", { "data-testid": `${testid}-${item.key}`, text: item.text }),
    ]),
  );
}

export function message(container, text, kind = "empty") {
  container.replaceChildren(element("p", { className: `message ${kind}`, text }));
}
