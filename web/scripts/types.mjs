// Generates src/lib/api-schema.d.ts, the dashboard's wire types, from docs/openapi.json (the
// document the server serves at /openapi.json, kept up to date by a Rust test) with
// openapi-typescript. `npm run types` writes the file; src/lib/types.ts names its schemas.
//
// With `--check` (run by `npm test`) it writes nothing and fails when the committed file is not
// what the document generates now, so an API change cannot leave the dashboard's types behind.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import openapiTS, { astToString } from "openapi-typescript";

const web = new URL("../", import.meta.url).pathname;
const source = join(web, "../docs/openapi.json");
const target = join(web, "src/lib/api-schema.d.ts");
const check = process.argv.includes("--check");

const HEADER = `// Generated from docs/openapi.json by \`npm run types\` (openapi-typescript): do not edit.
// \`npm test\` fails when this file is out of date.

`;

const document = JSON.parse(readFileSync(source, "utf8"));

// A reference to a schema the document does not define is a bug of the server's document
// (utoipa registers a type only where a schema uses it; a parameter type must be inlined):
// say exactly where, rather than openapi-typescript's bare failure.
const missing = [];
(function findMissingSchemas(node, path) {
  if (node === null || typeof node !== "object") return;
  for (const [key, child] of Object.entries(node)) {
    const at = `${path}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
    const ref = child?.$ref;
    const name = typeof ref === "string" && ref.match(/^#\/components\/schemas\/(.+)$/)?.[1];
    if (name && !(name in (document.components?.schemas ?? {}))) missing.push(`${ref} (at ${at})`);
    else findMissingSchemas(child, at);
  }
})(document, "#");
if (missing.length > 0) {
  console.error(`api types: docs/openapi.json refers to schemas it does not define:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}

// `emptyObjectsUnknown`: a schema that says only `object` (a result row) means "some object",
// not `Record<string, never>`.
const generated = HEADER + astToString(await openapiTS(document, { emptyObjectsUnknown: true }));

if (!check) {
  writeFileSync(target, generated);
  process.exit(0);
}

let committed;
try {
  committed = readFileSync(target, "utf8");
} catch {
  console.error("api types: web/src/lib/api-schema.d.ts is missing. Run `npm run types` in web/ and commit the result.");
  process.exit(1);
}
if (committed !== generated) {
  const want = generated.split("\n");
  const have = committed.split("\n");
  const line = want.findIndex((text, i) => text !== have[i]);
  const at = line === -1 ? want.length : line;
  console.error(
    `api types: web/src/lib/api-schema.d.ts is out of date with docs/openapi.json ` +
      `(first difference at line ${at + 1}:\n  committed: ${have[at] ?? "(end of file)"}\n  generated: ${want[at] ?? "(end of file)"})\n` +
      `Run \`npm run types\` in web/ and commit the result.`,
  );
  process.exit(1);
}
