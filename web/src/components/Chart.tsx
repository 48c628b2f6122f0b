// A small time-series chart on uPlot (canvas, ~50 KB): colours come from the theme's CSS
// variables, so it is rebuilt when the theme changes; data updates reuse the plot.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Theme } from "../lib/theme";

export interface ChartLine {
  label: string;
  values: (number | null)[];
  /** A CSS variable name, e.g. `--chart-1`. */
  colorVar: string;
  /** Shade the area under the line (default true). */
  fill?: boolean;
}

/** Tick labels as local wall-clock time; the date is noise on a five-minute window. */
function clockLabels(_u: uPlot, ticks: number[]): string[] {
  return ticks.map((t) => new Date(t * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }));
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

export function Chart({
  title,
  x,
  lines,
  format,
  theme,
  height = 150,
}: {
  title: string;
  x: number[];
  lines: ChartLine[];
  format: (value: number) => string;
  theme: Theme;
  height?: number;
}) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const formatRef = useRef(format);
  formatRef.current = format;
  const data = [x, ...lines.map((l) => l.values)] as uPlot.AlignedData;
  const dataRef = useRef(data);
  dataRef.current = data;
  const shape = lines.map((l) => `${l.label}:${l.colorVar}`).join("|");

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const axisColor = cssVar("--text-muted");
    const gridColor = cssVar("--border");
    const axis: uPlot.Axis = {
      stroke: axisColor,
      grid: { stroke: gridColor, width: 1 },
      ticks: { stroke: gridColor, width: 1 },
      font: "11px Inter Variable, system-ui, sans-serif",
    };
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] } },
      axes: [
        { ...axis, space: 70, values: clockLabels },
        { ...axis, size: 56, values: (_u, ticks) => ticks.map((v) => formatRef.current(v)) },
      ],
      series: [
        { label: "Time", value: (_u: uPlot, v: number | null) => (v == null ? "" : clockLabels(_u, [v])[0]!) },
        ...lines.map((line) => ({
          label: line.label,
          stroke: cssVar(line.colorVar),
          width: 2,
          fill: line.fill === false ? undefined : cssVar(line.colorVar) + "22",
          spanGaps: false,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v == null ? "—" : formatRef.current(v)),
        })),
      ],
    };
    const chart = new uPlot(options, dataRef.current, element);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [theme, height, shape]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  // What is plotted, for tests and tools that cannot read a canvas: the number of intervals
  // and each line's highest value, from the very arrays handed to uPlot.
  const peaks = lines.map((l) => `${l.label}=${Math.max(0, ...l.values.filter((v): v is number => v !== null))}`).join(";");
  return (
    <figure className="chart" data-points={x.length} data-peaks={peaks}>
      <figcaption>{title}</figcaption>
      <div ref={holder} className="chart-canvas" />
    </figure>
  );
}
