// Access control in the dashboard, in Chromium against a real `dbforge serve`: the Keys page
// (create, secret shown once, rotate, revoke), a read-only key that sees no edit buttons and
// whose write in the console is refused clearly, gateway pages hidden from non-admins, and a
// token minted on a database's page (shown once with a libSQL snippet) that really works,
// signs in, and stops working when the database's tokens are revoked.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  apiCall, eventually, launchBrowser, screenshot, signInWith, startServer, watchConsole,
} from "./harness.mjs";

const KEY = "e2e-access-admin-key-0123456789";
const DB = "shop";
const OTHER = "elsewhere";
let server;
let browser;
let page;
let guard;

const call = (credential, method, path, body) => apiCall(server.url, credential, method, path, body);
const admin = (method, path, body) => call(KEY, method, path, body);

const signIn = (credential) => signInWith(page, server.url, credential);

async function signOut() {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("API key or token").waitFor();
}

async function navLinks() {
  return (await page.getByRole("navigation", { name: "Main" }).getByRole("link").allInnerTexts()).map((t) => t.trim()).filter(Boolean);
}

/** Replaces the console editor's text and runs it. */
async function runSql(sql) {
  const editor = page.locator(".cm-content");
  await editor.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Backspace");
  await page.keyboard.insertText(sql);
  await page.keyboard.press("Control+Enter");
}

