// The Audit page in Chromium against a real `dbforge serve`: admin actions and writes made
// over the API (spawn, keys, an INSERT with a key, a write refused to a read-only key) are
// listed with who made them and how they ended; the filters live in the URL (Back, Forward,
// a reload), a clicked credential or database filters by it, older pages load on demand and
// the pager says how many are shown; a non-admin is told the page needs an admin key.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  apiCall, eventually, launchBrowser, screenshot, signInWith, startServer, watchConsole,
} from "./harness.mjs";

const KEY = "e2e-audit-admin-key-0123456789";
const DB = "shop";
const OTHER = "ledger";
let server;
let browser;
let page;
let guard;
let writer;
let reader;
/** The log as the API answers it, newest first. */
let expected;

const call = (credential, method, path, body) => apiCall(server.url, credential, method, path, body);
const admin = (method, path, body) => call(KEY, method, path, body);

const signIn = (credential) => signInWith(page, server.url, credential);

const table = () => page.getByRole("table", { name: "Audit log" });
const rows = () => table().locator("tbody tr");
const loaded = () => page.getByTestId("audit-loaded");
const search = () => new URL(page.url()).search;

/** The rows on screen as the cells' text. */
async function shownRows() {
  return Promise.all((await rows().all()).map(async (row) => (await row.locator("td").allInnerTexts()).map((t) => t.replace(/\s+/g, " ").trim())));
}

/** Waits until the table shows `count` rows and the pager says `summary`. */
async function showing(count, summary) {
  await eventually(async () => (await loaded().innerText()) === summary && (await rows().count()) === count);
}

