// The data lifecycle as the dashboard shows it (docs/API.md, "Data lifecycle"): durations as
// the server reads them (a time to live, a backup interval), what a database's backup status
// warns about, the PATCH of a schedule form, and how a backup reads in a list.
import { formatSpan } from "./format";
import type { BackupInfo, BackupStatus, UpdateDatabaseRequest } from "./types";

const SECOND = 1;
const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

/** The server's units (humantime's): `ms`, `s`, `m`, `h`, `d`, `w`, `M` (month), `y` and their long names. */
const UNITS: Record<string, number> = {
  ns: 1e-9, nsec: 1e-9, nanos: 1e-9,
  us: 1e-6, usec: 1e-6, micros: 1e-6,
  ms: 1e-3, msec: 1e-3, millis: 1e-3,
  s: SECOND, sec: SECOND, secs: SECOND, second: SECOND, seconds: SECOND,
  m: MINUTE, min: MINUTE, mins: MINUTE, minute: MINUTE, minutes: MINUTE,
  h: HOUR, hr: HOUR, hrs: HOUR, hour: HOUR, hours: HOUR,
  d: DAY, day: DAY, days: DAY,
  w: 7 * DAY, week: 7 * DAY, weeks: 7 * DAY,
  // humantime's month and year: 30.44 and 365.25 days.
  M: 2_630_016, month: 2_630_016, months: 2_630_016,
  y: 31_557_600, year: 31_557_600, years: 31_557_600,
};

/** The longest time to live the server accepts: 100 of the duration parser's years (365.25 days). */
export const MAX_TTL_SECONDS = 100 * 31_557_600;

/**
 * A duration as the server parses it (`90s`, `30m`, `1h30m`, `1.5h`, `7d`, `2 weeks`): numbers
 * each followed by a unit. Its length in seconds, or null when the server would refuse the text.
 */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (!trimmed) return null;
  let seconds = 0;
  const part = /(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*/y;
  let at = 0;
  while (at < trimmed.length) {
    part.lastIndex = at;
    const match = part.exec(trimmed);
    if (!match) return null;
    // Units are case-sensitive, as on the server: `M` is a month, `m` a minute.
    const unit = Object.hasOwn(UNITS, match[2]!) ? UNITS[match[2]!]! : undefined;
    if (unit === undefined) return null;
    seconds += Number(match[1]) * unit;
    at = part.lastIndex;
  }
  return seconds;
}

/** Why the server would refuse `text` as a time to live, or null. */
export function ttlProblem(text: string): string | null {
  const seconds = parseDuration(text);
  if (seconds === null) return "Write a duration such as 30m, 2h, 7d or 1h30m.";
  if (seconds < 1) return "A time to live is at least a second.";
  if (seconds > MAX_TTL_SECONDS) return "A time to live is at most 100 years.";
  return null;
}

/** Why the server would refuse `text` as a backup interval (empty: the server's default), or null. */
export function backupEveryProblem(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.toLowerCase() === "off") return null;
  const seconds = parseDuration(trimmed);
  if (seconds === null) return "Write an interval such as 30m, 1h or 1d, or off.";
  if (seconds < 1) return "An interval is at least a second.";
  return null;
}

/** Why the server would refuse `text` as the number of backups kept (empty: the server's default), or null. */
export function backupKeepProblem(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  if (!/^\d+$/.test(trimmed) || Number(trimmed) < 1) return "Keep at least 1 backup (set the interval to off to stop backups).";
  if (Number(trimmed) > 2_147_483_647) return "That is more backups than the server counts.";
  return null;
}

/** Presets offered for a time to live. */
export const TTL_PRESETS = ["1h", "1d", "7d", "30d"];

/**
 * What a schedule form sends (`PATCH /admin/databases/{name}`): only the fields the user
 * changed, an emptied field as null (the server's default). Null when nothing changed.
 */
