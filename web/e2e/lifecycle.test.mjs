// The data lifecycle in the dashboard, in Chromium against a real `dbforge serve`: a backup
// taken on the Backups tab (listed, downloaded, scheduled), restored as a new database and in
// place (only after the name is typed), a branch with its lineage, a time to live set,
// shown and cleared, a failed backup shown as a warning, and a read-only key that may list
// and download backups but change nothing.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apiCall, eventually, launchBrowser, screenshot, signInWith, startServer, watchConsole } from "./harness.mjs";

const KEY = "e2e-lifecycle-admin-key-0123456789";
const DB = "orders";
// Its backups fail: a file stands where its folder of backups would go.
const BROKEN = "broken";
let server;
let browser;
let page;
let guard;
let backupDir;

const admin = (method, path, body) => apiCall(server.url, KEY, method, path, body);

async function count(database) {
  const answer = await admin("POST", `/api/db/${database}/query`, { sql: "SELECT count(*) AS n FROM items" });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.rows[0].n;
}

/** A small size as the dashboard writes it: `136 B`, `8.00 KiB`. */
const kib = (bytes) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(2)} KiB`);

const backupsTable = () => page.getByRole("table", { name: "Backups" });
const pageOverflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

describe("DB-Forge dashboard: backups, restore, branches, time to live", () => {
  before(async () => {
    backupDir = mkdtempSync(join(tmpdir(), "dbforge-e2e-backups-"));
    writeFileSync(join(backupDir, BROKEN), "not a folder");
    server = await startServer(KEY, ["--backup-dir", backupDir]);
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(15_000);
    guard = watchConsole(page, server.url);
    for (const name of [DB, BROKEN]) assert.equal((await admin("POST", `/admin/databases/spawn/${name}`)).status, 201);
    const setup = await admin("POST", `/api/db/${DB}/query`, {
      sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL); INSERT INTO items (name) VALUES ('tea'), ('coffee'), ('cocoa');",
    });
    assert.equal(setup.status, 200, JSON.stringify(setup.body));
    await signInWith(page, server.url, KEY);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (backupDir) rmSync(backupDir, { recursive: true, force: true });
  });

  it("backs up now on the Backups tab: listed, downloadable, and the schedule shows the last backup", async () => {
    await page.goto(`${server.url}/databases/${DB}`);
    await page.getByRole("tab", { name: "Backups" }).click();
    await page.waitForURL(`**/databases/${DB}/backups`);
    await page.getByText(`No backups of ${DB} yet`).waitFor();
    assert.equal(await page.getByRole("tab", { name: "Backups" }).getAttribute("aria-selected"), "true");

    await page.getByRole("button", { name: "Back up now" }).click();
    await page.getByText(`Backed up ${DB}: 1 table, 3 rows`).waitFor();
    const listed = (await admin("GET", `/admin/databases/${DB}/backups`)).body.backups;
    assert.equal(listed.length, 1);
    const backup = listed[0];
    const row = backupsTable().locator(`tr[data-backup="${backup.id}"]`);
    await row.waitFor();
    const cells = (await row.locator("td").allInnerTexts()).map((t) => t.trim());
    assert.match(cells[0], new RegExp(`just now|\\ds ago`));
    assert.match(cells[0], new RegExp(backup.id));
    assert.deepEqual(cells.slice(1, 7), ["manual", kib(backup.size_bytes), kib(backup.stored_bytes), "1 table, 3 rows", "verified", "local"]);
    assert.match(await page.getByTestId("last-backup").innerText(), /just now|\ds ago/);

    // The download carries the key (fetched, then saved): the stored zstd file itself.
    const [download] = await Promise.all([page.waitForEvent("download"), row.getByRole("button", { name: /^Download backup/ }).click()]);
    assert.equal(download.suggestedFilename(), `${DB}-${backup.id}.sqlite.zst`);
    const bytes = readFileSync(await download.path());
    assert.equal(bytes.length, backup.stored_bytes);
    assert.deepEqual([...bytes.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd], "a zstd frame");

    // A schedule: every hour, keeping 5; only what changed is sent.
    await page.getByRole("button", { name: "Edit schedule" }).click();
    const form = page.getByRole("dialog", { name: `Backup schedule of ${DB}` });
    await form.getByLabel("Back up every").fill("hourly");
    assert.match(await form.innerText(), /Write an interval such as 30m/);
    assert.equal(await form.getByRole("button", { name: "Save schedule" }).isDisabled(), true);
    await form.getByLabel("Back up every").fill("1h");
    await form.getByLabel("Backups kept").fill("5");
    await form.getByRole("button", { name: "Save schedule" }).click();
    await form.waitFor({ state: "detached" });
    const schedule = page.getByTestId("backup-schedule");
    await eventually(async () => /every 1h/.test(await schedule.innerText()));
    assert.match(await schedule.innerText(), /the newest 5/);
    assert.match(await schedule.innerText(), /on schedule/);
    assert.match(await page.getByTestId("backup-facts").innerText(), /Backups every 1h, keeping 5 · last (just now|\d+s ago)/);
    const info = (await admin("GET", `/admin/databases/${DB}`)).body;
    assert.deepEqual({ every: info.backups.every, keep: info.backups.keep, last: info.backups.last_success_at, overdue: info.backups.overdue }, {
      every: "1h",
      keep: 5,
      last: backup.created_at,
      overdue: false,
    });
    await page.mouse.move(0, 0);
    await screenshot(page, "60-backups-tab");
    guard.assertClean();
  });

  it("restores a backup as a new database with its rows, and in place only after the name is typed", async () => {
    const [backup] = (await admin("GET", `/admin/databases/${DB}/backups`)).body.backups;
    assert.equal((await admin("POST", `/api/db/${DB}/query`, { sql: "INSERT INTO items (name) VALUES ('late'), ('later')" })).status, 200);
    assert.equal(await count(DB), 5);

    // As a new database: it opens, with the backup's rows; the source is untouched.
    await backupsTable().getByRole("button", { name: `Restore backup ${backup.id} as a new database` }).click();
    const asNew = page.getByRole("dialog", { name: "Restore as a new database" });
    await asNew.getByLabel("Name of the new database").fill("Orders");
    assert.match(await asNew.innerText(), /Use 1-64 of a-z/);
    await asNew.getByLabel("Name of the new database").fill(`${DB}-restored`);
    await asNew.getByRole("button", { name: "Restore" }).click();
    await page.waitForURL(`**/databases/${DB}-restored`);
    await page.getByRole("navigation", { name: "Tables and views" }).getByRole("link", { name: /items/ }).waitFor();
    assert.equal(await count(`${DB}-restored`), 3);
    assert.equal(await count(DB), 5);

    // In place: nothing happens until the database's own name is typed.
    await page.goto(`${server.url}/databases/${DB}/backups`);
    await backupsTable().getByRole("button", { name: `Restore backup ${backup.id} in place` }).click();
    const inPlace = page.getByRole("dialog", { name: `Replace the content of ${DB}?` });
    assert.match(await inPlace.innerText(), /every table and row, is replaced by its backup of/);
    assert.match(await inPlace.innerText(), /Changes made since that backup are lost/);
    const replace = inPlace.getByRole("button", { name: "Replace the content" });
    assert.equal(await replace.isDisabled(), true);
    await inPlace.getByLabel(/Type/).fill("order");
    assert.equal(await replace.isDisabled(), true);
    await inPlace.getByLabel(/Type/).press("Enter");
    assert.equal(await count(DB), 5, "Enter with the wrong name restores nothing");
    await inPlace.getByLabel(/Type/).fill(DB);
    await screenshot(page, "61-restore-in-place");
    await replace.click();
    await page.getByText(`${DB} now holds the content of its backup of`).waitFor();
    assert.equal(await count(DB), 3);
    guard.assertClean();
  });

  it("branches a database, opens the branch and shows where it came from", async () => {
    await page.goto(`${server.url}/databases/${DB}`);
    await page.getByRole("button", { name: "Branch" }).click();
    const dialog = page.getByRole("dialog", { name: `Branch ${DB}` });
    await dialog.getByLabel("Name of the branch").fill(`${DB}-dev`);
    await dialog.getByRole("button", { name: "Create branch" }).click();
    await page.waitForURL(`**/databases/${DB}-dev`);
    const lineage = page.getByTestId("lineage");
    assert.match(await lineage.innerText(), new RegExp(`Branch of ${DB} as of`));
    const info = (await admin("GET", `/admin/databases/${DB}-dev`)).body;
    assert.equal(info.branched_from.parent, DB);
    assert.equal(await count(`${DB}-dev`), 3);

    // In the list too, with a link to the parent.
    await page.goto(`${server.url}/databases`);
    const row = page.getByRole("table", { name: "Databases" }).getByRole("row").filter({ has: page.getByRole("link", { name: `${DB}-dev`, exact: true }) });
    assert.match(await row.getByTestId("lineage").innerText(), new RegExp(`branch of ${DB}`));
    await row.getByTestId("lineage").getByRole("link", { name: DB, exact: true }).click();
    await page.waitForURL(new RegExp(`/databases/${DB}$`));
    guard.assertClean();
  });

  it("sets a time to live from now, shows it on the page and in the list, and clears it", async () => {
    await page.goto(`${server.url}/databases/${DB}`);
    const facts = page.getByRole("list", { name: "Lifecycle" });
    await facts.getByText("No time to live").waitFor();
    await facts.getByRole("button", { name: "Set one" }).click();
    const dialog = page.getByRole("dialog", { name: `Time to live of ${DB}` });
    await dialog.getByLabel("Delete it after").fill("3 hours later");
    assert.match(await dialog.innerText(), /Write a duration such as 30m/);
    await dialog.getByRole("button", { name: "7d" }).click();
    assert.equal(await dialog.getByLabel("Delete it after").inputValue(), "7d");
    await dialog.getByLabel("Delete it after").fill("3h");
    assert.match(await dialog.getByTestId("ttl-preview").innerText(), /From now: deleted around/);
    await dialog.getByRole("button", { name: "Set time to live" }).click();
    await dialog.waitFor({ state: "detached" });
    await eventually(async () => (await facts.getByTestId("expiry").innerText()).trim() === "expires in 3h");
    const expiresAt = Date.parse((await admin("GET", `/admin/databases/${DB}`)).body.expires_at);
    assert.ok(Math.abs(expiresAt - (Date.now() + 3 * 3600_000)) < 60_000, `expires at ${new Date(expiresAt).toISOString()}`);

    await page.goto(`${server.url}/databases`);
    const row = page.getByRole("table", { name: "Databases" }).getByRole("row").filter({ has: page.getByRole("link", { name: DB, exact: true }) }).first();
    assert.equal((await row.getByTestId("expiry").innerText()).trim(), "expires in 3h");

    await page.goto(`${server.url}/databases/${DB}`);
    await facts.getByRole("button", { name: "Change" }).click();
    await dialog.getByRole("button", { name: "Keep forever" }).click();
    await dialog.waitFor({ state: "detached" });
    await facts.getByText("No time to live").waitFor();
    assert.equal((await admin("GET", `/admin/databases/${DB}`)).body.expires_at ?? null, null);

    // A new database with a time to live.
    await page.goto(`${server.url}/databases`);
    await page.getByRole("button", { name: "New database" }).click();
    const create = page.getByRole("dialog", { name: "New database" });
    await create.getByLabel("Name").fill("scratch");
    await create.getByLabel(/Time to live/).fill("2d");
    await create.getByRole("button", { name: "Create database" }).click();
    await page.waitForURL("**/databases/scratch");
    await eventually(async () => (await facts.getByTestId("expiry").innerText()).trim() === "expires in 2d");
    const scratch = Date.parse((await admin("GET", "/admin/databases/scratch")).body.expires_at);
    assert.ok(Math.abs(scratch - (Date.now() + 2 * 86_400_000)) < 60_000);
    guard.assertClean();
  });

  it("warns when a backup fails, on the database's page and in the list", async () => {
    await page.goto(`${server.url}/databases/${BROKEN}/backups`);
    guard.expectHttpError(503, `/admin/databases/${BROKEN}/backups`);
    await page.getByRole("button", { name: "Back up now" }).click();
    // Said once, by the schedule's status (which a reload shows again), with the server's reason.
    const failure = page.locator("section.schedule").getByRole("alert");
    await failure.waitFor();
    assert.match(await failure.innerText(), /The last backup failed/);
    // The reason's kind, never the server's paths (readers see it too).
    assert.match(await failure.innerText(), /storage_unavailable/);
    assert.doesNotMatch(await failure.innerText(), /\/tmp\/|Not a directory/);
    assert.equal(await page.getByRole("alert").count(), 1);
    assert.match(await page.getByTestId("backup-schedule").innerText(), /backup failed/);
    assert.match(await page.getByTestId("backup-facts").innerText(), /backup failed/);
    assert.equal(await page.getByRole("tab", { name: /Backups/ }).locator(".dot.bad").count(), 1);
    await page.reload();
    await failure.waitFor();
    await screenshot(page, "62-backup-failed");

    await page.goto(`${server.url}/databases`);
    const row = page.getByRole("table", { name: "Databases" }).getByRole("row").filter({ has: page.getByRole("link", { name: BROKEN, exact: true }) });
    assert.equal((await row.getByTestId("backup-alert").innerText()).trim(), "backup failed");
    assert.match(await row.getByTestId("backup-alert").getAttribute("title"), /storage_unavailable/);
    assert.doesNotMatch(await row.getByTestId("backup-alert").getAttribute("title"), /\/tmp\/|Not a directory/);
    const healthy = page.getByRole("table", { name: "Databases" }).getByRole("row").filter({ has: page.getByRole("link", { name: DB, exact: true }) }).first();
    assert.equal(await healthy.getByTestId("backup-alert").count(), 0);
    guard.assertClean();
  });

  it("fits a 640 px window: the backups table scrolls inside its panel", async () => {
    await page.setViewportSize({ width: 640, height: 800 });
    await page.goto(`${server.url}/databases/${DB}/backups`);
    await backupsTable().waitFor();
    assert.equal(await pageOverflow(), 0);
    const remove = backupsTable().getByRole("button", { name: /^Delete backup/ }).first();
    await remove.scrollIntoViewIfNeeded();
    const box = await remove.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 640, `the delete button is at ${box.x}px`);
    await page.evaluate(() => document.querySelector(".table-scroll").scrollTo(0, 0));
    await screenshot(page, "63-backups-narrow-640");
    await page.setViewportSize({ width: 1366, height: 850 });
    guard.assertClean();
  });

  it("a read-only key lists and downloads backups, and is offered nothing that changes them", async () => {
    const created = await admin("POST", "/admin/keys", { name: "viewer", role: "read_only", databases: [DB], can_create: false });
    assert.equal(created.status, 201);
    await page.getByRole("button", { name: "Sign out" }).click();
    await signInWith(page, server.url, created.body.secret);
    await page.goto(`${server.url}/databases/${DB}/backups`);
    await backupsTable().waitFor();
    const rows = backupsTable().locator("tbody tr");
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.first().getByRole("button").count(), 1, "only Download");
    await rows.first().getByRole("button", { name: /^Download backup/ }).waitFor();
    for (const name of ["Back up now", "Edit schedule", "Branch", "Set one", "Change", "Delete backup", "Restore"]) {
      assert.equal(await page.getByRole("button", { name }).count(), 0, `no ${name} button`);
    }
    await page.getByRole("button", { name: "Sign out" }).click();
    await signInWith(page, server.url, KEY);
    guard.assertClean();
  });
});
