// Activity: the gateway's most recent requests, filtered on the server, refreshed live.
import { useState } from "react";
import { Pause, Play } from "lucide-react";
import type { ActivityQuery } from "../lib/api";
import { useClient } from "../lib/context";
import { useDebounced, useLoad } from "../lib/hooks";
import { formatCount, formatMs, formatTime } from "../lib/format";
import { pathOf } from "../lib/router";
import type { ActivityEntry } from "../lib/types";
import { Link } from "../components/Link";
import { Empty, ErrorBox, Loading, PageHeader, Spinner, StatusBadge } from "../components/ui";

const PAGE = 200;

export function ActivityScreen() {
  const client = useClient();
  const [database, setDatabase] = useState("");
  const [route, setRoute] = useState("");
  const [method, setMethod] = useState("");
  const [status, setStatus] = useState("");
  const [live, setLive] = useState(true);
  const [older, setOlder] = useState<ActivityEntry[]>([]);
  const [olderCursor, setOlderCursor] = useState<number | null | undefined>(undefined);
  const filters: ActivityQuery = {
    database: useDebounced(database.trim(), 250) || undefined,
    route: useDebounced(route.trim(), 250) || undefined,
    method: method || undefined,
    status: status || undefined,
  };
  const key = JSON.stringify(filters);
  const recent = useLoad(
    (signal) => {
      setOlder([]);
      setOlderCursor(undefined);
      return client.activity({ ...filters, limit: PAGE }, signal);
    },
    [client, key],
    live ? 3000 : undefined,
  );
  const entries = [...(recent.data?.entries ?? []), ...older];
  const cursor = olderCursor === undefined ? recent.data?.next_before ?? null : olderCursor;

  const loadOlder = async () => {
    if (cursor === null) return;
    setLive(false);
    const page = await client.activity({ ...filters, limit: PAGE, before: cursor });
    setOlder((o) => [...o, ...page.entries]);
    setOlderCursor(page.next_before ?? null);
  };

  return (
    <>
      <PageHeader
        title="Activity"
        subtitle={recent.data ? `The last ${formatCount(recent.data.capacity)} requests are kept in memory; reading this page is not logged.` : undefined}
        actions={
          <button type="button" className={live ? "btn toggled" : "btn"} aria-pressed={live} onClick={() => setLive(!live)}>
            {live ? <Pause size={15} aria-hidden /> : <Play size={15} aria-hidden />} {live ? "Live" : "Paused"}
          </button>
        }
      />
      <div className="toolbar wrap" role="search" aria-label="Filter requests">
        <input aria-label="Database" placeholder="Database" value={database} onChange={(e) => setDatabase(e.target.value)} />
        <input aria-label="Route contains" placeholder="Route contains…" value={route} onChange={(e) => setRoute(e.target.value)} />
        <select aria-label="Method" value={method} onChange={(e) => setMethod(e.target.value)}>
          <option value="">Any method</option>
          {["GET", "POST", "DELETE", "PUT", "PATCH"].map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
        <select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">Any status</option>
          <option value="2xx">2xx success</option>
          <option value="4xx">4xx client error</option>
          <option value="5xx">5xx server error</option>
          <option value="error">All errors</option>
        </select>
        {recent.loading && recent.data && <Spinner label="Refreshing" />}
      </div>
      {recent.error && !recent.data ? (
        <ErrorBox error={recent.error} onRetry={recent.reload} title="Cannot load the activity" />
      ) : !recent.data ? (
        <Loading what="activity" />
      ) : entries.length === 0 ? (
        <Empty>No request matches.</Empty>
      ) : (
        <div className="panel flush">
          <table className="table activity" aria-label="Recent requests">
            <thead>
              <tr>
                <th>Time</th>
                <th>Key</th>
                <th>Method</th>
                <th>Route</th>
                <th>Database</th>
                <th className="num">Status</th>
                <th className="num">Duration</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td className="mono">{formatTime(e.at)}</td>
                  <td className="mono muted">{e.key_id ?? "—"}</td>
                  <td className="mono">{e.method}</td>
                  <td className="mono">{e.route}</td>
                  <td>{e.database ? <Link to={pathOf("databases", e.database)}>{e.database}</Link> : <span className="muted">—</span>}</td>
                  <td className="num">
                    <StatusBadge status={e.status} />
                  </td>
                  <td className="num mono">{formatMs(e.duration_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {cursor !== null && (
            <div className="pager">
              <button type="button" className="btn small" onClick={() => void loadOlder()}>
                Load older requests
              </button>
            </div>
          )}
        </div>
      )}
    </>
  );
}
