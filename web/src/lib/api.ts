// The dashboard's HTTP client: one place that adds the API key, parses the error envelope
// and turns every failure into an ApiError the screens can show.
import type {
  ActivityList,
  ArrayResult,
  AuditPage,
  BackupInfo,
  BackupList,
  CellValue,
  CreatedKey,
  CreateKeyRequest,
  CreateTableRequest,
  DatabaseInfo,
  DatabaseList,
  GatewayStats,
  KeyList,
  Me,
  MintedToken,
  MintTokenRequest,
  QueryRequest,
  QueryResponse,
  RestoreRequest,
  ServerConfig,
  SpawnRequest,
  StatementResult,
  TableInfo,
  TableList,
  Timeseries,
  TokensRevoked,
  UpdateDatabaseRequest,
} from "./types";
import { attachmentName } from "./lifecycle";

/** A failed request: the server's error code and message, or a network failure. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }

  get unauthorized(): boolean {
    return this.status === 401;
  }

  /** The credential is valid but its role or reach does not allow this (403 `forbidden`). */
  get forbidden(): boolean {
    return this.status === 403;
  }
}

/** The status of a failure that never reached the server. */
export const NETWORK_ERROR = 0;

export type Query = Record<string, string | number | boolean | undefined | null>;

export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export interface ActivityQuery {
  limit?: number;
  before?: number;
  database?: string;
  route?: string;
  method?: string;
  status?: string;
  key_id?: string;
}

export interface DatabaseQuery {
  limit: number;
  offset: number;
  search?: string;
  sort?: "name" | "size" | "tables" | "created";
  order?: "asc" | "desc";
}

