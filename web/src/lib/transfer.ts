// Export and import as the dashboard drives them (docs/API.md, "Export and import"): the URL of
// a streamed export (a whole database, a table, or a read-only query), the URL of an import,
// the format a file's name suggests, default names for what an import creates, and how a
// transfer's progress and result read.
import { formatBytes, formatCount } from "./format";
import { literal, quoteIdent, type Filter } from "./sql";
import type { ImportResult } from "./types";

/** The formats the server exports and imports. */
export type TransferFormat = "sql" | "sqlite" | "csv" | "json" | "ndjson";

export const FORMAT_LABELS: Record<TransferFormat, string> = {
  sql: "SQL dump",
  sqlite: "SQLite file",
  csv: "CSV",
  json: "JSON",
  ndjson: "NDJSON",
};

/** The file name extensions each format is recognised by (lower case, without the dot). */
const EXTENSIONS: Record<string, TransferFormat> = {
  sqlite: "sqlite",
  sqlite3: "sqlite",
  db: "sqlite",
  db3: "sqlite",
  s3db: "sqlite",
  sql: "sql",
  csv: "csv",
  json: "json",
  ndjson: "ndjson",
  jsonl: "ndjson",
};

/** The format a file's name says it is in (`people.csv`: CSV), or null when it does not say. */
export function formatFromFileName(name: string): TransferFormat | null {
  const extension = /\.([^./\\]+)$/.exec(name.trim())?.[1]?.toLowerCase();
  return extension && Object.hasOwn(EXTENSIONS, extension) ? EXTENSIONS[extension]! : null;
}

/** A query string of the parameters that have a value (an empty NULL marker is the server's default). */
function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== "") search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** Whether a format holds rows of one table (CSV, JSON, NDJSON), so an import needs `table=`. */
export function holdsRows(format: TransferFormat): boolean {
  return format === "csv" || format === "json" || format === "ndjson";
}

/** What an export reads: the whole database, one table (or view), or the rows of a read-only query. */
export type ExportSource = { kind: "database" } | { kind: "table"; table: string } | { kind: "query"; sql: string };

export interface ExportRequest {
  format: TransferFormat;
  source: ExportSource;
  /** How CSV writes NULL (the server's default: an empty field). */
  nullMarker?: string;
}

/** Why the server would refuse this export, or null. */
export function exportProblem(request: ExportRequest): string | null {
  const { format, source } = request;
  if (format === "sqlite" && source.kind !== "database") return "A SQLite file is the whole database, not a table or a query.";
  if (format === "sql" && source.kind === "query") return "A SQL dump is of the database or of one table, not of a query.";
  if (holdsRows(format) && source.kind === "database") return `${FORMAT_LABELS[format]} holds the rows of one table or query: pick a table.`;
  if (source.kind === "query" && !source.sql.trim()) return "There is no query to export.";
  return null;
}

/** `GET /api/db/{name}/export?...` for a request (check it with `exportProblem` first). */
export function exportPath(database: string, request: ExportRequest): string {
  const { source } = request;
  return `/api/db/${encodeURIComponent(database)}/export${query({
    format: request.format,
    table: source.kind === "table" ? source.table : undefined,
    sql: source.kind === "query" ? source.sql : undefined,
    null: request.format === "csv" ? request.nullMarker : undefined,
  })}`;
}

/** The file name to save an export under when the server does not name it. */
export function exportFileName(database: string, request: ExportRequest): string {
  const extension = request.format;
  const stem = request.source.kind === "table" ? `${database}-${request.source.table}` : database;
  return `${stem.replace(/[^A-Za-z0-9_-]/g, "_")}.${extension}`;
}

/**
 * What a table grid exports: the table itself, or, once filtered or sorted, the query that
 * gives exactly the rows the grid pages through (the filter values written as SQL literals,
 * since an export takes no parameters), without the grid's rowid column.
 */
export function gridExportSource(table: string, filters: Filter[], sort?: { column: string; descending: boolean } | null): ExportSource {
  if (filters.length === 0 && !sort) return { kind: "table", table };
  let sql = `SELECT * FROM ${quoteIdent(table)}`;
  if (filters.length > 0) sql += ` WHERE ${filters.map((f) => `${quoteIdent(f.column)} = ${literal(f.value)}`).join(" AND ")}`;
  if (sort) sql += ` ORDER BY ${quoteIdent(sort.column)} ${sort.descending ? "DESC" : "ASC"}`;
  return { kind: "query", sql };
}

export interface ImportRequest {
  format: TransferFormat;
  /** The table rows go to (CSV, JSON, NDJSON): an existing one, or a new one the import creates. */
  table?: string;
  /** What NULL looks like in a CSV file (the server's default: an empty field). */
  nullMarker?: string;
}

/** `POST /admin/databases/{name}/import?...` for a request. */
export function importPath(database: string, request: ImportRequest): string {
  return `/admin/databases/${encodeURIComponent(database)}/import${query({
    format: request.format,
    table: holdsRows(request.format) ? request.table?.trim() : undefined,
    null: request.format === "csv" ? request.nullMarker : undefined,
  })}`;
}

/** Why an import into an existing database would be refused before it starts, or null. */
export function importIntoProblem(request: ImportRequest): string | null {
  if (request.format === "sqlite") return "A SQLite file becomes a database of its own: import it with Import database… on the Databases page.";
  if (holdsRows(request.format) && !request.table?.trim()) return "Name the table the rows go to.";
  return null;
}

/** The file's name without its extension. */
function stem(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

/** A table name for the rows of `people list.csv`: `people_list`. */
export function tableNameFromFile(fileName: string): string {
  const name = stem(fileName).trim().replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "");
  if (!name) return "imported";
  return /^\d/.test(name) ? `t_${name}` : name;
}

/** A database name for `Shop Backup.sqlite`: `shop-backup` (1-64 of a-z, 0-9, - and _). */
export function databaseNameFromFile(fileName: string): string {
  return stem(fileName)
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[-_]+/, "")
    .slice(0, 64)
    .replace(/-+$/, "");
}

/** What an import did, in words: `Imported 3 rows into people (a new table) of shop.` */
export function importSummary(result: ImportResult): string {
  const database = result.created_database ? `the new database ${result.database}` : result.database;
  const size = `${formatBytes(result.bytes)} uploaded`;
  if (result.format === "sqlite") return `Imported the SQLite file as ${database} (${size}).`;
  if (result.format === "sql") {
    return `Ran ${formatCount(result.count)} ${result.count === 1 ? "statement" : "statements"} of the SQL dump in ${database} (${size}).`;
  }
  const rows = `${formatCount(result.count)} ${result.count === 1 ? "row" : "rows"}`;
  const table = result.table ? ` into ${result.table}${result.created_table ? " (a new table)" : ""}` : "";
  return `Imported ${rows}${table} of ${database} (${size}).`;
}

/** How far a transfer is: `1.50 MiB of 4.00 MiB (37%)`, or `1.50 MiB` when the total is unknown. */
export function progressLabel(done: number, total?: number | null): string {
  if (!total || total <= 0) return formatBytes(done);
  const percent = Math.min(100, Math.floor((done / total) * 100));
  return `${formatBytes(done)} of ${formatBytes(total)} (${percent}%)`;
}
