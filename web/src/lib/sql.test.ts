import { describe, expect, it } from "vitest";
import {
  buildCount,
  buildDelete,
  buildInsert,
  buildSelect,
  buildUpdate,
  explainStatements,
  isValidDatabaseName,
  literal,
  parseInput,
  parseSize,
  quoteIdent,
  rowKeyOf,
  splitStatements,
} from "./sql";
import type { ColumnInfo, TableInfo } from "./types";

function column(name: string, type: string, primary_key = 0): ColumnInfo {
  return { name, type, primary_key, not_null: false, default: null, hidden: false };
}

function table(columns: ColumnInfo[], extra: Partial<TableInfo> = {}): TableInfo {
  return { name: "t", type: "table", sql: null, without_rowid: false, strict: false, columns, indexes: [], foreign_keys: [], ...extra };
}

describe("identifiers", () => {
  it("quotes names and doubles embedded quotes", () => {
    expect(quoteIdent("items")).toBe('"items"');
    expect(quoteIdent('we"ird name')).toBe('"we""ird name"');
  });
});

describe("row keys", () => {
  it("addresses rows of a rowid table by rowid, even when it has a primary key", () => {
    // A TEXT primary key of a rowid table may hold several NULLs: only the rowid is unique.
    const key = rowKeyOf(table([column("k", "TEXT", 1), column("v", "")]));
    expect(key).toEqual({ kind: "rowid", alias: "rowid" });
  });
  it("uses an INTEGER PRIMARY KEY, the rowid under the user's name", () => {
    expect(rowKeyOf(table([column("id", "INTEGER", 1), column("v", "TEXT")]))).toEqual({ kind: "primary_key", columns: ["id"] });
    // INT is not the rowid alias: such a key may hold NULLs.
    expect(rowKeyOf(table([column("id", "INT", 1)]))).toEqual({ kind: "rowid", alias: "rowid" });
  });
  it("uses a rowid name no column hides", () => {
    expect(rowKeyOf(table([column("rowid", "TEXT")]))).toEqual({ kind: "rowid", alias: "_rowid_" });
    expect(rowKeyOf(table([column("ROWID", ""), column("_rowid_", "")]))).toEqual({ kind: "rowid", alias: "oid" });
    expect(rowKeyOf(table([column("rowid", ""), column("_rowid_", ""), column("oid", "")]))).toBeNull();
  });
  it("uses the primary key columns in key order in a WITHOUT ROWID table", () => {
    const key = rowKeyOf(table([column("b", "TEXT", 2), column("a", "INTEGER", 1), column("c", "TEXT")], { without_rowid: true }));
    expect(key).toEqual({ kind: "primary_key", columns: ["a", "b"] });
  });
  it("cannot address rows of a view", () => {
    expect(rowKeyOf(table([column("x", "")], { type: "view" }))).toBeNull();
  });
});