describe("DB-Forge dashboard: keys, roles and tokens", () => {
  before(async () => {
    server = await startServer(KEY);
    browser = await launchBrowser();
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(15_000);
    guard = watchConsole(page, server.url);
    for (const name of [DB, OTHER]) assert.equal((await admin("POST", `/admin/databases/spawn/${name}`)).status, 201);
    const setup = await admin("POST", `/api/db/${DB}/query`, {
      sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL); INSERT INTO items (name, price) VALUES ('tea', 3.5), ('coffee', 4.25);",
    });
    assert.equal(setup.status, 200, JSON.stringify(setup.body));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("an admin creates a key on the Keys page, sees its secret once, rotates and revokes it", async () => {
    await signIn(KEY);
    assert.match(await page.getByTestId("whoami").innerText(), /^Bootstrap admin key\s+admin$/);
    assert.deepEqual(await navLinks(), ["DB-Forge", "Overview", "Databases", "SQL console", "Activity", "Keys", "Audit", "Server"]);
    await page.getByRole("link", { name: "Keys" }).click();
    await page.getByText("No scoped keys yet").waitFor();

    await page.getByRole("button", { name: "New key" }).click();
    const form = page.getByRole("dialog", { name: "New key" });
    const create = form.getByRole("button", { name: "Create key" });
    await form.getByLabel("Name", { exact: true }).fill("reporting");
    assert.equal(await create.isDisabled(), true, "a scoped key needs databases");
    await form.getByLabel("Databases", { exact: true }).fill("Shop");
    assert.match(await form.innerText(), /“Shop” is neither a database name nor a prefix/);
    assert.equal(await create.isDisabled(), true);
    await form.getByLabel("Databases", { exact: true }).fill(`${DB}, reports-*`);
    await form.getByLabel("Role").selectOption("read_write");
    await form.getByLabel(/May create and delete databases/).check();
    await form.getByLabel("Expires", { exact: true }).selectOption("30");
    await screenshot(page, "30-keys-create");
    await create.click();

    const shown = page.getByRole("dialog", { name: "Secret of reporting" });
    await shown.waitFor();
    assert.match(await shown.innerText(), /shown only now/);
    const secret = (await shown.getByTestId("key-secret").innerText()).trim();
    assert.match(secret, /^dbf_[A-Za-z0-9_-]{43}$/);
    await shown.getByRole("button", { name: "Copy secret" }).click();
    await eventually(async () => /Copied|Press Ctrl\+C/.test(await shown.innerText()));
    await screenshot(page, "31-keys-secret-once");

    // The secret is the key the table lists, with the grants the form gave it.
    const me = await call(secret, "GET", "/api/me");
    assert.equal(me.status, 200);
    assert.deepEqual(
      { kind: me.body.kind, name: me.body.name, role: me.body.role, databases: me.body.databases, can_create: me.body.can_create },
      { kind: "key", name: "reporting", role: "read_write", databases: [DB, "reports-*"], can_create: true },
    );
    const listed = (await admin("GET", "/admin/keys")).body.keys[0];
    const days = (Date.parse(listed.expires_at) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `expires in ${days} days`);

    await shown.getByRole("button", { name: "Done" }).click();
    await shown.waitFor({ state: "detached" });
    assert.ok(!(await page.content()).includes(secret), "the secret is gone from the page once closed");
    const table = page.getByRole("table", { name: "Keys" });
    const row = table.getByRole("row").filter({ hasText: "reporting" });
    await row.waitFor();
    const cells = await row.locator("td").allInnerTexts();
    assert.match(cells[0], /reporting\s+key_[0-9a-f]{16}/);
    assert.equal(cells[1], `${secret.slice(0, 8)}…`);
    assert.deepEqual(cells.slice(2, 5), ["read-write", `${DB}, reports-*`, "yes"]);
    assert.doesNotMatch(cells[6], /never/);

    // A second key for the screenshot: read-only, no expiry.
    await page.getByRole("button", { name: "New key" }).click();
    await form.getByLabel("Name", { exact: true }).fill("dashboard-viewer");
    await form.getByLabel("Databases", { exact: true }).fill("*");
    await form.getByRole("button", { name: "Create key" }).click();
    await page.getByRole("dialog", { name: "Secret of dashboard-viewer" }).getByRole("button", { name: "Done" }).click();
    await table.getByRole("row").filter({ hasText: "dashboard-viewer" }).waitFor();
    await screenshot(page, "32-keys-list");

    // Rotate: a new secret, shown once; the old one stops working.
    await row.getByRole("button", { name: "Rotate reporting" }).click();
    await page.getByRole("dialog", { name: "Rotate the key reporting?" }).getByRole("button", { name: "Rotate key" }).click();
    const rotated = page.getByRole("dialog", { name: "Secret of reporting" });
    await rotated.waitFor();
    const newSecret = (await rotated.getByTestId("key-secret").innerText()).trim();
    assert.notEqual(newSecret, secret);
    assert.equal((await call(secret, "GET", "/api/me")).status, 401, "the old secret is refused");
    assert.equal((await call(newSecret, "GET", "/api/me")).status, 200);
    await rotated.getByRole("button", { name: "Done" }).click();

    // Revoke, after a confirmation that can be cancelled.
    await row.getByRole("button", { name: "Revoke reporting" }).click();
    const confirm = page.getByRole("dialog", { name: "Revoke the key reporting?" });
    assert.match(await confirm.innerText(), /cannot be undone/);
    await screenshot(page, "33-keys-revoke-confirm");
    await confirm.getByRole("button", { name: "Cancel" }).click();
    assert.equal((await call(newSecret, "GET", "/api/me")).status, 200, "cancel revokes nothing");
    await row.getByRole("button", { name: "Revoke reporting" }).click();
    await confirm.getByRole("button", { name: "Revoke key" }).click();
    await page.getByText("The key reporting is revoked.").waitFor();
    await eventually(async () => (await table.getByRole("row").filter({ hasText: "reporting" }).count()) === 0);
    assert.equal((await call(newSecret, "GET", "/api/me")).status, 401, "the revoked key is refused");
    assert.deepEqual(
      (await admin("GET", "/admin/keys")).body.keys.map((k) => k.name),
      ["dashboard-viewer"],
    );

    // The narrowest supported window: the table scrolls inside its panel, its actions reachable.
    await page.setViewportSize({ width: 640, height: 700 });
    await page.reload();
    const revoke = page.getByRole("button", { name: "Revoke dashboard-viewer" });
    await revoke.scrollIntoViewIfNeeded();
    const box = await revoke.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 640, `the revoke button is at ${box.x}px`);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0);
    await page.evaluate(() => document.querySelector(".table-scroll").scrollTo(0, 0));
    await screenshot(page, "42-keys-narrow-640");
    await page.setViewportSize({ width: 1366, height: 850 });
    guard.assertClean();
  });

  it("a read-only key sees no edit buttons nor admin pages, and a write in the console is refused clearly", async () => {
    const created = await admin("POST", "/admin/keys", { name: "reader", role: "read_only", databases: [DB], can_create: false });
    assert.equal(created.status, 201);
    await signOut();
    await signIn(created.body.secret);
    assert.match(await page.getByTestId("whoami").innerText(), /Key\s+reader\s+read-only/);
    assert.deepEqual(await navLinks(), ["DB-Forge", "Databases", "SQL console"], "no overview, activity, keys, audit or server");

    // The start page is the databases it reaches: no create, no delete, nothing of the others.
    await page.getByRole("table", { name: "Databases" }).waitFor();
    assert.deepEqual(await page.locator("table[aria-label=Databases] tbody tr td:first-child a").allInnerTexts(), [DB]);
    assert.equal(await page.getByRole("button", { name: "New database" }).count(), 0);
    assert.equal(await page.getByRole("button", { name: `Delete ${DB}` }).count(), 0);
    await screenshot(page, "34-read-only-databases");

    await page.getByRole("link", { name: DB }).click();
    await page.getByRole("link", { name: /items/ }).click();
    const grid = page.getByRole("grid", { name: "Rows of items" });
    await grid.waitFor();
    await eventually(async () => (await grid.innerText()).includes("coffee"));
    assert.ok(await page.getByTestId("read-only-notice").isVisible());
    for (const name of ["Insert row", "Edit row", "Delete row", "New table", "Delete database", "Revoke tokens"]) {
      assert.equal(await page.getByRole("button", { name }).count(), 0, `no ${name} button`);
    }
    // Enter on a row opens nothing for a read-only key.
    await grid.focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await page.waitForTimeout(200);
    assert.equal(await page.getByRole("dialog").count(), 0);
    await screenshot(page, "35-read-only-table");

    // A read-only key may mint read-only tokens only.
    await page.getByRole("button", { name: "New token" }).click();
    const mint = page.getByRole("dialog", { name: `New token for ${DB}` });
    assert.deepEqual(await mint.getByLabel("Access").locator("option").allInnerTexts(), ["Read-only"]);
    await mint.getByRole("button", { name: "Cancel" }).click();

    // The console stays; the server refuses a write with 403 forbidden, shown as such.
    await page.locator(".page-header").getByRole("link", { name: "SQL console" }).click();
    await page.locator(".cm-content").waitFor();
    assert.match(await page.locator("main .subtitle").innerText(), /Read-only access/);
    guard.expectHttpError(403, `/api/db/${DB}/query`);
    await runSql("INSERT INTO items (name, price) VALUES ('contraband', 1)");
    const failure = page.locator(".results").getByRole("alert");
    await failure.waitFor();
    const text = await failure.innerText();
    assert.match(text, /Not allowed: this credential may not do this/);
    assert.match(text, /read-only: it may only read/);
    assert.match(text, /forbidden/);
    await screenshot(page, "36-read-only-console-forbidden");
    await runSql("SELECT count(*) AS n FROM items");
    await eventually(async () => /^1 row/.test(await page.getByTestId("result-summary").innerText()));
    assert.equal((await admin("POST", `/api/db/${DB}/query`, { sql: "SELECT count(*) AS n FROM items" })).body.rows[0].n, 2, "nothing was written");

    // Gateway pages reached by URL say what is wrong, without asking the server.
    for (const [path, title] of [["/activity", "Activity"], ["/keys", "Keys"], ["/audit", "Audit"], ["/server", "Server"]]) {
      await page.goto(server.url + path);
      await page.getByRole("heading", { name: title }).waitFor();
      assert.match(await page.getByRole("alert").innerText(), /This page needs an admin key/);
    }
    await screenshot(page, "37-read-only-admin-page");
    await signOut();
    guard.assertClean();
  });

  it("mints a token on a database's page: shown once with a libSQL snippet, and it works", async () => {
    await signIn(KEY);
    await page.goto(`${server.url}/databases/${DB}`);
    await page.getByRole("button", { name: "New token" }).click();
    const form = page.getByRole("dialog", { name: `New token for ${DB}` });
    assert.equal(await form.getByLabel("Expires after").inputValue(), "1h", "one hour by default");
    await form.getByLabel("Access").selectOption("read_write");
    await form.getByRole("button", { name: "Create token" }).click();

    const shown = page.getByRole("dialog", { name: `Token for ${DB}`, exact: true });
    await shown.waitFor();
    assert.match(await shown.innerText(), /shown only now/);
    const token = (await shown.getByTestId("minted-token").innerText()).trim();
    assert.match(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    const snippet = await shown.getByTestId("token-snippet").innerText();
    assert.equal(
      snippet.trim(),
      `import { createClient } from "@libsql/client";\nconst client = createClient({ url: "${server.url}/hrana/${DB}/", authToken: "${token}" });`,
    );
    await shown.getByRole("button", { name: "Copy snippet" }).click();
    await eventually(async () => /Copied/.test(await shown.innerText()));
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), snippet.trim(), "the snippet is on the clipboard");
    await screenshot(page, "38-token-minted");

    // The token is what it says: read-write on this database only, on REST and on libSQL's
    // protocol at the snippet's URL.
    const me = await call(token, "GET", "/api/me");
    assert.equal(me.status, 200);
    assert.deepEqual({ kind: me.body.kind, role: me.body.role, databases: me.body.databases }, { kind: "token", role: "read_write", databases: [DB] });
    const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
    const lifetime = claims.exp - Math.floor(Date.now() / 1000);
    assert.ok(lifetime > 3590 && lifetime <= 3600, `the token lives ${lifetime} s`);
    assert.equal(claims.access, "read_write");
    const url = /url: "([^"]+)"/.exec(snippet)[1];
    const hrana = await fetch(`${url}v2/pipeline`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ requests: [{ type: "execute", stmt: { sql: "INSERT INTO items (name, price) VALUES ('via token', 2) RETURNING id" } }, { type: "close" }] }),
    });
    assert.equal(hrana.status, 200);
    const pipeline = await hrana.json();
    assert.equal(pipeline.results[0].type, "ok", JSON.stringify(pipeline));
    assert.equal((await call(token, "GET", `/admin/databases/${OTHER}`)).status, 404, "no other database");
    await shown.getByRole("button", { name: "Done" }).click();

    // Signed in with the token itself: one database, read-write, nothing to mint or delete.
    await signOut();
    await signIn(token);
    assert.match(await page.getByTestId("whoami").innerText(), new RegExp(`Token\\s+${me.body.id}\\s+for ${DB}\\s+read-write`));
    assert.deepEqual(await navLinks(), ["DB-Forge", "Databases", "SQL console"]);
    await page.getByRole("table", { name: "Databases" }).waitFor();
    assert.deepEqual(await page.locator("table[aria-label=Databases] tbody tr td:first-child a").allInnerTexts(), [DB]);
    await page.getByRole("link", { name: DB }).click();
    await page.getByRole("button", { name: "New table" }).waitFor();
    for (const name of ["New token", "Revoke tokens", "Delete database"]) {
      assert.equal(await page.getByRole("button", { name }).count(), 0, `no ${name} button for a token`);
    }
    await screenshot(page, "39-token-signed-in");
    await signOut();

    // The admin revokes the database's tokens, after a confirmation.
    await signIn(KEY);
    await page.goto(`${server.url}/databases/${DB}`);
    await page.getByRole("button", { name: "Revoke tokens" }).click();
    const confirm = page.getByRole("dialog", { name: `Revoke every token of ${DB}?` });
    await screenshot(page, "40-token-revoke-confirm");
    await confirm.getByRole("button", { name: "Revoke all tokens" }).click();
    await page.getByText(`Every token of ${DB} minted until now is revoked`).waitFor();
    assert.equal((await call(token, "GET", "/api/me")).status, 401);
    await signOut();

    // Signing in with the revoked token says why it is refused.
    guard.expectHttpError(401, "/api/me");
    await page.getByLabel("API key or token").fill(token);
    await page.getByLabel("API key or token").press("Enter");
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match(await alert.innerText(), /That token is not accepted: the token was revoked/);
    await screenshot(page, "41-sign-in-revoked-token");
    guard.assertClean();
  });
});
