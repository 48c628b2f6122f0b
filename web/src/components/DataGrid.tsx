// A virtualized result grid: only the rows in view are in the DOM, so 10,000-row results
// scroll smoothly. Keyboard: arrows move the active row, Home/End jump, Enter activates it.
import { useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { ArrowDown, ArrowUp } from "lucide-react";
import { cellKind, formatCell } from "../lib/format";
import type { CellValue } from "../lib/types";

export interface GridColumn {
  name: string;
  type?: string | null;
}

export interface GridSort {
  column: string;
  descending: boolean;
}

const ROW_HEIGHT = 32;

function columnWidth(column: GridColumn, index: number, rows: CellValue[][]): number {
  // The header holds the name, the declared type and a sort arrow.
  let longest = column.name.length + (column.type ? column.type.length * 0.8 + 1 : 0) + 3;
  for (const row of rows.slice(0, 200)) {
    longest = Math.max(longest, formatCell(row[index] ?? null).length);
  }
  return Math.min(360, Math.max(72, Math.round(longest * 7.4 + 28)));
}

export function DataGrid({
  label,
  columns,
  rows,
  sort,
  onSort,
  rowActions,
  onActivateRow,
  maxHeight = 520,
}: {
  label: string;
  columns: GridColumn[];
  rows: CellValue[][];
  sort?: GridSort | null;
  onSort?: (column: string) => void;
  rowActions?: (row: CellValue[], index: number) => ReactNode;
  onActivateRow?: (index: number) => void;
  maxHeight?: number | string;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(-1);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const widths = useMemo(() => columns.map((c, i) => columnWidth(c, i, rows)), [columns, rows]);
  const actionsWidth = rowActions ? 76 : 0;
  const template = [rowActions ? `${actionsWidth}px` : "", ...widths.map((w) => `${w}px`)].join(" ").trim();
  const totalWidth = widths.reduce((a, b) => a + b, actionsWidth);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (rows.length === 0 || e.target !== e.currentTarget) return;
    let next = active;
    if (e.key === "ArrowDown") next = Math.min(rows.length - 1, active + 1);
    else if (e.key === "ArrowUp") next = Math.max(0, active - 1);
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = rows.length - 1;
    else if (e.key === "PageDown") next = Math.min(rows.length - 1, active + 10);
    else if (e.key === "PageUp") next = Math.max(0, active - 10);
    else if (e.key === "Enter" && active >= 0) {
      onActivateRow?.(active);
      e.preventDefault();
      return;
    } else return;
    e.preventDefault();
    setActive(next);
    virtualizer.scrollToIndex(next, { align: "auto" });
  };

  return (
    <div
      ref={scrollRef}
      className="grid-scroll"
      style={{ maxHeight }}
      role="grid"
      aria-label={label}
      aria-rowcount={rows.length + 1}
      aria-colcount={columns.length}
      tabIndex={0}
      onKeyDown={onKeyDown}
    >
      <div className="grid-inner" style={{ width: totalWidth, minWidth: "100%" }}>
        <div className="grid-row grid-head" role="row" aria-rowindex={1} style={{ gridTemplateColumns: template }}>
          {rowActions && <div className="grid-cell" role="columnheader" aria-label="Row actions" />}
          {columns.map((column) => {
            const sorted = sort?.column === column.name ? sort : null;
            return (
              <div
                key={column.name}
                className="grid-cell"
                role="columnheader"
                aria-sort={sorted ? (sorted.descending ? "descending" : "ascending") : undefined}
              >
                {onSort ? (
                  <button type="button" className="sort-btn" onClick={() => onSort(column.name)} aria-label={`Sort by ${column.name}`}>
                    <span className="col-name">{column.name}</span>
                    {column.type && <span className="col-type">{column.type}</span>}
                    {sorted && (sorted.descending ? <ArrowDown size={13} aria-hidden /> : <ArrowUp size={13} aria-hidden />)}
                  </button>
                ) : (
                  <span className="sort-btn static">
                    <span className="col-name">{column.name}</span>
                    {column.type && <span className="col-type">{column.type}</span>}
                  </span>
                )}
              </div>
            );
          })}
        </div>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index]!;
            return (
              <div
                key={item.key}
                className={item.index === active ? "grid-row active" : "grid-row"}
                role="row"
                aria-rowindex={item.index + 2}
                aria-selected={item.index === active}
                style={{ gridTemplateColumns: template, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                onClick={() => setActive(item.index)}
                onDoubleClick={() => onActivateRow?.(item.index)}
              >
                {rowActions && (
                  <div className="grid-cell row-actions" role="gridcell">
                    {rowActions(row, item.index)}
                  </div>
                )}
                {columns.map((column, i) => {
                  const value = row[i] ?? null;
                  const text = formatCell(value);
                  return (
                    <div key={column.name} className={`grid-cell cell-${cellKind(value)}`} role="gridcell" title={text.length > 40 ? text : undefined}>
                      {text}
                    </div>
                  );
                })}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