describe("statements for the grid", () => {
  const byId = { kind: "primary_key" as const, columns: ["id"] };
  const byRowid = { kind: "rowid" as const, alias: "rowid" };
  it("selects a filtered page, sorted with the key breaking ties", () => {
    const select = buildSelect({
      table: "items",
      key: byId,
      filters: [{ column: "name", value: "tea" }, { column: "size", value: 7 }],
      orderBy: "price",
      descending: true,
      limit: 100,
      offset: 200,
    });
    expect(select.sql).toBe('SELECT * FROM "items" WHERE "name" = ? AND "size" = ? ORDER BY "price" DESC, "id" LIMIT ? OFFSET ?');
    expect(select.params).toEqual(["tea", 7, 100, 200]);
  });
  it("adds the rowid under its own name and orders by it", () => {
    const select = buildSelect({ table: "t", key: { kind: "rowid", alias: "_rowid_" }, filters: [], limit: 10, offset: 0 });
    expect(select.sql).toBe('SELECT _rowid_ AS "_dbforge_rowid_", * FROM "t" ORDER BY _rowid_ LIMIT ? OFFSET ?');
    const view = buildSelect({ table: "v", key: null, filters: [], limit: 10, offset: 0 });
    expect(view.sql).toBe('SELECT * FROM "v" LIMIT ? OFFSET ?');
  });
  it("counts with the same filters", () => {
    expect(buildCount("t", [{ column: "a", value: 1 }])).toEqual({ sql: 'SELECT count(*) FROM "t" WHERE "a" = ?', params: [1] });
  });
  it("inserts only the given columns, or default values", () => {
    expect(buildInsert("t", { name: "tea", price: 3.5 })).toEqual({
      sql: 'INSERT INTO "t" ("name", "price") VALUES (?, ?)',
      params: ["tea", 3.5],
    });
    expect(buildInsert("t", {}).sql).toBe('INSERT INTO "t" DEFAULT VALUES');
  });
  it("updates and deletes by primary key", () => {
    expect(buildUpdate("t", byId, { id: 7, name: "old" }, { name: "new" })).toEqual({
      sql: 'UPDATE "t" SET "name" = ? WHERE "id" = ?',
      params: ["new", 7],
    });
    expect(buildDelete("t", byId, { id: { integer: "9007199254740993" } })).toEqual({
      sql: 'DELETE FROM "t" WHERE "id" = ?',
      params: [{ integer: "9007199254740993" }],
    });
  });
  it("updates and deletes by rowid", () => {
    expect(buildDelete("t", byRowid, { _dbforge_rowid_: 3 })).toEqual({ sql: 'DELETE FROM "t" WHERE rowid = ?', params: [3] });
  });
  it("refuses an update without changes, or a row without its key (never a NULL match)", () => {
    expect(() => buildUpdate("t", byRowid, { _dbforge_rowid_: 1 }, {})).toThrow(/nothing/);
    expect(() => buildDelete("t", byId, { name: "x" })).toThrow(/id/);
    const composite = { kind: "primary_key" as const, columns: ["a", "b"] };
    expect(() => buildDelete("t", composite, { a: null, b: "x" })).toThrow(/a/);
  });
});

describe("form values", () => {
  it("converts by the column's type affinity", () => {
    expect(parseInput("42", { type: "INTEGER" })).toBe(42);
    expect(parseInput("9007199254740993", { type: "INTEGER" })).toEqual({ integer: "9007199254740993" });
    expect(parseInput("4x", { type: "INTEGER" })).toBe("4x");
    expect(parseInput("3.5", { type: "REAL" })).toBe(3.5);
    expect(parseInput("007", { type: "TEXT" })).toBe("007");
    expect(parseInput("12", { type: "" })).toBe(12);
    expect(parseInput("hello", { type: "" })).toBe("hello");
  });
  it("writes literals for display", () => {
    expect(literal(null)).toBe("NULL");
    expect(literal("it's")).toBe("'it''s'");
    expect(literal({ integer: "123" })).toBe("123");
    expect(literal({ base64: "AAEC" })).toBe("X'000102'");
  });
});

describe("splitting SQL", () => {
  it("splits at top-level semicolons only", () => {
    expect(splitStatements("select 1; select ';'; -- a;\nselect \"a;b\" /* ; */;")).toEqual([
      "select 1",
      "select ';'",
      '-- a;\nselect "a;b" /* ; */',
    ]);
  });
  it("keeps trigger bodies and CASE expressions whole", () => {
    const trigger = "create trigger t after insert on a begin insert into b values (1); update c set x = 1; end";
    expect(splitStatements(`${trigger}; select case when 1 then 2 end; select 3`)).toEqual([
      trigger,
      "select case when 1 then 2 end",
      "select 3",
    ]);
  });
  it("ignores empty statements and comment-only tails", () => {
    expect(splitStatements(" ;; select 1 ; -- done")).toEqual(["select 1"]);
  });
  it("explains every statement once", () => {
    expect(explainStatements("select 1; explain select 2")).toEqual(["EXPLAIN QUERY PLAN select 1", "explain select 2"]);
  });
});

describe("names and sizes", () => {
  it("validates database names like the server", () => {
    expect(isValidDatabaseName("shop-1_a")).toBe(true);
    for (const bad of ["", "Shop", "-x", "a b", "x".repeat(65), "../etc"]) expect(isValidDatabaseName(bad)).toBe(false);
  });
  it("parses sizes with binary units", () => {
    expect(parseSize("64MiB")).toBe(64 * 1024 * 1024);
    expect(parseSize("512k")).toBe(512 * 1024);
    expect(parseSize("1000")).toBe(1000);
    expect(parseSize("0")).toBeNull();
    expect(parseSize("lots")).toBeNull();
  });
});
