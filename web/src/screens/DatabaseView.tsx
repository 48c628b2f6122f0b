// One database: its tables and views with their schema, a data grid with paging, sorting
// and equality filters, row insert/edit/delete (by primary key or rowid, the SQL shown
// first), a form to create a table, and tokens for apps (mint, revoke all); its lifecycle
// (lineage, time to live, backup status) under the title, a Branch action, and a Backups
// tab (screens/Backups.tsx). What the signed-in credential may not do is not offered.
import { useMemo, useState, type FormEvent } from "react";
import {
  Ban,
  DatabaseBackup,
  Eye,
  FileDown,
  FileUp,
  GitBranch,
  Hourglass,
  KeyRound,
  Pencil,
  Plus,
  SquareTerminal,
  Table2,
  Ticket,
  Trash2,
  X,
  ChevronLeft,
  ChevronRight,
  Filter as FilterIcon,
} from "lucide-react";
import { libsqlSnippet, mayCopy, mayCreate, mayManage, mayMintTokens, mayRevokeTokens, mayWrite, TOKEN_LIFETIMES } from "../lib/access";
import { errorMessage } from "../lib/api";
import { useClient, useMe } from "../lib/context";
import { useLoad, useNow } from "../lib/hooks";
import { cellToInput, formatBytes, formatCount, formatDateTime, formatRelative } from "../lib/format";
import { backupAlert, scheduleSummary } from "../lib/lifecycle";
import { navigate, pathOf, useLocation } from "../lib/router";
import {
  buildCount,
  buildDelete,
  buildInsert,
  buildSelect,
  buildUpdate,
  keyColumns,
  literal,
  parseInput,
  ROWID,
  rowKeyOf,
  type Filter,
  type RowKey,
  type SqlWithParams,
} from "../lib/sql";
import type { CellValue, ColumnDefinition, DatabaseInfo, MintedToken, TableInfo, TokenAccess } from "../lib/types";
import { DataGrid, type GridSort } from "../components/DataGrid";
import { BackupAlertBadge, ExpiryBadge } from "../components/Lifecycle";
import { Link } from "../components/Link";
import { Confirm, CopyBox, Dialog, DialogFooter, Empty, ErrorBox, Loading, PageHeader, ShownOnce, Spinner, SqlPreview } from "../components/ui";
import { BackupsPanel, BranchDialog, TtlDialog } from "./Backups";
import { DeleteDatabase } from "./Databases";
import { ExportButtons, ExportDialog, ExportStatus, ImportDialog, useExporter } from "./Transfer";
import { gridExportSource } from "../lib/transfer";

/** The database page's two views: its tables (`/databases/{name}`) and its backups (`/databases/{name}/backups`). */
export type DatabaseSection = "tables" | "backups";

