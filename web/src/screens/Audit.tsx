// Audit (admins only): the audit log of `GET /admin/audit`, newest first: every admin action
// and every write, who made it, from where and how it ended. The filters live in the URL
// (Back, Forward and bookmarks work); a credential, database or action in the table is a link
// to the log filtered by it. Older entries load a page at a time, and the pager always says
// how many are shown and whether more exist.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { AlertTriangle, RotateCw, X } from "lucide-react";
import {
  AUDIT_PAGE_SIZES,
  auditCredential,
  auditFailed,
  auditFiltersFromSearch,
  auditHref,
  auditLoadedSummary,
  auditQuery,
  auditSearch,
  formatAuditTime,
  isFiltered,
  localToRfc3339,
  NO_AUDIT_FILTERS,
  rfc3339ToLocal,
  type AuditFilters,
} from "../lib/audit";
import { useClient } from "../lib/context";
import { useLoad } from "../lib/hooks";
import { navigate, useLocation } from "../lib/router";
import type { AuditEntry } from "../lib/types";
import { Link } from "../components/Link";
import { Empty, ErrorBox, Loading, PageHeader, Spinner } from "../components/ui";

/** The form's fields: the URL's filters, with since and until in local time for the date fields. */
const toDraft = (f: AuditFilters): AuditFilters => ({ ...f, since: rfc3339ToLocal(f.since), until: rfc3339ToLocal(f.until) });
const fromDraft = (d: AuditFilters): AuditFilters => ({ ...d, since: localToRfc3339(d.since), until: localToRfc3339(d.until) });

interface Older {
  entries: AuditEntry[];
  cursor: number | null;
}

