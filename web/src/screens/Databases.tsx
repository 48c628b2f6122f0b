// Databases: server-side search, sort and paging (smooth at 10,000+ databases), create
// with optional limits and time to live, delete with a typed confirmation (both only for
// credentials that may); import a file as a new database (screens/Transfer.tsx); each
// database's expiry, backup warnings and lineage beside its name.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { ArrowDown, ArrowUp, ChevronLeft, ChevronRight, FileUp, Plus, Search, Trash2 } from "lucide-react";
import type { DatabaseQuery } from "../lib/api";
import { mayCreate, newDatabaseProblem } from "../lib/access";
import { errorMessage } from "../lib/api";
import { useClient, useMe } from "../lib/context";
import { useDebounced, useLoad, useNow } from "../lib/hooks";
import { formatBytes, formatCount, formatDateTime } from "../lib/format";
import { navigate, pathOf } from "../lib/router";
import { ttlProblem } from "../lib/lifecycle";
import { parseSize } from "../lib/sql";
import type { DatabaseInfo } from "../lib/types";
import { BackupAlertBadge, ExpiryBadge, LineageNote } from "../components/Lifecycle";
import { Link } from "../components/Link";
import { Dialog, DialogFooter, Empty, ErrorBox, Loading, PageHeader, Spinner, TypedConfirm } from "../components/ui";
import { ImportDialog } from "./Transfer";

const PAGE_SIZE = 50;
type SortKey = NonNullable<DatabaseQuery["sort"]>;

const columns: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: "name", label: "Name" },
  { key: "size", label: "Size", numeric: true },
  { key: "tables", label: "Tables", numeric: true },
  { key: "created", label: "Created" },
];

