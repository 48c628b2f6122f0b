// The SQL console: CodeMirror editor with completion from the database's schema, several
// statements per run, results as grids with row count and duration, SQLite's errors inline,
// EXPLAIN QUERY PLAN, a per-database history, and CSV/JSON export of a result (by the server,
// which runs the statement again and streams every row, past the result's 10,000-row limit).
import { useMemo, useState } from "react";
import { Clock, History, ListTree, Play, Search, Trash2 } from "lucide-react";
import { mayWrite } from "../lib/access";
import { ApiError } from "../lib/api";
import { useClient, useMe } from "../lib/context";
import { formatCount, formatMs } from "../lib/format";
import { QueryHistory, type HistoryEntry } from "../lib/history";
import { useDebounced, useLoad } from "../lib/hooks";
import { pathOf } from "../lib/router";
import { explainStatements, splitStatements } from "../lib/sql";
import type { ArrayResult } from "../lib/types";
import { DataGrid } from "../components/DataGrid";
import { Link } from "../components/Link";
import { SqlEditor, type Schema } from "../components/SqlEditor";
import { Empty, ErrorBox, Loading, PageHeader, Spinner } from "../components/ui";
import { ExportButtons, ExportStatus, useExporter } from "./Transfer";

type Outcome =
  | { kind: "results"; statements: string[]; results: ArrayResult[]; durationMs: number }
  | { kind: "plan"; statements: string[]; results: ArrayResult[]; durationMs: number }
  | { kind: "error"; error: unknown; durationMs: number };

