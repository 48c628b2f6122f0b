import { describe, expect, it } from "vitest";
import {
  attachmentName,
  backupAlert,
  backupEveryProblem,
  backupKeepProblem,
  expiresSoon,
  expiryLabel,
  parseDuration,
  readableInterval,
  rowSummary,
  scheduleFields,
  scheduleSummary,
  scheduleUpdate,
  ttlProblem,
} from "./lifecycle";
import type { BackupStatus } from "./types";

const healthy: BackupStatus = { every: "1h", keep: 24, last_success_at: "2026-12-01T10:00:00Z", last_failure_at: null, last_error: null, overdue: false };

describe("lifecycle", () => {
  it("reads durations as the server does", () => {
    expect(parseDuration("90s")).toBe(90);
    expect(parseDuration("30m")).toBe(1800);
    expect(parseDuration("2h")).toBe(7200);
    expect(parseDuration("7d")).toBe(7 * 86400);
    expect(parseDuration("1h30m")).toBe(5400);
    expect(parseDuration(" 1h 30m ")).toBe(5400);
    expect(parseDuration("1hour30min")).toBe(5400);
    expect(parseDuration("2 weeks")).toBe(14 * 86400);
    expect(parseDuration("1.5h")).toBe(5400);
    expect(parseDuration("1M"), "M is a month").toBe(2_630_016);
    expect(parseDuration("1000ms")).toBe(1);
    for (const bad of ["", "90", "1H", "h", "1h-", "-1h", "1 fortnight", "1h 30"]) expect(parseDuration(bad), bad).toBeNull();
  });
  it("validates a time to live", () => {
    expect(ttlProblem("1h")).toBeNull();
    expect(ttlProblem("1s")).toBeNull();
    expect(ttlProblem("36500d")).toBeNull();
    // The server's limit is 100 of its years (humantime's, 365.25 days).
    expect(ttlProblem("100y")).toBeNull();
    expect(ttlProblem("101y")).toMatch(/at most 100 years/);
    expect(ttlProblem("99y")).toBeNull();
    expect(ttlProblem("two hours")).toMatch(/Write a duration/);
    expect(ttlProblem("500ms")).toMatch(/at least a second/);
    expect(ttlProblem("0s")).toMatch(/at least a second/);
    expect(ttlProblem("101y")).toMatch(/at most 100 years/);
  });
  it("validates a backup interval and the number kept", () => {
    expect(backupEveryProblem("")).toBeNull();
    expect(backupEveryProblem("off")).toBeNull();
    expect(backupEveryProblem("OFF")).toBeNull();
    expect(backupEveryProblem("6h")).toBeNull();
    expect(backupEveryProblem("hourly")).toMatch(/interval/);
    expect(backupEveryProblem("100ms")).toMatch(/at least a second/);
    expect(backupKeepProblem("")).toBeNull();
    expect(backupKeepProblem("1")).toBeNull();
    expect(backupKeepProblem("0")).toMatch(/at least 1/);
    expect(backupKeepProblem("2.5")).not.toBeNull();
    expect(backupKeepProblem("99999999999")).not.toBeNull();
  });
  it("sends only the schedule fields that changed, emptied ones as null", () => {
    const initial = scheduleFields(healthy);
    expect(initial).toEqual({ every: "1h", keep: "24" });
    expect(scheduleUpdate(initial, { every: "1h", keep: "24" })).toBeNull();
    expect(scheduleUpdate(initial, { every: " 1h ", keep: "24" }), "spaces are no change").toBeNull();
    expect(scheduleUpdate(initial, { every: "1h", keep: "6" })).toEqual({ backup_keep: 6 });
    expect(scheduleUpdate(initial, { every: "Off", keep: "24" })).toEqual({ backup_every: "off" });
    expect(scheduleUpdate(initial, { every: "", keep: "" })).toEqual({ backup_every: null, backup_keep: null });
    // No status: no settings of its own; the empty fields are the server's defaults.
    expect(scheduleFields(undefined)).toEqual({ every: "", keep: "" });
    expect(scheduleFields({ ...healthy, every: null })).toEqual({ every: "off", keep: "24" });
    expect(scheduleFields({ ...healthy, every: "1day" }), "as the forms write it").toEqual({ every: "1d", keep: "24" });
    expect(scheduleUpdate(scheduleFields(null), { every: "1d", keep: "" })).toEqual({ backup_every: "1d" });
  });
  it("writes the server's intervals the way the forms do", () => {
    expect(readableInterval("1h")).toBe("1h");
    expect(readableInterval("1h30m")).toBe("1h 30m");
    expect(readableInterval("1day")).toBe("1d");
    expect(readableInterval("2days 1h")).toBe("2d 1h");
    expect(readableInterval("1month")).toBe("1mo");
    expect(readableInterval("weird")).toBe("weird");
  });
  it("warns of a failed backup before an overdue one, and of nothing when all is well", () => {
    expect(backupAlert(undefined)).toBeNull();
    expect(backupAlert(null)).toBeNull();
    expect(backupAlert(healthy)).toBeNull();
    const failed = backupAlert({ ...healthy, overdue: true, last_failure_at: "2026-12-01T11:00:00Z", last_error: "the destination is unreachable" });
    expect(failed).toMatchObject({ kind: "failed", label: "backup failed" });
    expect(failed?.detail).toContain("the destination is unreachable");
    const overdue = backupAlert({ ...healthy, every: "1h30m", overdue: true });
    expect(overdue).toMatchObject({ kind: "overdue", label: "backup overdue" });
    expect(overdue?.detail).toContain("every 1h 30m");
    expect(backupAlert({ ...healthy, overdue: true, last_success_at: null })?.detail).toMatch(/none yet/);
    // A failure shows even on a database without a schedule (a manual backup failed).
    expect(backupAlert({ ...healthy, every: null, last_error: "disk full" })?.kind).toBe("failed");
  });
  it("sums the schedule up", () => {
    expect(scheduleSummary(healthy)).toBe("every 1h, keeping 24");
    expect(scheduleSummary({ ...healthy, every: null, keep: 3 })).toBe("on demand only, keeping 3");
    expect(scheduleSummary(undefined)).toBe("on demand only");
  });
  it("says when a database expires", () => {
    const now = Date.parse("2026-12-01T10:00:00Z");
    expect(expiryLabel("2026-12-01T13:00:00Z", now)).toBe("expires in 3h");
    // A time to live of 3h set a moment ago still reads 3h.
    expect(expiryLabel("2026-12-01T12:59:59.990Z", now)).toBe("expires in 3h");
    expect(expiryLabel("2026-12-01T13:20:00Z", now)).toBe("expires in 3h 20m");
    expect(expiryLabel("2026-12-08T10:00:00Z", now)).toBe("expires in 7d");
    expect(expiryLabel("2026-12-01T10:00:42Z", now)).toBe("expires in 42s");
    expect(expiryLabel("2026-12-01T09:59:59Z", now)).toBe("expiring now");
    expect(expiresSoon("2026-12-01T13:00:00Z", now)).toBe(true);
    expect(expiresSoon("2026-12-03T10:00:00Z", now)).toBe(false);
  });
  it("sums a backup's contents up", () => {
    expect(rowSummary({ row_counts: { items: 1200, tags: 50 } })).toBe("2 tables, 1,250 rows");
    expect(rowSummary({ row_counts: { t: 1 } })).toBe("1 table, 1 row");
    expect(rowSummary({ row_counts: {} })).toBe("0 tables, 0 rows");
  });
  it("reads the download's file name", () => {
    expect(attachmentName('attachment; filename="shop-20261201T102752398Z-b09af1.sqlite.zst"')).toBe("shop-20261201T102752398Z-b09af1.sqlite.zst");
    expect(attachmentName("attachment; filename=a.zst")).toBe("a.zst");
    expect(attachmentName("attachment; filename*=UTF-8''a%20b.zst")).toBe("a b.zst");
    expect(attachmentName('attachment; filename="../../etc/passwd"')).toBe("passwd");
    expect(attachmentName("attachment")).toBeNull();
    expect(attachmentName(null)).toBeNull();
  });
});
