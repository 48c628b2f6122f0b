import { describe, expect, it } from "vitest";
import {
  databaseNameFromFile,
  exportFileName,
  exportPath,
  exportProblem,
  formatFromFileName,
  gridExportSource,
  holdsRows,
  importIntoProblem,
  importPath,
  importSummary,
  progressLabel,
  tableNameFromFile,
} from "./transfer";
import { isValidDatabaseName } from "./sql";

describe("format from a file's name", () => {
  it("knows each format's extensions, in any case", () => {
    expect(formatFromFileName("shop.sqlite")).toBe("sqlite");
    expect(formatFromFileName("shop.SQLITE3")).toBe("sqlite");
    expect(formatFromFileName("shop.db")).toBe("sqlite");
    expect(formatFromFileName("dump.sql")).toBe("sql");
    expect(formatFromFileName("People.CSV")).toBe("csv");
    expect(formatFromFileName("rows.json")).toBe("json");
    expect(formatFromFileName("rows.ndjson")).toBe("ndjson");
    expect(formatFromFileName("rows.jsonl")).toBe("ndjson");
  });
  it("reads only the last extension", () => {
    expect(formatFromFileName("export.csv.json")).toBe("json");
    expect(formatFromFileName("backup.sqlite.zst")).toBeNull();
  });
  it("says nothing when the name does not say", () => {
    expect(formatFromFileName("data")).toBeNull();
    expect(formatFromFileName("data.txt")).toBeNull();
    expect(formatFromFileName("dir.csv/data")).toBeNull();
    expect(formatFromFileName("data.")).toBeNull();
    expect(formatFromFileName("x.constructor")).toBeNull();
  });
  it("CSV, JSON and NDJSON hold rows of a table", () => {
    expect(["sql", "sqlite", "csv", "json", "ndjson"].filter((f) => holdsRows(f as never))).toEqual(["csv", "json", "ndjson"]);
  });
});

describe("export URLs", () => {
  it("a whole database as a SQL dump or the SQLite file", () => {
    expect(exportPath("shop", { format: "sql", source: { kind: "database" } })).toBe("/api/db/shop/export?format=sql");
    expect(exportPath("shop", { format: "sqlite", source: { kind: "database" } })).toBe("/api/db/shop/export?format=sqlite");
  });
  it("a table's rows, its name encoded", () => {
    expect(exportPath("shop", { format: "csv", source: { kind: "table", table: "order items" } })).toBe("/api/db/shop/export?format=csv&table=order+items");
    expect(exportPath("shop", { format: "ndjson", source: { kind: "table", table: "a&b=c" } })).toBe("/api/db/shop/export?format=ndjson&table=a%26b%3Dc");
  });
  it("a query's rows, the SQL encoded whole", () => {
    const path = exportPath("shop", { format: "json", source: { kind: "query", sql: "SELECT * FROM t WHERE a = 'x&y' -- #1" } });
    expect(path.startsWith("/api/db/shop/export?")).toBe(true);
    const params = new URLSearchParams(path.split("?")[1]);
    expect(Object.fromEntries(params)).toEqual({ format: "json", sql: "SELECT * FROM t WHERE a = 'x&y' -- #1" });
  });
  it("sends the NULL marker with CSV only, and not when empty", () => {
    const table = { kind: "table", table: "t" } as const;
    expect(exportPath("shop", { format: "csv", source: table, nullMarker: "\\N" })).toBe("/api/db/shop/export?format=csv&table=t&null=%5CN");
    expect(exportPath("shop", { format: "csv", source: table, nullMarker: "" })).toBe("/api/db/shop/export?format=csv&table=t");
    expect(exportPath("shop", { format: "json", source: table, nullMarker: "\\N" })).toBe("/api/db/shop/export?format=json&table=t");
  });
  it("encodes the database name in the path", () => {
    expect(exportPath("my_db-1", { format: "sql", source: { kind: "database" } })).toBe("/api/db/my_db-1/export?format=sql");
  });
  it("refuses what the server refuses", () => {
    expect(exportProblem({ format: "sqlite", source: { kind: "table", table: "t" } })).toMatch(/whole database/);
    expect(exportProblem({ format: "sql", source: { kind: "query", sql: "SELECT 1" } })).toMatch(/not of a query/);
    expect(exportProblem({ format: "csv", source: { kind: "database" } })).toMatch(/pick a table/);
    expect(exportProblem({ format: "csv", source: { kind: "query", sql: "  " } })).toMatch(/no query/);
    expect(exportProblem({ format: "csv", source: { kind: "table", table: "t" } })).toBeNull();
    expect(exportProblem({ format: "sql", source: { kind: "table", table: "t" } })).toBeNull();
  });
  it("names the file like the server when it does not", () => {
    expect(exportFileName("shop", { format: "sqlite", source: { kind: "database" } })).toBe("shop.sqlite");
    expect(exportFileName("shop", { format: "csv", source: { kind: "table", table: "order items" } })).toBe("shop-order_items.csv");
    expect(exportFileName("shop", { format: "json", source: { kind: "query", sql: "SELECT 1" } })).toBe("shop.json");
  });
});

