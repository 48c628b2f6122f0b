// Export and import in the dashboard, in Chromium against a real `dbforge serve`: the grid's
// and the console's CSV/JSON exports hold every row of a 25,000-row table (past the query's
// 10,000-row limit: the server streams them), the Export dialog's SQL dump and SQLite file, a
// CSV imported into a new table (its rows then in the grid), a bad CSV refused with the line
// named and nothing changed, a SQLite file imported as a new database from the list, and a
// read-only key that may export but is offered no import.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { apiCall, eventually, launchBrowser, screenshot, signInWith, startServer, watchConsole } from "./harness.mjs";

const KEY = "e2e-transfer-admin-key-0123456789";
const DB = "sales";
const ROWS = 25_000;
let server;
let browser;
let page;
let guard;

const admin = (method, path, body) => apiCall(server.url, KEY, method, path, body);

async function count(database, table) {
  const answer = await admin("POST", `/api/db/${database}/query`, { sql: `SELECT count(*) AS n FROM ${table}` });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.rows[0].n;
}

/** A download's text, split into CRLF-terminated lines. */
function lines(path) {
  const text = readFileSync(path, "utf8");
  assert.ok(text.endsWith("\r\n"), "the file ends with a whole line");
  return text.slice(0, -2).split("\r\n");
}

/** Clicks `button` and answers the file it downloads. */
async function downloadOf(button) {
  const [download] = await Promise.all([page.waitForEvent("download"), button.click()]);
  return { name: download.suggestedFilename(), path: await download.path() };
}

const importDialog = (name) => page.getByRole("dialog", { name });

