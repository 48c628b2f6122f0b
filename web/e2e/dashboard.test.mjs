// The dashboard end to end, in Chromium against a real `dbforge serve`: sign-in (and a wrong
// key), databases, the SQL console, the data grid, the overview, activity, configuration,
// deep links, themes, deletion, and a list of 10,000 databases. Screenshots of every main
// screen land in e2e/artifacts/.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { launchBrowser, screenshot, startServer, watchConsole } from "./harness.mjs";

const KEY = "e2e-admin-key-0123456789";
const DB = "e2e-shop";
let server;
let browser;
let page;
let guard;

/** Polls `check` until it returns a truthy value (or throws the last failure after `ms`). */
async function eventually(check, ms = 10_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = new Error("condition still false");
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw last;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function api(method, path, body) {
  const response = await fetch(server.url + path, {
    method,
    headers: { "X-API-Key": KEY, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: await response.json() };
}

/** Replaces the console editor's text. */
async function typeSql(sql) {
  const editor = page.locator(".cm-content");
  await editor.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Backspace");
  await page.keyboard.insertText(sql);
}

async function runSql(sql) {
  await typeSql(sql);
  await page.keyboard.press("Control+Enter");
}

describe("DB-Forge dashboard", () => {
  before(async () => {
    server = await startServer(KEY);
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(15_000);
    guard = watchConsole(page, server.url);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("refuses a wrong key clearly, then signs in with the right one", async () => {
    await page.goto(server.url + "/");
    const keyField = page.getByLabel("API key");
    assert.equal(await keyField.getAttribute("type"), "password");
    await screenshot(page, "01-sign-in");
    guard.expectHttpError(401, "/admin/gateway/stats");
    await keyField.fill("not-the-key");
    await keyField.press("Enter");
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match(await alert.innerText(), /API key is not valid/);
    await screenshot(page, "02-sign-in-wrong-key");
    await keyField.fill(KEY);
    await keyField.press("Enter");
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem("dbforge.apiKey")), KEY);
    guard.assertClean();
  });

  it("creates a database from the list", async () => {
    await page.getByRole("link", { name: "Databases" }).click();
    await page.getByText("No databases yet").waitFor();
    await page.getByRole("button", { name: "New database" }).first().click();
    const dialog = page.getByRole("dialog", { name: "New database" });
    await dialog.getByLabel("Name").fill("Bad Name");
    assert.match(await dialog.innerText(), /Use 1-64 of a-z/);
    await dialog.getByLabel("Name").fill(DB);
    await dialog.getByLabel(/Size limit/).fill("64MiB");
    await dialog.getByRole("button", { name: "Create database" }).click();
    await page.waitForURL(`**/databases/${DB}`);
    await page.getByText("This database is empty").waitFor();
    const { body } = await api("GET", `/admin/databases/${DB}`);
    assert.equal(body.max_size_bytes, 64 * 1024 * 1024);
    guard.assertClean();
  });

  it("creates a table and rows in the SQL console, with completion, errors, plans, history and export", async () => {
    await page.locator("header").getByRole("link", { name: "SQL console" }).click();
    await page.waitForURL(`**/databases/${DB}/console`);
    await page.locator(".cm-content").waitFor();
    await runSql(
      "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL);\n" +
        "CREATE INDEX items_name ON items(name);\n" +
        "INSERT INTO items (name, price) VALUES ('tea', 3.5), ('coffee', 4.25), ('cocoa', 5);",
    );
    const summary = page.getByTestId("result-summary");
    await eventually(async () => /3 rows affected/.test(await summary.innerText()));
    assert.equal(await page.getByRole("tab").count(), 3, "one tab per statement");

    // Completion knows the new table once the console has reloaded the schema.
    await typeSql("SELECT * FROM it");
    await page.keyboard.press("Control+Space");
    const completion = page.locator(".cm-tooltip-autocomplete");
    await eventually(async () => (await completion.innerText()).includes("items"));
    await page.keyboard.press("Escape");

    await runSql("SELECT id, name, price FROM items ORDER BY id");
    await eventually(async () => /^3 rows/.test(await summary.innerText()));
    const grid = page.getByRole("grid", { name: "Query result" });
    assert.match(await grid.innerText(), /coffee/);
    await screenshot(page, "05-console");

    // CSV and JSON exports of the result.
    const [csv] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "CSV" }).click()]);
    assert.equal(readFileSync(await csv.path(), "utf8"), "id,name,price\r\n1,tea,3.5\r\n2,coffee,4.25\r\n3,cocoa,5\r\n");
    const [json] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "JSON" }).click()]);
    assert.deepEqual(JSON.parse(readFileSync(await json.path(), "utf8"))[0], { id: 1, name: "tea", price: 3.5 });

    // SQLite's own message, inline.
    guard.expectHttpError(400, `/api/db/${DB}/query`);
    await runSql("SELECT * FROM nowhere");
    const failure = page.locator(".results").getByRole("alert");
    await failure.waitFor();
    assert.match(await failure.innerText(), /no such table: nowhere/);
    assert.match(await failure.innerText(), /sql_error/);
    await screenshot(page, "06-console-error");

    await typeSql("SELECT * FROM items WHERE name = 'tea'");
    await page.getByRole("button", { name: "Explain query plan" }).click();
    const plan = page.getByTestId("query-plan");
    await plan.waitFor();
    assert.match(await plan.innerText(), /SEARCH items USING (COVERING )?INDEX items_name/);
    await screenshot(page, "07-explain");

    const history = page.getByRole("complementary", { name: "Query history" });
    assert.match(await history.innerText(), /SELECT \* FROM nowhere/);
    await history.getByText("SELECT id, name, price FROM items ORDER BY id").click();
    assert.match(await page.locator(".cm-content").innerText(), /ORDER BY id/);
    guard.assertClean();
  });

  it("browses, sorts, filters, inserts, edits and deletes rows in the grid", async () => {
    await page.goto(`${server.url}/databases/${DB}/tables/items`);
    const grid = page.getByRole("grid", { name: "Rows of items" });
    await grid.waitFor();
    assert.match(await page.getByTestId("row-range").innerText(), /Rows 1–3 of 3/);

    await grid.getByRole("button", { name: "Sort by name" }).click();
    await eventually(async () => (await grid.getByRole("row").nth(1).innerText()).includes("cocoa"));
    await grid.getByRole("button", { name: "Sort by name" }).click();
    await eventually(async () => (await grid.getByRole("row").nth(1).innerText()).includes("tea"));

    await page.getByLabel("Filter column").selectOption("name");
    await page.getByLabel("Filter value").fill("coffee");
    await page.getByRole("button", { name: "Filter", exact: true }).click();
    await eventually(async () => /of 1$/.test(await page.getByTestId("row-range").innerText()));
    await page.getByRole("button", { name: "Remove filter on name" }).click();
    await eventually(async () => /of 3$/.test(await page.getByTestId("row-range").innerText()));

    await page.getByRole("button", { name: "Insert row" }).click();
    const insert = page.getByRole("dialog", { name: "Insert a row into items" });
    await insert.getByLabel("name").fill("matcha");
    await insert.getByLabel("price").fill("7.5");
    assert.match(await insert.getByLabel("SQL that will run").innerText(), /INSERT INTO "items" \("name", "price"\) VALUES \(\?, \?\)/);
    await insert.getByRole("button", { name: "Insert row" }).click();
    await eventually(async () => /of 4$/.test(await page.getByTestId("row-range").innerText()));

    // Edit the row "tea" (id 1): the UPDATE is shown before it runs.
    const teaRow = grid.getByRole("row").filter({ hasText: "tea" });
    await teaRow.getByRole("button", { name: "Edit row" }).click();
    const edit = page.getByRole("dialog", { name: "Edit row of items" });
    await edit.getByLabel("price").fill("3.75");
    const preview = await edit.getByLabel("SQL that will run").innerText();
    assert.match(preview, /UPDATE "items" SET "price" = \? WHERE "id" = \?/);
    assert.match(preview, /\?1 = 3\.75/);
    await screenshot(page, "09-row-edit");
    await edit.getByRole("button", { name: "Update row" }).click();
    await eventually(async () => (await grid.innerText()).includes("3.75"));

    const cocoaRow = grid.getByRole("row").filter({ hasText: "cocoa" });
    await cocoaRow.getByRole("button", { name: "Delete row" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete this row?" });
    assert.match(await confirm.getByLabel("SQL that will run").innerText(), /DELETE FROM "items" WHERE "id" = \?/);
    await confirm.getByRole("button", { name: "Delete row" }).click();
    await eventually(async () => /of 3$/.test(await page.getByTestId("row-range").innerText()));
    assert.ok(!(await grid.innerText()).includes("cocoa"));
    const { body } = await api("POST", `/api/db/${DB}/query`, { sql: "SELECT name, price FROM items ORDER BY id" });
    assert.deepEqual(body.rows, [
      { name: "tea", price: 3.75 },
      { name: "coffee", price: 4.25 },
      { name: "matcha", price: 7.5 },
    ]);

    // Keyboard: the grid takes focus, arrows move, Enter opens the row.
    await grid.focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await page.getByRole("dialog", { name: "Edit row of items" }).waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "detached" });
    await screenshot(page, "08-table-rows");

    await page.getByRole("tab", { name: "Schema" }).click();
    const columns = page.getByRole("table", { name: "Columns of items" });
    await columns.waitFor();
    assert.match(await columns.innerText(), /price\s+REAL/);
    assert.match(await page.getByRole("table", { name: "Indexes of items" }).innerText(), /items_name\s+name/);
    await screenshot(page, "10-table-schema");
    guard.assertClean();
  });

  it("creates a table with the form", async () => {
    await page.getByRole("button", { name: "New table" }).click();
    const form = page.getByRole("dialog", { name: "New table" });
    await form.getByLabel("Table name").fill("notes");
    await form.getByLabel("Column 2 name").fill("body");
    await form.getByLabel("Column 2 not null").check();
    await form.getByRole("button", { name: "Add column" }).click();
    await form.getByLabel("Column 3 name").fill("stars");
    await form.getByLabel("Column 3 type").selectOption("INTEGER");
    await form.getByLabel("Column 3 default").fill("3");
    await form.getByRole("button", { name: "Create table" }).click();
    await page.waitForURL(`**/databases/${DB}/tables/notes`);
    const { body } = await api("GET", `/api/db/${DB}/tables/notes`);
    assert.deepEqual(
      body.columns.map((c) => [c.name, c.type, c.not_null, c.default, c.primary_key]),
      [
        ["id", "INTEGER", false, null, 1],
        ["body", "TEXT", true, null, 0],
        ["stars", "INTEGER", false, "3", 0],
      ],
    );
    guard.assertClean();
  });

  it("shows the overview updating live", async () => {
    await page.getByRole("link", { name: "Overview" }).click();
    const requests = page.getByTestId("kpi-requests");
    await requests.waitFor();
    const count = async () => Number((await requests.innerText()).match(/([\d,]+) since start/)?.[1].replaceAll(",", ""));
    const before = await count();
    for (let i = 0; i < 5; i++) await api("POST", `/api/db/${DB}/query`, { sql: "SELECT count(*) FROM items" });
    await eventually(async () => (await count()) >= before + 5, 8000);
    assert.equal(await page.getByTestId("stat-databases").innerText().then((t) => t.match(/\d+/)?.[0]), "1");
    assert.equal(await page.locator(".chart canvas").count(), 3, "three charts");
    const busiest = page.getByTestId("busiest");
    assert.match(await busiest.innerText(), new RegExp(DB));
    // Let the charts gather a few intervals before the picture is taken.
    await page.waitForTimeout(4500);
    await screenshot(page, "03-overview");
    guard.assertClean();
  });

  it("lists recent requests in the activity view, with filters", async () => {
    await page.getByRole("link", { name: "Activity" }).click();
    const table = page.getByRole("table", { name: "Recent requests" });
    await table.waitFor();
    assert.match(await table.innerText(), /\/api\/db\/\{name\}\/query/);
    await page.getByLabel("Status").selectOption("4xx");
    await eventually(async () => {
      const text = await table.innerText();
      return /400/.test(text) && !/\b200\b/.test(text);
    });
    await page.getByLabel("Status").selectOption("");
    await page.getByLabel("Database").fill(DB);
    await eventually(async () => {
      const rows = await table.locator("tbody tr").allInnerTexts();
      return rows.length > 0 && rows.every((r) => r.includes(DB));
    });
    await screenshot(page, "11-activity");
    guard.assertClean();
  });

  it("shows the configuration and limits with the key masked", async () => {
    await page.getByRole("link", { name: "Server" }).click();
    const key = page.getByTestId("admin-key");
    await key.waitFor();
    assert.match(await key.innerText(), /\*{8}\s+\(configured\)/);
    assert.ok(!(await page.content()).includes(KEY), "the key is nowhere on the page");
    assert.match(await page.locator("main").innerText(), /Durability\s*--durability\s*normal/);
    await screenshot(page, "12-server");
    guard.assertClean();
  });

  it("keeps deep links across a reload, and switches theme", async () => {
    await page.goto(`${server.url}/databases/${DB}/tables/items?tab=schema`);
    await page.reload();
    await page.getByRole("table", { name: "Columns of items" }).waitFor();
    assert.equal(await page.getByRole("tab", { name: "Schema" }).getAttribute("aria-selected"), "true");

    const before = await page.evaluate(() => document.documentElement.dataset.theme);
    await page.getByRole("button", { name: /Switch to (dark|light) theme/ }).click();
    const afterToggle = await page.evaluate(() => document.documentElement.dataset.theme);
    assert.notEqual(afterToggle, before);
    if (afterToggle !== "dark") await page.getByRole("button", { name: "Switch to dark theme" }).click();
    await page.goto(`${server.url}/`);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark", "the choice survives a reload");
    await page.getByTestId("kpi-requests").waitFor();
    await page.waitForTimeout(2500);
    await screenshot(page, "13-overview-dark");
    await page.goto(`${server.url}/databases/${DB}/console`);
    await page.locator(".cm-content").waitFor();
    await runSql("SELECT * FROM items");
    await page.getByRole("grid", { name: "Query result" }).waitFor();
    await screenshot(page, "14-console-dark");
    await page.getByRole("button", { name: "Switch to light theme" }).click();
    guard.assertClean();
  });

  it("shows errors for a database that does not exist", async () => {
    guard.expectHttpError(404, "/admin/databases/no-such-db");
    guard.expectHttpError(404, "/api/db/no-such-db/tables");
    await page.goto(`${server.url}/databases/no-such-db`);
    const alert = page.getByRole("alert").first();
    await alert.waitFor();
    assert.match(await alert.innerText(), /Cannot open no-such-db[\s\S]*no database named no-such-db[\s\S]*database_not_found/);
    assert.ok(await page.getByRole("button", { name: "Retry" }).isVisible());
    guard.assertClean();
  });

  it("fits a small laptop screen without sideways scrolling", async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    for (const path of ["/", `/databases/${DB}/tables/items`, `/databases/${DB}/console`, "/activity", "/server"]) {
      await page.goto(server.url + path);
      await page.locator("main h1").waitFor();
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path} is ${overflow}px wider than the window`);
    }
    await page.goto(`${server.url}/databases/${DB}/tables/items`);
    await page.getByRole("grid", { name: "Rows of items" }).waitFor();
    await screenshot(page, "15-laptop-1024");
    await page.setViewportSize({ width: 1366, height: 850 });
    guard.assertClean();
  });

  it("deletes a database only after its name is typed", async () => {
    await page.goto(`${server.url}/databases`);
    await page.getByRole("button", { name: `Delete ${DB}` }).click();
    const dialog = page.getByRole("dialog", { name: `Delete ${DB}?` });
    const remove = dialog.getByRole("button", { name: "Delete forever" });
    assert.equal(await remove.isDisabled(), true);
    await dialog.getByLabel(/Type/).fill("e2e-sho");
    assert.equal(await remove.isDisabled(), true);
    await dialog.getByLabel(/Type/).fill(DB);
    await remove.click();
    await page.getByText("No databases yet").waitFor();
    assert.equal((await api("GET", `/admin/databases/${DB}`)).status, 404);
    guard.assertClean();
  });

  it("stays quick with 10,000 databases: server-side search, sort and paging", async () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `db-${String(i).padStart(5, "0")}`);
    for (let i = 0; i < names.length; i += 50) {
      const batch = names.slice(i, i + 50);
      const statuses = await Promise.all(batch.map((n) => api("POST", `/admin/databases/spawn/${n}`).then((r) => r.status)));
      assert.ok(statuses.every((s) => s === 201), `spawned ${batch[0]}…`);
    }
    const started = Date.now();
    await page.goto(`${server.url}/databases`);
    await page.getByRole("table", { name: "Databases" }).waitFor();
    await page.getByText("10,000 in total").waitFor();
    assert.equal(await page.locator("table[aria-label=Databases] tbody tr").count(), 50, "one page of 50 rows in the DOM");
    const search = page.getByLabel("Search databases");
    await search.fill("09999");
    const rows = page.locator("table[aria-label=Databases] tbody tr");
    await eventually(async () => (await rows.count()) === 1 && (await rows.first().innerText()).startsWith("db-09999"));
    assert.match(await page.getByText(/matching/).innerText(), /^1 matching/);
    await search.fill("");
    await page.getByRole("button", { name: "Name" }).click();
    await eventually(async () => (await rows.first().innerText()).startsWith("db-09999"));
    await page.getByRole("button", { name: "Next" }).click();
    await eventually(async () => (await rows.first().innerText()).startsWith("db-09949"));
    assert.match(await page.locator(".pager").innerText(), /51–100 of 10,000/);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 15_000, `the list took ${elapsed} ms`);
    await screenshot(page, "04-databases");
    guard.assertClean();
  });

  it("forgets the key on sign-out", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API key").waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem("dbforge.apiKey")), null);
    await page.goto(`${server.url}/databases`);
    await page.getByLabel("API key").waitFor();
    guard.assertClean();
  });
});