export function Databases() {
  const client = useClient();
  const me = useMe();
  const creator = mayCreate(me);
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState<{ key: SortKey; order: "asc" | "desc" }>({ key: "name", order: "asc" });
  const [offset, setOffset] = useState(0);
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);
  const [deleting, setDeleting] = useState<DatabaseInfo | null>(null);
  const searchBox = useRef<HTMLInputElement>(null);
  const query = useDebounced(search.trim().toLowerCase(), 200);
  const now = useNow(30_000);

  useEffect(() => setOffset(0), [query, sort]);
  // "/" jumps to the search box, as on most sites with one.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (e.key === "/" && !["INPUT", "TEXTAREA"].includes(target.tagName) && !target.isContentEditable) {
        e.preventDefault();
        searchBox.current?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const list = useLoad(
    (signal) => client.databases({ limit: PAGE_SIZE, offset, search: query || undefined, sort: sort.key, order: sort.order }, signal),
    [client, offset, query, sort.key, sort.order],
  );

  const toggleSort = (key: SortKey) =>
    setSort((s) => (s.key === key ? { key, order: s.order === "asc" ? "desc" : "asc" } : { key, order: key === "name" ? "asc" : "desc" }));

  const total = list.data?.total ?? 0;
  const pageEnd = Math.min(offset + PAGE_SIZE, total);

  return (
    <>
      <PageHeader
        title="Databases"
        subtitle={list.data ? `${formatCount(total)} ${query ? "matching" : "in total"}` : undefined}
        actions={
          creator && (
            <>
              <button type="button" className="btn" onClick={() => setImporting(true)}>
                <FileUp size={16} aria-hidden /> Import database…
              </button>
              <button type="button" className="btn primary" onClick={() => setCreating(true)}>
                <Plus size={16} aria-hidden /> New database
              </button>
            </>
          )
        }
      />
      <div className="toolbar">
        <div className="input-icon search">
          <Search size={16} aria-hidden />
          <input
            ref={searchBox}
            type="search"
            placeholder="Search databases  ( / )"
            aria-label="Search databases"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
        {list.loading && list.data && <Spinner label="Loading databases" />}
      </div>
      {list.error && !list.data ? (
        <ErrorBox error={list.error} onRetry={list.reload} title="Cannot list the databases" />
      ) : !list.data ? (
        <Loading what="databases" />
      ) : list.data.databases.length === 0 ? (
        <Empty>
          {query ? (
            <>No database name contains “{query}”.</>
          ) : creator ? (
            <>
              No databases yet.{" "}
              <button type="button" className="btn link" onClick={() => setCreating(true)}>
                Create the first one
              </button>
            </>
          ) : me.is_admin ? (
            <>No databases yet.</>
          ) : (
            <>No databases yet that this credential reaches ({me.databases.join(", ")}).</>
          )}
        </Empty>
      ) : (
        <div className="panel flush">
          {/* On a narrow window the table scrolls sideways inside the panel, not the page. */}
          <div className="table-scroll">
            <table className="table" aria-label="Databases">
              <thead>
                <tr>
                  {columns.map((c) => (
                    <th key={c.key} className={c.numeric ? "num" : undefined} aria-sort={sort.key === c.key ? (sort.order === "asc" ? "ascending" : "descending") : undefined}>
                      <button type="button" className="sort-btn" onClick={() => toggleSort(c.key)}>
                        {c.label}
                        {sort.key === c.key && (sort.order === "asc" ? <ArrowUp size={13} aria-hidden /> : <ArrowDown size={13} aria-hidden />)}
                      </button>
                    </th>
                  ))}
                  <th className="num">Quota</th>
                  <th>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.databases.map((db) => (
                  <tr key={db.name}>
                    <td>
                      <Link to={pathOf("databases", db.name)} className="db-link">
                        {db.name}
                      </Link>
                      {db.open && <span className="badge subtle">open</span>}
                      {db.expires_at && <ExpiryBadge expiresAt={db.expires_at} now={now} />}
                      <BackupAlertBadge status={db.backups} />
                      {db.branched_from && <LineageNote lineage={db.branched_from} />}
                    </td>
                    <td className="num">{formatBytes(db.size_bytes)}</td>
                    <td className="num">{formatCount(db.table_count)}</td>
                    <td>{formatDateTime(db.created_at)}</td>
                    <td className="num muted">{formatBytes(db.max_size_bytes)}</td>
                    <td className="num">
                      {mayCreate(me, db.name) && (
                        <button type="button" className="icon-btn danger" aria-label={`Delete ${db.name}`} onClick={() => setDeleting(db)}>
                          <Trash2 size={16} aria-hidden />
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="pager">
            <span>
              {formatCount(offset + 1)}–{formatCount(pageEnd)} of {formatCount(total)}
            </span>
            <button type="button" className="btn small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
              <ChevronLeft size={15} aria-hidden /> Previous
            </button>
            <button type="button" className="btn small" disabled={pageEnd >= total} onClick={() => setOffset(offset + PAGE_SIZE)}>
              Next <ChevronRight size={15} aria-hidden />
            </button>
          </div>
        </div>
      )}
      {creating && (
        <CreateDatabase
          onClose={() => setCreating(false)}
          onCreated={(name) => {
            setCreating(false);
            navigate(pathOf("databases", name));
          }}
        />
      )}
      {importing && <ImportDialog onClose={() => setImporting(false)} />}
      {deleting && (
        <DeleteDatabase
          database={deleting.name}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            setDeleting(null);
            list.reload();
          }}
        />
      )}
    </>
  );
}

function CreateDatabase({ onClose, onCreated }: { onClose: () => void; onCreated: (name: string) => void }) {
  const client = useClient();
  const me = useMe();
  const [name, setName] = useState("");
  const [maxSize, setMaxSize] = useState("");
  const [ttl, setTtl] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const reach = me.databases.join(", ");
  const nameProblem = name ? newDatabaseProblem(me, name) : null;
  const sizeBytes = maxSize.trim() ? parseSize(maxSize) : undefined;
  const sizeProblem = sizeBytes === null ? "Write a size like 64MiB, 512KiB or 1GiB." : null;
  const lifeProblem = ttl.trim() ? ttlProblem(ttl) : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name || nameProblem || sizeProblem || lifeProblem) return;
    setBusy(true);
    setError(null);
    try {
      await client.createDatabase(name, sizeBytes ?? undefined, ttl.trim() || undefined);
      onCreated(name);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <Dialog
      title="New database"
      onClose={onClose}
      footer={<DialogFooter onCancel={onClose} form="create-db" label="Create database" busy={busy} disabled={!name || !!nameProblem || !!sizeProblem || !!lifeProblem} />}
    >
      <form id="create-db" className="form" onSubmit={submit}>
        <label htmlFor="db-name">Name</label>
        <input id="db-name" autoFocus value={name} onChange={(e) => setName(e.target.value)} placeholder="shop" aria-invalid={nameProblem ? true : undefined} />
        {nameProblem ? <p className="field-error">{nameProblem}</p> : !me.is_admin && <p className="hint">This key may create databases matching {reach}.</p>}
        <label htmlFor="db-max-size">
          Size limit <span className="muted">(optional; the server's default otherwise)</span>
        </label>
        <input id="db-max-size" value={maxSize} onChange={(e) => setMaxSize(e.target.value)} placeholder="e.g. 64MiB" aria-invalid={sizeProblem ? true : undefined} />
        {sizeProblem && <p className="field-error">{sizeProblem}</p>}
        <label htmlFor="db-ttl">
          Time to live <span className="muted">(optional; kept until deleted otherwise)</span>
        </label>
        <input id="db-ttl" value={ttl} onChange={(e) => setTtl(e.target.value)} placeholder="e.g. 1h, 7d" aria-invalid={lifeProblem ? true : undefined} aria-describedby="db-ttl-hint" />
        {lifeProblem ? (
          <p className="field-error">{lifeProblem}</p>
        ) : (
          <p id="db-ttl-hint" className="hint">
            The database is deleted once this time has passed; its page can extend or remove it.
          </p>
        )}
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
      </form>
    </Dialog>
  );
}

export function DeleteDatabase({ database, onClose, onDeleted }: { database: string; onClose: () => void; onDeleted: () => void }) {
  const client = useClient();
  return (
    <TypedConfirm
      id="delete-db"
      title={`Delete ${database}?`}
      expected={database}
      action="Delete forever"
      onClose={onClose}
      onConfirm={async () => {
        await client.deleteDatabase(database);
        onDeleted();
      }}
    >
      <p>
        This deletes the database <strong>{database}</strong> and its files. It cannot be undone.
      </p>
    </TypedConfirm>
  );
}
