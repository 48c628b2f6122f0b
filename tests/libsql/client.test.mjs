// @libsql/client, unmodified, against a real `dbforge serve`: only the URL and token change.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, LibsqlError } from "@libsql/client";
import { startServer } from "./support.mjs";

let server;
let db = 0;

/** A fresh database and a client for it. */
async function fresh(options = {}) {
  const name = `drv${++db}`;
  await server.createDatabase(name);
  const client = createClient({ url: server.libsqlUrl(name), authToken: server.key, ...options });
  return { name, client };
}

before(async () => {
  server = await startServer(["--statement-timeout", "300ms"]);
});
after(async () => {
  await server?.stop();
});

describe("execute", () => {
  test("positional and named arguments", async () => {
    const { client } = await fresh();
    await client.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)");
    const insert = await client.execute({
      sql: "INSERT INTO people (name, age) VALUES (?, ?)",
      args: ["Ada", 36],
    });
    assert.equal(insert.rowsAffected, 1);
    assert.equal(insert.lastInsertRowid, 1n);
    await client.execute({ sql: "INSERT INTO people (name, age) VALUES (:name, :age)", args: { name: "Linus", age: 54 } });
    await client.execute({ sql: "INSERT INTO people (name, age) VALUES ($name, @age)", args: { $name: "Grace", "@age": 85 } });
    const rs = await client.execute({ sql: "SELECT name, age FROM people WHERE age > ? ORDER BY id", args: [40] });
    assert.deepEqual(rs.columns, ["name", "age"]);
    assert.deepEqual(rs.columnTypes, ["TEXT", "INTEGER"]);
    assert.deepEqual(
      rs.rows.map((r) => [r.name, r.age]),
      [
        ["Linus", 54],
        ["Grace", 85],
      ],
    );
    client.close();
  });

  test("a libsql:// URL with ?tls=0 works as well", async () => {
    const { name } = await fresh();
    const url = server.libsqlUrl(name).replace(/^http:/, "libsql:") + "?tls=0";
    const client = createClient({ url, authToken: server.key });
    const rs = await client.execute("SELECT 40 + 2 AS answer");
    assert.equal(rs.rows[0].answer, 42);
    client.close();
  });

  test("every value type round-trips, 64-bit integers as bigint", async () => {
    const { client } = await fresh({ intMode: "bigint" });
    await client.execute("CREATE TABLE v (n, i, big, f, t, b)");
    const blob = new Uint8Array([0, 1, 2, 253, 254, 255, 7]);
    const big = 9_223_372_036_854_775_807n;
    await client.execute({
      sql: "INSERT INTO v VALUES (?, ?, ?, ?, ?, ?)",
      args: [null, 42n, big, 3.25, "héllo, wörld ✓", blob],
    });
    await client.execute({ sql: "INSERT INTO v (i, big) VALUES (?, ?)", args: [-1n, -9_223_372_036_854_775_808n] });
    const rs = await client.execute("SELECT n, i, big, f, t, b, typeof(big) AS tb FROM v ORDER BY rowid");
    const [row, second] = rs.rows;
    assert.equal(row.n, null);
    assert.equal(row.i, 42n);
    assert.equal(row.big, big);
    assert.equal(row.f, 3.25);
    assert.equal(row.t, "héllo, wörld ✓");
    assert.deepEqual(new Uint8Array(row.b), blob);
    assert.equal(row.tb, "integer");
    assert.equal(second.big, -9_223_372_036_854_775_808n);
    // The blob is stored as a blob, not text.
    const typed = await client.execute("SELECT typeof(b) AS t, length(b) AS n FROM v WHERE rowid = 1");
    assert.equal(typed.rows[0].t, "blob");
    assert.equal(typed.rows[0].n, 7n);
    client.close();
  });

  test("SQLite's errors keep SQLite's codes", async () => {
    const { client } = await fresh();
    await client.execute("CREATE TABLE u (id INTEGER PRIMARY KEY)");
    await client.execute("INSERT INTO u VALUES (1)");
    await assert.rejects(client.execute("INSERT INTO u VALUES (1)"), (e) => {
      assert.ok(e instanceof LibsqlError);
      assert.equal(e.code, "SQLITE_CONSTRAINT");
      assert.match(e.message, /UNIQUE constraint failed: u\.id/);
      return true;
    });
    await assert.rejects(client.execute("SELEC 1"), (e) => e.code === "SQL_PARSE_ERROR");
    await assert.rejects(client.execute({ sql: "SELECT ?", args: [1, 2] }), (e) => e.code === "ARGS_INVALID");
    await assert.rejects(client.execute("SELECT * FROM missing"), (e) => e.code === "SQLITE_ERROR" && /no such table/.test(e.message));
    client.close();
  });
});