export function AuditScreen() {
  const client = useClient();
  const { search } = useLocation();
  const filters = auditFiltersFromSearch(search);
  const key = auditSearch(filters);
  const [draft, setDraft] = useState(() => toDraft(filters));
  const [older, setOlder] = useState<Older | null>(null);
  const [olderBusy, setOlderBusy] = useState(false);
  const [olderError, setOlderError] = useState<unknown>(null);
  // Bumped whenever the first page is (re)loaded: an older page asked for before is dropped, so
  // the pages on screen always follow each other without a gap.
  const generation = useRef(0);

  // Back, Forward or a clicked link changed the URL: the form follows it.
  useEffect(() => setDraft(toDraft(filters)), [key]);

  const first = useLoad(
    (signal) => {
      generation.current += 1;
      setOlder(null);
      setOlderError(null);
      return client.audit(auditQuery(filters), signal);
    },
    [client, key],
  );
  const entries = [...(first.data?.entries ?? []), ...(older?.entries ?? [])];
  const cursor = older ? older.cursor : first.data?.next_cursor ?? null;

  const loadOlder = async () => {
    if (cursor === null) return;
    const asked = generation.current;
    setOlderBusy(true);
    setOlderError(null);
    try {
      const page = await client.audit(auditQuery(filters, cursor));
      if (generation.current !== asked) return;
      setOlder((o) => ({ entries: [...(o?.entries ?? []), ...page.entries], cursor: page.next_cursor ?? null }));
    } catch (e) {
      if (generation.current === asked) setOlderError(e);
    } finally {
      setOlderBusy(false);
    }
  };

  const go = (next: AuditFilters) => navigate(auditHref(fromDraft(next)));
  const apply = (e: FormEvent) => {
    e.preventDefault();
    go(draft);
  };
  const field = (name: keyof AuditFilters) => ({
    value: draft[name],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value }),
  });
  const changed = auditSearch(fromDraft(draft)) !== key;
  const actions = [...new Set(entries.map((e) => e.action))].sort();
  const pageSizes = AUDIT_PAGE_SIZES.includes(draft.limit || "100") ? AUDIT_PAGE_SIZES : [...AUDIT_PAGE_SIZES, draft.limit];

  return (
    <>
      <PageHeader
        title="Audit"
        subtitle="Every admin action and every write: who, when, from where, and how it ended. Never SQL, parameters or secrets."
        actions={
          <button type="button" className="btn" onClick={first.reload}>
            <RotateCw size={15} aria-hidden /> Refresh
          </button>
        }
      />
      <form className="toolbar wrap audit-filters" role="search" aria-label="Filter the audit log" onSubmit={apply}>
        <input aria-label="Credential id" placeholder="Key or token id" {...field("key")} />
        <input aria-label="Database" placeholder="Database" {...field("database")} />
        <input aria-label="Action" className="wide" placeholder="Action: POST /admin/keys" list="audit-actions" {...field("action")} />
        <datalist id="audit-actions">
          {actions.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <select aria-label="Outcome" value={draft.outcome} onChange={(e) => go({ ...draft, outcome: e.target.value })}>
          <option value="">Any outcome</option>
          <option value="ok">Succeeded</option>
          <option value="error">Failed</option>
          {!["", "ok", "error"].includes(draft.outcome) && <option value={draft.outcome}>{draft.outcome}</option>}
        </select>
        <select aria-label="Entries per page" value={draft.limit || "100"} onChange={(e) => go({ ...draft, limit: e.target.value === "100" ? "" : e.target.value })}>
          {pageSizes.map((n) => (
            <option key={n} value={n}>
              {n} a page
            </option>
          ))}
        </select>
        <label className="inline-field">
          Since <input type="datetime-local" step={1} {...field("since")} />
        </label>
        <label className="inline-field">
          Until <input type="datetime-local" step={1} {...field("until")} />
        </label>
        <button type="submit" className="btn primary small" disabled={!changed}>
          Apply
        </button>
        {isFiltered(filters) && (
          <Link to={auditHref(NO_AUDIT_FILTERS, { limit: filters.limit })} className="btn ghost small">
            <X size={14} aria-hidden /> Clear filters
          </Link>
        )}
        {first.loading && first.data && <Spinner label="Refreshing" />}
      </form>
      <p className="hint audit-hint">Times are local. The credential, database and action in a row filter the log by it; Enter or Apply sets the fields.</p>
      {first.error && !first.data ? (
        <ErrorBox error={first.error} onRetry={first.reload} title="Cannot load the audit log" />
      ) : !first.data ? (
        <Loading what="the audit log" />
      ) : entries.length === 0 ? (
        <Empty>
          {isFiltered(filters) ? (
            <>
              No entry matches these filters. <Link to={auditHref(NO_AUDIT_FILTERS, { limit: filters.limit })}>Clear filters</Link>
            </>
          ) : (
            "Nothing audited yet: admin actions and writes appear here."
          )}
        </Empty>
      ) : (
        <div className="panel flush">
          <div className="table-scroll">
            <table className="table audit" aria-label="Audit log">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Who</th>
                  <th>Client</th>
                  <th>Action</th>
                  <th>Database</th>
                  <th>Statements</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <Row key={e.id} entry={e} filters={filters} />
                ))}
              </tbody>
            </table>
          </div>
          <div className="pager">
            <span role="status" data-testid="audit-loaded">
              {auditLoadedSummary(entries.length, cursor !== null)}
            </span>
            {olderError !== null && <ErrorBox error={olderError} title="Cannot load older entries" />}
            {cursor !== null && (
              <button type="button" className="btn small" disabled={olderBusy || first.loading} onClick={() => void loadOlder()}>
                {olderBusy && <Spinner label="Loading older entries" />} Load older
              </button>
            )}
          </div>
        </div>
      )}
    </>
  );
}

function Row({ entry: e, filters }: { entry: AuditEntry; filters: AuditFilters }) {
  const who = auditCredential(e);
  const failed = auditFailed(e);
  return (
    <tr className={failed ? "failed" : undefined}>
      <td className="mono">
        <time dateTime={e.at} title={e.at}>
          {formatAuditTime(e.at)}
        </time>
      </td>
      <td>
        {who.id ? (
          <Link to={auditHref(filters, { key: who.id })} title={`Only the entries of ${who.id}`}>
            {who.who}
          </Link>
        ) : (
          <strong>{who.who}</strong>
        )}{" "}
        {who.id !== null && <span className="badge subtle">{who.kind}</span>}
        {e.credential_name && who.id && <div className="key-id">{who.id}</div>}
      </td>
      <td className="mono muted">{e.client ?? "—"}</td>
      <td className="mono">
        <Link to={auditHref(filters, { action: e.action })} className="plain-link" title="Only this action">
          {e.action}
        </Link>
      </td>
      <td>
        {e.database ? (
          <Link to={auditHref(filters, { database: e.database })} title={`Only the entries on ${e.database}`}>
            {e.database}
          </Link>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td>
        {e.statements.length > 0 ? (
          e.statements.map((s, i) => (
            <span key={i} className="badge subtle stmt">
              {s}
            </span>
          ))
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td>
        <span className={failed ? "badge bad" : "badge ok"}>
          {failed && <AlertTriangle size={12} aria-hidden />}
          {e.status}
        </span>{" "}
        {e.error && <code className="error-code">{e.error}</code>}
      </td>
    </tr>
  );
}
