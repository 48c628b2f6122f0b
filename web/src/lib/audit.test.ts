import { describe, expect, it } from "vitest";
import {
  auditCredential,
  auditFailed,
  auditFiltersFromSearch,
  auditHref,
  auditLoadedSummary,
  auditQuery,
  auditSearch,
  isFiltered,
  localToRfc3339,
  NO_AUDIT_FILTERS,
  rfc3339ToLocal,
} from "./audit";

describe("audit filters in the URL", () => {
  it("reads every filter from the query string, trimmed, ignoring the rest", () => {
    const filters = auditFiltersFromSearch(
      new URLSearchParams("key=key_0123&database=%20shop%20&action=POST+%2Fapi%2Fdb%2F%7Bname%7D%2Fquery&outcome=error&since=2026-01-02T03:04:05Z&limit=2&tab=x"),
    );
    expect(filters).toEqual({
      key: "key_0123",
      database: "shop",
      action: "POST /api/db/{name}/query",
      outcome: "error",
      since: "2026-01-02T03:04:05Z",
      until: "",
      limit: "2",
    });
    expect(auditFiltersFromSearch(new URLSearchParams(""))).toEqual(NO_AUDIT_FILTERS);
  });
  it("writes them back in a fixed order, leaving out the empty ones", () => {
    expect(auditSearch(NO_AUDIT_FILTERS)).toBe("");
    const filters = { ...NO_AUDIT_FILTERS, outcome: "error", database: "shop", action: "POST /admin/keys" };
    expect(auditSearch(filters)).toBe("?database=shop&action=POST+%2Fadmin%2Fkeys&outcome=error");
    expect(auditSearch({ ...filters, outcome: "error" })).toBe(auditSearch({ ...NO_AUDIT_FILTERS, action: "POST /admin/keys", outcome: "error", database: "shop" }));
  });
  it("round-trips: what is written is what is read", () => {
    const filters = { key: "tok_9", database: "a b&c", action: "DELETE /admin/keys/{id}", outcome: "ok", since: "2026-01-02T03:04:05Z", until: "2026-02-01T00:00:00+01:00", limit: "25" };
    expect(auditFiltersFromSearch(new URLSearchParams(auditSearch(filters)))).toEqual(filters);
  });
  it("links a clicked credential or database to the page filtered by it, keeping the other filters", () => {
    const filters = { ...NO_AUDIT_FILTERS, outcome: "error", limit: "2" };
    expect(auditHref(filters, { database: "shop" })).toBe("/audit?database=shop&outcome=error&limit=2");
    expect(auditHref(filters, { key: "key_1" })).toBe("/audit?key=key_1&outcome=error&limit=2");
    expect(auditHref(NO_AUDIT_FILTERS)).toBe("/audit");
  });
  it("tells filtered from unfiltered; the page size is no filter", () => {
    expect(isFiltered(NO_AUDIT_FILTERS)).toBe(false);
    expect(isFiltered({ ...NO_AUDIT_FILTERS, limit: "2" })).toBe(false);
    expect(isFiltered({ ...NO_AUDIT_FILTERS, until: "2026-01-01T00:00:00Z" })).toBe(true);
  });
  it("becomes the server's query, with the cursor of the next page", () => {
    const filters = { ...NO_AUDIT_FILTERS, key: "key_1", outcome: "ok", limit: "2" };
    expect(auditQuery(filters)).toEqual({ key: "key_1", database: undefined, action: undefined, outcome: "ok", since: undefined, until: undefined, limit: "2", before: undefined });
    expect(auditQuery(filters, 17)).toMatchObject({ key: "key_1", before: 17 });
  });
});

describe("audit time fields", () => {
  it("turns a local date and time into RFC 3339 in UTC, and back", () => {
    const local = new Date(2026, 2, 14, 9, 26, 53);
    expect(localToRfc3339("2026-03-14T09:26:53")).toBe(local.toISOString().replace(".000Z", "Z"));
    expect(localToRfc3339("2026-03-14T09:26")).toBe(new Date(2026, 2, 14, 9, 26).toISOString().replace(".000Z", "Z"));
    expect(rfc3339ToLocal(localToRfc3339("2026-03-14T09:26:53"))).toBe("2026-03-14T09:26:53");
    expect(rfc3339ToLocal(localToRfc3339("2026-12-31T23:59"))).toBe("2026-12-31T23:59:00");
  });
  it("reads any RFC 3339 offset as the same instant", () => {
    expect(rfc3339ToLocal("2026-03-14T09:26:53+02:00")).toBe(rfc3339ToLocal("2026-03-14T07:26:53Z"));
  });
  it("gives nothing for an empty field or something that is not a date", () => {
    for (const bad of ["", "yesterday", "2026-02-30T10:00", "2026-13-01T10:00", "2026-01-01T24:00", "2026-01-01"]) expect(localToRfc3339(bad)).toBe("");
    expect(rfc3339ToLocal("")).toBe("");
    expect(rfc3339ToLocal("not a time")).toBe("");
  });
});

describe("audit entries", () => {
  it("names the credential: a key by name (its id to filter by), a token by id, the bootstrap key by kind", () => {
    expect(auditCredential({ credential: "key", credential_id: "key_1", credential_name: "ci" })).toEqual({ kind: "key", who: "ci", id: "key_1" });
    expect(auditCredential({ credential: "token", credential_id: "tok_2", credential_name: null })).toEqual({ kind: "token", who: "tok_2", id: "tok_2" });
    expect(auditCredential({ credential: "bootstrap_admin", credential_id: null })).toEqual({ kind: "bootstrap admin key", who: "Bootstrap admin key", id: null });
  });
  it("marks an answer of 400 or more as failed, like the server's outcome=error", () => {
    expect(auditFailed({ status: 201 })).toBe(false);
    expect(auditFailed({ status: 399 })).toBe(false);
    expect(auditFailed({ status: 403 })).toBe(true);
    expect(auditFailed({ status: 500 })).toBe(true);
  });
  it("says how many entries are loaded and whether older ones exist", () => {
    expect(auditLoadedSummary(2, true)).toBe("2 entries loaded, newest first; older entries exist");
    expect(auditLoadedSummary(1, false)).toBe("1 entry: all that match");
    expect(auditLoadedSummary(1200, false)).toBe("1,200 entries: all that match");
    expect(auditLoadedSummary(0, false)).toBe("No entries");
  });
});
