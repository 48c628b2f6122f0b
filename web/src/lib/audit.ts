// The Audit page's logic: its filters as they live in the URL (`/audit?database=shop&outcome=error`,
// so Back, Forward and bookmarks work), the query they become for `GET /admin/audit`, the
// local date-time fields of the form, and how an entry's credential and outcome are told.
// The server validates every filter (docs/API.md, "Audit log"): what the URL says is sent as
// it is, and a value it refuses is shown with its reason, never dropped quietly.
import type { AuditEntry, CredentialKind } from "./types";

/** The filters, as strings exactly as in the URL; "" is "not filtered". */
export interface AuditFilters {
  /** A key's or token's id (`key_…`, `tok_…`): the server's `key` parameter. */
  key: string;
  database: string;
  /** Method and route, e.g. `POST /admin/keys`: matched exactly by the server. */
  action: string;
  /** `ok` or `error`. */
  outcome: string;
  /** RFC 3339. */
  since: string;
  until: string;
  /** Entries per page, 1-1000; "" is the server's default (100). */
  limit: string;
}

/** The URL's parameters, in the order they are written. */
export const AUDIT_PARAMS = ["key", "database", "action", "outcome", "since", "until", "limit"] as const satisfies readonly (keyof AuditFilters)[];

export const NO_AUDIT_FILTERS: AuditFilters = { key: "", database: "", action: "", outcome: "", since: "", until: "", limit: "" };

/** Page sizes offered; the server's default first. */
export const AUDIT_PAGE_SIZES = ["100", "25", "500", "1000"];

/** The filters a URL's query string holds (surrounding spaces dropped, unknown parameters ignored). */
export function auditFiltersFromSearch(search: URLSearchParams): AuditFilters {
  const filters = { ...NO_AUDIT_FILTERS };
  for (const name of AUDIT_PARAMS) filters[name] = (search.get(name) ?? "").trim();
  return filters;
}

/** The query string of `filters` ("" when none), in a fixed order so equal filters give equal URLs. */
export function auditSearch(filters: AuditFilters): string {
  const params = new URLSearchParams();
  for (const name of AUDIT_PARAMS) {
    const value = filters[name].trim();
    if (value !== "") params.set(name, value);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The Audit page's URL with `change` applied to `filters` (a credential or database clicked). */
export function auditHref(filters: AuditFilters, change: Partial<AuditFilters> = {}): string {
  return `/audit${auditSearch({ ...filters, ...change })}`;
}

/** Whether any filter narrows the log (the page size is not a filter). */
export function isFiltered(filters: AuditFilters): boolean {
  return AUDIT_PARAMS.some((name) => name !== "limit" && filters[name] !== "");
}

/** `GET /admin/audit`'s query for a page of `filters`, older than `before` when given. */
export function auditQuery(filters: AuditFilters, before?: number): Record<string, string | number | undefined> {
  const query: Record<string, string | number | undefined> = {};
  for (const name of AUDIT_PARAMS) query[name] = filters[name] || undefined;
  query.before = before;
  return query;
}

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * A `datetime-local` field's value (local time, `YYYY-MM-DDTHH:mm[:ss]`) as RFC 3339 in UTC
 * with whole seconds; "" when empty or not a date.
 */
export function localToRfc3339(local: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(local.trim());
  if (!match) return "";
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  if (h! > 23 || mi! > 59 || (s ?? 0) > 59) return "";
  const date = new Date(y!, mo! - 1, d!, h!, mi!, s || 0);
  // The Date constructor rolls over (February 30th is March 2nd): such a day is not a date.
  if (Number.isNaN(date.getTime()) || date.getDate() !== d || date.getMonth() !== mo! - 1) return "";
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** An RFC 3339 time as a `datetime-local` value in local time (with seconds); "" when not a date. */
export function rfc3339ToLocal(iso: string): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** An entry's time, local, to the second. */
export function formatAuditTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

export const CREDENTIAL_KINDS: Record<CredentialKind, string> = {
  bootstrap_admin: "bootstrap admin key",
  key: "key",
  token: "token",
};

/**
 * Who made the request, in words: a key's name (its id beside it), a token's id, or the
 * bootstrap admin key (which has neither); `id` is what the credential filter takes.
 */
export function auditCredential(entry: Pick<AuditEntry, "credential" | "credential_id" | "credential_name">): { kind: string; who: string; id: string | null } {
  const id = entry.credential_id || null;
  const who = entry.credential_name || id || (entry.credential === "bootstrap_admin" ? "Bootstrap admin key" : `unknown ${entry.credential}`);
  return { kind: CREDENTIAL_KINDS[entry.credential] ?? entry.credential, who, id };
}

/** Whether an entry ended in an error (the server's `outcome=error`: a status of 400 or more). */
export function auditFailed(entry: Pick<AuditEntry, "status">): boolean {
  return entry.status >= 400;
}

/** What the pager says: how many entries are shown, and whether older ones exist. */
export function auditLoadedSummary(loaded: number, more: boolean): string {
  const entries = `${loaded.toLocaleString("en-US")} ${loaded === 1 ? "entry" : "entries"}`;
  if (more) return `${entries} loaded, newest first; older entries exist`;
  return loaded === 0 ? "No entries" : `${entries}: all that match`;
}
