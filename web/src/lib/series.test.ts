import { describe, expect, it } from "vitest";
import { currentRate, toChartSeries } from "./series";
import type { TrafficPoint } from "./types";

function point(start_ms: number, seconds: number, requests: number, errors: number, queries: number, p50: number, p99: number): TrafficPoint {
  return { start_ms, seconds, requests, client_errors: errors, server_errors: 0, queries, query_errors: 0, query_p50_ms: p50, query_p99_ms: p99 };
}

describe("chart series", () => {
  it("turns counts into rates and leaves latency gaps where no query ran", () => {
    const series = toChartSeries([point(0, 2, 10, 2, 4, 1.5, 9), point(2000, 2, 0, 0, 0, 0, 0), point(4000, 0.5, 3, 0, 1, 2, 2)]);
    expect(series.x).toEqual([0, 2, 4]);
    expect(series.requestRate).toEqual([5, 0, 6]);
    expect(series.errorRate).toEqual([1, 0, 0]);
    expect(series.errorPercent).toEqual([20, 0, 0]);
    expect(series.queryP50).toEqual([1.5, null, 2]);
    expect(series.queryP99).toEqual([9, null, 2]);
  });
  it("the current rate averages the last closed intervals, not the one still open", () => {
    const points = [point(0, 2, 100, 0, 0, 0, 0), point(2000, 2, 8, 0, 0, 0, 0), point(4000, 2, 4, 0, 0, 0, 0), point(6000, 0.1, 5, 0, 0, 0, 0)];
    expect(currentRate(points, (p) => p.requests, 2)).toBe(3);
    expect(currentRate(points, (p) => p.requests)).toBeCloseTo(112 / 6);
    expect(currentRate([], (p) => p.requests)).toBe(0);
  });
});