export function Console({ database }: { database: string }) {
  const client = useClient();
  const readOnly = !mayWrite(useMe());
  const history = useMemo(() => new QueryHistory(localStorage, database), [database]);
  const [entries, setEntries] = useState<HistoryEntry[]>(() => history.list());
  const [sql, setSql] = useState(() => entries[0]?.sql ?? "");
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [selected, setSelected] = useState(0);
  const [running, setRunning] = useState(false);
  const [showHistory, setShowHistory] = useState(true);
  const tables = useLoad((signal) => client.tables(database, signal), [client, database]);
  const exporter = useExporter(database);
  const schema = useMemo<Schema>(
    () => Object.fromEntries((tables.data?.tables ?? []).map((t) => [t.name, t.columns.map((c) => c.name)])),
    [tables.data],
  );

  const run = async (mode: "run" | "explain") => {
    const text = sql.trim();
    if (!text || running) return;
    setRunning(true);
    const started = performance.now();
    try {
      if (mode === "explain") {
        const statements = explainStatements(text);
        const answer = await client.query(database, { statements: statements.map((s) => ({ sql: s })) });
        setOutcome({ kind: "plan", statements: splitStatements(text), results: answer.results, durationMs: answer.durationMs });
      } else {
        const answer = await client.query(database, { sql: text });
        setOutcome({ kind: "results", statements: splitStatements(text), results: answer.results, durationMs: answer.durationMs });
        setSelected(answer.results.length - 1);
        setEntries(history.add(text, true));
        // The statements may have changed the schema: refresh completion.
        if (answer.results.some((r) => r.columns.length === 0)) tables.reload();
      }
    } catch (error) {
      setOutcome({ kind: "error", error, durationMs: performance.now() - started });
      if (mode === "run") setEntries(history.add(text, false));
    } finally {
      setRunning(false);
    }
  };

  const current = outcome?.kind === "results" ? outcome.results[selected] : undefined;
  // The statement that gave the result, which the export runs again; when the server split the
  // text differently from the dashboard, the result cannot be told apart and is not offered.
  const statement = outcome?.kind === "results" && outcome.statements.length === outcome.results.length ? outcome.statements[selected] : undefined;

  return (
    <>
      <PageHeader
        title={
          <>
            <Link to={pathOf("databases", database)} className="crumb">
              {database}
            </Link>{" "}
            / SQL console
          </>
        }
        subtitle={readOnly ? "Read-only access: statements that write are refused by the server." : undefined}
        actions={
          <button type="button" className={showHistory ? "btn toggled" : "btn"} aria-pressed={showHistory} onClick={() => setShowHistory(!showHistory)}>
            <History size={16} aria-hidden /> History
          </button>
        }
      />
      <div className={showHistory ? "console with-history" : "console"}>
        <div className="console-main">
          <div className="editor-frame">
            <SqlEditor value={sql} onChange={setSql} onRun={() => void run("run")} schema={schema} label={`SQL for ${database}`} />
          </div>
          <div className="toolbar">
            <button type="button" className="btn primary" onClick={() => void run("run")} disabled={running || !sql.trim()}>
              {running ? <Spinner label="Running" /> : <Play size={15} aria-hidden />} Run
              <kbd>Ctrl</kbd>
              <kbd>Enter</kbd>
            </button>
            <button type="button" className="btn" onClick={() => void run("explain")} disabled={running || !sql.trim()}>
              <ListTree size={15} aria-hidden /> Explain query plan
            </button>
            <div className="spacer" />
            {current && current.columns.length > 0 && statement && (
              <ExportButtons
                exporter={exporter}
                source={{ kind: "query", sql: statement }}
                what="the result"
                shown={{ columns: current.columns, rows: current.rows, truncated: current.truncated }}
              />
            )}
          </div>
          <ExportStatus exporter={exporter} />
          <section className="results" aria-label="Results" aria-live="polite">
            {!outcome ? (
              <Empty>Write SQL above and press Ctrl+Enter (⌘+Enter on a Mac). Several statements separated by ; run together, atomically.</Empty>
            ) : outcome.kind === "error" ? (
              <ErrorBox
                error={outcome.error}
                title={outcome.error instanceof ApiError && outcome.error.forbidden ? "Not allowed: this credential may not do this" : "The statement failed"}
              />
            ) : outcome.kind === "plan" ? (
              <QueryPlan statements={outcome.statements} results={outcome.results} />
            ) : (
              <>
                {outcome.results.length > 1 && (
                  <div className="tabs" role="tablist" aria-label="Statement results">
                    {outcome.results.map((r, i) => (
                      <button key={i} type="button" role="tab" aria-selected={i === selected} className={i === selected ? "tab current" : "tab"} onClick={() => setSelected(i)}>
                        {i + 1}. {summaryWord(outcome.statements[i])} {r.columns.length > 0 ? `(${r.rows.length})` : ""}
                      </button>
                    ))}
                  </div>
                )}
                {current && <ResultView result={current} durationMs={outcome.durationMs} statements={outcome.results.length} />}
              </>
            )}
          </section>
        </div>
        {showHistory && (
          <aside className="history" aria-label="Query history">
            <div className="history-head">
              <h2>History</h2>
              {entries.length > 0 && (
                <button
                  type="button"
                  className="icon-btn"
                  aria-label="Clear history"
                  onClick={() => {
                    history.clear();
                    setEntries([]);
                  }}
                >
                  <Trash2 size={14} aria-hidden />
                </button>
              )}
            </div>
            {entries.length === 0 ? (
              <p className="hint">Queries you run on {database} appear here.</p>
            ) : (
              <ul>
                {entries.map((entry) => (
                  <li key={entry.at + entry.sql}>
                    <button type="button" className={entry.ok ? "history-item" : "history-item failed"} onClick={() => setSql(entry.sql)} title="Load into the editor">
                      <code>{entry.sql.length > 160 ? `${entry.sql.slice(0, 160)}…` : entry.sql}</code>
                      <small>
                        <Clock size={11} aria-hidden /> {new Date(entry.at).toLocaleTimeString()} {entry.ok ? "" : "· failed"}
                      </small>
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </aside>
        )}
      </div>
    </>
  );
}

function summaryWord(statement: string | undefined): string {
  return statement?.trim().split(/\s+/)[0]?.toUpperCase() ?? "SQL";
}

function ResultView({ result, durationMs, statements }: { result: ArrayResult; durationMs: number; statements: number }) {
  const timing = `${formatMs(durationMs)}${statements > 1 ? ` for ${statements} statements` : ""}`;
  if (result.columns.length === 0) {
    return (
      <p className="result-summary" data-testid="result-summary">
        Done: {formatCount(result.rows_affected)} {result.rows_affected === 1 ? "row" : "rows"} affected
        {result.last_insert_rowid != null ? `, last inserted rowid ${result.last_insert_rowid}` : ""} · {timing}
      </p>
    );
  }
  return (
    <>
      <p className="result-summary" data-testid="result-summary">
        {formatCount(result.rows.length)} {result.rows.length === 1 ? "row" : "rows"} · {timing}
        {result.truncated && (
          <span className="badge warn" title="A query's answer stops at the server's row limit; CSV and JSON exports stream every row.">
            the first {formatCount(result.rows.length)} rows: the server's limit; exports hold them all
          </span>
        )}
      </p>
      <DataGrid
        label="Query result"
        columns={result.columns.map((name, i) => ({ name, type: result.column_types[i] ?? null }))}
        rows={result.rows}
        maxHeight="calc(100vh - 430px)"
      />
    </>
  );
}

/** EXPLAIN QUERY PLAN rows (id, parent, notused, detail) drawn as a tree. */
function QueryPlan({ statements, results }: { statements: string[]; results: ArrayResult[] }) {
  return (
    <div className="plans" data-testid="query-plan">
      {results.map((result, i) => {
        const rows = result.rows.map((r) => ({ id: Number(r[0]), parent: Number(r[1]), detail: String(r[3] ?? "") }));
        const depth = new Map<number, number>();
        for (const row of rows) depth.set(row.id, (depth.get(row.parent) ?? -1) + 1);
        return (
          <div key={i} className="plan">
            <h3>
              <Search size={14} aria-hidden /> {statements[i] ?? `Statement ${i + 1}`}
            </h3>
            {rows.length === 0 ? (
              <p className="hint">No plan: this statement does not read tables.</p>
            ) : (
              <ul>
                {rows.map((row) => (
                  <li key={row.id} style={{ paddingLeft: `${(depth.get(row.id) ?? 0) * 20}px` }}>
                    <span className="plan-mark" aria-hidden>
                      └
                    </span>{" "}
                    {row.detail}
                  </li>
                ))}
              </ul>
            )}
          </div>
        );
      })}
    </div>
  );
}

/** `/console`: pick the database to open the console on. */
export function ConsolePicker() {
  const client = useClient();
  const [search, setSearch] = useState("");
  const query = useDebounced(search.trim().toLowerCase(), 200);
  const list = useLoad((signal) => client.databases({ limit: 60, offset: 0, search: query || undefined }, signal), [client, query]);
  return (
    <>
      <PageHeader title="SQL console" subtitle="Pick a database to run SQL on." />
      <div className="toolbar">
        <div className="input-icon search">
          <Search size={16} aria-hidden />
          <input type="search" aria-label="Search databases" placeholder="Search databases" value={search} onChange={(e) => setSearch(e.target.value)} autoFocus />
        </div>
      </div>
      {list.error && !list.data ? (
        <ErrorBox error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading what="databases" />
      ) : list.data.databases.length === 0 ? (
        <Empty>{query ? `No database name contains “${query}”.` : <>No databases yet: create one on the <Link to="/databases">Databases</Link> page.</>}</Empty>
      ) : (
        <ul className="picker">
          {list.data.databases.map((db) => (
            <li key={db.name}>
              <Link to={pathOf("databases", db.name, "console")}>
                <strong>{db.name}</strong>
                <small>{db.table_count} tables</small>
              </Link>
            </li>
          ))}
        </ul>
      )}
      {list.data && list.data.total > list.data.databases.length && <p className="hint">Showing {list.data.databases.length} of {formatCount(list.data.total)}; search to narrow down.</p>}
    </>
  );
}
