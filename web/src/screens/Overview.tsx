// Overview: the gateway's live state, polled every two seconds.
import { Database, HardDrive, Clock, FolderOpen } from "lucide-react";
import type { ReactNode } from "react";
import { useClient, useTheme } from "../lib/context";
import { useLoad } from "../lib/hooks";
import { formatBytes, formatCount, formatMs, formatRate, formatUptime } from "../lib/format";
import { closedPoints, currentRate, toChartSeries } from "../lib/series";
import { pathOf } from "../lib/router";
import { Chart } from "../components/Chart";
import { Link } from "../components/Link";
import { Empty, ErrorBox, Loading, PageHeader, Spinner } from "../components/ui";

const POLL_MS = 2000;

function StatCard({ label, value, icon, testId }: { label: string; value: ReactNode; icon: ReactNode; testId: string }) {
  return (
    <div className="stat-card" data-testid={testId}>
      <div className="stat-icon" aria-hidden>
        {icon}
      </div>
      <div>
        <div className="stat-label">{label}</div>
        <div className="stat-value">{value}</div>
      </div>
    </div>
  );
}

export function Overview() {
  const client = useClient();
  const theme = useTheme();
  const live = useLoad(
    async (signal) => {
      const [stats, timeseries] = await Promise.all([client.stats(signal), client.timeseries(signal)]);
      return { stats, timeseries };
    },
    [client],
    POLL_MS,
  );

  if (!live.data) {
    return (
      <>
        <PageHeader title="Overview" />
        {live.error ? <ErrorBox error={live.error} onRetry={live.reload} title="Cannot load the gateway's statistics" /> : <Loading what="statistics" />}
      </>
    );
  }
  const { stats, timeseries } = live.data;
  const series = toChartSeries(closedPoints(timeseries.points));
  const requestRate = currentRate(timeseries.points, (p) => p.requests);
  const lastWithQueries = [...timeseries.points].reverse().find((p) => p.queries > 0);

  return (
    <>
      <PageHeader
        title="Overview"
        subtitle={
          <span className="live">
            <span className={live.error ? "dot bad" : "dot"} aria-hidden /> {live.error ? "Connection lost, retrying" : "Live"} · DB-Forge{" "}
            {stats.version} · updated every {POLL_MS / 1000} s {live.loading && <Spinner label="Refreshing" />}
          </span>
        }
      />
      <section className="stat-grid" aria-label="Gateway">
        <StatCard testId="stat-databases" label="Databases" value={formatCount(stats.database_count)} icon={<Database size={18} />} />
        <StatCard testId="stat-size" label="Total size" value={formatBytes(stats.total_bytes)} icon={<HardDrive size={18} />} />
        <StatCard testId="stat-open" label="Open databases" value={formatCount(stats.open_databases)} icon={<FolderOpen size={18} />} />
        <StatCard testId="stat-uptime" label="Uptime" value={formatUptime(stats.uptime_seconds)} icon={<Clock size={18} />} />
      </section>
      <section className="kpi-row" aria-label="Traffic now">
        <div className="kpi" data-testid="kpi-requests">
          <span>Requests</span>
          <strong>{formatRate(requestRate)}</strong>
          <small>{formatCount(stats.requests_total)} since start</small>
        </div>
        <div className="kpi" data-testid="kpi-queries">
          <span>Queries</span>
          <strong>{formatCount(stats.queries_total)}</strong>
          <small>{formatCount(stats.query_errors_total)} failed</small>
        </div>
        <div className="kpi" data-testid="kpi-latency">
          <span>Query latency p50 / p99</span>
          <strong>
            {lastWithQueries ? `${formatMs(lastWithQueries.query_p50_ms)} / ${formatMs(lastWithQueries.query_p99_ms)}` : "—"}
          </strong>
          <small>
            since start {formatMs(stats.query_latency.p50_ms)} / {formatMs(stats.query_latency.p99_ms)}
          </small>
        </div>
      </section>
      <section className="chart-grid" aria-label="Charts of the last five minutes">
        <Chart
          title="Request rate"
          theme={theme}
          x={series.x}
          lines={[
            { label: "requests/s", values: series.requestRate, colorVar: "--chart-1" },
            { label: "errors/s", values: series.errorRate, colorVar: "--chart-bad" },
          ]}
          format={(v) => (v >= 10 ? v.toFixed(0) : v.toFixed(1))}
        />
        <Chart
          title="Query latency"
          theme={theme}
          x={series.x}
          lines={[
            { label: "p50", values: series.queryP50, colorVar: "--chart-2", fill: false },
            { label: "p99", values: series.queryP99, colorVar: "--chart-3", fill: false },
          ]}
          format={(v) => formatMs(v)}
        />
        <Chart
          title="Error rate"
          theme={theme}
          x={series.x}
          lines={[{ label: "errors %", values: series.errorPercent, colorVar: "--chart-bad" }]}
          format={(v) => `${v.toFixed(v >= 10 ? 0 : 1)}%`}
        />
      </section>
      <section className="panel" aria-labelledby="busiest-title">
        <h2 id="busiest-title">Busiest databases</h2>
        <p className="hint">Requests in the last five minutes, counted over the activity log (its most recent 2,000 requests).</p>
        {timeseries.busiest.length === 0 ? (
          <Empty>No database has been used in the last five minutes.</Empty>
        ) : (
          <table className="table" data-testid="busiest">
            <thead>
              <tr>
                <th>Database</th>
                <th className="num">Requests</th>
                <th className="num">Errors</th>
                <th className="num">Mean time</th>
              </tr>
            </thead>
            <tbody>
              {timeseries.busiest.map((db) => (
                <tr key={db.name}>
                  <td>
                    <Link to={pathOf("databases", db.name)}>{db.name}</Link>
                  </td>
                  <td className="num">{formatCount(db.requests)}</td>
                  <td className="num">{formatCount(db.errors)}</td>
                  <td className="num">{formatMs(db.mean_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