/** The answer of one query request: one result per statement, and how long it took. */
export interface QueryOutcome {
  results: ArrayResult[];
  durationMs: number;
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export class ApiClient {
  private readonly key: string;
  private readonly fetcher: FetchLike;
  private readonly baseUrl: string;
  /** Called when the server rejects the key (with its reason), so the app can sign out. */
  onUnauthorized: ((error: ApiError) => void) | undefined;

  constructor(key: string, options: { fetch?: FetchLike; baseUrl?: string } = {}) {
    this.key = key;
    this.fetcher = options.fetch ?? ((input, init) => fetch(input, init));
    this.baseUrl = options.baseUrl ?? "";
  }

  /** Sends a request with the key; answers the response when it succeeded, else throws its ApiError. */
  private async send(method: string, path: string, body: unknown, signal: AbortSignal | undefined, accept: string): Promise<Response> {
    const headers: Record<string, string> = { "X-API-Key": this.key, Accept: accept };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await this.fetcher(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === "AbortError") throw e;
      throw new ApiError(NETWORK_ERROR, "network", "Cannot reach the DB-Forge server. Is it running?");
    }
    if (!response.ok) {
      const envelope = parseJson(await response.text()) as { error?: { code?: string; message?: string } } | undefined;
      const error = new ApiError(
        response.status,
        envelope?.error?.code ?? "http_error",
        envelope?.error?.message ?? `The server answered ${response.status} ${response.statusText}`.trim(),
      );
      if (error.unauthorized) this.onUnauthorized?.(error);
      throw error;
    }
    return response;
  }

  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const response = await this.send(method, path, body, signal, "application/json");
    if (response.status === 204) return undefined as T;
    const json = parseJson(await response.text());
    if (json === undefined) {
      throw new ApiError(response.status, "invalid_response", "The server's answer was not JSON");
    }
    return json as T;
  }

  /** Who the credential is and what it may do. */
  me(signal?: AbortSignal) {
    return this.request<Me>("GET", "/api/me", undefined, signal);
  }

  stats(signal?: AbortSignal) {
    return this.request<GatewayStats>("GET", "/admin/gateway/stats", undefined, signal);
  }

  timeseries(signal?: AbortSignal) {
    return this.request<Timeseries>("GET", "/admin/gateway/timeseries", undefined, signal);
  }

  activity(query: ActivityQuery, signal?: AbortSignal) {
    return this.request<ActivityList>("GET", `/admin/activity${queryString({ ...query })}`, undefined, signal);
  }

  /** A page of the audit log, newest first (`query`: its filters, `limit` and `before`). */
  audit(query: Query, signal?: AbortSignal) {
    return this.request<AuditPage>("GET", `/admin/audit${queryString(query)}`, undefined, signal);
  }

  config(signal?: AbortSignal) {
    return this.request<ServerConfig>("GET", "/admin/config", undefined, signal);
  }

  databases(query: DatabaseQuery, signal?: AbortSignal) {
    return this.request<DatabaseList>("GET", `/admin/databases${queryString({ ...query })}`, undefined, signal);
  }

  database(name: string, signal?: AbortSignal) {
    return this.request<DatabaseInfo>("GET", `/admin/databases/${encodeURIComponent(name)}`, undefined, signal);
  }

  /** Creates a database, with a size limit and a time to live (`"1h"`) when given. */
  createDatabase(name: string, maxSizeBytes?: number, ttl?: string) {
    const body: SpawnRequest = {};
    if (maxSizeBytes) body.limits = { max_size_bytes: maxSizeBytes };
    if (ttl) body.ttl = ttl;
    return this.request<DatabaseInfo>("POST", `/admin/databases/spawn/${encodeURIComponent(name)}`, Object.keys(body).length ? body : undefined);
  }

  /** Changes a database's time to live and backup schedule: fields left out stay, null clears. */
  updateDatabase(name: string, update: UpdateDatabaseRequest) {
    return this.request<DatabaseInfo>("PATCH", `/admin/databases/${encodeURIComponent(name)}`, update);
  }

  /** A database's backups, newest first. */
  backups(name: string, signal?: AbortSignal) {
    return this.request<BackupList>("GET", `/admin/databases/${encodeURIComponent(name)}/backups`, undefined, signal);
  }

  /** Backs a database up now; answers once the backup is stored and checked. */
  createBackup(name: string) {
    return this.request<BackupInfo>("POST", `/admin/databases/${encodeURIComponent(name)}/backups`);
  }

  deleteBackup(name: string, id: string) {
    return this.request<BackupInfo>("DELETE", `/admin/databases/${encodeURIComponent(name)}/backups/${encodeURIComponent(id)}`);
  }

  /**
   * A stored backup (a zstd-compressed SQLite file) with the file name the server gives it.
   * It needs the key, so it is fetched here, not linked to.
   */
  async downloadBackup(name: string, id: string): Promise<{ blob: Blob; filename: string }> {
    const response = await this.send(
      "GET",
      `/admin/databases/${encodeURIComponent(name)}/backups/${encodeURIComponent(id)}`,
      undefined,
      undefined,
      "application/zstd",
    );
    const filename = attachmentName(response.headers.get("Content-Disposition")) ?? `${name}-${id}.sqlite.zst`;
    return { blob: await response.blob(), filename };
  }

  /** Restores a backup of `name`: as the new database `as`, or over `name` when `confirm` repeats it. */
  restoreBackup(name: string, request: RestoreRequest) {
    return this.request<DatabaseInfo>("POST", `/admin/databases/${encodeURIComponent(name)}/restore`, request);
  }

  /** Branches `name` into the new database `branch`: a copy of it as it is now. */
  branchDatabase(name: string, branch: string) {
    return this.request<DatabaseInfo>("POST", `/admin/databases/${encodeURIComponent(name)}/branch/${encodeURIComponent(branch)}`);
  }

  deleteDatabase(name: string) {
    return this.request<{ deleted: string }>("DELETE", `/admin/databases/${encodeURIComponent(name)}`);
  }

  keys(signal?: AbortSignal) {
    return this.request<KeyList>("GET", "/admin/keys", undefined, signal);
  }

  createKey(request: CreateKeyRequest) {
    return this.request<CreatedKey>("POST", "/admin/keys", request);
  }

  revokeKey(id: string) {
    return this.request<void>("DELETE", `/admin/keys/${encodeURIComponent(id)}`);
  }

  rotateKey(id: string) {
    return this.request<CreatedKey>("POST", `/admin/keys/${encodeURIComponent(id)}/rotate`);
  }

  mintToken(database: string, request: MintTokenRequest) {
    return this.request<MintedToken>("POST", `/admin/databases/${encodeURIComponent(database)}/tokens`, request);
  }

  revokeDatabaseTokens(database: string) {
    return this.request<TokensRevoked>("POST", `/admin/databases/${encodeURIComponent(database)}/tokens/revoke`);
  }

  revokeAllTokens() {
    return this.request<TokensRevoked>("POST", "/admin/tokens/revoke");
  }

  tables(database: string, signal?: AbortSignal) {
    return this.request<TableList>("GET", `/api/db/${encodeURIComponent(database)}/tables`, undefined, signal);
  }

  createTable(database: string, request: CreateTableRequest) {
    return this.request<TableInfo>("POST", `/api/db/${encodeURIComponent(database)}/tables`, request);
  }

  /** Runs SQL with lossless values and rows as arrays; always answers a list of results. */
  async query(database: string, request: QueryRequest, signal?: AbortSignal): Promise<QueryOutcome> {
    const started = performance.now();
    const answer = await this.request<QueryResponse>(
      "POST",
      `/api/db/${encodeURIComponent(database)}/query`,
      { row_format: "arrays", lossless: true, ...request },
      signal,
    );
    const durationMs = performance.now() - started;
    const results = "results" in answer ? answer.results : [answer];
    return { results: results.map(withArrayRows), durationMs };
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The API document types a row only as `object`; asked for arrays, each row must be one. */
function withArrayRows(result: StatementResult): ArrayResult {
  const rows = result.rows.map((row) => {
    if (!Array.isArray(row)) throw new ApiError(200, "invalid_response", "The server answered rows that are not arrays");
    return row as CellValue[];
  });
  return { ...result, rows };
}

/**
 * Checks a credential (a key or a token) against the server: who it is when accepted, the
 * server's refusal (its message says why: wrong, expired, revoked) when not.
 */
export async function whoIs(credential: string, fetcher?: FetchLike): Promise<Me | ApiError> {
  try {
    return await new ApiClient(credential, { fetch: fetcher }).me();
  } catch (e) {
    if (e instanceof ApiError && e.unauthorized) return e;
    throw e;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