describe("batch", () => {
  test("write mode commits every statement together", async () => {
    const { client } = await fresh();
    const results = await client.batch(
      [
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
        { sql: "INSERT INTO items (name) VALUES (?)", args: ["a"] },
        { sql: "INSERT INTO items (name) VALUES (?)", args: ["b"] },
        "SELECT count(*) AS n FROM items",
      ],
      "write",
    );
    assert.equal(results.length, 4);
    assert.equal(results[3].rows[0].n, 2);
    client.close();
  });

  test("a failing step rolls the whole batch back", async () => {
    const { client } = await fresh();
    await client.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
    for (const mode of ["write", "deferred"]) {
      await assert.rejects(
        client.batch(
          [
            { sql: "INSERT INTO items (name) VALUES (?)", args: ["kept?"] },
            { sql: "INSERT INTO items (name) VALUES (?)", args: [null] },
            { sql: "INSERT INTO items (name) VALUES (?)", args: ["never"] },
          ],
          mode,
        ),
        (e) => {
          assert.equal(e.code, "SQLITE_CONSTRAINT", mode);
          assert.equal(e.statementIndex, 1, mode);
          return true;
        },
      );
      const rs = await client.execute("SELECT count(*) AS n FROM items");
      assert.equal(rs.rows[0].n, 0, `${mode}: nothing of the failed batch remains`);
    }
    client.close();
  });

  test("deferred mode reads and writes", async () => {
    const { client } = await fresh();
    const results = await client.batch(
      ["CREATE TABLE d (x)", "INSERT INTO d VALUES (1), (2)", "SELECT sum(x) AS s FROM d"],
      "deferred",
    );
    assert.equal(results[2].rows[0].s, 3);
    client.close();
  });

  test("read mode reads one snapshot and refuses writes", async () => {
    const { client } = await fresh();
    await client.batch(["CREATE TABLE r (x)", "INSERT INTO r VALUES (1), (2), (3)"], "write");
    const results = await client.batch(["SELECT count(*) AS n FROM r", "SELECT max(x) AS m FROM r"], "read");
    assert.equal(results[0].rows[0].n, 3);
    assert.equal(results[1].rows[0].m, 3);
    await assert.rejects(client.batch(["INSERT INTO r VALUES (4)"], "read"), (e) => e.code === "SQLITE_READONLY");
    assert.equal((await client.execute("SELECT count(*) AS n FROM r")).rows[0].n, 3);
    client.close();
  });
});

describe("interactive transactions", () => {
  test("several executes then commit; another then rollback", async () => {
    const { name, client } = await fresh();
    await client.execute("CREATE TABLE acct (id INTEGER PRIMARY KEY, balance INTEGER)");
    await client.execute("INSERT INTO acct VALUES (1, 100), (2, 0)");

    const tx = await client.transaction("write");
    await tx.execute("UPDATE acct SET balance = balance - 30 WHERE id = 1");
    await tx.execute("UPDATE acct SET balance = balance + 30 WHERE id = 2");
    const inside = await tx.execute("SELECT balance FROM acct ORDER BY id");
    assert.deepEqual(inside.rows.map((r) => r.balance), [70, 30]);
    // Others keep reading the last committed state while the transaction is open.
    const outside = await server.sql(name, "SELECT balance FROM acct ORDER BY id");
    assert.deepEqual(outside.rows, [{ balance: 100 }, { balance: 0 }]);
    await tx.commit();
    const committed = await client.execute("SELECT balance FROM acct ORDER BY id");
    assert.deepEqual(committed.rows.map((r) => r.balance), [70, 30]);

    const undo = await client.transaction("write");
    await undo.execute("DELETE FROM acct");
    assert.equal((await undo.execute("SELECT count(*) AS n FROM acct")).rows[0].n, 0);
    await undo.rollback();
    assert.equal((await client.execute("SELECT count(*) AS n FROM acct")).rows[0].n, 2);
    client.close();
  });

  test("read and deferred transactions", async () => {
    const { name, client } = await fresh();
    await client.execute("CREATE TABLE s (x)");
    await client.execute("INSERT INTO s VALUES (1)");
    const reading = await client.transaction("read");
    assert.equal((await reading.execute("SELECT count(*) AS n FROM s")).rows[0].n, 1);
    // A write committed meanwhile is not in the read transaction's snapshot.
    await server.sql(name, "INSERT INTO s VALUES (2)");
    assert.equal((await reading.execute("SELECT count(*) AS n FROM s")).rows[0].n, 1);
    await assert.rejects(reading.execute("INSERT INTO s VALUES (3)"), (e) => e.code === "SQLITE_READONLY");
    await reading.commit();
    assert.equal((await client.execute("SELECT count(*) AS n FROM s")).rows[0].n, 2);

    const deferred = await client.transaction("deferred");
    await deferred.execute("INSERT INTO s VALUES (3)");
    await deferred.commit();
    assert.equal((await client.execute("SELECT count(*) AS n FROM s")).rows[0].n, 3);
    client.close();
  });

  test("other clients' writes wait for the transaction and are never lost", async () => {
    const { name, client } = await fresh();
    await client.execute("CREATE TABLE q (who TEXT)");
    const tx = await client.transaction("write");
    await tx.execute("INSERT INTO q VALUES ('tx')");
    let restDone = false;
    const restWrite = server.sql(name, "INSERT INTO q VALUES ('rest')").then((r) => {
      restDone = true;
      return r;
    });
    await sleep(300);
    assert.equal(restDone, false, "the REST write waits for the writer");
    assert.deepEqual((await server.sql(name, "SELECT count(*) AS n FROM q")).rows, [{ n: 0 }], "reads still work");
    await tx.commit();
    await restWrite;
    const rows = (await client.execute("SELECT who FROM q ORDER BY rowid")).rows.map((r) => r.who);
    assert.deepEqual(rows, ["tx", "rest"]);
    client.close();
  });
});

