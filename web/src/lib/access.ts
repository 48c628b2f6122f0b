// Access control as the dashboard sees it: what the signed-in credential (GET /api/me) may do,
// so screens show only what it can use; plus the small pieces of the key and token forms
// (database patterns, expiry, lifetimes) and the libSQL snippet shown with a new token.
// The server decides in the end: these only keep the interface honest (docs/API.md, "Keys").
import { isValidDatabaseName } from "./sql";
import type { Me, Role } from "./types";

/** Whether a key pattern (`shop`, `ci-*`, `*`) reaches `database`. */
export function patternMatches(pattern: string, database: string): boolean {
  return pattern.endsWith("*") ? database.startsWith(pattern.slice(0, -1)) : pattern === database;
}

/** Whether the credential reaches `database` at all. */
export function sees(me: Me, database: string): boolean {
  return me.is_admin || me.databases.some((p) => patternMatches(p, database));
}

/** Whether it may change data (read-only keys and tokens only read). */
export function mayWrite(me: Me): boolean {
  return me.role !== "read_only";
}

/**
 * Whether it may create and delete databases: `database`, or some database when none is
 * named. Admins may; other keys only when read-write with `can_create`, within their patterns.
 */
export function mayCreate(me: Me, database?: string): boolean {
  if (me.is_admin) return true;
  if (me.kind === "token" || me.role !== "read_write" || !me.can_create) return false;
  return database === undefined || sees(me, database);
}

/**
 * Whether it may manage `database`'s lifecycle: back it up, restore over it, delete its
 * backups, change its time to live and schedule. The same right as deleting it.
 */
export function mayManage(me: Me, database: string): boolean {
  return mayCreate(me, database);
}

/** Whether it may branch a database it sees, or restore a backup as a new one: it creates a database. */
export function mayCopy(me: Me): boolean {
  return mayCreate(me);
}

/**
 * Why a new database (created, branched or restored) may not be called `name`, or null: the
 * name's form, then the credential's reach.
 */
export function newDatabaseProblem(me: Me, name: string): string | null {
  if (!isValidDatabaseName(name)) return "Use 1-64 of a-z, 0-9, - and _, starting with a letter or digit.";
  if (!sees(me, name)) return `This key may create only databases matching ${me.databases.join(", ")}.`;
  return null;
}

/** Whether it may mint tokens for a database it sees: keys may, tokens never. */
export function mayMintTokens(me: Me): boolean {
  return me.kind !== "token";
}

/** Whether it may revoke every token of `database`: admins and keys that may delete it. */
export function mayRevokeTokens(me: Me, database: string): boolean {
  return mayCreate(me, database);
}

export const ROLE_LABELS: Record<Role, string> = {
  admin: "admin",
  read_write: "read-write",
  read_only: "read-only",
};

/**
 * Who is signed in, in words: the kind of credential, its name (keys) or id (tokens), its
 * role, and for a token the one database it is for.
 */
export function describeCredential(me: Me): { kind: string; who?: string; role: string; database?: string } {
  const role = ROLE_LABELS[me.role];
  // The bootstrap key has neither name nor id: there is only one.
  if (me.kind === "bootstrap_admin") return { kind: "Bootstrap admin key", role };
  if (me.kind === "key") return { kind: "Key", who: me.name || me.id || "unnamed", role };
  return { kind: "Token", who: me.id ?? "token", role, database: me.databases[0] };
}

/**
 * The databases field of the key form to patterns: names and prefixes separated by commas,
 * spaces or lines, without repeats.
 */
export function parsePatterns(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/** Why a pattern would be refused, or null when it is a name, a prefix with `*`, or `*`. */
export function patternProblem(pattern: string): string | null {
  const name = pattern.endsWith("*") ? pattern.slice(0, -1) : pattern;
  if (name === "" && pattern === "*") return null;
  if (isValidDatabaseName(name)) return null;
  return `“${pattern}” is neither a database name nor a prefix followed by *`;
}

/** A pasted credential as the server expects it: no surrounding space, no `Bearer ` prefix. */
export function normalizeCredential(text: string): string {
  const trimmed = text.trim().replace(/^Bearer\s+/i, "");
  // A token copied from a wrapped terminal may carry line breaks; a JWT never has spaces.
  return looksLikeToken(trimmed.replace(/\s+/g, "")) ? trimmed.replace(/\s+/g, "") : trimmed;
}

/** A per-database token (a JWT: `eyJ…` with three dot-separated parts), not a key. */
export function looksLikeToken(credential: string): boolean {
  return credential.startsWith("eyJ") && credential.split(".").length === 3;
}

/** Token lifetimes offered when minting (the server's default is 1h, its maximum 90 days). */
export const TOKEN_LIFETIMES: { value: string; label: string }[] = [
  { value: "15m", label: "15 minutes" },
  { value: "1h", label: "1 hour" },
  { value: "1d", label: "1 day" },
  { value: "7d", label: "7 days" },
  { value: "30d", label: "30 days" },
  { value: "90d", label: "90 days" },
];

/** Key expiries offered: never, a number of days from now, or a date. */
export const KEY_EXPIRIES: { value: string; label: string }[] = [
  { value: "", label: "Never" },
  { value: "7", label: "In 7 days" },
  { value: "30", label: "In 30 days" },
  { value: "90", label: "In 90 days" },
  { value: "365", label: "In a year" },
  { value: "date", label: "On a date…" },
];

/**
 * The key form's expiry as `expires_at` (RFC 3339, UTC, whole seconds): undefined for never,
 * `days` from `now`, or midnight UTC of a `YYYY-MM-DD` date; null when the date is missing or
 * not in the future.
 */
export function expiresAt(choice: string, date: string, now: Date = new Date()): string | undefined | null {
  if (choice === "") return undefined;
  let at: Date;
  if (choice === "date") {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
    at = new Date(`${date}T00:00:00Z`);
  } else {
    at = new Date(now.getTime() + Number(choice) * 86_400_000);
  }
  if (Number.isNaN(at.getTime()) || at.getTime() <= now.getTime()) return null;
  return at.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The libSQL client setup for a database and a token, ready to paste. */
export function libsqlSnippet(origin: string, database: string, token: string): string {
  const url = `${origin.replace(/\/+$/, "")}/hrana/${encodeURIComponent(database)}/`;
  return `import { createClient } from "@libsql/client";\nconst client = createClient({ url: ${JSON.stringify(url)}, authToken: ${JSON.stringify(token)} });`;
}
