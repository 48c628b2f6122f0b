// How numbers, sizes, durations and SQLite values read on screen.
import type { CellValue } from "./types";

const units = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

export function formatCount(n: number): string {
  return new Intl.NumberFormat("en-US").format(n);
}

/** Milliseconds with a precision that suits their size: 0.42 ms, 12.3 ms, 1.25 s. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  if (ms >= 60_000) return `${trimZeros((ms / 60_000).toFixed(1))} min`;
  if (ms >= 1000) return `${trimZeros((ms / 1000).toFixed(2))} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

function trimZeros(fixed: string): string {
  return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}

export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

/**
 * A span of time in its two largest units, rounded to the smaller one: `42s`, `5m 3s`, `3h`,
 * `3h 20m`, `2d 4h` (a time to live of 3h set a moment ago reads `3h`, not `2h 59m`).
 */
export function formatSpan(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 59.5) return `${Math.round(s)}s`;
  if (s < 3570) {
    const total = Math.round(s);
    return total % 60 ? `${Math.floor(total / 60)}m ${total % 60}s` : `${total / 60}m`;
  }
  if (s < 84_600) {
    const minutes = Math.round(s / 60);
    return minutes % 60 ? `${Math.floor(minutes / 60)}h ${minutes % 60}m` : `${minutes / 60}h`;
  }
  const hours = Math.round(s / 3600);
  return hours % 24 ? `${Math.floor(hours / 24)}d ${hours % 24}h` : `${hours / 24}d`;
}

/** An RFC 3339 time relative to `now` (milliseconds): `in 3h`, `5m 3s ago`, `just now`. */
export function formatRelative(iso: string, now: number): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = (at - now) / 1000;
  if (Math.abs(seconds) < 1) return "just now";
  return seconds > 0 ? `in ${formatSpan(seconds)}` : `${formatSpan(-seconds)} ago`;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 100) return `${perSecond.toFixed(0)}/s`;
  if (perSecond >= 10) return `${perSecond.toFixed(1)}/s`;
  return `${perSecond.toFixed(2)}/s`;
}

/** RFC 3339 to a short local date and time. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const time = date.toLocaleTimeString(undefined, { hour12: false });
  return `${time}.${String(date.getMilliseconds()).padStart(3, "0")}`;
}

/** The kind of a cell, for alignment and colour. */
export function cellKind(value: CellValue): "null" | "number" | "text" | "blob" {
  if (value === null) return "null";
  if (typeof value === "number") return "number";
  if (typeof value === "string") return "text";
  if ("base64" in value) return "blob";
  return "number";
}

export function blobLength(base64: string): number {
  const padding = base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0;
  return Math.floor((base64.length * 3) / 4) - padding;
}

/** A cell as text: NULL, numbers exactly as sent, blobs by size. */
export function formatCell(value: CellValue): string {
  if (value === null) return "NULL";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return value;
  if ("integer" in value) return value.integer;
  if ("real" in value) return value.real;
  return `BLOB (${formatBytes(blobLength(value.base64))})`;
}

/** A cell as the text of an edit field (blobs are not editable as text). */
export function cellToInput(value: CellValue): string {
  if (value === null) return "";
  if (typeof value === "object" && "base64" in value) return "";
  return formatCell(value);
}
