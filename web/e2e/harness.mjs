// Shared machinery of the browser tests: a real `dbforge serve` on port 0 with a temporary
// data directory, Debian's Chromium driven by playwright-core, a guard that fails the test
// on any console error or page error, and screenshots kept in e2e/artifacts/ (or
// $DBFORGE_E2E_ARTIFACTS).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
/** Where screenshots go: $DBFORGE_E2E_ARTIFACTS, else e2e/artifacts/ (ignored by git). */
export const artifacts = process.env.DBFORGE_E2E_ARTIFACTS ?? join(here, "artifacts");

/** The binary under test: $DBFORGE_BIN, else the debug build in the cargo target dir. */
function binary() {
  if (process.env.DBFORGE_BIN) return process.env.DBFORGE_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? join(repo, "target");
  return join(target, "debug", "dbforge");
}

/** Starts `dbforge serve` and resolves once it prints the address it listens on. */
export async function startServer(key, extraFlags = []) {
  const dataDir = mkdtempSync(join(tmpdir(), "dbforge-e2e-"));
  const child = spawn(
    binary(),
    ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--admin-key", key, "--durability", "normal", "--log", "warn", ...extraFlags],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const url = await new Promise((resolvePromise, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`dbforge did not start in 30 s:\n${stdout}\n${stderr}`)), 30_000);
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolvePromise(match[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`dbforge exited with ${code}:\n${stdout}\n${stderr}`));
    });
  });
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), "dbforge-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1366, height: 850 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Records console errors, page errors and requests to any origin but the server's. A
 * refused request is logged by Chromium as a console error; the steps that provoke one on
 * purpose (a wrong key, failing SQL, an aborted request) say so with `expectHttpError` or
 * `expectFailedRequest`, and only those are let through.
 */
export function watchConsole(page, origin) {
  const problems = [];
  const expected = [];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = message.text();
    const status = /status of (\d{3})/.exec(text)?.[1];
    const url = message.location()?.url ?? "";
    // A request the test aborts on purpose is logged as "net::ERR_FAILED", without a status.
    const failed = /net::ERR_FAILED/.test(text);
    const allowed =
      (status && expected.some((e) => e.status === Number(status) && url.includes(e.path))) ||
      (failed && expected.some((e) => e.status === "failed" && url.includes(e.path)));
    if (!allowed) problems.push(`console error: ${text} (${url})`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  // Everything (app, fonts, icons) comes from the server itself: nothing from the internet.
  page.on("request", (request) => {
    const url = request.url();
    if (!/^(data|blob):/.test(url) && !url.startsWith(origin)) {
      problems.push(`request outside the server: ${url}`);
    }
  });
  return {
    expectHttpError(status, path) {
      expected.push({ status, path });
    },
    /** A request to `path` that the test makes fail at the network level (route.abort()). */
    expectFailedRequest(path) {
      expected.push({ status: "failed", path });
    },
    assertClean() {
      if (problems.length > 0) throw new Error(`the page logged errors:\n${problems.join("\n")}`);
    },
  };
}

/** Polls `check` until it returns a truthy value (or throws the last failure after `ms`). */
export async function eventually(check, ms = 10_000) {
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

export async function screenshot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/** An API call with `credential` as `X-API-Key`: its status and decoded JSON body. */
export async function apiCall(baseUrl, credential, method, path, body) {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { "X-API-Key": credential, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Signs `page` in to the dashboard at `baseUrl` with a key or token. */
export async function signInWith(page, baseUrl, credential) {
  await page.goto(baseUrl + "/");
  await page.getByLabel("API key or token").fill(credential);
  await page.getByLabel("API key or token").press("Enter");
  await page.getByTestId("whoami").waitFor();
}
