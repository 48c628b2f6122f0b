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
  it("uses the primary key columns in key order", () => {
    const key = rowKeyOf(table([column("b", "TEXT", 2), column("a", "INTEGER", 1), column("c", "TEXT")]));
    expect(key).toEqual({ kind: "primary_key", columns: ["a", "b"] });
  });
  it("falls back to the rowid without a primary key", () => {
    expect(rowKeyOf(table([column("x", "TEXT")]))).toEqual({ kind: "rowid" });
  });
  it("cannot address rows of a view or a keyless WITHOUT ROWID table", () => {
    expect(rowKeyOf(table([column("x", "")], { type: "view" }))).toBeNull();
    expect(rowKeyOf(table([column("x", "")], { without_rowid: true }))).toBeNull();
  });
});

describe("statements for the grid", () => {
  it("selects a filtered, ordered page with bound values", () => {
    const select = buildSelect({
      table: "items",
      withRowid: false,
      filters: [{ column: "name", value: "tea" }, { column: "size", value: "7" }],
      orderBy: "price",
      descending: true,
      limit: 100,
      offset: 200,
    });
    expect(select.sql).toBe('SELECT * FROM "items" WHERE "name" = ? AND "size" = ? ORDER BY "price" DESC LIMIT ? OFFSET ?');
    expect(select.params).toEqual(["tea", "7", 100, 200]);
  });
  it("adds the rowid and orders by it when rows are addressed by rowid", () => {
    const select = buildSelect({ table: "t", withRowid: true, filters: [], limit: 10, offset: 0 });
    expect(select.sql).toBe('SELECT rowid AS _rowid_, * FROM "t" ORDER BY rowid LIMIT ? OFFSET ?');
  });
  it("counts with the same filters", () => {
    expect(buildCount("t", [{ column: "a", value: "1" }])).toEqual({ sql: 'SELECT count(*) FROM "t" WHERE "a" = ?', params: ["1"] });
  });
  it("inserts only the given columns, or default values", () => {
    expect(buildInsert("t", { name: "tea", price: 3.5 })).toEqual({
      sql: 'INSERT INTO "t" ("name", "price") VALUES (?, ?)',
      params: ["tea", 3.5],
    });
    expect(buildInsert("t", {}).sql).toBe('INSERT INTO "t" DEFAULT VALUES');
  });
  it("updates and deletes by primary key", () => {
    const key = { kind: "primary_key" as const, columns: ["id"] };
    expect(buildUpdate("t", key, { id: 7, name: "old" }, { name: "new" })).toEqual({
      sql: 'UPDATE "t" SET "name" = ? WHERE "id" = ?',
      params: ["new", 7],
    });
    expect(buildDelete("t", key, { id: { integer: "9007199254740993" } })).toEqual({
      sql: 'DELETE FROM "t" WHERE "id" = ?',
      params: [{ integer: "9007199254740993" }],
    });
  });
  it("updates and deletes by rowid, and matches a NULL key with IS NULL", () => {
    expect(buildDelete("t", { kind: "rowid" }, { _rowid_: 3 })).toEqual({ sql: 'DELETE FROM "t" WHERE rowid = ?', params: [3] });
    const composite = { kind: "primary_key" as const, columns: ["a", "b"] };
    expect(buildDelete("t", composite, { a: null, b: "x" })).toEqual({ sql: 'DELETE FROM "t" WHERE "a" IS NULL AND "b" = ?', params: ["x"] });
  });
  it("refuses an update without changes or a row without its key", () => {
    expect(() => buildUpdate("t", { kind: "rowid" }, { _rowid_: 1 }, {})).toThrow(/nothing/);
    expect(() => buildDelete("t", { kind: "primary_key", columns: ["id"] }, { name: "x" })).toThrow(/id/);
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
