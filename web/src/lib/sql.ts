// SQL the dashboard builds for the data grid: quoted identifiers, values always bound as
// parameters, and rows addressed by their rowid or, in WITHOUT ROWID tables, their primary key.
import type { CellValue, ColumnInfo, TableInfo } from "./types";

export interface SqlWithParams {
  sql: string;
  params: CellValue[];
}

/** The name of the rowid column the grid's SELECT adds (unlikely to be a user's column). */
export const ROWID = "_dbforge_rowid_";

/** SQLite's names for the rowid; a user column of the same name hides that name. */
const ROWID_NAMES = ["rowid", "_rowid_", "oid"] as const;

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * How rows of a table are addressed for UPDATE and DELETE; null for views. `alias` is the
 * name of the rowid that no column of the table hides.
 */
export type RowKey = { kind: "primary_key"; columns: string[] } | { kind: "rowid"; alias: string };

/**
 * The rowid when the table has one: it is unique even where a primary key is not (SQLite
 * allows NULL in a non-integer primary key of a rowid table, and NULLs never clash, so
 * `key IS NULL` could match several rows). A WITHOUT ROWID table's primary key is NOT NULL.
 */
export function rowKeyOf(table: TableInfo): RowKey | null {
  if (table.type !== "table") return null;
  const primary = table.columns.filter((c) => c.primary_key > 0);
  // An INTEGER PRIMARY KEY is the rowid itself under the user's name (never NULL).
  const [only] = primary;
  if (!table.without_rowid && primary.length === 1 && only && only.type.toUpperCase() === "INTEGER") {
    return { kind: "primary_key", columns: [only.name] };
  }
  if (!table.without_rowid) {
    const taken = new Set(table.columns.map((c) => c.name.toLowerCase()));
    const alias = ROWID_NAMES.find((name) => !taken.has(name));
    if (alias) return { kind: "rowid", alias };
  }
  const keyColumns = primary.sort((a, b) => a.primary_key - b.primary_key).map((c) => c.name);
  return table.without_rowid && keyColumns.length > 0 ? { kind: "primary_key", columns: keyColumns } : null;
}

export function keyColumns(key: RowKey): string[] {
  return key.kind === "rowid" ? [ROWID] : key.columns;
}

export interface Filter {
  column: string;
  /** The value, typed like the row editor types it (see `parseInput`). */
  value: CellValue;
}

export interface SelectOptions {
  table: string;
  key: RowKey | null;
  filters: Filter[];
  orderBy?: string;
  descending?: boolean;
  limit: number;
  offset: number;
}

function whereClause(filters: Filter[]): SqlWithParams {
  if (filters.length === 0) return { sql: "", params: [] };
  return {
    sql: ` WHERE ${filters.map((f) => `${quoteIdent(f.column)} = ?`).join(" AND ")}`,
    params: filters.map((f) => f.value),
  };
}

/** The SQL that names a row's key column. */
function keyTarget(key: RowKey, column: string): string {
  return key.kind === "rowid" ? key.alias : quoteIdent(column);
}

/**
 * One page of a table. Sorted by a column, the row key breaks ties, so that paging with
 * OFFSET neither skips nor repeats rows that share a value.
 */
export function buildSelect(options: SelectOptions): SqlWithParams {
  const { key } = options;
  const where = whereClause(options.filters);
  const columns = key?.kind === "rowid" ? `${key.alias} AS ${quoteIdent(ROWID)}, *` : "*";
  let sql = `SELECT ${columns} FROM ${quoteIdent(options.table)}${where.sql}`;
  const order: string[] = [];
  if (options.orderBy) order.push(`${quoteIdent(options.orderBy)} ${options.descending ? "DESC" : "ASC"}`);
  if (key) order.push(...keyColumns(key).map((c) => keyTarget(key, c)));
  if (order.length > 0) sql += ` ORDER BY ${order.join(", ")}`;
  sql += " LIMIT ? OFFSET ?";
  return { sql, params: [...where.params, options.limit, options.offset] };
}

export function buildCount(table: string, filters: Filter[]): SqlWithParams {
  const where = whereClause(filters);
  return { sql: `SELECT count(*) FROM ${quoteIdent(table)}${where.sql}`, params: where.params };
}