describe("what the table grid exports", () => {
  it("the table itself when neither filtered nor sorted", () => {
    expect(gridExportSource("items", [], null)).toEqual({ kind: "table", table: "items" });
  });
  it("the grid's query once filtered or sorted, with the values as literals and no rowid column", () => {
    expect(gridExportSource('we"ird', [{ column: "name", value: "O'Brien" }, { column: "n", value: 7 }], { column: "price", descending: true })).toEqual({
      kind: "query",
      sql: `SELECT * FROM "we""ird" WHERE "name" = 'O''Brien' AND "n" = 7 ORDER BY "price" DESC`,
    });
    expect(gridExportSource("items", [], { column: "id", descending: false })).toEqual({ kind: "query", sql: `SELECT * FROM "items" ORDER BY "id" ASC` });
    expect(gridExportSource("items", [{ column: "big", value: { integer: "9007199254740993" } }, { column: "gone", value: null }], null)).toEqual({
      kind: "query",
      sql: `SELECT * FROM "items" WHERE "big" = 9007199254740993 AND "gone" = NULL`,
    });
  });
});

describe("import URLs", () => {
  it("a SQLite file or a SQL dump: no table", () => {
    expect(importPath("shop", { format: "sqlite", table: "ignored" })).toBe("/admin/databases/shop/import?format=sqlite");
    expect(importPath("shop", { format: "sql" })).toBe("/admin/databases/shop/import?format=sql");
  });
  it("rows go to a table; CSV takes a NULL marker", () => {
    expect(importPath("shop", { format: "csv", table: " people ", nullMarker: "\\N" })).toBe("/admin/databases/shop/import?format=csv&table=people&null=%5CN");
    expect(importPath("shop", { format: "csv", table: "people", nullMarker: "" })).toBe("/admin/databases/shop/import?format=csv&table=people");
    expect(importPath("shop", { format: "ndjson", table: "a b", nullMarker: "NULL" })).toBe("/admin/databases/shop/import?format=ndjson&table=a+b");
  });
  it("into an existing database: no SQLite file, and rows need a table", () => {
    expect(importIntoProblem({ format: "sqlite" })).toMatch(/Import database/);
    expect(importIntoProblem({ format: "json", table: " " })).toMatch(/Name the table/);
    expect(importIntoProblem({ format: "json", table: "t" })).toBeNull();
    expect(importIntoProblem({ format: "sql" })).toBeNull();
  });
});

describe("names from a file", () => {
  it("a table name from the file's name", () => {
    expect(tableNameFromFile("people.csv")).toBe("people");
    expect(tableNameFromFile("Order Items (2024).csv")).toBe("Order_Items_2024");
    expect(tableNameFromFile("2024-sales.json")).toBe("t_2024_sales");
    expect(tableNameFromFile("C:\\data\\rows.ndjson")).toBe("rows");
    expect(tableNameFromFile("….csv")).toBe("imported");
  });
  it("a valid database name from the file's name", () => {
    for (const [file, name] of [
      ["shop.sqlite", "shop"],
      ["Shop Backup.sqlite", "shop-backup"],
      ["__tmp.db", "tmp"],
      ["x".repeat(80) + ".db", "x".repeat(64)],
      ["a".repeat(63) + " b.db", "a".repeat(63)],
    ] as const) {
      expect(databaseNameFromFile(file)).toBe(name);
      expect(isValidDatabaseName(databaseNameFromFile(file))).toBe(true);
    }
    expect(databaseNameFromFile("Ünïcode.db")).toBe("n-code");
    expect(databaseNameFromFile("!!!.db")).toBe("");
  });
});

describe("results and progress in words", () => {
  const base = { database: "shop", created_database: false, created_table: false, count: 0, bytes: 2048 };
  it("says what an import did", () => {
    expect(importSummary({ ...base, format: "csv", table: "people", created_table: true, count: 3 })).toBe(
      "Imported 3 rows into people (a new table) of shop (2.00 KiB uploaded).",
    );
    expect(importSummary({ ...base, format: "json", table: "people", count: 1 })).toBe("Imported 1 row into people of shop (2.00 KiB uploaded).");
    expect(importSummary({ ...base, format: "sql", count: 12_000, created_database: true })).toBe(
      "Ran 12,000 statements of the SQL dump in the new database shop (2.00 KiB uploaded).",
    );
    expect(importSummary({ ...base, format: "sqlite", created_database: true, bytes: 8192 })).toBe("Imported the SQLite file as the new database shop (8.00 KiB uploaded).");
  });
  it("says how far a transfer is", () => {
    expect(progressLabel(512, null)).toBe("512 B");
    expect(progressLabel(1536 * 1024, 4 * 1024 * 1024)).toBe("1.50 MiB of 4.00 MiB (37%)");
    expect(progressLabel(10, 10)).toBe("10 B of 10 B (100%)");
    expect(progressLabel(20, 10)).toBe("20 B of 10 B (100%)");
  });
});
