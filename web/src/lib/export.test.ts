import { describe, expect, it } from "vitest";
import { toCsv, toJson } from "./export";

describe("CSV export", () => {
  it("quotes fields that need it and leaves NULL empty", () => {
    const csv = toCsv(["id", "note"], [
      [1, 'say "hi", then go'],
      [2, null],
      [3, "line\nbreak"],
    ]);
    expect(csv).toBe('id,note\r\n1,"say ""hi"", then go"\r\n2,\r\n3,"line\nbreak"\r\n');
  });
  it("keeps 64-bit integers exact and writes blobs as base64", () => {
    expect(toCsv(["n", "b"], [[{ integer: "9007199254740993" }, { base64: "AAEC" }]])).toBe("n,b\r\n9007199254740993,AAEC\r\n");
  });
});

describe("JSON export", () => {
  it("writes one object per row with exact big integers", () => {
    const json = toJson(["id", "name", "big"], [[1, "tea", { integer: "9007199254740993" }], [2, null, 3]]);
    expect(json).toBe('[\n  {"id": 1, "name": "tea", "big": 9007199254740993},\n  {"id": 2, "name": null, "big": 3}\n]\n');
    expect(JSON.parse(json)).toHaveLength(2);
  });
  it("an empty result is an empty array", () => {
    expect(toJson(["a"], [])).toBe("[]\n");
  });
});