describe("DB-Forge dashboard: the audit log", () => {
  before(async () => {
    server = await startServer(KEY);
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(15_000);
    guard = watchConsole(page, server.url);

    // Admin actions and writes: two spawns, a CREATE by the admin, two keys, an INSERT with
    // the read-write key, and an INSERT refused to the read-only key.
    for (const name of [DB, OTHER]) assert.equal((await admin("POST", `/admin/databases/spawn/${name}`)).status, 201);
    assert.equal((await admin("POST", `/api/db/${DB}/query`, { sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)" })).status, 200);
    writer = (await admin("POST", "/admin/keys", { name: "writer", role: "read_write", databases: [DB], can_create: false })).body;
    reader = (await admin("POST", "/admin/keys", { name: "reader", role: "read_only", databases: [DB], can_create: false })).body;
    const insert = await call(writer.secret, "POST", `/api/db/${DB}/query`, { sql: "INSERT INTO items (name) VALUES ('tea')" });
    assert.equal(insert.status, 200, JSON.stringify(insert.body));
    const refused = await call(reader.secret, "POST", `/api/db/${DB}/query`, { sql: "INSERT INTO items (name) VALUES ('contraband')" });
    assert.equal(refused.status, 403);
    // Reads are not audited.
    assert.equal((await call(reader.secret, "POST", `/api/db/${DB}/query`, { sql: "SELECT * FROM items" })).status, 200);

    const log = await admin("GET", "/admin/audit");
    assert.equal(log.status, 200);
    expected = log.body.entries;
    assert.deepEqual(
      expected.map((e) => `${e.credential_name ?? e.credential} ${e.action} ${e.database ?? "-"} ${e.status}`),
      [
        "reader POST /api/db/{name}/query shop 403",
        "writer POST /api/db/{name}/query shop 200",
        "bootstrap_admin POST /admin/keys - 201",
        "bootstrap_admin POST /admin/keys - 201",
        `bootstrap_admin POST /api/db/{name}/query ${DB} 200`,
        `bootstrap_admin POST /admin/databases/spawn/{name} ${OTHER} 201`,
        `bootstrap_admin POST /admin/databases/spawn/{name} ${DB} 201`,
      ],
    );
    assert.equal(log.body.next_cursor, null);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("lists every admin action and write with who, client, action, database, statements and status", async () => {
    await signIn(KEY);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
    await showing(7, "7 entries: all that match");
    assert.equal(search(), "");
    assert.equal(await page.getByRole("button", { name: "Load older" }).count(), 0, "nothing more to load");

    const shown = await shownRows();
    // Who, client, action, database, statements, status (the time is local; checked below).
    assert.deepEqual(
      shown.map((cells) => cells.slice(1)),
      [
        [`reader key ${reader.key.id}`, "127.0.0.1", "POST /api/db/{name}/query", DB, "—", "403 forbidden"],
        [`writer key ${writer.key.id}`, "127.0.0.1", "POST /api/db/{name}/query", DB, "INSERT", "200"],
        ["Bootstrap admin key", "127.0.0.1", "POST /admin/keys", "—", "—", "201"],
        ["Bootstrap admin key", "127.0.0.1", "POST /admin/keys", "—", "—", "201"],
        ["Bootstrap admin key", "127.0.0.1", "POST /api/db/{name}/query", DB, "CREATE", "200"],
        ["Bootstrap admin key", "127.0.0.1", "POST /admin/databases/spawn/{name}", OTHER, "—", "201"],
        ["Bootstrap admin key", "127.0.0.1", "POST /admin/databases/spawn/{name}", DB, "—", "201"],
      ],
    );
    // Each time is the entry's, to the second, with the exact UTC instant in the element.
    const times = await table().locator("tbody time").evaluateAll((els) => els.map((el) => el.getAttribute("datetime")));
    assert.deepEqual(times, expected.map((e) => e.at));
    // The refused write is marked as failed, and only it.
    assert.deepEqual(await rows().evaluateAll((trs) => trs.map((tr) => tr.classList.contains("failed"))), [true, false, false, false, false, false, false]);
    assert.equal(await rows().first().locator(".badge.bad").innerText(), "403");
    await screenshot(page, "50-audit");
    guard.assertClean();
  });

  it("filters by outcome, database and credential in the URL; Back, Forward and a reload keep them", async () => {
    await page.getByLabel("Outcome").selectOption("error");
    await showing(1, "1 entry: all that match");
    assert.equal(search(), "?outcome=error");
    assert.match((await shownRows())[0].join(" | "), /reader key .* \| POST \/api\/db\/\{name\}\/query \| shop \| — \| 403 forbidden$/);
    await screenshot(page, "51-audit-errors");

    // Clicking the database keeps the outcome and adds the database.
    await rows().first().getByRole("link", { name: DB, exact: true }).click();
    await eventually(async () => search() === `?database=${DB}&outcome=error`);
    await showing(1, "1 entry: all that match");
    assert.equal(await page.getByLabel("Database", { exact: true }).inputValue(), DB);

    // Back: errors only; Back again: everything; Forward: errors only again.
    await page.goBack();
    await eventually(async () => search() === "?outcome=error");
    await showing(1, "1 entry: all that match");
    assert.equal(await page.getByLabel("Database", { exact: true }).inputValue(), "", "the form follows the URL");
    await page.goBack();
    await eventually(async () => search() === "");
    await showing(7, "7 entries: all that match");
    assert.equal(await page.getByLabel("Outcome").inputValue(), "");
    await page.goForward();
    await showing(1, "1 entry: all that match");
    assert.equal(await page.getByLabel("Outcome").inputValue(), "error");

    // Clear, then click a credential: its entries only, the id in the URL and the form.
    await page.getByRole("link", { name: "Clear filters" }).click();
    await showing(7, "7 entries: all that match");
    await table().getByRole("link", { name: "writer" }).click();
    await eventually(async () => search() === `?key=${writer.key.id}`);
    await showing(1, "1 entry: all that match");
    assert.equal(await page.getByLabel("Credential id").inputValue(), writer.key.id);
    assert.match((await shownRows())[0][1], /^writer key/);

    // Clicking an action filters by it; a bookmark (a fresh load of the URL) shows the same.
    await page.goto(`${server.url}/audit?database=${DB}`);
    await showing(4, "4 entries: all that match");
    await table().getByRole("link", { name: "POST /api/db/{name}/query" }).first().click();
    await eventually(async () => search() === `?database=${DB}&action=POST+%2Fapi%2Fdb%2F%7Bname%7D%2Fquery`);
    await showing(3, "3 entries: all that match");
    await page.reload();
    await showing(3, "3 entries: all that match");
    assert.equal(await page.getByLabel("Action").inputValue(), "POST /api/db/{name}/query");
    guard.assertClean();
  });

  it("typed filters apply on Enter, time bounds included", async () => {
    await page.goto(`${server.url}/audit`);
    await showing(7, "7 entries: all that match");
    const database = page.getByLabel("Database", { exact: true });
    await database.fill(OTHER);
    assert.equal(await page.getByRole("button", { name: "Apply" }).isEnabled(), true);
    await database.press("Enter");
    await eventually(async () => search() === `?database=${OTHER}`);
    await showing(1, "1 entry: all that match");
    await database.fill("");

    // Since an hour from now: nothing yet, said plainly; until then: everything.
    const local = (ms) => {
      const d = new Date(ms);
      const p = (n) => String(n).padStart(2, "0");
      // Chromium writes whole minutes without seconds, and fill() checks the value it reads back.
      const seconds = d.getSeconds() ? `:${p(d.getSeconds())}` : "";
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}${seconds}`;
    };
    const later = Date.now() + 3_600_000;
    await page.getByLabel("Since").fill(local(later));
    await page.getByRole("button", { name: "Apply" }).click();
    await eventually(async () => new URL(page.url()).searchParams.get("since") === new Date(Math.floor(later / 1000) * 1000).toISOString().replace(".000Z", "Z"));
    await page.getByText("No entry matches these filters.").waitFor();
    assert.equal(await rows().count(), 0);
    await page.getByLabel("Since").fill("");
    await page.getByLabel("Until").fill(local(later));
    await page.getByRole("button", { name: "Apply" }).click();
    await eventually(async () => search().startsWith("?until="));
    await showing(7, "7 entries: all that match");

    // A value the server refuses (a hand-edited URL) is shown with its reason, not dropped.
    guard.expectHttpError(400, "/admin/audit");
    await page.goto(`${server.url}/audit?outcome=maybe`);
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match(await alert.innerText(), /Cannot load the audit log[\s\S]*outcome must be `ok` or `error`[\s\S]*invalid_request/);
    guard.assertClean();
  });

  it("pages with a small limit: Load older until the end, never cut silently", async () => {
    await page.goto(`${server.url}/audit?limit=2`);
    await showing(2, "2 entries loaded, newest first; older entries exist");
    assert.equal(await page.getByLabel("Entries per page").inputValue(), "2");
    await screenshot(page, "52-audit-paged");
    const more = page.getByRole("button", { name: "Load older" });
    await more.click();
    await showing(4, "4 entries loaded, newest first; older entries exist");
    await more.click();
    await showing(6, "6 entries loaded, newest first; older entries exist");
    await more.click();
    await showing(7, "7 entries: all that match");
    assert.equal(await more.count(), 0);
    // The same entries as the API's one page, in the same order, none twice.
    const times = await table().locator("tbody time").evaluateAll((els) => els.map((el) => el.getAttribute("datetime")));
    assert.deepEqual(times, expected.map((e) => e.at));
    assert.match((await shownRows())[6].join(" | "), new RegExp(`spawn/\\{name\\} \\| ${DB} \\|`));
    await screenshot(page, "53-audit-all-pages");

    // Paged and filtered: errors, one a page; a changed filter starts again from the newest.
    await page.getByLabel("Outcome").selectOption("error");
    await eventually(async () => search() === "?outcome=error&limit=2");
    await showing(1, "1 entry: all that match");
    guard.assertClean();
  });

  it("fits a 640 px window: the table scrolls inside its panel", async () => {
    await page.setViewportSize({ width: 640, height: 800 });
    await page.goto(`${server.url}/audit`);
    await showing(7, "7 entries: all that match");
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0);
    await screenshot(page, "54-audit-narrow-640");
    await page.setViewportSize({ width: 1366, height: 850 });
    guard.assertClean();
  });

  it("is not offered to a non-admin, and says it needs an admin key when reached by URL", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(reader.secret);
    const links = (await page.getByRole("navigation", { name: "Main" }).getByRole("link").allInnerTexts()).map((t) => t.trim());
    assert.ok(!links.includes("Audit"), `no Audit link: ${links}`);
    await page.goto(`${server.url}/audit?outcome=error`);
    await page.getByRole("heading", { name: "Audit" }).waitFor();
    assert.match(await page.getByRole("alert").innerText(), /This page needs an admin key/);
    assert.equal(await page.getByRole("table", { name: "Audit log" }).count(), 0);
    await screenshot(page, "55-audit-not-admin");
    guard.assertClean();
  });
});
