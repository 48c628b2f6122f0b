// Prints the size of the built dashboard (web/dist), raw and gzipped, per file and in total:
// what a browser downloads for the first page, and what the SQL console adds on first use.
// Run `npm run build` first; `npm run size` then reads dist/.
//
// With `--check` (run by `npm test`) it prints only the totals and fails when one exceeds its
// budget below, or when dist/ is missing or older than the sources it is built from, so the
// bundle cannot grow unnoticed. The budgets are stated in docs/DASHBOARD.md.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

/** Gzip (level 9) budgets in KiB: the first page, and the SQL console's lazily loaded chunk. */
const BUDGET_KIB = { firstPage: 160, consoleChunk: 160 };

const web = new URL("../", import.meta.url).pathname;
const dist = join(web, "dist");
const check = process.argv.includes("--check");

function fail(message) {
  console.error(`bundle size check: ${message}`);
  process.exit(1);
}

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

if (!existsSync(join(dist, "index.html"))) fail("web/dist/index.html is missing: run `npm run build` first");
if (check) {
  // The same inputs build.rs watches: a dist/ older than any of them would measure old code.
  const inputs = ["src", "public", "index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json"]
    .map((name) => join(web, name))
    .filter(existsSync)
    .flatMap((path) => (statSync(path).isDirectory() ? files(path) : [path]))
    .filter((path) => !/\.test\.ts$/.test(path));
  const built = statSync(join(dist, "index.html")).mtimeMs;
  const newer = inputs.filter((path) => statSync(path).mtimeMs > built);
  if (newer.length > 0) fail(`web/dist is older than ${relative(web, newer[0])}: run \`npm run build\` first`);
}

const rows = files(dist).map((path) => {
  const data = readFileSync(path);
  // Fonts (woff2) are compressed already; gzip would not shrink them (nor does the server).
  const gzip = /\.(js|css|html|svg|json)$/.test(path) ? gzipSync(data, { level: 9 }).length : data.length;
  return { file: relative(dist, path), raw: data.length, gzip, text: /\.(js|css|html)$/.test(path) ? data.toString("utf8") : "" };
});
const byFile = new Map(rows.map((row) => [row.file, row]));

/**
 * The first page: index.html, the scripts and styles it links, and whatever those import
 * statically (`import … from "./x.js"`, `import "./x.js"`). Dynamic `import("./x.js")`
 * chunks (the SQL console) load later and are left out.
 */
function firstPageFiles() {
  const seen = new Set(["index.html"]);
  const queue = ["index.html"];
  while (queue.length > 0) {
    const file = queue.shift();
    const text = byFile.get(file)?.text ?? "";
    const refs = file.endsWith(".html")
      ? [...text.matchAll(/<(?:script|link)\b[^>]*?(?:src|href)="\/([^"]+\.(?:js|css))"/g)].map((m) => m[1])
      : [...text.matchAll(/(?:\bfrom\s*|\bimport\s*)["'](\.{1,2}\/[^"']+\.(?:js|css))["']/g)].map((m) => join(file, "..", m[1]));
    for (const ref of refs) {
      if (!seen.has(ref) && byFile.has(ref)) {
        seen.add(ref);
        queue.push(ref);
      }
    }
  }
  return seen;
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const sum = (list, key) => list.reduce((total, row) => total + row[key], 0);
const code = rows.filter((r) => /\.(js|css|html)$/.test(r.file));
const firstNames = firstPageFiles();
const firstPage = code.filter((r) => firstNames.has(r.file));
const consoleChunk = code.filter((r) => /(^|\/)Console-[^/]*\.js$/.test(r.file));
const fonts = rows.filter((r) => r.file.endsWith(".woff2"));

if (!firstPage.some((r) => r.file.endsWith(".js"))) fail("index.html links no script: is dist/ a real build?");
if (consoleChunk.length === 0) fail("no Console-*.js chunk: the SQL console is no longer loaded on first use");
if (consoleChunk.some((r) => firstNames.has(r.file))) fail("the SQL console chunk is part of the first page");

if (!check) {
  for (const row of rows.sort((a, b) => b.gzip - a.gzip)) {
    const mark = firstNames.has(row.file) ? "first page" : "";
    console.log(`${row.file.padEnd(64)} ${kib(row.raw).padStart(11)} ${kib(row.gzip).padStart(11)} gzip  ${mark}`);
  }
  console.log("");
}
const totals = [
  ["first page (HTML, JS, CSS)", sum(firstPage, "gzip"), sum(firstPage, "raw"), BUDGET_KIB.firstPage],
  ["SQL console chunk (on use)", sum(consoleChunk, "gzip"), sum(consoleChunk, "raw"), BUDGET_KIB.consoleChunk],
];
for (const [label, gzip, raw, budget] of totals) {
  console.log(`${`${label}:`.padEnd(30)} ${kib(gzip)} gzip (${kib(raw)} raw), budget ${budget} KiB gzip`);
}
if (!check) {
  console.log(`${"all code:".padEnd(30)} ${kib(sum(code, "gzip"))} gzip`);
  console.log(`${"fonts (woff2, by script):".padEnd(30)} ${kib(sum(fonts, "raw"))}; a Latin page loads two of them`);
}
const over = totals.filter(([, gzip, , budget]) => gzip > budget * 1024);
if (over.length > 0) {
  fail(over.map(([label, gzip, , budget]) => `${label} is ${kib(gzip)} gzip, over its ${budget} KiB budget`).join("; "));
}
