// The dashboard end to end, in Chromium against a real `dbforge serve`: sign-in (and a wrong
// key), databases, the SQL console, the data grid, the overview, activity, configuration,
// deep links, themes, deletion, and a list of 10,000 databases. Screenshots of every main
// screen land in e2e/artifacts/.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { eventually, launchBrowser, screenshot, startServer, watchConsole } from "./harness.mjs";

const KEY = "e2e-admin-key-0123456789";
const DB = "e2e-shop";
let server;
let browser;
let page;
let guard;

async function api(method, path, body) {
  const response = await fetch(server.url + path, {
    method,
    headers: { "X-API-Key": KEY, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: await response.json() };
}

/** The texts of the grid's first column of names (`td:first-child a`) in a table. */
async function databaseNames() {
  return page.locator("table[aria-label=Databases] tbody tr td:first-child a").allInnerTexts();
}

/** The cells of the grid row at `index` (0 is the first data row), by aria-rowindex. */
async function gridRow(grid, index) {
  const row = grid.locator(`[role=row][aria-rowindex="${index + 2}"]`);
  return (await row.locator("[role=gridcell]").allInnerTexts()).map((t) => t.trim()).filter(Boolean);
}

/**
 * What the chart's canvas shows of its first line: how many pixels are drawn in the line's
 * colour and how far they spread vertically (a flat line spreads over a pixel or two).
 */
async function chartInk(figure) {
  return figure.evaluate((fig) => {
    const canvas = fig.querySelector("canvas");
    const colour = getComputedStyle(document.documentElement).getPropertyValue("--chart-1").trim();
    // The colour as the canvas stores it: paint one pixel with it and read it back.
    const probe = document.createElement("canvas").getContext("2d");
    probe.fillStyle = colour;
    probe.fillRect(0, 0, 1, 1);
    const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
    const { width, height } = canvas;
    const data = canvas.getContext("2d").getImageData(0, 0, width, height).data;
    let count = 0;
    let top = height;
    let bottom = -1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        if (data[i + 3] > 230 && Math.abs(data[i] - r) < 6 && Math.abs(data[i + 1] - g) < 6 && Math.abs(data[i + 2] - b) < 6) {
          count++;
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
        }
      }
    }
    return { count, spread: bottom - top, height };
  });
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
    guard.expectHttpError(401, "/api/me");
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

    // CSV and JSON exports of the result, by the server (it runs the query again; a REAL keeps its point).
    const [csv] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "CSV" }).click()]);
    assert.equal(readFileSync(await csv.path(), "utf8"), "id,name,price\r\n1,tea,3.5\r\n2,coffee,4.25\r\n3,cocoa,5.0\r\n");
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

  it("keeps a separate query history per database, across reloads", async () => {
    const OTHER = "e2e-other";
    assert.equal((await api("POST", `/admin/databases/spawn/${OTHER}`)).status, 201);
    await page.goto(`${server.url}/databases/${OTHER}/console`);
    await page.locator(".cm-content").waitFor();
    const history = page.getByRole("complementary", { name: "Query history" });
    await history.getByText(`Queries you run on ${OTHER} appear here.`).waitFor();
    // An empty editor shows its placeholder: nothing was carried over from the first database.
    assert.equal(await page.locator(".cm-content .cm-placeholder").count(), 1, "the editor starts empty");
    await runSql("SELECT 42 AS answer");
    await eventually(async () => /^1 row/.test(await page.getByTestId("result-summary").innerText()));

    await page.reload();
    await page.locator(".cm-content").waitFor();
    await eventually(async () => /SELECT 42 AS answer/.test(await history.innerText()));
    const otherHistory = await history.innerText();
    assert.doesNotMatch(otherHistory, /items|nowhere/, "no query of the first database");
    assert.equal(await history.locator("li").count(), 1);
    assert.match(await page.locator(".cm-content").innerText(), /SELECT 42 AS answer/, "the latest query is back in the editor");

    await page.goto(`${server.url}/databases/${DB}/console`);
    await page.locator(".cm-content").waitFor();
    await eventually(async () => /ORDER BY id/.test(await history.innerText()));
    const mine = await history.innerText();
    assert.doesNotMatch(mine, /SELECT 42/, "no query of the other database");
    assert.match(mine, /SELECT \* FROM nowhere[\s\S]*failed/, "the failed query is kept, marked failed");
    assert.match(mine, /CREATE TABLE items/);
    assert.match(await page.locator(".cm-content").innerText(), /SELECT \* FROM nowhere/, "this database's latest query");
    await screenshot(page, "18-console-history");
    assert.equal((await api("DELETE", `/admin/databases/${OTHER}`)).status, 200);
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

  it("pages through rows, and shows a view and foreign keys", async () => {
    const setup = await api("POST", `/api/db/${DB}/query`, {
      sql:
        "CREATE TABLE events (id INTEGER PRIMARY KEY, label TEXT NOT NULL);" +
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 250) INSERT INTO events SELECT i, 'event-' || i FROM n;" +
        "CREATE VIEW cheap_items AS SELECT name, price FROM items WHERE price < 5;" +
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE, qty INTEGER);",
    });
    assert.equal(setup.status, 200, JSON.stringify(setup.body));

    await page.goto(`${server.url}/databases/${DB}/tables/events`);
    const grid = page.getByRole("grid", { name: "Rows of events" });
    await grid.waitFor();
    const range = page.getByTestId("row-range");
    const next = page.getByRole("button", { name: "Next" });
    const previous = page.getByRole("button", { name: "Previous" });
    assert.equal(await range.innerText(), "Rows 1–100 of 250");
    assert.equal(await previous.isDisabled(), true);
    assert.deepEqual(await gridRow(grid, 0), ["1", "event-1"]);
    // The page's last row, at the bottom of the (virtualized) grid.
    await grid.focus();
    await page.keyboard.press("End");
    await eventually(async () => (await gridRow(grid, 99)).join() === "100,event-100");

    await next.click();
    await eventually(async () => (await range.innerText()) === "Rows 101–200 of 250");
    // A new page starts at its top, whatever was scrolled before.
    await eventually(async () => (await gridRow(grid, 0)).join() === "101,event-101");
    assert.ok(await grid.locator('[role=row][aria-rowindex="2"]').isVisible(), "the first row of the page is in view");
    assert.equal(await grid.locator("[role=row][aria-selected=true]").count(), 0, "no row of the old page stays selected");
    await next.click();
    await eventually(async () => (await range.innerText()) === "Rows 201–250 of 250");
    await eventually(async () => (await gridRow(grid, 0)).join() === "201,event-201");
    assert.equal(await next.isDisabled(), true, "no page after the last");
    await grid.focus();
    await page.keyboard.press("End");
    await eventually(async () => (await gridRow(grid, 49)).join() === "250,event-250");
    assert.equal(await grid.locator('[role=row][aria-rowindex="52"]').count(), 0, "50 rows on the last page");
    await screenshot(page, "19-rows-last-page");
    await previous.click();
    await eventually(async () => (await range.innerText()) === "Rows 101–200 of 250");
    await eventually(async () => (await gridRow(grid, 0)).join() === "101,event-101");

    // A view: listed with the tables, browsable, read-only.
    const list = page.getByRole("navigation", { name: "Tables and views" });
    assert.deepEqual(
      (await list.getByRole("link").allInnerTexts()).map((t) => t.split("\n")[0].trim()).sort(),
      ["cheap_items", "events", "items", "notes", "orders"],
    );
    await list.getByRole("link", { name: /cheap_items/ }).click();
    await page.waitForURL(`**/databases/${DB}/tables/cheap_items`);
    const view = page.getByRole("grid", { name: "Rows of cheap_items" });
    await view.waitFor();
    assert.match(await page.locator(".pane-head h2").innerText(), /cheap_items\s+view/);
    assert.equal(await range.innerText(), "Rows 1–2 of 2");
    await eventually(async () => (await gridRow(view, 0)).join() === "tea,3.75");
    assert.deepEqual(await gridRow(view, 1), ["coffee", "4.25"]);
    assert.ok(await page.getByText("Views are read-only.").isVisible());
    assert.equal(await page.getByRole("button", { name: "Insert row" }).count(), 0);
    assert.equal(await view.getByRole("button", { name: "Edit row" }).count(), 0);
    await page.getByRole("tab", { name: "Schema" }).click();
    await page.getByRole("table", { name: "Columns of cheap_items" }).waitFor();
    assert.match(await page.locator(".code-block").innerText(), /CREATE VIEW cheap_items AS SELECT name, price FROM items/);
    await screenshot(page, "20-view");

    // Foreign keys in the schema tab.
    await list.getByRole("link", { name: /orders/ }).click();
    await page.waitForURL(`**/databases/${DB}/tables/orders`);
    await page.getByRole("tab", { name: "Schema" }).click();
    const keys = page.getByRole("table", { name: "Foreign keys of orders" });
    await keys.waitFor();
    assert.match(await keys.innerText(), /item_id\s+items\(id\)\s+NO ACTION\s+CASCADE/);
    await screenshot(page, "21-foreign-keys");
    guard.assertClean();
  });

  it("deletes exactly one row where a text primary key holds NULLs", async () => {
    // SQLite lets a rowid table's TEXT primary key hold several NULLs; only the rowid tells
    // them apart, so the grid must never delete by `k IS NULL`.
    const setup = await api("POST", `/api/db/${DB}/query`, {
      sql: "CREATE TABLE tags (k TEXT PRIMARY KEY, v TEXT); INSERT INTO tags VALUES (NULL, 'first'), (NULL, 'second'), ('x', 'third');",
    });
    assert.equal(setup.status, 200, JSON.stringify(setup.body));
    await page.goto(`${server.url}/databases/${DB}/tables/tags`);
    const grid = page.getByRole("grid", { name: "Rows of tags" });
    await grid.waitFor();
    await eventually(async () => /of 3$/.test(await page.getByTestId("row-range").innerText()));
    await grid.getByRole("row").filter({ hasText: "first" }).getByRole("button", { name: "Delete row" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete this row?" });
    assert.match(await confirm.getByLabel("SQL that will run").innerText(), /DELETE FROM "tags" WHERE rowid = \?/);
    await confirm.getByRole("button", { name: "Delete row" }).click();
    await eventually(async () => /of 2$/.test(await page.getByTestId("row-range").innerText()));
    const { body } = await api("POST", `/api/db/${DB}/query`, { sql: "SELECT v FROM tags ORDER BY rowid" });
    assert.deepEqual(body.rows, [{ v: "second" }, { v: "third" }]);
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
    // Let the charts gather a few intervals (the burst above must land in a closed one).
    await page.waitForTimeout(4500);

    // The stat cards show real values, not placeholders.
    const stat = async (id) => (await page.getByTestId(id).locator(".stat-value").innerText()).trim();
    assert.match(await stat("stat-uptime"), /^(\d+s|\d+m \d+s)$/);
    const uptime = await stat("stat-uptime");
    const seconds = uptime.includes("m") ? Number(uptime.split("m")[0]) * 60 + Number(uptime.split(" ")[1].slice(0, -1)) : Number(uptime.slice(0, -1));
    assert.ok(seconds >= 1, `uptime ${uptime}`);
    const size = /^([\d.]+) (B|KiB|MiB)$/.exec(await stat("stat-size"));
    assert.ok(size && Number(size[1]) > 0, `total size ${await stat("stat-size")}`);
    const sizeBytes = Number(size[1]) * { B: 1, KiB: 1024, MiB: 1024 * 1024 }[size[2]];
    const { body: stats } = await api("GET", "/admin/gateway/stats");
    assert.ok(Math.abs(sizeBytes - stats.total_bytes) <= stats.total_bytes * 0.02 + 1, `${sizeBytes} vs ${stats.total_bytes}`);
    assert.ok(Number(await stat("stat-open")) >= 1, "the queried database is open");
    const latency = (await page.getByTestId("kpi-latency").locator("strong").innerText()).trim();
    const [, p50, p99] = /^([\d.]+) ms \/ ([\d.]+) ms$/.exec(latency) ?? [];
    assert.ok(p50 !== undefined && Number(p99) >= Number(p50) && Number(p99) > 0, `latency ${latency}`);
    assert.doesNotMatch(await page.getByTestId("kpi-latency").locator("small").innerText(), /—/);

    // The charts have data, and it is drawn: the request-rate line rises for the burst.
    const rateChart = page.locator("figure.chart", { hasText: "Request rate" });
    assert.ok(Number(await rateChart.getAttribute("data-points")) >= 2, "closed intervals are plotted");
    const peaks = Object.fromEntries((await rateChart.getAttribute("data-peaks")).split(";").map((p) => p.split("=")));
    assert.ok(Number(peaks["requests/s"]) >= 2.5, `request-rate peak ${peaks["requests/s"]}/s after a burst of 5 in 2 s`);
    const latencyPeaks = await page.locator("figure.chart", { hasText: "Query latency" }).getAttribute("data-peaks");
    assert.match(latencyPeaks, /^p50=0\.\d*[1-9]|^p50=[1-9]/, `latency chart ${latencyPeaks}`);
    const ink = await chartInk(rateChart);
    assert.ok(ink.count > 100, `the request-rate line is drawn (${ink.count} pixels)`);
    assert.ok(ink.spread > ink.height * 0.2, `the line rises and falls (${ink.spread} of ${ink.height} px)`);
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

  it("fits a laptop screen, and the narrowest supported width (640 px), without sideways scrolling", async () => {
    const paths = ["/", "/databases", `/databases/${DB}/tables/items`, `/databases/${DB}/tables/items?tab=schema`, `/databases/${DB}/console`, "/activity", "/keys", "/server"];
    // 640 px is the narrowest width docs/DASHBOARD.md promises; below 760 px the layout is one column.
    for (const width of [1024, 640]) {
      await page.setViewportSize({ width, height: 700 });
      for (const path of paths) {
        await page.goto(server.url + path);
        await page.locator("main h1").waitFor();
        await page.waitForTimeout(300);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${path} is ${overflow}px wider than a ${width}px window`);
      }
      // Below 1024 px the sidebar shows icons only.
      const sidebar = await page.getByRole("navigation", { name: "Main" }).boundingBox();
      assert.ok(sidebar.width <= 80, `sidebar ${sidebar.width}px wide at ${width}px`);
    }
    // A table wider than the window scrolls inside its panel: its last column stays reachable.
    await page.goto(`${server.url}/databases`);
    const remove = page.getByRole("button", { name: `Delete ${DB}` });
    await remove.scrollIntoViewIfNeeded();
    const removeBox = await remove.boundingBox();
    assert.ok(removeBox.x >= 0 && removeBox.x + removeBox.width <= 640, `the delete button is at ${removeBox.x}px`);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0);
    await screenshot(page, "26-narrow-640-databases");
    await page.goto(`${server.url}/databases/${DB}/tables/items`);
    const grid = page.getByRole("grid", { name: "Rows of items" });
    await grid.waitFor();
    // One column: the table list sits above the grid, and the grid fits in the window.
    const list = await page.getByRole("navigation", { name: "Tables and views" }).boundingBox();
    const gridBox = await grid.boundingBox();
    assert.ok(list.y + list.height <= gridBox.y, "the table list is above the grid");
    assert.ok(gridBox.x + gridBox.width <= 640, "the grid fits the window");
    await screenshot(page, "24-narrow-640-rows");
    await page.goto(`${server.url}/`);
    await page.getByTestId("kpi-requests").waitFor();
    await page.waitForTimeout(500);
    await screenshot(page, "25-narrow-640-overview");
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.goto(`${server.url}/databases/${DB}/tables/items`);
    await page.getByRole("grid", { name: "Rows of items" }).waitFor();
    await screenshot(page, "15-laptop-1024");
    await page.setViewportSize({ width: 1366, height: 850 });
    guard.assertClean();
  });

  it("sorts the databases by size, tables and creation time", async () => {
    // Created in this order (so sort-c is the newest), with different sizes and table counts.
    const specs = [
      { name: "sort-a", tables: 2, bytes: 0 },
      { name: "sort-b", tables: 1, bytes: 400_000 },
      { name: "sort-c", tables: 3, bytes: 60_000 },
    ];
    for (const { name, tables, bytes } of specs) {
      assert.equal((await api("POST", `/admin/databases/spawn/${name}`)).status, 201);
      const sql = Array.from({ length: tables }, (_, i) => `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, data BLOB);`).join("");
      const fill = bytes ? `INSERT INTO t0 (data) VALUES (zeroblob(${bytes}));` : "";
      assert.equal((await api("POST", `/api/db/${name}/query`, { sql: sql + fill })).status, 200);
      await new Promise((r) => setTimeout(r, 20));
    }
    // The premise: the server sees the sizes and table counts as intended.
    const listed = (await api("GET", "/admin/databases?search=sort-&limit=10")).body.databases;
    const info = Object.fromEntries(listed.map((d) => [d.name, d]));
    assert.deepEqual(specs.map((d) => info[d.name].table_count), [2, 1, 3]);
    assert.ok(info["sort-b"].size_bytes > info["sort-c"].size_bytes && info["sort-c"].size_bytes > info["sort-a"].size_bytes, JSON.stringify(listed));

    await page.goto(`${server.url}/databases`);
    await page.getByLabel("Search databases").fill("sort-");
    await eventually(async () => (await databaseNames()).join() === "sort-a,sort-b,sort-c");
    const header = (label) => page.locator("table[aria-label=Databases] thead th", { hasText: label });
    const expectOrder = async (label, order, names) => {
      await header(label).getByRole("button").click();
      await eventually(async () => (await databaseNames()).join() === names.join());
      assert.equal(await header(label).getAttribute("aria-sort"), order, label);
    };
    await expectOrder("Size", "descending", ["sort-b", "sort-c", "sort-a"]);
    await expectOrder("Size", "ascending", ["sort-a", "sort-c", "sort-b"]);
    await expectOrder("Tables", "descending", ["sort-c", "sort-a", "sort-b"]);
    const tableCounts = await page.locator("table[aria-label=Databases] tbody tr td:nth-child(3)").allInnerTexts();
    assert.deepEqual(tableCounts, ["3", "2", "1"]);
    await expectOrder("Tables", "ascending", ["sort-b", "sort-a", "sort-c"]);
    await expectOrder("Created", "descending", ["sort-c", "sort-b", "sort-a"]);
    await screenshot(page, "22-databases-sorted");
    await expectOrder("Created", "ascending", ["sort-a", "sort-b", "sort-c"]);
    await expectOrder("Name", "ascending", ["sort-a", "sort-b", "sort-c"]);
    await expectOrder("Name", "descending", ["sort-c", "sort-b", "sort-a"]);
    for (const { name } of specs) assert.equal((await api("DELETE", `/admin/databases/${name}`)).status, 200);
    guard.assertClean();
  });

  it("shows a loading state while the list is on its way, and a network error with Retry", async () => {
    const isList = (url) => url.pathname === "/admin/databases";
    await page.goto(`${server.url}/server`);
    await page.getByTestId("admin-key").waitFor();

    // Hold the list request until the loading state has been seen.
    let release;
    const held = new Promise((r) => (release = r));
    await page.route(isList, async (route) => {
      await held;
      await route.continue();
    });
    await page.getByRole("link", { name: "Databases" }).click();
    const loading = page.getByRole("status", { name: "Loading databases" });
    await loading.waitFor();
    assert.match(await page.locator("main").innerText(), /Loading databases…/);
    assert.equal(await page.getByRole("table", { name: "Databases" }).count(), 0);
    await screenshot(page, "16-databases-loading");
    release();
    await page.getByRole("table", { name: "Databases" }).waitFor();
    assert.equal(await loading.count(), 0, "the loading state is gone");
    await page.unroute(isList);

    // The network fails: the screen says so and offers Retry, which recovers.
    guard.expectFailedRequest("/admin/databases");
    await page.route(isList, (route) => route.abort());
    await page.reload();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match(await alert.innerText(), /Cannot list the databases\s+Cannot reach the DB-Forge server\. Is it running\?/);
    await screenshot(page, "17-databases-network-error");
    await page.unroute(isList);
    await alert.getByRole("button", { name: "Retry" }).click();
    await page.getByRole("table", { name: "Databases" }).waitFor();
    assert.equal(await alert.count(), 0);

    // The overview keeps its last numbers when polling fails, and says the link is down.
    const isStats = (url) => url.pathname === "/admin/gateway/stats";
    guard.expectFailedRequest("/admin/gateway/stats");
    await page.getByRole("link", { name: "Overview" }).click();
    const subtitle = page.locator("main .subtitle");
    await eventually(async () => /^Live/.test((await subtitle.innerText()).trim()));
    await page.route(isStats, (route) => route.abort());
    await eventually(async () => /Connection lost, retrying/.test(await subtitle.innerText()), 8000);
    assert.ok(await page.getByTestId("stat-databases").isVisible(), "the last numbers stay");
    await screenshot(page, "23-overview-connection-lost");
    await page.unroute(isStats);
    await eventually(async () => /^Live/.test((await subtitle.innerText()).trim()), 8000);
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
