import { describe, expect, it } from "vitest";
import { blobLength, cellKind, cellToInput, formatBytes, formatCell, formatMs, formatRate, formatRelative, formatSpan, formatUptime } from "./format";

describe("formatting", () => {
  it("sizes use binary units with sensible precision", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(64 * 1024 * 1024)).toBe("64.0 MiB");
    expect(formatBytes(1024 ** 3)).toBe("1.00 GiB");
    expect(formatBytes(-1)).toBe("—");
  });
  it("durations scale from microseconds to seconds", () => {
    expect(formatMs(0.123)).toBe("0.12 ms");
    expect(formatMs(12.34)).toBe("12.3 ms");
    expect(formatMs(250)).toBe("250 ms");
    expect(formatMs(1500)).toBe("1.5 s");
    expect(formatMs(5000)).toBe("5 s");
    expect(formatMs(300_000)).toBe("5 min");
    expect(formatMs(90_000)).toBe("1.5 min");
  });
  it("uptime reads in the two largest units", () => {
    expect(formatUptime(42)).toBe("42s");
    expect(formatUptime(125)).toBe("2m 5s");
    expect(formatUptime(3 * 3600 + 120)).toBe("3h 2m");
    expect(formatUptime(2 * 86400 + 3600)).toBe("2d 1h");
  });
  it("spans of time read in two units, rounded to the smaller", () => {
    expect(formatSpan(0)).toBe("0s");
    expect(formatSpan(42.4)).toBe("42s");
    expect(formatSpan(59.7)).toBe("1m");
    expect(formatSpan(303)).toBe("5m 3s");
    expect(formatSpan(3599)).toBe("1h");
    expect(formatSpan(10_799.9)).toBe("3h");
    expect(formatSpan(3 * 3600 + 20 * 60)).toBe("3h 20m");
    expect(formatSpan(86_399)).toBe("1d");
    expect(formatSpan(2 * 86400 + 4 * 3600)).toBe("2d 4h");
    expect(formatSpan(-5)).toBe("0s");
  });
  it("times relative to now", () => {
    const now = Date.parse("2026-12-01T10:00:00Z");
    expect(formatRelative("2026-12-01T13:00:00Z", now)).toBe("in 3h");
    expect(formatRelative("2026-12-01T09:54:57Z", now)).toBe("5m 3s ago");
    expect(formatRelative("2026-11-29T10:00:00Z", now)).toBe("2d ago");
    expect(formatRelative("2026-12-01T10:00:00.400Z", now)).toBe("just now");
    expect(formatRelative("not a time", now)).toBe("not a time");
  });
  it("rates", () => {
    expect(formatRate(0.5)).toBe("0.50/s");
    expect(formatRate(123.4)).toBe("123/s");
  });
  it("cells show NULL, exact big integers and blob sizes", () => {
    expect(formatCell(null)).toBe("NULL");
    expect(formatCell({ integer: "9007199254740993" })).toBe("9007199254740993");
    expect(formatCell({ base64: "AAECAw==" })).toBe("BLOB (4 B)");
    expect(formatCell({ real: "Infinity" })).toBe("Infinity");
    expect(blobLength("AAEC")).toBe(3);
    expect(cellKind(1)).toBe("number");
    expect(cellKind("1")).toBe("text");
    expect(cellKind({ base64: "" })).toBe("blob");
    expect(cellToInput(null)).toBe("");
    expect(cellToInput({ base64: "AAEC" })).toBe("");
    expect(cellToInput(3.5)).toBe("3.5");
  });
});