export function buildInsert(table: string, values: Record<string, CellValue>): SqlWithParams {
  const columns = Object.keys(values);
  if (columns.length === 0) return { sql: `INSERT INTO ${quoteIdent(table)} DEFAULT VALUES`, params: [] };
  return {
    sql: `INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
    params: columns.map((c) => values[c] ?? null),
  };
}

function keyCondition(key: RowKey, keyValues: Record<string, CellValue>): SqlWithParams {
  const columns = keyColumns(key);
  const missing = columns.filter((c) => keyValues[c] === undefined || keyValues[c] === null);
  // Rowids and WITHOUT ROWID keys are never NULL; a missing one is a bug, not a row.
  if (missing.length > 0) throw new Error(`the row has no value for its key column ${missing.join(", ")}`);
  return {
    sql: columns.map((c) => `${keyTarget(key, c)} = ?`).join(" AND "),
    params: columns.map((c) => keyValues[c] ?? null),
  };
}

export function buildUpdate(
  table: string,
  key: RowKey,
  keyValues: Record<string, CellValue>,
  changes: Record<string, CellValue>,
): SqlWithParams {
  const columns = Object.keys(changes);
  if (columns.length === 0) throw new Error("nothing to update");
  const where = keyCondition(key, keyValues);
  return {
    sql: `UPDATE ${quoteIdent(table)} SET ${columns.map((c) => `${quoteIdent(c)} = ?`).join(", ")} WHERE ${where.sql}`,
    params: [...columns.map((c) => changes[c] ?? null), ...where.params],
  };
}

export function buildDelete(table: string, key: RowKey, keyValues: Record<string, CellValue>): SqlWithParams {
  const where = keyCondition(key, keyValues);
  return { sql: `DELETE FROM ${quoteIdent(table)} WHERE ${where.sql}`, params: where.params };
}

/** A value typed into a form field, converted by the column's declared type (its affinity). */
export function parseInput(text: string, column: Pick<ColumnInfo, "type">): CellValue {
  const type = column.type.toUpperCase();
  const trimmed = text.trim();
  if (type.includes("INT")) {
    if (/^[-+]?\d+$/.test(trimmed)) {
      const n = Number(trimmed);
      return Number.isSafeInteger(n) ? n : { integer: BigInt(trimmed).toString() };
    }
    return text;
  }
  if (/REAL|FLOA|DOUB|NUM|DEC/.test(type)) {
    return trimmed !== "" && Number.isFinite(Number(trimmed)) ? Number(trimmed) : text;
  }
  if (type === "" || type === "ANY") {
    if (/^[-+]?\d+$/.test(trimmed)) {
      const n = Number(trimmed);
      return Number.isSafeInteger(n) ? n : { integer: BigInt(trimmed).toString() };
    }
    if (/^[-+]?(\d+\.\d*|\.\d+|\d+)(e[-+]?\d+)?$/i.test(trimmed)) return Number(trimmed);
  }
  return text;
}

/** A value as a SQL literal, for showing parameters next to the SQL that binds them. */
export function literal(value: CellValue): string {
  if (value === null) return "NULL";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return `'${value.replaceAll("'", "''")}'`;
  if ("integer" in value) return value.integer;
  if ("real" in value) return value.real === "Infinity" ? "9e999" : "-9e999";
  const bytes = atob(value.base64);
  let hex = "";
  for (let i = 0; i < bytes.length; i++) hex += bytes.charCodeAt(i).toString(16).padStart(2, "0");
  return `X'${hex}'`;
}

/**
 * Splits SQL text into statements at top-level semicolons, skipping those inside quotes,
 * comments and trigger bodies (BEGIN ... END). Lexical only, like the server's splitter.
 */
export function splitStatements(text: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let depth = 0;
  let i = 0;
  const word = /[A-Za-z_]+/y;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      i++;
      while (i < text.length) {
        if (text[i] === close) {
          if (close !== "]" && text[i + 1] === close) {
            i += 2;
            continue;
          }
          break;
        }
        i++;
      }
      i++;
    } else if (c === "-" && text[i + 1] === "-") {
      const end = text.indexOf("\n", i);
      i = end === -1 ? text.length : end + 1;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end === -1 ? text.length : end + 2;
    } else if (/[A-Za-z_]/.test(c)) {
      word.lastIndex = i;
      const match = word.exec(text);
      const w = match ? match[0].toUpperCase() : c;
      // BEGIN opens a block only in a trigger body; a bare BEGIN is a transaction statement.
      if (w === "CASE" || (w === "BEGIN" && /^\s*CREATE\b/i.test(text.slice(start, i)))) depth++;
      else if (w === "END" && depth > 0) depth--;
      i += w.length;
    } else if (c === ";" && depth === 0) {
      const statement = text.slice(start, i).trim();
      if (hasCode(statement)) statements.push(statement);
      start = i + 1;
      i++;
    } else {
      i++;
    }
  }
  const last = text.slice(start).trim();
  if (hasCode(last)) statements.push(last);
  return statements;
}

function hasCode(statement: string): boolean {
  return statement.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, "").trim() !== "";
}

/** EXPLAIN QUERY PLAN for each statement of a text. */
export function explainStatements(text: string): string[] {
  return splitStatements(text).map((s) => (/^\s*explain\b/i.test(s) ? s : `EXPLAIN QUERY PLAN ${s}`));
}

/** Database names: 1-64 of a-z, 0-9, - and _, starting with a letter or digit. */
export function isValidDatabaseName(name: string): boolean {
  return /^[a-z0-9][a-z0-9_-]{0,63}$/.test(name);
}

/** "64MiB", "512k", "1g" or bytes, to bytes; null when it does not read as a size. */
export function parseSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!match) return null;
  const factor = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[match[2]!.toLowerCase()] ?? 1;
  const bytes = Math.round(Number(match[1]) * factor);
  return bytes > 0 ? bytes : null;
}
