// Saving a file, and CSV (RFC 4180) and JSON made of rows already in the browser, both keeping
// 64-bit integers exact. Exports are the server's (lib/transfer.ts: streamed, every row); these
// make a file only of a result the server will not run again (a statement that writes), and
// only when the result on screen is whole.
import type { CellValue } from "./types";

function csvField(value: CellValue): string {
  let text: string;
  if (value === null) text = "";
  else if (typeof value === "number") text = String(value);
  else if (typeof value === "string") text = value;
  else if ("integer" in value) text = value.integer;
  else if ("real" in value) text = value.real;
  else text = value.base64;
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(columns: string[], rows: CellValue[][]): string {
  const lines = [columns.map(csvField), ...rows.map((row) => row.map(csvField))];
  return lines.map((fields) => fields.join(",")).join("\r\n") + "\r\n";
}

function jsonValue(value: CellValue): string {
  if (value === null) return "null";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "string") return JSON.stringify(value);
  // The digits go out as a JSON number: exact in the file, whatever JavaScript could hold.
  if ("integer" in value) return /^-?\d+$/.test(value.integer) ? value.integer : JSON.stringify(value.integer);
  return JSON.stringify(value);
}

/** An array of objects, one per row, keys in column order. */
export function toJson(columns: string[], rows: CellValue[][]): string {
  const objects = rows.map(
    (row) => `  {${columns.map((c, i) => `${JSON.stringify(c)}: ${jsonValue(row[i] ?? null)}`).join(", ")}}`,
  );
  return objects.length === 0 ? "[]\n" : `[\n${objects.join(",\n")}\n]\n`;
}

/** Offers `content` (text of `type`, or a blob as it is) as a file download. */
export function download(filename: string, content: string | Blob, type = "application/octet-stream"): void {
  const url = URL.createObjectURL(content instanceof Blob ? content : new Blob([content], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
