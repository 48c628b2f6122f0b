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
  ImportResult,
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
import { formatBytes } from "./format";
import { attachmentName } from "./lifecycle";
import { exportFileName, exportPath, importPath, type ExportRequest, type ImportRequest } from "./transfer";

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

/** The part of XMLHttpRequest an upload uses (a fake in the unit tests). */
export type UploadRequest = Pick<
  XMLHttpRequest,
  "open" | "setRequestHeader" | "send" | "abort" | "status" | "statusText" | "responseText" | "onload" | "onerror" | "onabort" | "upload"
>;

export interface TransferOptions {
  signal?: AbortSignal;
  /** Bytes moved so far, and the total when known. */
  onProgress?: (done: number, total: number | null) => void;
}

export class ApiClient {
  private readonly key: string;
  private readonly fetcher: FetchLike;
  private readonly baseUrl: string;
  private readonly xhr: () => UploadRequest;
  /** Called when the server rejects the key (with its reason), so the app can sign out. */
  onUnauthorized: ((error: ApiError) => void) | undefined;

  constructor(key: string, options: { fetch?: FetchLike; baseUrl?: string; xhr?: () => UploadRequest } = {}) {
    this.key = key;
    this.fetcher = options.fetch ?? ((input, init) => fetch(input, init));
    this.baseUrl = options.baseUrl ?? "";
    this.xhr = options.xhr ?? (() => new XMLHttpRequest());
  }

  /** The ApiError of a failed answer (the error envelope's code and message), signing out on 401. */
  private failure(status: number, statusText: string, text: string): ApiError {
    const envelope = parseJson(text) as { error?: { code?: string; message?: string } } | undefined;
    const error = new ApiError(
      status,
      envelope?.error?.code ?? "http_error",
      envelope?.error?.message ?? `The server answered ${status} ${statusText}`.trim(),
    );
    if (error.unauthorized) this.onUnauthorized?.(error);
    return error;
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
    if (!response.ok) throw this.failure(response.status, response.statusText, await response.text());
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

  /**
   * Whether a database named `name` exists (among those the credential sees). Asked of the list
   * in name order (`prefix=name&limit=1`: the name itself comes first when it exists), so that
   * the usual answer, no, is not a 404 in the browser's console.
   */
  async databaseExists(name: string, signal?: AbortSignal): Promise<boolean> {
    const list = await this.request<DatabaseList>("GET", `/admin/databases${queryString({ prefix: name, limit: 1 })}`, undefined, signal);
    return list.databases[0]?.name === name;
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

  /**
   * A streamed export (`GET /api/db/{name}/export`): the whole answer, read chunk by chunk into
   * a Blob (it needs the key, so it cannot be a plain link), with the server's file name. An
   * answer the server cuts short (it failed after the first byte) is an error, never a file.
   */
  async exportData(database: string, request: ExportRequest, options: TransferOptions = {}): Promise<{ blob: Blob; filename: string }> {
    const response = await this.send("GET", exportPath(database, request), undefined, options.signal, "*/*");
    const length = Number(response.headers.get("Content-Length"));
    const total = Number.isFinite(length) && length > 0 ? length : null;
    const filename = attachmentName(response.headers.get("Content-Disposition")) ?? exportFileName(database, request);
    const type = response.headers.get("Content-Type") ?? "application/octet-stream";
    const chunks: BlobPart[] = [];
    let received = 0;
    if (response.body) {
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          chunks.push(value as Uint8Array<ArrayBuffer>);
          received += value.byteLength;
          options.onProgress?.(received, total);
        }
      } catch (e) {
        if (options.signal?.aborted) throw e;
        throw new ApiError(
          NETWORK_ERROR,
          "export_cut_short",
          `The export was cut short after ${formatBytes(received)} (the server stopped it or the connection broke); nothing was saved.`,
        );
      }
    }
    if (total !== null && received < total) {
      throw new ApiError(NETWORK_ERROR, "export_cut_short", `The export was cut short after ${formatBytes(received)} of ${formatBytes(total)}; nothing was saved.`);
    }
    return { blob: new Blob(chunks, { type }), filename };
  }

  /**
   * Uploads a file to `POST /admin/databases/{name}/import`. Through XMLHttpRequest, the one
   * browser API that reports an upload's progress; the file is streamed from disk, not read
   * into memory. `onUploaded` runs once the last byte is sent and the server is importing.
   */
  importFile(database: string, file: Blob, request: ImportRequest, options: TransferOptions & { onUploaded?: () => void } = {}): Promise<ImportResult> {
    return new Promise((resolve, reject) => {
      const xhr = this.xhr();
      const { signal } = options;
      if (signal?.aborted) {
        reject(new DOMException("The import was cancelled", "AbortError"));
        return;
      }
      const cancel = () => xhr.abort();
      signal?.addEventListener("abort", cancel, { once: true });
      const settle = () => signal?.removeEventListener("abort", cancel);
      xhr.open("POST", this.baseUrl + importPath(database, request));
      xhr.setRequestHeader("X-API-Key", this.key);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (e) => options.onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
      xhr.upload.onload = () => options.onUploaded?.();
      xhr.onload = () => {
        settle();
        if (xhr.status >= 200 && xhr.status < 300) {
          const json = parseJson(xhr.responseText);
          if (json === undefined) reject(new ApiError(xhr.status, "invalid_response", "The server's answer was not JSON"));
          else resolve(json as ImportResult);
        } else {
          reject(this.failure(xhr.status, xhr.statusText, xhr.responseText));
        }
      };
      xhr.onerror = () => {
        settle();
        reject(new ApiError(NETWORK_ERROR, "network", "The upload did not reach the DB-Forge server (the connection broke)."));
      };
      xhr.onabort = () => {
        settle();
        reject(new DOMException("The import was cancelled", "AbortError"));
      };
      xhr.send(file);
    });
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
