// Starts a real `dbforge serve` for the driver tests: temp data dir, port 0, a known key.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";

const BIN =
  process.env.DBFORGE_BIN ??
  join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, ".cache/dbforge-target"), "debug/dbforge");

/** Starts a server; with `{ tls: true }` it speaks HTTPS with the run's test certificate. */
export async function startServer(extraArgs = [], { tls = false } = {}) {
  if (tls) {
    const dir = process.env.DBFORGE_TEST_TLS_DIR;
    if (!dir) throw new Error("DBFORGE_TEST_TLS_DIR is unset: run the tests with run-tests.sh");
    extraArgs = [...extraArgs, "--tls-cert", join(dir, "cert.pem"), "--tls-key", join(dir, "key.pem")];
  }
  const dataDir = await mkdtemp(join(tmpdir(), "dbforge-libsql-"));
  const key = `libsql-test-${randomUUID()}`;
  const child = spawn(
    BIN,
    ["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--admin-key", key, "--log", "warn", ...extraArgs],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const url = await new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`no banner in 20 s; stderr: ${stderr}`)), 20_000);
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = stdout.match(/listening on (https?:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        // The certificate names localhost, not the address.
        resolve(match[1].replace("https://127.0.0.1", "https://localhost"));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`dbforge exited with ${code}: ${stderr}`));
    });
  });

  async function rest(method, path, body) {
    const response = await fetch(url + path, {
      method,
      headers: { "x-api-key": key, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    }
    return json;
  }

  return {
    url,
    key,
    /** The libSQL client URL of a database (the trailing slash matters). */
    libsqlUrl: (db) => `${url}/hrana/${db}/`,
    createDatabase: (name) => rest("POST", `/admin/databases/spawn/${name}`),
    /** Mints a per-database token (`access`: "read_only" or "read_write"). */
    mintToken: (db, access, expiresIn = "1h") =>
      rest("POST", `/admin/databases/${db}/tokens`, { access, expires_in: expiresIn }).then((m) => m.token),
    /** Revokes every token of a database. */
    revokeTokens: (db) => rest("POST", `/admin/databases/${db}/tokens/revoke`),
    /** Runs SQL through the REST API (another client than the driver). */
    sql: (db, sql, params) => rest("POST", `/api/db/${db}/query`, { sql, params }),
    async stop() {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