describe("DB-Forge dashboard: export and import", () => {
  before(async () => {
    server = await startServer(KEY);
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(15_000);
    guard = watchConsole(page, server.url);
    assert.equal((await admin("POST", `/admin/databases/spawn/${DB}`)).status, 201);
    const setup = await admin("POST", `/api/db/${DB}/query`, {
      sql:
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, total REAL);" +
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS}) ` +
        "INSERT INTO orders (customer, total) SELECT 'customer ' || (i % 97), i * 0.5 FROM n;",
    });
    assert.equal(setup.status, 200, JSON.stringify(setup.body));
    await signInWith(page, server.url, KEY);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("exports every row of a 25,000-row table from the grid and from the console, streamed by the server", async () => {
    // The grid pages 100 rows at a time; its CSV is the whole table.
    await page.goto(`${server.url}/databases/${DB}/tables/orders`);
    await page.getByTestId("row-range").waitFor();
    assert.match(await page.getByTestId("row-range").innerText(), /of 25,000/);
    const grid = await downloadOf(page.getByRole("button", { name: "CSV", exact: true }));
    assert.equal(grid.name, `${DB}-orders.csv`);
    const rows = lines(grid.path);
    assert.equal(rows.length, ROWS + 1, "a header and every row");
    assert.deepEqual([rows[0], rows[1], rows.at(-1)], ["id,customer,total", "1,customer 1,0.5", `${ROWS},customer ${ROWS % 97},${ROWS / 2}.0`]);

    // Filtered and sorted, the grid exports what it pages through.
    await page.getByLabel("Filter column").selectOption("customer");
    await page.getByLabel("Filter value").fill("customer 5");
    await page.getByRole("button", { name: "Filter", exact: true }).click();
    await eventually(async () => /of 258$/.test(await page.getByTestId("row-range").innerText()));
    await page.getByRole("button", { name: "Sort by total" }).click();
    await page.getByRole("button", { name: "Sort by total" }).click();
    const filtered = JSON.parse(readFileSync((await downloadOf(page.getByRole("button", { name: "JSON", exact: true }))).path, "utf8"));
    assert.equal(filtered.length, await (await admin("POST", `/api/db/${DB}/query`, { sql: "SELECT count(*) AS n FROM orders WHERE customer = 'customer 5'" })).body.rows[0].n);
    assert.ok(filtered.every((row) => row.customer === "customer 5"));
    assert.ok(filtered[0].total > filtered.at(-1).total, "sorted by total, descending");
    assert.equal(Object.keys(filtered[0]).join(), "id,customer,total", "without the grid's rowid column");

    // The console shows the first 10,000 rows; its export runs the query again, whole.
    await page.goto(`${server.url}/databases/${DB}/console`);
    await page.locator(".cm-content").click();
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Backspace");
    await page.keyboard.insertText("SELECT id, customer FROM orders ORDER BY id DESC");
    await page.keyboard.press("Control+Enter");
    const summary = page.getByTestId("result-summary");
    await eventually(async () => /^10,000 rows/.test(await summary.innerText()));
    assert.match(await summary.innerText(), /the first 10,000 rows: the server's limit; exports hold them all/);
    const csv = lines((await downloadOf(page.getByRole("button", { name: "CSV", exact: true }))).path);
    assert.equal(csv.length, ROWS + 1);
    assert.deepEqual([csv[0], csv[1], csv.at(-1)], ["id,customer", `${ROWS},customer ${ROWS % 97}`, "1,customer 1"]);
    const json = JSON.parse(readFileSync((await downloadOf(page.getByRole("button", { name: "JSON", exact: true }))).path, "utf8"));
    assert.equal(json.length, ROWS);
    assert.deepEqual(json[0], { id: ROWS, customer: `customer ${ROWS % 97}` });

    // A statement that writes is not run again: its rows on screen make the file.
    await page.locator(".cm-content").click();
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Backspace");
    await page.keyboard.insertText("UPDATE orders SET total = total WHERE id <= 2 RETURNING id");
    await page.keyboard.press("Control+Enter");
    await eventually(async () => /^2 rows/.test(await summary.innerText()));
    guard.expectHttpError(403, `/api/db/${DB}/export`);
    assert.deepEqual(lines((await downloadOf(page.getByRole("button", { name: "CSV", exact: true }))).path), ["id", "1", "2"]);
    assert.match(await page.getByTestId("export-saved").innerText(), /This statement writes, so it was not run again: the file holds the 2 rows/);
    guard.assertClean();
  });

  it("exports the database as a SQL dump and as the SQLite file from its page", async () => {
    await page.goto(`${server.url}/databases/${DB}`);
    await page.getByRole("button", { name: "Export", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: `Export ${DB}` });
    assert.equal(await dialog.getByLabel("What").inputValue(), "");
    assert.equal(await dialog.getByRole("radio", { name: /SQL dump/ }).isChecked(), true);
    assert.equal(await dialog.getByRole("radio", { name: /CSV/ }).count(), 0, "rows need a table");
    const dump = await downloadOf(dialog.getByRole("button", { name: "Export", exact: true }));
    assert.equal(dump.name, `${DB}.sql`);
    const sql = readFileSync(dump.path, "utf8");
    assert.match(sql, /^PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE orders/);
    assert.equal(sql.match(/^INSERT INTO/gm).length, ROWS);
    assert.match(sql, /COMMIT;\n$/);
    assert.match(await dialog.getByTestId("export-saved").innerText(), new RegExp(`Saved ${DB}\\.sql`));
    await screenshot(page, "73-export-dialog");

    await dialog.getByRole("radio", { name: /SQLite file/ }).check();
    const file = await downloadOf(dialog.getByRole("button", { name: "Export", exact: true }));
    assert.equal(file.name, `${DB}.sqlite`);
    const bytes = readFileSync(file.path);
    assert.equal(bytes.subarray(0, 16).toString("latin1"), "SQLite format 3\0");

    // One table: its rows as NDJSON.
    await dialog.getByLabel("What").selectOption("orders");
    await dialog.getByRole("radio", { name: /NDJSON/ }).check();
    const ndjson = readFileSync((await downloadOf(dialog.getByRole("button", { name: "Export", exact: true }))).path, "utf8").trimEnd().split("\n");
    assert.equal(ndjson.length, ROWS);
    assert.deepEqual(JSON.parse(ndjson[0]), { id: 1, customer: "customer 1", total: 0.5 });
    await dialog.getByRole("button", { name: "Close" }).first().click();
    guard.assertClean();
  });

  it("imports a CSV into a new table, then shows its rows in the grid", async () => {
    await page.goto(`${server.url}/databases/${DB}`);
    await page.getByRole("button", { name: "Import", exact: true }).click();
    const dialog = importDialog(`Import into ${DB}`);
    const csv = Buffer.from("id,name,city\r\n1,Ada,London\r\n2,Grace,\\N\r\n3,Linus,Helsinki\r\n");
    await dialog.getByLabel("File", { exact: true }).setInputFiles({ name: "new customers.csv", mimeType: "text/csv", buffer: csv });
    assert.equal(await dialog.getByLabel("Format").inputValue(), "csv");
    assert.match(await dialog.innerText(), /CSV, from the file's name/);
    assert.equal(await dialog.getByLabel("Table", { exact: true }).inputValue(), "new_customers");
    await dialog.getByLabel("Table", { exact: true }).fill("customers");
    assert.match(await dialog.getByTestId("import-table-hint").innerText(), /A new table customers/);
    await dialog.getByLabel(/NULL is written in the file as/).fill("\\N");
    await page.mouse.move(0, 0);
    await screenshot(page, "70-import-dialog");
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    const result = dialog.getByTestId("import-result");
    await result.waitFor();
    assert.equal(await result.innerText(), `Imported 3 rows into customers (a new table) of ${DB} (${csv.length} B uploaded).`);
    // The table list knows it at once.
    await page.getByRole("navigation", { name: "Tables and views" }).getByRole("link", { name: /customers/ }).waitFor();
    await dialog.getByRole("button", { name: "Open customers" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.waitForURL(`**/databases/${DB}/tables/customers`);
    const grid = page.getByRole("grid", { name: "Rows of customers" });
    await eventually(async () => /Linus/.test(await grid.innerText()));
    assert.match(await grid.innerText(), /Ada[\s\S]*London[\s\S]*Grace[\s\S]*NULL/);
    const stored = await admin("POST", `/api/db/${DB}/query`, { sql: "SELECT id, name, city, typeof(id) AS t FROM customers ORDER BY id" });
    assert.deepEqual(stored.body.rows, [
      { id: 1, name: "Ada", city: "London", t: "integer" },
      { id: 2, name: "Grace", city: null, t: "integer" },
      { id: 3, name: "Linus", city: "Helsinki", t: "integer" },
    ]);
    guard.assertClean();
  });

  it("refuses a bad CSV with the server's message naming the line, and changes nothing", async () => {
    await page.goto(`${server.url}/databases/${DB}/tables/customers`);
    await page.getByRole("button", { name: "Import", exact: true }).click();
    const dialog = importDialog(`Import into ${DB}`);
    await dialog.getByLabel("File", { exact: true }).setInputFiles({ name: "customers.csv", mimeType: "text/csv", buffer: Buffer.from("id,name,city\n4,Ken,Bell Labs\n5,Dennis\n6,Brian,Toronto\n") });
    assert.match(await dialog.getByTestId("import-table-hint").innerText(), /customers exists: the rows are added to it/);
    guard.expectHttpError(400, `/admin/databases/${DB}/import`);
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    const failure = dialog.getByRole("alert");
    await failure.waitFor();
    const text = await failure.innerText();
    assert.match(text, /The import failed: nothing was changed/);
    assert.match(text, /line 3: /);
    assert.match(text, /line 3: .*\b2 fields\b/, "which line, and what is wrong with it");
    assert.equal(await count(DB, "customers"), 3, "all or nothing: not even line 2");
    await screenshot(page, "71-import-error");
    // The form stays as it was, to fix and try again.
    assert.equal(await dialog.getByLabel("Table", { exact: true }).inputValue(), "customers");
    assert.equal(await dialog.getByRole("button", { name: "Import", exact: true }).isEnabled(), true);

    // A SQLite file cannot load into an existing database: said before anything is sent.
    await dialog.getByLabel("Format").selectOption("sqlite");
    assert.match(await dialog.innerText(), /A SQLite file becomes a database of its own/);
    assert.equal(await dialog.getByRole("button", { name: "Import", exact: true }).isDisabled(), true);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    guard.assertClean();
  });

  it("imports a SQLite file as a new database from the list", async () => {
    assert.equal((await admin("POST", "/admin/databases/spawn/seed")).status, 201);
    assert.equal((await admin("POST", "/api/db/seed/query", { sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('one'), ('two');" })).status, 200);
    const exported = await fetch(`${server.url}/api/db/seed/export?format=sqlite`, { headers: { "X-API-Key": KEY } });
    assert.equal(exported.status, 200);
    const file = Buffer.from(await exported.arrayBuffer());

    await page.goto(`${server.url}/databases`);
    await page.getByRole("button", { name: "Import database…" }).click();
    const dialog = importDialog("Import database");
    await dialog.getByLabel("File", { exact: true }).setInputFiles({ name: "Seed Copy.sqlite", mimeType: "application/vnd.sqlite3", buffer: file });
    assert.equal(await dialog.getByLabel("Name of the new database").inputValue(), "seed-copy");
    assert.equal(await dialog.getByLabel("Format").inputValue(), "sqlite");
    assert.equal(await dialog.getByLabel("Table", { exact: true }).count(), 0, "a SQLite file has its own tables");
    // A name that is taken is refused before the upload.
    await dialog.getByLabel("Name of the new database").fill(DB);
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    await eventually(async () => new RegExp(`A database named ${DB} exists already`).test(await dialog.innerText()));
    assert.equal(await count(DB, "customers"), 3);
    await dialog.getByLabel("Name of the new database").fill("seed-copy");
    // Held on its way, the import shows its progress and locks the form.
    let release;
    const held = new Promise((resolve) => (release = resolve));
    await page.route("**/admin/databases/seed-copy/import**", async (route) => {
      await held;
      await route.continue();
    });
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    const progress = dialog.getByTestId("import-progress");
    await progress.waitFor();
    assert.match(await progress.innerText(), /Uploading: .* of 8\.00 KiB|the server is importing it/);
    assert.equal(await dialog.getByRole("button", { name: /Import$/ }).isDisabled(), true);
    assert.equal(await dialog.getByLabel("Name of the new database").isDisabled(), true);
    await screenshot(page, "72-import-progress");
    release();
    await page.waitForURL("**/databases/seed-copy");
    await page.unroute("**/admin/databases/seed-copy/import**");
    await page.getByRole("navigation", { name: "Tables and views" }).getByRole("link", { name: /notes/ }).waitFor();
    assert.equal(await count("seed-copy", "notes"), 2);
    const info = (await admin("GET", "/admin/databases/seed-copy")).body;
    assert.equal(info.table_count, 1);
    guard.assertClean();
  });

  it("a read-only key exports but is offered no import", async () => {
    const created = await admin("POST", "/admin/keys", { name: "reader", role: "read_only", databases: [DB], can_create: false });
    assert.equal(created.status, 201);
    await page.getByRole("button", { name: "Sign out" }).click();
    await signInWith(page, server.url, created.body.secret);
    await page.goto(`${server.url}/databases`);
    await page.getByRole("link", { name: DB, exact: true }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Import database…" }).count(), 0);
    await page.goto(`${server.url}/databases/${DB}/tables/customers`);
    await page.getByRole("grid", { name: "Rows of customers" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Import", exact: true }).count(), 0);
    assert.deepEqual(lines((await downloadOf(page.getByRole("button", { name: "CSV", exact: true }))).path), ["id,name,city", "1,Ada,London", "2,Grace,", "3,Linus,Helsinki"]);
    await page.getByRole("button", { name: "Export", exact: true }).click();
    await page.getByRole("dialog", { name: `Export ${DB}` }).waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Sign out" }).click();
    await signInWith(page, server.url, KEY);
    guard.assertClean();
  });
});
