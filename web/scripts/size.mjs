// Prints the size of the built dashboard (web/dist), raw and gzipped, per file and in total:
// what a browser downloads for the first page, and what the SQL console adds on first use.
// Run `npm run build` first; `npm run size` then reads dist/.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

const dist = new URL("../dist/", import.meta.url).pathname;

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const rows = files(dist).map((path) => {
  const data = readFileSync(path);
  // Fonts (woff2) are compressed already; gzip would not shrink them.
  const gzip = /\.(js|css|html|svg|json)$/.test(path) ? gzipSync(data, { level: 9 }).length : data.length;
  return { file: relative(dist, path), raw: data.length, gzip };
});
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const sum = (list, key) => list.reduce((total, row) => total + row[key], 0);
const code = rows.filter((r) => /\.(js|css|html)$/.test(r.file));
const consoleChunk = code.filter((r) => /Console-/.test(r.file));
const firstPage = code.filter((r) => !consoleChunk.includes(r));
const fonts = rows.filter((r) => r.file.endsWith(".woff2"));

for (const row of rows.sort((a, b) => b.gzip - a.gzip)) {
  console.log(`${row.file.padEnd(64)} ${kib(row.raw).padStart(11)} ${kib(row.gzip).padStart(11)} gzip`);
}
console.log("");
console.log(`first page (HTML, JS, CSS):   ${kib(sum(firstPage, "gzip"))} gzip (${kib(sum(firstPage, "raw"))} raw)`);
console.log(`SQL console chunk (on use):   ${kib(sum(consoleChunk, "gzip"))} gzip (${kib(sum(consoleChunk, "raw"))} raw)`);
console.log(`all code:                     ${kib(sum(code, "gzip"))} gzip`);
console.log(`fonts (woff2, by script):     ${kib(sum(fonts, "raw"))}; a Latin page loads two of them`);
