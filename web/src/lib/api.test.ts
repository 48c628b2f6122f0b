import { describe, expect, it, vi } from "vitest";
import { ApiClient, ApiError, NETWORK_ERROR, queryString, whoIs, type UploadRequest } from "./api";

function reply(status: number, body: unknown) {
  return Promise.resolve(new Response(body === undefined ? "" : JSON.stringify(body), { status }));
}

describe("API client", () => {
  it("sends the key as a header and JSON bodies", async () => {
    const fetch = vi.fn((_url: string, _init?: RequestInit) => reply(201, { name: "shop" }));
    const client = new ApiClient("k-123", { fetch });
    await client.createDatabase("shop", 1024);
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe("/admin/databases/spawn/shop");
    expect(init?.method).toBe("POST");
    expect((init?.headers as Record<string, string>)["X-API-Key"]).toBe("k-123");
    expect(JSON.parse(String(init?.body))).toEqual({ limits: { max_size_bytes: 1024 } });
  });
  it("turns the error envelope into an ApiError with code and message", async () => {
    const client = new ApiClient("k", { fetch: () => reply(409, { error: { code: "database_exists", message: "shop exists" } }) });
    const error = await client.createDatabase("shop").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: "database_exists", message: "shop exists" });
  });
  it("reports a network failure as such", async () => {
    const client = new ApiClient("k", { fetch: () => Promise.reject(new TypeError("fetch failed")) });
    await expect(client.stats()).rejects.toMatchObject({ status: NETWORK_ERROR, code: "network" });
  });
  it("calls onUnauthorized when the key is refused", async () => {
    const client = new ApiClient("k", { fetch: () => reply(401, { error: { code: "unauthorized", message: "no" } }) });
    const signedOut = vi.fn();
    client.onUnauthorized = signedOut;
    await expect(client.config()).rejects.toBeInstanceOf(ApiError);
    expect(signedOut).toHaveBeenCalledOnce();
    expect(signedOut.mock.calls[0]![0]).toMatchObject({ status: 401, message: "no" });
  });
  it("tells a refusal by role (403) from a refused key, without signing out", async () => {
    const client = new ApiClient("k", { fetch: () => reply(403, { error: { code: "forbidden", message: "this needs an admin key" } }) });
    const signedOut = vi.fn();
    client.onUnauthorized = signedOut;
    const error = await client.stats().catch((e: unknown) => e);
    expect(error).toMatchObject({ forbidden: true, unauthorized: false, code: "forbidden" });
    expect(signedOut).not.toHaveBeenCalled();
  });
  it("accepts an empty 204 answer (a revoked key)", async () => {
    const fetch = vi.fn((_url: string, _init?: RequestInit) => Promise.resolve(new Response(null, { status: 204 })));
    await expect(new ApiClient("k", { fetch }).revokeKey("key_1")).resolves.toBeUndefined();
    expect(fetch.mock.calls[0]![0]).toBe("/admin/keys/key_1");
    expect(fetch.mock.calls[0]![1]?.method).toBe("DELETE");
  });
  it("mints tokens and manages keys on their routes", async () => {
    const fetch = vi.fn((_url: string, _init?: RequestInit) => reply(201, {}));
    const client = new ApiClient("k", { fetch });
    await client.mintToken("shop", { access: "read_only", expires_in: "1h" });
    await client.revokeDatabaseTokens("shop");
    await client.revokeAllTokens();
    await client.createKey({ name: "ci", role: "read_write", databases: ["ci-*"], can_create: true });
    await client.rotateKey("key_1");
    await client.keys();
    expect(fetch.mock.calls.map(([url, init]) => `${init?.method} ${url}`)).toEqual([
      "POST /admin/databases/shop/tokens",
      "POST /admin/databases/shop/tokens/revoke",
      "POST /admin/tokens/revoke",
      "POST /admin/keys",
      "POST /admin/keys/key_1/rotate",
      "GET /admin/keys",
    ]);
    expect(JSON.parse(String(fetch.mock.calls[0]![1]?.body))).toEqual({ access: "read_only", expires_in: "1h" });
  });
  it("calls the lifecycle routes: time to live, schedule, backups, restore, branch", async () => {
    const fetch = vi.fn((_url: string, _init?: RequestInit) => reply(200, {}));
    const client = new ApiClient("k", { fetch });
    await client.createDatabase("tmp", undefined, "1h");
    await client.createDatabase("plain");
    await client.updateDatabase("shop", { ttl: null, backup_keep: 6 });
    await client.backups("shop");
    await client.createBackup("shop");
    await client.deleteBackup("shop", "20261201T100203123Z-9f3a1c");
    await client.restoreBackup("shop", { backup: "b1", as: "shop-old" });
    await client.restoreBackup("shop", { backup: "b1", confirm: "shop" });
    await client.branchDatabase("shop", "shop-dev");
    expect(fetch.mock.calls.map(([url, init]) => `${init?.method} ${url}`)).toEqual([
      "POST /admin/databases/spawn/tmp",
      "POST /admin/databases/spawn/plain",
      "PATCH /admin/databases/shop",
      "GET /admin/databases/shop/backups",
      "POST /admin/databases/shop/backups",
      "DELETE /admin/databases/shop/backups/20261201T100203123Z-9f3a1c",
      "POST /admin/databases/shop/restore",
      "POST /admin/databases/shop/restore",
      "POST /admin/databases/shop/branch/shop-dev",
    ]);
    const bodies = fetch.mock.calls.map(([, init]) => (init?.body === undefined ? undefined : JSON.parse(String(init.body))));
    expect(bodies[0]).toEqual({ ttl: "1h" });
    expect(bodies[1], "no body without limits or a time to live").toBeUndefined();
    expect(bodies[2]).toEqual({ ttl: null, backup_keep: 6 });
    expect(bodies[6]).toEqual({ backup: "b1", as: "shop-old" });
    expect(bodies[7]).toEqual({ backup: "b1", confirm: "shop" });
  });
  it("downloads a backup with the key, as a blob named by the server", async () => {
    const bytes = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 1, 2]);
    const fetch = vi.fn((_url: string, _init?: RequestInit) =>
      Promise.resolve(new Response(bytes, { status: 200, headers: { "Content-Type": "application/zstd", "Content-Disposition": 'attachment; filename="shop-b1.sqlite.zst"' } })),
    );
    const { blob, filename } = await new ApiClient("k-9", { fetch }).downloadBackup("shop", "b1");
    expect(filename).toBe("shop-b1.sqlite.zst");
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(bytes);
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe("/admin/databases/shop/backups/b1");
    expect((init?.headers as Record<string, string>)["X-API-Key"]).toBe("k-9");
    // Without the header, a name from the database and the backup's id.
    const bare = new ApiClient("k", { fetch: () => Promise.resolve(new Response(bytes, { status: 200 })) });
    expect((await bare.downloadBackup("shop", "b2")).filename).toBe("shop-b2.sqlite.zst");
    // A refusal is the server's error, as for any request.
    const refused = new ApiClient("k", { fetch: () => reply(404, { error: { code: "backup_not_found", message: "shop has no backup with the id b3" } }) });
    await expect(refused.downloadBackup("shop", "b3")).rejects.toMatchObject({ status: 404, code: "backup_not_found" });
  });
  it("normalizes single and batch query answers to a list, lossless by default", async () => {
    const result = { columns: ["a"], column_types: [null], rows: [[1]], rows_affected: 0, last_insert_rowid: null, truncated: false };
    const fetch = vi.fn((_url: string, _init?: RequestInit) => reply(200, result));
    const client = new ApiClient("k", { fetch });
    const single = await client.query("db", { sql: "select 1 as a" });
    expect(single.results).toEqual([result]);
    expect(JSON.parse(String(fetch.mock.calls[0]![1]?.body))).toMatchObject({ lossless: true, row_format: "arrays" });
    const batch = new ApiClient("k", { fetch: () => reply(200, { results: [result, result] }) });
    expect((await batch.query("db", { sql: "select 1; select 1" })).results).toHaveLength(2);
  });
  it("refuses a query answer whose rows are not arrays", async () => {
    const result = { columns: ["a"], column_types: [null], rows: [{ a: 1 }], rows_affected: 0, truncated: false };
    const client = new ApiClient("k", { fetch: () => reply(200, result) });
    await expect(client.query("db", { sql: "select 1 as a" })).rejects.toMatchObject({ code: "invalid_response" });
  });
  it("asks for a page of the audit log with its filters and cursor", async () => {
    const page = { entries: [], next_cursor: null };
    const fetch = vi.fn((_url: string, _init?: RequestInit) => reply(200, page));
    const client = new ApiClient("k", { fetch });
    expect(await client.audit({ database: "shop", outcome: "error", key: undefined, limit: 2, before: 41 })).toEqual(page);
    expect(fetch.mock.calls[0]![0]).toBe("/admin/audit?database=shop&outcome=error&limit=2&before=41");
    expect(fetch.mock.calls[0]![1]?.method).toBe("GET");
  });
  it("builds query strings without empty values", () => {
    expect(queryString({ limit: 10, search: "", status: undefined, sort: "size" })).toBe("?limit=10&sort=size");
    expect(queryString({})).toBe("");
  });
  it("checks a credential with /api/me: who it is, the refusal, or a failure", async () => {
    const me = { kind: "key", id: "key_1", name: "ci", role: "read_only", databases: ["shop"], can_create: false, is_admin: false };
    const fetch = vi.fn((_url: string, _init?: RequestInit) => reply(200, me));
    expect(await whoIs("eyJa.eyJb.c", fetch)).toEqual(me);
    expect(fetch.mock.calls[0]![0]).toBe("/api/me");
    const refused = await whoIs("bad", () => reply(401, { error: { code: "unauthorized", message: "the token has expired; mint a new one" } }));
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).message).toMatch(/expired/);
    await expect(whoIs("k", () => reply(500, { error: { code: "internal_error", message: "x" } }))).rejects.toBeInstanceOf(ApiError);
  });

  it("tells whether a database exists from the list in name order", async () => {
    const fetch = vi.fn((url: string, _init?: RequestInit) =>
      reply(200, { databases: url.includes("prefix=shop&") ? [{ name: "shop" }] : [{ name: "sh-2" }], total: 1, next_cursor: null }),
    );
    const client = new ApiClient("k", { fetch });
    expect(await client.databaseExists("shop")).toBe(true);
    expect(fetch.mock.calls[0]![0]).toBe("/admin/databases?prefix=shop&limit=1");
    expect(await client.databaseExists("sh")).toBe(false);
  });
  it("streams an export into a blob with its progress, named by the server", async () => {
    const parts = ["id,name\r\n", "1,tea\r\n", "2,coffee\r\n"].map((t) => new TextEncoder().encode(t));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    });
    const fetch = vi.fn((_url: string, _init?: RequestInit) =>
      Promise.resolve(new Response(body, { status: 200, headers: { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="shop-items.csv"' } })),
    );
    const progress: [number, number | null][] = [];
    const { blob, filename } = await new ApiClient("k-2", { fetch }).exportData(
      "shop",
      { format: "csv", source: { kind: "table", table: "items" } },
      { onProgress: (done, total) => progress.push([done, total]) },
    );
    expect(filename).toBe("shop-items.csv");
    expect(await blob.text()).toBe("id,name\r\n1,tea\r\n2,coffee\r\n");
    expect(blob.type).toBe("text/csv; charset=utf-8");
    expect(progress).toEqual([
      [9, null],
      [16, null],
      [26, null],
    ]);
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe("/api/db/shop/export?format=csv&table=items");
    expect((init?.headers as Record<string, string>)["X-API-Key"]).toBe("k-2");
  });
  it("an export cut short is an error, never a file", async () => {
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(100));
        controller.error(new TypeError("network error"));
      },
    });
    const client = new ApiClient("k", { fetch: () => Promise.resolve(new Response(broken, { status: 200 })) });
    await expect(client.exportData("shop", { format: "sql", source: { kind: "database" } })).rejects.toMatchObject({ code: "export_cut_short", message: /after 100 B/ });
    // Shorter than its Content-Length (the SQLite file says how long it is).
    const short = new ApiClient("k", { fetch: () => Promise.resolve(new Response(new Uint8Array(10), { status: 200, headers: { "Content-Length": "4096" } })) });
    await expect(short.exportData("shop", { format: "sqlite", source: { kind: "database" } })).rejects.toMatchObject({ code: "export_cut_short" });
    // A refusal before the first byte is the server's error.
    const refused = new ApiClient("k", { fetch: () => reply(403, { error: { code: "forbidden", message: "an export runs a read-only query: this one writes" } }) });
    await expect(refused.exportData("shop", { format: "csv", source: { kind: "query", sql: "DELETE FROM t" } })).rejects.toMatchObject({ status: 403, forbidden: true });
  });
  it("uploads an import with XMLHttpRequest: the key, the file, progress, the result or the server's error", async () => {
    class FakeUpload {
      static last: FakeUpload;
      method = "";
      url = "";
      headers: Record<string, string> = {};
      sent: unknown;
      status = 0;
      statusText = "";
      responseText = "";
      onload: (() => void) | null = null;
      onerror: (() => void) | null = null;
      onabort: (() => void) | null = null;
      upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null; onload: (() => void) | null } = { onprogress: null, onload: null };
      constructor(private readonly answer: { status: number; body: unknown }) {
        FakeUpload.last = this;
      }
      open(method: string, url: string) {
        this.method = method;
        this.url = url;
      }
      setRequestHeader(name: string, value: string) {
        this.headers[name] = value;
      }
      send(body: unknown) {
        this.sent = body;
        queueMicrotask(() => {
          this.upload.onprogress?.({ loaded: 5, total: 10, lengthComputable: true });
          this.upload.onprogress?.({ loaded: 10, total: 10, lengthComputable: true });
          this.upload.onload?.();
          this.status = this.answer.status;
          this.responseText = JSON.stringify(this.answer.body);
          this.onload?.();
        });
      }
      abort() {
        this.onabort?.();
      }
    }
    const result = { database: "shop", format: "csv", table: "people", created_database: false, created_table: true, count: 2, bytes: 10 };
    const file = new Blob(["a,b\n1,2\n3,4\n"]);
    const client = new ApiClient("k-3", { xhr: () => new FakeUpload({ status: 200, body: result }) as unknown as UploadRequest });
    const progress: number[] = [];
    let uploaded = false;
    const answer = await client.importFile("shop", file, { format: "csv", table: "people", nullMarker: "\\N" }, {
      onProgress: (done) => progress.push(done),
      onUploaded: () => (uploaded = true),
    });
    expect(answer).toEqual(result);
    expect(progress).toEqual([5, 10]);
    expect(uploaded).toBe(true);
    expect(FakeUpload.last.method).toBe("POST");
    expect(FakeUpload.last.url).toBe("/admin/databases/shop/import?format=csv&table=people&null=%5CN");
    expect(FakeUpload.last.headers["X-API-Key"]).toBe("k-3");
    expect(FakeUpload.last.sent).toBe(file);

    const failing = new ApiClient("k", {
      xhr: () => new FakeUpload({ status: 400, body: { error: { code: "invalid_request", message: "line 3: CSV error: found record with 1 fields" } } }) as unknown as UploadRequest,
    });
    await expect(failing.importFile("shop", file, { format: "csv", table: "people" })).rejects.toMatchObject({ status: 400, code: "invalid_request", message: /^line 3:/ });

    const signedOut = vi.fn();
    const expired = new ApiClient("k", { xhr: () => new FakeUpload({ status: 401, body: { error: { code: "unauthorized", message: "revoked" } } }) as unknown as UploadRequest });
    expired.onUnauthorized = signedOut;
    await expect(expired.importFile("shop", file, { format: "sql" })).rejects.toMatchObject({ unauthorized: true });
    expect(signedOut).toHaveBeenCalledOnce();

    const cancelled = new AbortController();
    cancelled.abort();
    await expect(client.importFile("shop", file, { format: "sql" }, { signal: cancelled.signal })).rejects.toMatchObject({ name: "AbortError" });
  });
});