export function DatabaseView({ database, table, section = "tables" }: { database: string; table: string | null; section?: DatabaseSection }) {
  const client = useClient();
  const me = useMe();
  const writer = mayWrite(me);
  const info = useLoad((signal) => client.database(database, signal), [client, database]);
  const tables = useLoad((signal) => client.tables(database, signal), [client, database]);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [minting, setMinting] = useState(false);
  const [revoking, setRevoking] = useState(false);
  const [branching, setBranching] = useState(false);
  const [settingTtl, setSettingTtl] = useState(false);
  const [exporting, setExporting] = useState(false);
  const [importing, setImporting] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const selected = tables.data?.tables.find((t) => t.name === table) ?? null;

  const header = (
    <PageHeader
      title={
        <>
          <Link to="/databases" className="crumb">
            Databases
          </Link>{" "}
          / {database}
        </>
      }
      subtitle={
        info.data
          ? `${formatBytes(info.data.size_bytes)} of ${formatBytes(info.data.max_size_bytes)} · ${formatCount(info.data.table_count)} ${info.data.table_count === 1 ? "table" : "tables"} · created ${formatDateTime(info.data.created_at)}`
          : undefined
      }
      actions={
        <>
          <Link to={pathOf("databases", database, "console")} className="btn">
            <SquareTerminal size={16} aria-hidden /> SQL console
          </Link>
          <button type="button" className="btn" onClick={() => setExporting(true)} disabled={!tables.data}>
            <FileDown size={16} aria-hidden /> Export
          </button>
          {writer && (
            <button type="button" className="btn" onClick={() => setImporting(true)} disabled={!tables.data}>
              <FileUp size={16} aria-hidden /> Import
            </button>
          )}
          {writer && (
            <button type="button" className="btn" onClick={() => setCreating(true)}>
              <Plus size={16} aria-hidden /> New table
            </button>
          )}
          {mayCopy(me) && (
            <button type="button" className="btn" onClick={() => setBranching(true)}>
              <GitBranch size={16} aria-hidden /> Branch
            </button>
          )}
          {mayMintTokens(me) && (
            <button type="button" className="btn" onClick={() => setMinting(true)}>
              <Ticket size={16} aria-hidden /> New token
            </button>
          )}
          {mayRevokeTokens(me, database) && (
            <button type="button" className="btn danger-outline" onClick={() => setRevoking(true)}>
              <Ban size={16} aria-hidden /> Revoke tokens
            </button>
          )}
          {mayCreate(me, database) && (
            <button type="button" className="btn danger-outline" onClick={() => setDeleting(true)}>
              <Trash2 size={16} aria-hidden /> Delete database
            </button>
          )}
        </>
      }
    />
  );

  if (info.error || tables.error) {
    return (
      <>
        {header}
        <ErrorBox
          error={info.error ?? tables.error}
          title={`Cannot open ${database}`}
          onRetry={() => {
            info.reload();
            tables.reload();
          }}
        />
      </>
    );
  }

  const alert = backupAlert(info.data?.backups);
  const reloadAll = () => {
    info.reload();
    tables.reload();
  };
  return (
    <>
      {header}
      {info.data && <Facts info={info.data} onEditTtl={mayManage(me, database) ? () => setSettingTtl(true) : undefined} />}
      {!writer && (
        <p className="notice" data-testid="read-only-notice">
          Read-only access: you can browse tables and run queries that read; this credential may not change anything.
        </p>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <div className="tabs db-tabs" role="tablist" aria-label="Database views">
        <Link to={pathOf("databases", database)} role="tab" aria-selected={section === "tables"} className={section === "tables" ? "tab current" : "tab"}>
          <Table2 size={15} aria-hidden /> Tables
        </Link>
        <Link to={pathOf("databases", database, "backups")} role="tab" aria-selected={section === "backups"} className={section === "backups" ? "tab current" : "tab"}>
          <DatabaseBackup size={15} aria-hidden /> Backups
          {alert && <span className="dot bad" title={alert.label} />}
        </Link>
      </div>
      {section === "backups" ? (
        <BackupsPanel database={database} info={info.data} onChanged={reloadAll} />
      ) : !tables.data ? (
        <Loading what="tables" />
      ) : (
        <div className="split">
          <nav className="table-list" aria-label="Tables and views">
            <h2>Tables and views</h2>
            {tables.data.tables.length === 0 && <p className="hint">No tables yet.</p>}
            <ul>
              {tables.data.tables.map((t) => (
                <li key={t.name}>
                  <Link
                    to={pathOf("databases", database, "tables", t.name)}
                    className={t.name === table ? "table-link current" : "table-link"}
                    aria-current={t.name === table ? "page" : undefined}
                  >
                    {t.type === "view" ? <Eye size={15} aria-hidden /> : <Table2 size={15} aria-hidden />}
                    <span>{t.name}</span>
                    <small>{t.columns.length} col</small>
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <section className="table-pane">
            {selected ? (
              <TablePane key={selected.name} database={database} table={selected} writable={writer} />
            ) : table ? (
              <ErrorBox error={new Error(`There is no table or view named ${table} in ${database}.`)} />
            ) : tables.data.tables.length === 0 ? (
              <Empty>
                This database is empty.{" "}
                {writer ? (
                  <>
                    <button type="button" className="btn link" onClick={() => setCreating(true)}>
                      Create a table
                    </button>{" "}
                    or use the <Link to={pathOf("databases", database, "console")}>SQL console</Link>.
                  </>
                ) : (
                  "This credential may only read it."
                )}
              </Empty>
            ) : (
              <Empty>Pick a table or view on the left to browse its rows and schema.</Empty>
            )}
          </section>
        </div>
      )}
      {creating && (
        <CreateTable
          database={database}
          onClose={() => setCreating(false)}
          onCreated={(name) => {
            setCreating(false);
            tables.reload();
            info.reload();
            navigate(pathOf("databases", database, "tables", name));
          }}
        />
      )}
      {exporting && tables.data && <ExportDialog database={database} tables={tables.data.tables} initialTable={table} onClose={() => setExporting(false)} />}
      {importing && tables.data && (
        <ImportDialog
          database={database}
          tables={tables.data.tables}
          onClose={() => setImporting(false)}
          onImported={() => {
            tables.reload();
            info.reload();
          }}
        />
      )}
      {deleting && <DeleteDatabase database={database} onClose={() => setDeleting(false)} onDeleted={() => navigate("/databases")} />}
      {branching && <BranchDialog database={database} onClose={() => setBranching(false)} />}
      {settingTtl && (
        <TtlDialog
          database={database}
          expiresAt={info.data?.expires_at}
          onClose={() => setSettingTtl(false)}
          onSaved={() => {
            setSettingTtl(false);
            info.reload();
          }}
        />
      )}
      {minting && <MintToken database={database} onClose={() => setMinting(false)} />}
      {revoking && (
        <Confirm
          title={`Revoke every token of ${database}?`}
          action="Revoke all tokens"
          onClose={() => setRevoking(false)}
          onConfirm={async () => {
            await client.revokeDatabaseTokens(database);
            setRevoking(false);
            setNotice(`Every token of ${database} minted until now is revoked; new tokens work.`);
          }}
        >
          <p>
            Every token minted for <strong>{database}</strong> so far stops working at once: apps that use one get <code>401</code> on their next request.
            API keys are not affected. It cannot be undone.
          </p>
        </Confirm>
      )}
    </>
  );
}

/**
 * What the database's lifecycle looks like, under its title: where it was branched from, when
 * it expires (with a button to change that for those who may), and how its backups are doing.
 */
function Facts({ info, onEditTtl }: { info: DatabaseInfo; onEditTtl?: () => void }) {
  const now = useNow(10_000);
  const status = info.backups;
  return (
    <ul className="facts" aria-label="Lifecycle">
      {info.branched_from && (
        <li data-testid="lineage">
          <GitBranch size={14} aria-hidden />
          <span>
            Branch of{" "}
            <Link to={pathOf("databases", info.branched_from.parent)} className="parent-link">
              {info.branched_from.parent}
            </Link>{" "}
            <span className="muted">as of {formatDateTime(info.branched_from.branched_at)}</span>
          </span>
        </li>
      )}
      {(info.expires_at || onEditTtl) && (
        <li>
          {info.expires_at ? (
            <ExpiryBadge expiresAt={info.expires_at} now={now} />
          ) : (
            <span className="muted">
              <Hourglass size={14} aria-hidden /> No time to live
            </span>
          )}
          {onEditTtl && (
            <button type="button" className="btn link" onClick={onEditTtl}>
              {info.expires_at ? "Change" : "Set one"}
            </button>
          )}
        </li>
      )}
      <li data-testid="backup-facts">
        <DatabaseBackup size={14} aria-hidden />
        <span>
          <Link to={pathOf("databases", info.name, "backups")} className="plain-link">
            Backups {scheduleSummary(status)}
          </Link>
          {status?.last_success_at && <span className="muted"> · last {formatRelative(status.last_success_at, now)}</span>}
        </span>
        <BackupAlertBadge status={status} />
      </li>
    </ul>
  );
}

/** Mints a token for one database, then shows it once with a libSQL snippet to paste. */
function MintToken({ database, onClose }: { database: string; onClose: () => void }) {
  const client = useClient();
  const me = useMe();
  const [access, setAccess] = useState<TokenAccess>("read_only");
  const [lifetime, setLifetime] = useState("1h");
  const [minted, setMinted] = useState<MintedToken | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const mint = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setMinted(await client.mintToken(database, { access, expires_in: lifetime }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (minted) {
    return (
      <Dialog
        wide
        title={`Token for ${database}`}
        onClose={onClose}
        footer={
          <button type="button" className="btn primary" onClick={onClose}>
            Done
          </button>
        }
      >
        <ShownOnce what="token" />
        <p>
          A <strong>{minted.access === "read_write" ? "read-write" : "read-only"}</strong> token for <strong>{database}</strong>, valid until{" "}
          {formatDateTime(minted.expires_at)} <span className="muted">(id {minted.id})</span>.
        </p>
        <CopyBox label="Token" value={minted.token} testId="minted-token" />
        <p className="hint">
          Use it with <code>@libsql/client</code> (or send it as <code>Authorization: Bearer</code> to the REST API):
        </p>
        <CopyBox label="Snippet" value={libsqlSnippet(window.location.origin, database, minted.token)} testId="token-snippet" />
      </Dialog>
    );
  }
  return (
    <Dialog title={`New token for ${database}`} onClose={onClose} footer={<DialogFooter onCancel={onClose} form="mint-token" label="Create token" busy={busy} />}>
      <form id="mint-token" className="form" onSubmit={mint}>
        <p className="hint">A token reaches this one database only, for apps and libSQL drivers; it works until it expires or is revoked.</p>
        <label htmlFor="token-access">Access</label>
        <select id="token-access" value={access} onChange={(e) => setAccess(e.target.value as TokenAccess)}>
          <option value="read_only">Read-only</option>
          {mayWrite(me) && <option value="read_write">Read-write</option>}
        </select>
        <label htmlFor="token-lifetime">Expires after</label>
        <select id="token-lifetime" value={lifetime} onChange={(e) => setLifetime(e.target.value)}>
          {TOKEN_LIFETIMES.map((l) => (
            <option key={l.value} value={l.value}>
              {l.label}
            </option>
          ))}
        </select>
        {error !== null && <ErrorBox error={error} />}
      </form>
    </Dialog>
  );
}

function TablePane({ database, table, writable }: { database: string; table: TableInfo; writable: boolean }) {
  const { search } = useLocation();
  const tab = search.get("tab") === "schema" ? "schema" : "rows";
  const base = pathOf("databases", database, "tables", table.name);
  return (
    <>
      <div className="pane-head">
        <h2>
          {table.name} <span className="badge subtle">{table.type}</span>
          {table.strict && <span className="badge subtle">strict</span>}
          {table.without_rowid && <span className="badge subtle">without rowid</span>}
        </h2>
        <div className="tabs" role="tablist" aria-label="Table views">
          <Link to={base} role="tab" aria-selected={tab === "rows"} className={tab === "rows" ? "tab current" : "tab"}>
            Rows
          </Link>
          <Link to={`${base}?tab=schema`} role="tab" aria-selected={tab === "schema"} className={tab === "schema" ? "tab current" : "tab"}>
            Schema
          </Link>
        </div>
      </div>
      {tab === "rows" ? <RowsPanel database={database} table={table} writable={writable} /> : <SchemaPanel table={table} />}
    </>
  );
}

const PAGE = 100;

interface RowsPage {
  columns: string[];
  types: (string | null)[];
  rows: CellValue[][];
  total: number;
}

function RowsPanel({ database, table, writable }: { database: string; table: TableInfo; writable: boolean }) {
  const client = useClient();
  const rowKey = useMemo(() => rowKeyOf(table), [table]);
  // Rows are edited by their key; a view has none, and a read-only credential edits nothing.
  const key = writable ? rowKey : null;
  const [filters, setFilters] = useState<Filter[]>([]);
  const [draft, setDraft] = useState({ column: table.columns[0]?.name ?? "", text: "" });
  const [sort, setSort] = useState<GridSort | null>(null);
  const [offset, setOffset] = useState(0);
  const [editing, setEditing] = useState<{ row: CellValue[] | null } | null>(null);
  const [deleting, setDeleting] = useState<CellValue[] | null>(null);
  const exporter = useExporter(database);

  const page = useLoad<RowsPage>(
    async (signal) => {
      const select = buildSelect({ table: table.name, key: rowKey, filters, orderBy: sort?.column, descending: sort?.descending, limit: PAGE, offset });
      const count = buildCount(table.name, filters);
      const { results } = await client.query(database, { statements: [select, count] }, signal);
      const [rows, counted] = results;
      const total = Number(counted?.rows[0]?.[0] ?? 0);
      return { columns: rows?.columns ?? [], types: rows?.column_types ?? [], rows: rows?.rows ?? [], total };
    },
    [client, database, table.name, filters, sort, offset, rowKey],
  );

  const declaredType = (name: string) => table.columns.find((c) => c.name === name)?.type ?? null;
  const gridColumns = (page.data?.columns ?? []).map((name) => ({ name, type: name === ROWID ? "rowid" : declaredType(name) }));
  const rowObject = (row: CellValue[]) => Object.fromEntries((page.data?.columns ?? []).map((c, i) => [c, row[i] ?? null]));

  const addFilter = (e: FormEvent) => {
    e.preventDefault();
    if (!draft.column) return;
    // Typed like the row editor types it: text bound to an untyped column never equals 7.
    const column = table.columns.find((c) => c.name === draft.column);
    const value = column ? parseInput(draft.text, column) : draft.text;
    setFilters((f) => [...f.filter((x) => x.column !== draft.column), { column: draft.column, value }]);
    setDraft({ ...draft, text: "" });
    setOffset(0);
  };
  const toggleSort = (column: string) => {
    setSort((s) => (s?.column === column ? (s.descending ? null : { column, descending: true }) : { column, descending: false }));
    setOffset(0);
  };
  const total = page.data?.total ?? 0;
  const end = Math.min(offset + PAGE, total);

  return (
    <>
      <div className="toolbar wrap">
        <form className="filter-form" onSubmit={addFilter} aria-label="Add an equality filter">
          <FilterIcon size={15} aria-hidden />
          <select aria-label="Filter column" value={draft.column} onChange={(e) => setDraft({ ...draft, column: e.target.value })}>
            {table.columns.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
          <span aria-hidden>=</span>
          <input aria-label="Filter value" value={draft.text} onChange={(e) => setDraft({ ...draft, text: e.target.value })} placeholder="value" />
          <button type="submit" className="btn small">
            Filter
          </button>
        </form>
        {filters.map((f) => (
          <span key={f.column} className="chip">
            {f.column} = {literal(f.value)}
            <button
              type="button"
              aria-label={`Remove filter on ${f.column}`}
              onClick={() => {
                setFilters((all) => all.filter((x) => x !== f));
                setOffset(0);
              }}
            >
              <X size={13} aria-hidden />
            </button>
          </span>
        ))}
        <div className="spacer" />
        {page.loading && page.data && <Spinner label="Loading rows" />}
        <ExportButtons
          exporter={exporter}
          source={gridExportSource(table.name, filters, sort)}
          what={filters.length > 0 ? `the rows of ${table.name} that match the filters` : `the rows of ${table.name}`}
        />
        {key && (
          <button type="button" className="btn primary small" onClick={() => setEditing({ row: null })}>
            <Plus size={15} aria-hidden /> Insert row
          </button>
        )}
      </div>
      <ExportStatus exporter={exporter} compact />
      {!key && table.type === "view" && <p className="hint">Views are read-only.</p>}
      {page.error && !page.data ? (
        <ErrorBox error={page.error} onRetry={page.reload} title="Cannot read the rows" />
      ) : !page.data ? (
        <Loading what="rows" />
      ) : page.data.rows.length === 0 ? (
        <Empty>{filters.length ? "No row matches these filters." : "This table has no rows yet."}</Empty>
      ) : (
        <>
          {page.error !== undefined && <ErrorBox error={page.error} onRetry={page.reload} />}
          <DataGrid
            label={`Rows of ${table.name}`}
            columns={gridColumns}
            rows={page.data.rows}
            sort={sort}
            onSort={toggleSort}
            onActivateRow={key ? (i) => setEditing({ row: page.data!.rows[i]! }) : undefined}
            rowActions={
              key
                ? (row) => (
                    <>
                      <button type="button" className="icon-btn" aria-label="Edit row" onClick={() => setEditing({ row })}>
                        <Pencil size={14} aria-hidden />
                      </button>
                      <button type="button" className="icon-btn danger" aria-label="Delete row" onClick={() => setDeleting(row)}>
                        <Trash2 size={14} aria-hidden />
                      </button>
                    </>
                  )
                : undefined
            }
          />
          <div className="pager">
            <span data-testid="row-range">
              Rows {formatCount(offset + 1)}–{formatCount(end)} of {formatCount(total)}
            </span>
            <button type="button" className="btn small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              <ChevronLeft size={15} aria-hidden /> Previous
            </button>
            <button type="button" className="btn small" disabled={end >= total} onClick={() => setOffset(offset + PAGE)}>
              Next <ChevronRight size={15} aria-hidden />
            </button>
          </div>
        </>
      )}
      {editing && key && (
        <RowEditor
          database={database}
          table={table}
          rowKey={key}
          current={editing.row ? rowObject(editing.row) : null}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            page.reload();
          }}
        />
      )}
      {deleting && key && (
        <ConfirmSql
          title="Delete this row?"
          database={database}
          statement={buildDelete(table.name, key, rowObject(deleting))}
          action="Delete row"
          onClose={() => setDeleting(null)}
          onDone={() => {
            setDeleting(null);
            page.reload();
          }}
        />
      )}
    </>
  );
}

/** Shows SQL before it runs, then runs it on confirmation. */
function ConfirmSql({
  title,
  database,
  statement,
  action,
  onClose,
  onDone,
}: {
  title: string;
  database: string;
  statement: SqlWithParams;
  action: string;
  onClose: () => void;
  onDone: () => void;
}) {
  const client = useClient();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      await client.query(database, statement);
      onDone();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={title}
      onClose={onClose}
      footer={<DialogFooter onCancel={onClose} onAction={() => void run()} label={action} danger busy={busy} />}
    >
      <p>This SQL will run:</p>
      <SqlPreview sql={statement.sql} params={statement.params} />
      {error !== null && <ErrorBox error={error} />}
    </Dialog>
  );
}

interface FieldState {
  text: string;
  isNull: boolean;
}

function RowEditor({
  database,
  table,
  rowKey,
  current,
  onClose,
  onSaved,
}: {
  database: string;
  table: TableInfo;
  rowKey: RowKey;
  current: Record<string, CellValue> | null;
  onClose: () => void;
  onSaved: () => void;
}) {
  const client = useClient();
  const columns = table.columns.filter((c) => !c.hidden);
  const initial = (name: string): FieldState => {
    const value = current?.[name];
    return { text: value === undefined ? "" : cellToInput(value), isNull: current !== null && value === null };
  };
  const [fields, setFields] = useState<Record<string, FieldState>>(() => Object.fromEntries(columns.map((c) => [c.name, initial(c.name)])));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const valueOf = (name: string): CellValue => {
    const field = fields[name]!;
    const column = columns.find((c) => c.name === name)!;
    return field.isNull ? null : parseInput(field.text, column);
  };
  let statement: SqlWithParams | null = null;
  let problem: string | null = null;
  try {
    if (current === null) {
      // Empty fields are left out so that column defaults (and rowid assignment) apply.
      const values = Object.fromEntries(
        columns.filter((c) => fields[c.name]!.isNull || fields[c.name]!.text !== "").map((c) => [c.name, valueOf(c.name)]),
      );
      statement = buildInsert(table.name, values);
    } else {
      const changed = columns.filter((c) => {
        const before = current[c.name];
        const isBlob = typeof before === "object" && before !== null && "base64" in before;
        const field = fields[c.name]!;
        if (isBlob && !field.isNull && field.text === "") return false;
        const was = initial(c.name);
        return field.isNull !== was.isNull || (!field.isNull && field.text !== was.text);
      });
      if (changed.length === 0) problem = "Change a field to update the row.";
      else statement = buildUpdate(table.name, rowKey, current, Object.fromEntries(changed.map((c) => [c.name, valueOf(c.name)])));
    }
  } catch (e) {
    problem = errorMessage(e);
  }

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!statement) return;
    setBusy(true);
    try {
      await client.query(database, statement);
      onSaved();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  const keyNames = keyColumns(rowKey);
  return (
    <Dialog
      wide
      title={current ? `Edit row of ${table.name}` : `Insert a row into ${table.name}`}
      onClose={onClose}
      footer={<DialogFooter onCancel={onClose} form="row-form" label={current ? "Update row" : "Insert row"} busy={busy} disabled={!statement} />}
    >
      <form id="row-form" className="row-form" onSubmit={save}>
        {columns.map((c) => {
          const field = fields[c.name]!;
          const id = `field-${c.name}`;
          return (
            <div key={c.name} className="row-field">
              <label htmlFor={id}>
                {c.name} {keyNames.includes(c.name) && <KeyRound size={12} aria-label="primary key" />}
                <span className="col-type">{c.type || "any"}</span>
              </label>
              <input
                id={id}
                value={field.isNull ? "" : field.text}
                disabled={field.isNull}
                placeholder={field.isNull ? "NULL" : current ? "" : c.default != null ? `default: ${c.default}` : c.primary_key ? "automatic" : ""}
                onChange={(e) => setFields({ ...fields, [c.name]: { ...field, text: e.target.value } })}
              />
              <label className="null-toggle">
                <input type="checkbox" checked={field.isNull} onChange={(e) => setFields({ ...fields, [c.name]: { ...field, isNull: e.target.checked } })} /> NULL
              </label>
            </div>
          );
        })}
      </form>
      <p className="hint">{current ? "This SQL will run when you update the row:" : "This SQL will run:"}</p>
      {statement ? <SqlPreview sql={statement.sql} params={statement.params} /> : <p className="hint">{problem}</p>}
      {error !== null && <ErrorBox error={error} />}
    </Dialog>
  );
}

function SchemaPanel({ table }: { table: TableInfo }) {
  return (
    <div className="schema">
      <h3>Columns</h3>
      <table className="table" aria-label={`Columns of ${table.name}`}>
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Key</th>
            <th>Not null</th>
            <th>Default</th>
          </tr>
        </thead>
        <tbody>
          {table.columns.map((c) => (
            <tr key={c.name}>
              <td className="mono">{c.name}</td>
              <td className="mono muted">{c.type || "—"}</td>
              <td>{c.primary_key > 0 ? <span className="badge">PK{table.columns.filter((x) => x.primary_key > 0).length > 1 ? ` ${c.primary_key}` : ""}</span> : ""}</td>
              <td>{c.not_null ? "yes" : ""}</td>
              <td className="mono muted">{c.default ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Indexes</h3>
      {table.indexes.length === 0 ? (
        <p className="hint">No indexes.</p>
      ) : (
        <table className="table" aria-label={`Indexes of ${table.name}`}>
          <thead>
            <tr>
              <th>Name</th>
              <th>Columns</th>
              <th>Unique</th>
              <th>Origin</th>
            </tr>
          </thead>
          <tbody>
            {table.indexes.map((index) => (
              <tr key={index.name}>
                <td className="mono">{index.name}</td>
                <td className="mono">{index.columns.join(", ")}</td>
                <td>{index.unique ? "yes" : ""}</td>
                <td className="muted">{{ c: "CREATE INDEX", u: "UNIQUE constraint", pk: "primary key" }[index.origin] ?? index.origin}{index.partial ? " (partial)" : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {table.foreign_keys.length > 0 && (
        <>
          <h3>Foreign keys</h3>
          <table className="table" aria-label={`Foreign keys of ${table.name}`}>
            <thead>
              <tr>
                <th>Columns</th>
                <th>References</th>
                <th>On update</th>
                <th>On delete</th>
              </tr>
            </thead>
            <tbody>
              {table.foreign_keys.map((fk, i) => (
                <tr key={i}>
                  <td className="mono">{fk.columns.join(", ")}</td>
                  <td className="mono">
                    {fk.table}({fk.to_columns.map((c) => c ?? "rowid").join(", ")})
                  </td>
                  <td>{fk.on_update}</td>
                  <td>{fk.on_delete}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {table.sql && (
        <>
          <h3>Definition</h3>
          <pre className="code-block">{table.sql}</pre>
        </>
      )}
    </div>
  );
}

interface ColumnDraft {
  name: string;
  type: string;
  primaryKey: boolean;
  notNull: boolean;
  unique: boolean;
  defaultValue: string;
}

const TYPES = ["INTEGER", "TEXT", "REAL", "BLOB", "NUMERIC", "ANY"];

function CreateTable({ database, onClose, onCreated }: { database: string; onClose: () => void; onCreated: (name: string) => void }) {
  const client = useClient();
  const [name, setName] = useState("");
  const [strict, setStrict] = useState(false);
  const [columns, setColumns] = useState<ColumnDraft[]>([
    { name: "id", type: "INTEGER", primaryKey: true, notNull: false, unique: false, defaultValue: "" },
    { name: "", type: "TEXT", primaryKey: false, notNull: false, unique: false, defaultValue: "" },
  ]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const update = (i: number, change: Partial<ColumnDraft>) => setColumns(columns.map((c, j) => (j === i ? { ...c, ...change } : c)));
  const named = columns.filter((c) => c.name.trim());

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const definitions: ColumnDefinition[] = named.map((c) => ({
      name: c.name.trim(),
      type: c.type === "ANY" && !strict ? undefined : c.type,
      primary_key: c.primaryKey || undefined,
      not_null: c.notNull || undefined,
      unique: c.unique || undefined,
      default: c.defaultValue === "" ? undefined : parseInput(c.defaultValue, { type: c.type }) as string | number,
    }));
    setBusy(true);
    setError(null);
    try {
      const created = await client.createTable(database, { name: name.trim(), columns: definitions, strict });
      onCreated(created.name);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <Dialog
      wide
      title="New table"
      onClose={onClose}
      footer={<DialogFooter onCancel={onClose} form="create-table" label="Create table" busy={busy} disabled={!name.trim() || named.length === 0} />}
    >
      <form id="create-table" className="form" onSubmit={submit}>
        <label htmlFor="table-name">Table name</label>
        <input id="table-name" autoFocus value={name} onChange={(e) => setName(e.target.value)} placeholder="items" />
        <fieldset className="columns-editor">
          <legend>Columns</legend>
          <div className="column-row head" aria-hidden>
            <span>Name</span>
            <span>Type</span>
            <span>Primary key</span>
            <span>Not null</span>
            <span>Unique</span>
            <span>Default</span>
            <span />
          </div>
          {columns.map((c, i) => (
            <div className="column-row" key={i}>
              <input aria-label={`Column ${i + 1} name`} value={c.name} onChange={(e) => update(i, { name: e.target.value })} placeholder="name" />
              <select aria-label={`Column ${i + 1} type`} value={c.type} onChange={(e) => update(i, { type: e.target.value })}>
                {TYPES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
              <input type="checkbox" aria-label={`Column ${i + 1} primary key`} checked={c.primaryKey} onChange={(e) => update(i, { primaryKey: e.target.checked })} />
              <input type="checkbox" aria-label={`Column ${i + 1} not null`} checked={c.notNull} onChange={(e) => update(i, { notNull: e.target.checked })} />
              <input type="checkbox" aria-label={`Column ${i + 1} unique`} checked={c.unique} onChange={(e) => update(i, { unique: e.target.checked })} />
              <input aria-label={`Column ${i + 1} default`} value={c.defaultValue} onChange={(e) => update(i, { defaultValue: e.target.value })} placeholder="none" />
              <button type="button" className="icon-btn" aria-label={`Remove column ${i + 1}`} onClick={() => setColumns(columns.filter((_, j) => j !== i))} disabled={columns.length === 1}>
                <X size={14} aria-hidden />
              </button>
            </div>
          ))}
          <button
            type="button"
            className="btn small"
            onClick={() => setColumns([...columns, { name: "", type: "TEXT", primaryKey: false, notNull: false, unique: false, defaultValue: "" }])}
          >
            <Plus size={14} aria-hidden /> Add column
          </button>
        </fieldset>
        <label className="check">
          <input type="checkbox" checked={strict} onChange={(e) => setStrict(e.target.checked)} /> STRICT table (values must match the column types)
        </label>
        {error !== null && <ErrorBox error={error} />}
      </form>
    </Dialog>
  );
}