describe("scripts and migrations", () => {
  test("executeMultiple runs a script in order", async () => {
    const { client } = await fresh();
    await client.executeMultiple(`
      CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT);
      -- a comment; with a semicolon
      INSERT INTO authors (name) VALUES ('Ursula; K. Le Guin');
      INSERT INTO authors (name) VALUES ('Terry Pratchett');
    `);
    const rs = await client.execute("SELECT name FROM authors ORDER BY id");
    assert.deepEqual(rs.rows.map((r) => r.name), ["Ursula; K. Le Guin", "Terry Pratchett"]);
    await assert.rejects(client.executeMultiple("INSERT INTO authors (name) VALUES ('x'); SELECT nope FROM authors;"));
    client.close();
  });

  test("migrate runs with foreign keys off and leaves them on", async () => {
    const { client } = await fresh();
    await client.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
    await client.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id))");
    // A migration that rebuilds `parent` would break the reference midway with foreign keys on.
    await client.migrate([
      "CREATE TABLE parent_new (id INTEGER PRIMARY KEY, label TEXT)",
      "INSERT INTO parent_new (id) SELECT id FROM parent",
      "DROP TABLE parent",
      "ALTER TABLE parent_new RENAME TO parent",
      "INSERT INTO child (parent_id) VALUES (999)",
    ]);
    const cols = await client.execute("SELECT name FROM pragma_table_info('parent') ORDER BY cid");
    assert.deepEqual(cols.rows.map((r) => r.name), ["id", "label"]);
    // Foreign keys are enforced again afterwards, for this client and for everyone.
    await assert.rejects(client.execute("INSERT INTO child (parent_id) VALUES (12345)"), (e) => e.code === "SQLITE_CONSTRAINT");
    client.close();
  });
});

describe("limits and isolation", () => {
  test("the sandbox and the time limit apply to libSQL clients too", async () => {
    const { client } = await fresh();
    await assert.rejects(client.execute("ATTACH DATABASE '/tmp/x.db' AS x"), (e) => e.code === "SQLITE_AUTH" && /ATTACH/.test(e.message));
    await assert.rejects(client.execute("PRAGMA journal_mode = DELETE"), (e) => e.code === "SQLITE_AUTH");
    await assert.rejects(
      client.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"),
      (e) => e.code === "SQLITE_INTERRUPT",
    );
    const tx = await client.transaction("write");
    await assert.rejects(tx.execute("ATTACH DATABASE '/tmp/x.db' AS x"), (e) => e.code === "SQLITE_AUTH");
    await tx.rollback();
    client.close();
  });

  test("a wrong token and an unknown database are refused", async () => {
    const { name } = await fresh();
    const wrongKey = createClient({ url: server.libsqlUrl(name), authToken: "not-the-key" });
    await assert.rejects(wrongKey.execute("SELECT 1"), (e) => /401|API key/.test(e.message));
    wrongKey.close();
    const unknown = createClient({ url: server.libsqlUrl("no_such_db"), authToken: server.key });
    await assert.rejects(unknown.execute("SELECT 1"), (e) => /404|no database/.test(e.message));
    unknown.close();
  });
});