export function scheduleUpdate(
  initial: { every: string; keep: string },
  edited: { every: string; keep: string },
): UpdateDatabaseRequest | null {
  const update: UpdateDatabaseRequest = {};
  const every = edited.every.trim();
  const keep = edited.keep.trim();
  if (every !== initial.every.trim()) update.backup_every = every === "" ? null : every.toLowerCase() === "off" ? "off" : every;
  if (keep !== initial.keep.trim()) update.backup_keep = keep === "" ? null : Number(keep);
  return Object.keys(update).length === 0 ? null : update;
}

/** The schedule form's starting values: the effective interval (`off` without one) and the number kept. */
export function scheduleFields(status: BackupStatus | null | undefined): { every: string; keep: string } {
  // Without a status the database has no settings of its own and no backup: the server's
  // defaults apply, which the empty fields stand for.
  if (!status) return { every: "", keep: "" };
  return { every: status.every ? readableInterval(status.every) : "off", keep: String(status.keep) };
}

/** The server's interval (`1h30m`, `1day`, `2days 1h`) the way the forms write it: `1h 30m`, `1d`, `2d 1h`. */
export function readableInterval(every: string): string {
  const short: Record<string, string> = { day: "d", days: "d", year: "y", years: "y", month: "mo", months: "mo", week: "w", weeks: "w" };
  const parts = [...every.matchAll(/(\d+)\s*([a-zA-Z]+)/g)].map(([, n, unit]) => `${n}${short[unit!] ?? unit}`);
  return parts.length > 0 ? parts.join(" ") : every;
}

/** A warning about a database's backups: a failed last attempt, or a schedule behind. */
export interface BackupAlert {
  kind: "failed" | "overdue";
  /** A badge's words. */
  label: string;
  /** A sentence that says what is wrong. */
  detail: string;
}

/** What a database's backup status warns about, or null when all is well (or it has none). */
export function backupAlert(status: BackupStatus | null | undefined): BackupAlert | null {
  if (!status) return null;
  if (status.last_error) {
    return { kind: "failed", label: "backup failed", detail: `The last backup attempt failed: ${status.last_error}` };
  }
  if (status.overdue) {
    const every = status.every ? ` (every ${readableInterval(status.every)})` : "";
    return {
      kind: "overdue",
      label: "backup overdue",
      detail: `The database changed and its schedule${every} passed without a backup${status.last_success_at ? "" : "; it has none yet"}.`,
    };
  }
  return null;
}

/** The schedule in words: `every 1h, keeping 24` or `on demand only, keeping 24`. */
export function scheduleSummary(status: BackupStatus | null | undefined): string {
  if (!status) return "on demand only";
  const every = status.every ? `every ${readableInterval(status.every)}` : "on demand only";
  return `${every}, keeping ${status.keep}`;
}

/** When a database with `expires_at` is deleted, relative to `now`: `expires in 3h`. */
export function expiryLabel(expiresAt: string, now: number): string {
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return `expires ${expiresAt}`;
  const seconds = (at - now) / 1000;
  return seconds < 0.5 ? "expiring now" : `expires in ${formatSpan(seconds)}`;
}

/** Whether an expiry is close enough (a day) to stand out. */
export function expiresSoon(expiresAt: string, now: number): boolean {
  const at = Date.parse(expiresAt);
  return !Number.isNaN(at) && at - now < DAY * 1000;
}

/** A backup's tables and rows in words: `2 tables, 1,250 rows`. */
export function rowSummary(backup: Pick<BackupInfo, "row_counts">): string {
  const counts = Object.values(backup.row_counts);
  const rows = counts.reduce((sum, n) => sum + n, 0);
  const tables = counts.length;
  return `${tables} ${tables === 1 ? "table" : "tables"}, ${new Intl.NumberFormat("en-US").format(rows)} ${rows === 1 ? "row" : "rows"}`;
}

/** The file name in a `Content-Disposition` header, or null. */
export function attachmentName(header: string | null): string | null {
  if (!header) return null;
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header);
  if (!match) return null;
  // Only a plain file name: no folders.
  const name = decodeURIComponent(match[1]!).split(/[\\/]/).pop()!.trim();
  return name || null;
}
