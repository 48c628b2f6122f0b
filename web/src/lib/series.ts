// Turns the gateway's traffic intervals into the overview's chart series.
import type { TrafficPoint } from "./types";

export interface ChartSeries {
  /** Unix seconds of each point (the interval's start). */
  x: number[];
  requestRate: number[];
  errorRate: number[];
  /** Share of requests answered with an error, in percent. */
  errorPercent: number[];
  queryP50: (number | null)[];
  queryP99: (number | null)[];
}

export function toChartSeries(points: TrafficPoint[]): ChartSeries {
  const series: ChartSeries = { x: [], requestRate: [], errorRate: [], errorPercent: [], queryP50: [], queryP99: [] };
  for (const p of points) {
    const seconds = p.seconds > 0 ? p.seconds : 1;
    const errors = p.client_errors + p.server_errors;
    series.x.push(p.start_ms / 1000);
    series.requestRate.push(p.requests / seconds);
    series.errorRate.push(errors / seconds);
    series.errorPercent.push(p.requests > 0 ? (100 * errors) / p.requests : 0);
    // No queries in an interval is no latency, not zero latency: leave a gap.
    series.queryP50.push(p.queries > 0 ? p.query_p50_ms : null);
    series.queryP99.push(p.queries > 0 ? p.query_p99_ms : null);
  }
  return series;
}

/** The points whose interval has ended: the last one is still filling up. */
export function closedPoints(points: TrafficPoint[]): TrafficPoint[] {
  return points.slice(0, -1);
}

/** The rate over the last `intervals` closed intervals (a few seconds: steady, yet current). */
export function currentRate(points: TrafficPoint[], pick: (p: TrafficPoint) => number, intervals = 3): number {
  const recent = closedPoints(points).slice(-intervals);
  const seconds = recent.reduce((sum, p) => sum + p.seconds, 0);
  return seconds > 0 ? recent.reduce((sum, p) => sum + pick(p), 0) / seconds : 0;
}