describe("per-database tokens", () => {
  test("a read-only token reads and is refused every write, in transactions too", async () => {
    const { name, client: admin } = await fresh();
    await admin.execute("CREATE TABLE t (x)");
    await admin.execute("INSERT INTO t VALUES (1)");
    const token = await server.mintToken(name, "read_only");
    const reader = createClient({ url: server.libsqlUrl(name), authToken: token });
    const rs = await reader.execute("SELECT count(*) AS n FROM t");
    assert.equal(rs.rows[0].n, 1);
    const refused = (e) => e.code === "FORBIDDEN" && /read-only/.test(e.message);
    await assert.rejects(reader.execute("INSERT INTO t VALUES (2)"), refused);
    await assert.rejects(reader.execute("WITH v(x) AS (SELECT 2) INSERT INTO t SELECT x FROM v"), refused);
    await assert.rejects(reader.batch(["INSERT INTO t VALUES (3)"], "write"), refused);
    // The client sends BEGIN with the transaction's first statement.
    const write = await reader.transaction("write");
    await assert.rejects(write.execute("SELECT 1"), refused);
    write.close();
    const read = await reader.transaction("read");
    assert.equal((await read.execute("SELECT count(*) AS n FROM t")).rows[0].n, 1);
    await assert.rejects(read.execute("DELETE FROM t"), refused);
    await read.rollback();
    const batch = await reader.batch(["SELECT 1", "SELECT count(*) AS n FROM t"], "read");
    assert.equal(batch[1].rows[0].n, 1);
    assert.equal((await admin.execute("SELECT count(*) AS n FROM t")).rows[0].n, 1, "nothing was written");
    reader.close();
    admin.close();
  });

  test("a read-write token writes its database only, until revoked", async () => {
    const { name, client: admin } = await fresh();
    const { name: other } = await fresh();
    const token = await server.mintToken(name, "read_write");
    const writer = createClient({ url: server.libsqlUrl(name), authToken: token });
    await writer.batch(["CREATE TABLE t (x)", "INSERT INTO t VALUES (1)"], "write");
    const tx = await writer.transaction("write");
    await tx.execute("INSERT INTO t VALUES (2)");
    await tx.commit();
    assert.equal((await admin.execute("SELECT count(*) AS n FROM t")).rows[0].n, 2);
    const elsewhere = createClient({ url: server.libsqlUrl(other), authToken: token });
    await assert.rejects(elsewhere.execute("SELECT 1"), (e) => /404|no database/.test(e.message));
    elsewhere.close();
    await server.revokeTokens(name);
    await assert.rejects(writer.execute("SELECT 1"), (e) => e.code === "UNAUTHORIZED" && /revoked/.test(e.message));
    writer.close();
    admin.close();
  });
});

describe("over HTTPS", () => {
  let secure;
  before(async () => {
    secure = await startServer([], { tls: true });
  });
  after(async () => {
    await secure?.stop();
  });

  test("the client works over https:// with a minted token", async () => {
    assert.match(secure.url, /^https:\/\/localhost:/);
    await secure.createDatabase("secure");
    const token = await secure.mintToken("secure", "read_write");
    const client = createClient({ url: secure.libsqlUrl("secure"), authToken: token });
    await client.batch(["CREATE TABLE t (x)", "INSERT INTO t VALUES (42)"], "write");
    const rs = await client.execute("SELECT x FROM t");
    assert.equal(rs.rows[0].x, 42);
    client.close();
  });
});

describe("stream expiry", () => {
  let idle;
  let held;
  before(async () => {
    idle = await startServer(["--stream-idle-timeout", "1s"]);
    held = await startServer(["--stream-idle-timeout", "60s", "--write-transaction-timeout", "1s"]);
  });
  after(async () => {
    await idle?.stop();
    await held?.stop();
  });

  test("an idle stream expires and the client is told", async () => {
    await idle.createDatabase("idle");
    const client = createClient({ url: idle.libsqlUrl("idle"), authToken: idle.key });
    await client.execute("CREATE TABLE t (x)");
    const tx = await client.transaction("read");
    await tx.execute("SELECT count(*) FROM t");
    await sleep(2_500);
    await assert.rejects(tx.execute("SELECT count(*) FROM t"), (e) => e.code === "STREAM_EXPIRED");
    tx.close();
    client.close();
  });

  test("a write transaction past its limit is rolled back and frees the writer", async () => {
    await held.createDatabase("held");
    const client = createClient({ url: held.libsqlUrl("held"), authToken: held.key });
    await client.execute("CREATE TABLE t (x)");
    const tx = await client.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('held')");
    // Another writer gets through once the limit has passed, without waiting for the client.
    const started = Date.now();
    await held.sql("held", "INSERT INTO t VALUES ('other')");
    const waited = Date.now() - started;
    assert.ok(waited >= 500 && waited < 5_000, `the other write waited ${waited} ms`);
    // The stream refuses everything until the client rolls back, so nothing meant for the
    // transaction commits on its own.
    for (const late of ["INSERT INTO t VALUES ('late')", "SELECT 1"]) {
      await assert.rejects(tx.execute(late), (e) => e.code === "TRANSACTION_TIMEOUT");
    }
    await tx.rollback();
    const rows = (await client.execute("SELECT x FROM t")).rows.map((r) => r.x);
    assert.deepEqual(rows, ["other"]);
    client.close();
  });
});
