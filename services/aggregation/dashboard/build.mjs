// Builds the dashboard into dist/, which the aggregation service compiles into its
// binary: the bundled script, the page, the style sheet, and territories.json (the
// regions and their districts from the KATO classifier the registry loads).
//
//   npm ci && npm run build    rewrites dist/
//   npm run check              fails when dist/ differs from what the sources build

import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const kato = join(here, "..", "..", "registry", "data", "kato-2022-10-17-ru.csv");

// Kazakh names of the regions; the classifier file has Russian names only.
const REGION_NAMES_KK = {
  "100000000": "Абай облысы",
  "110000000": "Ақмола облысы",
  "150000000": "Ақтөбе облысы",
  "190000000": "Алматы облысы",
  "230000000": "Атырау облысы",
  "270000000": "Батыс Қазақстан облысы",
  "310000000": "Жамбыл облысы",
  "330000000": "Жетісу облысы",
  "350000000": "Қарағанды облысы",
  "390000000": "Қостанай облысы",
  "430000000": "Қызылорда облысы",
  "470000000": "Маңғыстау облысы",
  "550000000": "Павлодар облысы",
  "590000000": "Солтүстік Қазақстан облысы",
  "610000000": "Түркістан облысы",
  "620000000": "Ұлытау облысы",
  "630000000": "Шығыс Қазақстан облысы",
  "710000000": "Астана қаласы",
  "750000000": "Алматы қаласы",
  "790000000": "Шымкент қаласы",
};

/** Reads the regions and their districts (levels 1 and 2) from the classifier. */
function territories() {
  const text = readFileSync(kato, "utf8").replace(/^\uFEFF/, "");
  const regions = new Map();
  const districts = [];
  for (const line of text.split(/\r?\n/).slice(1)) {
    const [, parent, code, name] = line.split(";");
    if (!code || code.length !== 9) continue;
    if (parent === "0") {
      const kk = REGION_NAMES_KK[code];
      if (!kk) throw new Error(`region ${code} has no Kazakh name in build.mjs`);
      regions.set(code, { code, ru: name.trim(), kk, districts: [] });
    } else if (code.slice(2) !== "0000000" && code.slice(4) === "00000") {
      districts.push({ code, ru: name.trim() });
    }
  }
  for (const district of districts) {
    regions.get(`${district.code.slice(0, 2)}0000000`)?.districts.push(district);
  }
  for (const region of regions.values()) {
    region.districts.sort((a, b) => a.ru.localeCompare(b.ru, "ru"));
  }
  return [...regions.values()];
}

async function outputs() {
  const bundle = await build({
    entryPoints: [join(here, "src", "app.js")],
    bundle: true,
    minify: true,
    format: "iife",
    target: ["chrome110", "firefox110", "safari16"],
    write: false,
    legalComments: "none",
  });
  return {
    "app.js": bundle.outputFiles[0].text,
    "index.html": readFileSync(join(here, "src", "index.html"), "utf8"),
    "style.css": readFileSync(join(here, "src", "style.css"), "utf8"),
    "territories.json": `${JSON.stringify(territories())}\n`,
  };
}

const files = await outputs();
if (process.argv.includes("--check")) {
  const stale = Object.entries(files).filter(
    ([name, text]) => !existsSync(join(dist, name)) || readFileSync(join(dist, name), "utf8") !== text,
  );
  if (stale.length) {
    console.error(`dist/ is out of date (${stale.map(([name]) => name).join(", ")}): run npm run build`);
    process.exit(1);
  }
  console.log("dist/ matches the sources");
} else {
  mkdirSync(dist, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dist, name), text);
  console.log(`wrote ${Object.keys(files).length} files to ${dist}`);
}
