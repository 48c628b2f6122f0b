// Wire types of the DB-Forge HTTP API that the dashboard uses (see docs/API.md).

/** A SQLite value as JSON: lossless integers and blobs come as tagged objects. */
export type CellValue =
  | null
  | number
  | string
  | { integer: string }
  | { base64: string }
  | { real: string };

export interface ErrorEnvelope {
  error: { code: string; message: string };
}

export interface DatabaseInfo {
  name: string;
  size_bytes: number;
  created_at: string;
  table_count: number;
  max_size_bytes: number;
  open: boolean;
}

export interface DatabaseList {
  databases: DatabaseInfo[];
  total: number;
  next_cursor: string | null;
}

export interface LatencyPercentiles {
  count: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
}

export interface GatewayStats {
  version: string;
  uptime_seconds: number;
  database_count: number;
  total_bytes: number;
  open_databases: number;
  requests_total: number;
  queries_total: number;
  query_errors_total: number;
  query_latency: LatencyPercentiles;
  commits_total: number;
  committed_requests_total: number;
  inline_reads_total: number;
}

export interface TrafficPoint {
  start_ms: number;
  seconds: number;
  requests: number;
  client_errors: number;
  server_errors: number;
  queries: number;
  query_errors: number;
  query_p50_ms: number;
  query_p99_ms: number;
}

export interface BusyDatabase {
  name: string;
  requests: number;
  errors: number;
  mean_ms: number;
}

export interface Timeseries {
  interval_seconds: number;
  points: TrafficPoint[];
  busiest: BusyDatabase[];
}

export interface ActivityEntry {
  id: number;
  at: string;
  key_id: string | null;
  method: string;
  route: string;
  database: string | null;
  status: number;
  duration_ms: number;
}

export interface ActivityList {
  entries: ActivityEntry[];
  capacity: number;
  next_before: number | null;
}

export interface ServerLimits {
  statement_timeout_ms: number;
  max_result_rows: number;
  max_result_bytes: number;
  max_sql_length: number;
  max_statements: number;
  max_body_bytes: number;
  max_database_size: number;
  max_open_databases: number;
  idle_timeout_ms: number;
  write_queue_depth: number;
  readers_per_database: number;
  activity_capacity: number;
  stream_idle_timeout_ms: number;
  write_transaction_timeout_ms: number;
  transaction_busy_timeout_ms: number;
  max_streams: number;
}

export interface ServerConfig {
  version: string;
  listen: string;
  data_dir: string;
  config_file: string | null;
  admin_key: string;
  admin_key_source: string;
  dev: boolean;
  durability: string;
  log_format: string;
  log: string;
  shutdown_timeout_ms: number;
  limits: ServerLimits;
}

export interface ColumnInfo {
  name: string;
  type: string;
  not_null: boolean;
  default: string | null;
  /** 1-based position in the primary key, 0 when not part of it. */
  primary_key: number;
  hidden: boolean;
}

export interface IndexInfo {
  name: string;
  unique: boolean;
  columns: string[];
  origin: string;
  partial: boolean;
}

export interface ForeignKeyInfo {
  columns: string[];
  table: string;
  to_columns: (string | null)[];
  on_update: string;
  on_delete: string;
}

export interface TableInfo {
  name: string;
  type: "table" | "view";
  sql: string | null;
  without_rowid: boolean;
  strict: boolean;
  columns: ColumnInfo[];
  indexes: IndexInfo[];
  foreign_keys: ForeignKeyInfo[];
  /** Why the columns, indexes and foreign keys could not be read (they are empty then). */
  error?: string;
}

export interface TableList {
  tables: TableInfo[];
}

export interface StatementRequest {
  sql: string;
  params?: CellValue[];
}

export interface QueryRequest {
  sql?: string;
  params?: CellValue[];
  statements?: StatementRequest[];
  row_format?: "objects" | "arrays";
  lossless?: boolean;
}

export interface StatementResult {
  columns: string[];
  column_types: (string | null)[];
  rows: CellValue[][];
  rows_affected: number;
  last_insert_rowid: number | null;
  truncated: boolean;
}

export interface ColumnDefinition {
  name: string;
  type?: string;
  primary_key?: boolean;
  autoincrement?: boolean;
  not_null?: boolean;
  unique?: boolean;
  default?: string | number | null | { expression: string };
}

export interface CreateTableRequest {
  name: string;
  columns: ColumnDefinition[];
  if_not_exists?: boolean;
  strict?: boolean;
}
