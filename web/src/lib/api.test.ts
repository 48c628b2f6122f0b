import { describe, expect, it, vi } from "vitest";
import { ApiClient, ApiError, keyIsAccepted, NETWORK_ERROR, queryString } from "./api";

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
  it("builds query strings without empty values", () => {
    expect(queryString({ limit: 10, search: "", status: undefined, sort: "size" })).toBe("?limit=10&sort=size");
    expect(queryString({})).toBe("");
  });
  it("checks a key: accepted, refused, or unreachable", async () => {
    expect(await keyIsAccepted("good", () => reply(200, {}))).toBe(true);
    expect(await keyIsAccepted("bad", () => reply(401, { error: { code: "unauthorized", message: "no" } }))).toBe(false);
    await expect(keyIsAccepted("k", () => reply(500, { error: { code: "internal_error", message: "x" } }))).rejects.toBeInstanceOf(ApiError);
  });
});
