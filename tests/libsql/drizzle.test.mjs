// Drizzle ORM on its libSQL driver, unmodified, against a real `dbforge serve`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { sqliteTable, integer, text } from "drizzle-orm/sqlite-core";
import { eq, gt, sql } from "drizzle-orm";
import { startServer } from "./support.mjs";

const users = sqliteTable("users", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  karma: integer("karma").notNull().default(0),
});

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

test("Drizzle defines a table, inserts, selects, updates and runs a transaction", async () => {
  await server.createDatabase("orm");
  const client = createClient({ url: server.libsqlUrl("orm"), authToken: server.key });
  const db = drizzle(client);
  await db.run(sql`CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, karma INTEGER NOT NULL DEFAULT 0)`);

  const inserted = await db.insert(users).values([{ name: "ada", karma: 10 }, { name: "bob" }]).returning();
  assert.deepEqual(inserted, [
    { id: 1, name: "ada", karma: 10 },
    { id: 2, name: "bob", karma: 0 },
  ]);
  await db.update(users).set({ karma: 5 }).where(eq(users.name, "bob"));
  const positive = await db.select().from(users).where(gt(users.karma, 0)).orderBy(users.id);
  assert.deepEqual(positive.map((u) => [u.name, u.karma]), [["ada", 10], ["bob", 5]]);

  // A Drizzle transaction is a libSQL interactive transaction.
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.insert(users).values({ name: "ghost" });
      throw new Error("changed my mind");
    }),
    /changed my mind/,
  );
  await db.transaction(async (tx) => {
    await tx.insert(users).values({ name: "carol", karma: 1 });
  });
  const names = (await db.select({ name: users.name }).from(users).orderBy(users.id)).map((u) => u.name);
  assert.deepEqual(names, ["ada", "bob", "carol"]);

  // The data is a plain table in the database, visible to every other client.
  const rest = await server.sql("orm", "SELECT count(*) AS n FROM users");
  assert.deepEqual(rest.rows, [{ n: 3 }]);
  client.close();
});
