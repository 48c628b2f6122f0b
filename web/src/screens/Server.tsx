// Server: the effective configuration and limits (the admin key masked by the server).
import type { ReactNode } from "react";
import { useClient } from "../lib/context";
import { useLoad } from "../lib/hooks";
import { formatBytes, formatCount, formatMs } from "../lib/format";
import { ErrorBox, Loading, PageHeader } from "../components/ui";

function Rows({ rows }: { rows: [string, ReactNode, string?][] }) {
  return (
    <dl className="settings">
      {rows.map(([name, value, flag]) => (
        <div key={name} className="setting">
          <dt>
            {name}
            {flag && <code className="flag">{flag}</code>}
          </dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function ServerScreen() {
  const client = useClient();
  const config = useLoad((signal) => client.config(signal), [client]);
  if (!config.data) {
    return (
      <>
        <PageHeader title="Server" />
        {config.error ? <ErrorBox error={config.error} onRetry={config.reload} title="Cannot load the configuration" /> : <Loading what="configuration" />}
      </>
    );
  }
  const c = config.data;
  const l = c.limits;
  return (
    <>
      <PageHeader title="Server" subtitle={`DB-Forge ${c.version} · the effective configuration (flags, environment and config file applied)`} />
      <div className="two-col">
        <section className="panel" aria-labelledby="general-title">
          <h2 id="general-title">General</h2>
          <Rows
            rows={[
              ["Listening on", <code>{c.listen}</code>, "--listen"],
              ["Data directory", <code>{c.data_dir}</code>, "--data-dir"],
              ["Config file", c.config_file ? <code>{c.config_file}</code> : <span className="muted">none</span>, "--config"],
              [
                "Admin API key",
                <span data-testid="admin-key">
                  <code>{c.admin_key}</code> <span className="muted">({c.admin_key_source})</span>
                </span>,
                "--admin-key",
              ],
              ["Development mode", c.dev ? <span className="badge warn">on</span> : "off", "--dev"],
              ["Durability", c.durability, "--durability"],
              ["Log", `${c.log_format}, ${c.log}`, "--log-format, --log"],
              ["Shutdown drain", formatMs(c.shutdown_timeout_ms), "--shutdown-timeout"],
            ]}
          />
        </section>
        <section className="panel" aria-labelledby="limits-title">
          <h2 id="limits-title">Limits</h2>
          <Rows
            rows={[
              ["Statement time limit", formatMs(l.statement_timeout_ms), "--statement-timeout"],
              ["Rows per result", formatCount(l.max_result_rows), "--max-result-rows"],
              ["Bytes per result", formatBytes(l.max_result_bytes), "--max-result-bytes"],
              ["SQL text length", formatBytes(l.max_sql_length), "--max-sql-length"],
              ["Statements per request", formatCount(l.max_statements), "--max-statements"],
              ["Request body", formatBytes(l.max_body_bytes), "--max-body-bytes"],
              ["Default database size quota", formatBytes(l.max_database_size), "--max-database-size"],
              ["Open databases", formatCount(l.max_open_databases), "--max-open-databases"],
              ["Idle close after", formatMs(l.idle_timeout_ms), "--idle-timeout"],
              ["Write queue per database", formatCount(l.write_queue_depth), "--write-queue-depth"],
              ["Readers per database", formatCount(l.readers_per_database), "--readers-per-database"],
              ["Activity log", `${formatCount(l.activity_capacity)} requests`],
              ["libSQL stream idle close", formatMs(l.stream_idle_timeout_ms), "--stream-idle-timeout"],
              ["libSQL write transaction hold", formatMs(l.write_transaction_timeout_ms), "--write-transaction-timeout"],
              ["libSQL BEGIN wait", formatMs(l.transaction_busy_timeout_ms), "--transaction-busy-timeout"],
              ["libSQL streams open at once", formatCount(l.max_streams), "--max-streams"],
            ]}
          />
        </section>
      </div>
    </>
  );
}
