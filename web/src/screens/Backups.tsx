// A database's data lifecycle (docs/API.md, "Data lifecycle"): the Backups tab (schedule,
// stored backups; back up now, download, delete, restore as a new database or in place),
// and the dialogs that branch a database and set its time to live. Only what the signed-in
// credential may do is offered: anyone who sees the database lists and downloads its
// backups; changing anything takes the right to delete it; branching and restoring as new
// take the right to create the new name.
import { useState, type FormEvent } from "react";
import { AlertTriangle, ArchiveRestore, CopyPlus, DatabaseBackup, Download, Pencil, ShieldCheck, Trash2 } from "lucide-react";
import { mayCopy, mayManage, newDatabaseProblem } from "../lib/access";
import { ApiError, errorMessage } from "../lib/api";
import { useClient, useMe } from "../lib/context";
import { download } from "../lib/export";
import { formatBytes, formatDateTime, formatRelative } from "../lib/format";
import { useLoad, useNow } from "../lib/hooks";
import {
  backupAlert,
  backupEveryProblem,
  backupKeepProblem,
  expiryLabel,
  parseDuration,
  readableInterval,
  rowSummary,
  scheduleFields,
  scheduleUpdate,
  TTL_PRESETS,
  ttlProblem,
} from "../lib/lifecycle";
import { navigate, pathOf } from "../lib/router";
import type { BackupInfo, BackupStatus, DatabaseInfo } from "../lib/types";
import { BackupAlertBadge } from "../components/Lifecycle";
import { Confirm, Dialog, DialogFooter, Empty, ErrorBox, Loading, Spinner, TypedConfirm } from "../components/ui";

/** The Backups tab of a database's page. `onChanged` reloads the page's database info and tables. */
export function BackupsPanel({ database, info, onChanged }: { database: string; info: DatabaseInfo | undefined; onChanged: () => void }) {
  const client = useClient();
  const me = useMe();
  const manager = mayManage(me, database);
  const copier = mayCopy(me);
  const now = useNow(10_000);
  const list = useLoad((signal) => client.backups(database, signal), [client, database]);
  const [taking, setTaking] = useState(false);
  const [downloading, setDownloading] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ title: string; error: unknown } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [restoringAsNew, setRestoringAsNew] = useState<BackupInfo | null>(null);
  const [restoringHere, setRestoringHere] = useState<BackupInfo | null>(null);
  const [deleting, setDeleting] = useState<BackupInfo | null>(null);

  const backUp = async () => {
    setTaking(true);
    setFailure(null);
    setNotice(null);
    try {
      const taken = await client.createBackup(database);
      setNotice(`Backed up ${database}: ${rowSummary(taken)}, ${formatBytes(taken.stored_bytes)} stored${taken.verified ? " and verified" : ""}.`);
      list.reload();
    } catch (e) {
      setFailure({ title: "The backup failed", error: e });
    } finally {
      setTaking(false);
      // The schedule's status says when the last backup was, or that it failed.
      onChanged();
    }
  };

  const fetchFile = async (backup: BackupInfo) => {
    setDownloading(backup.id);
    setFailure(null);
    try {
      const { blob, filename } = await client.downloadBackup(database, backup.id);
      download(filename, blob);
    } catch (e) {
      setFailure({ title: "Cannot download the backup", error: e });
    } finally {
      setDownloading(null);
    }
  };

  const backups = list.data?.backups ?? [];
  return (
    <div className="backups" data-testid="backups-panel">
      {info && <Schedule status={info.backups} now={now} onEdit={manager ? () => setEditing(true) : undefined} />}
      <div className="section-head">
        <h2 id="backups-title">Backups</h2>
        {list.data && (
          <span className="muted">
            {backups.length === 0 ? "none stored" : `${backups.length} stored, newest first`}
          </span>
        )}
        {list.loading && list.data && <Spinner label="Refreshing the backups" />}
        <span className="spacer" />
        {manager && (
          <button type="button" className="btn primary" onClick={() => void backUp()} disabled={taking}>
            {taking ? <Spinner label="Backing up" /> : <DatabaseBackup size={16} aria-hidden />} {taking ? "Backing up…" : "Back up now"}
          </button>
        )}
      </div>
      {notice && (
        <p className="notice ok" role="status">
          {notice}
        </p>
      )}
      {/* A failed backup shows in the schedule's status; said twice it would only repeat. */}
      {failure && !reportedBySchedule(failure.error, info?.backups?.last_error) && <ErrorBox error={failure.error} title={failure.title} />}
      {list.error && !list.data ? (
        <ErrorBox error={list.error} onRetry={list.reload} title="Cannot list the backups" />
      ) : !list.data ? (
        <Loading what="backups" />
      ) : backups.length === 0 ? (
        <Empty>
          No backups of {database} yet.{" "}
          {manager && (
            <button type="button" className="btn link" onClick={() => void backUp()} disabled={taking}>
              Back it up now
            </button>
          )}
        </Empty>
      ) : (
        <div className="panel flush">
          <div className="table-scroll">
            <table className="table backups-table" aria-labelledby="backups-title">
              <thead>
                <tr>
                  <th>Taken</th>
                  <th>Kind</th>
                  <th className="num">Size</th>
                  <th className="num">Stored</th>
                  <th>Contents</th>
                  <th>Checked</th>
                  <th>Where</th>
                  <th>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {backups.map((b) => (
                  <tr key={b.id} data-backup={b.id}>
                    <td className="when">
                      <strong>{formatDateTime(b.created_at)}</strong> <span className="muted">{formatRelative(b.created_at, now)}</span>
                      <div className="key-id">{b.id}</div>
                    </td>
                    <td>
                      <span className="badge subtle">{b.kind}</span>
                    </td>
                    <td className="num">{formatBytes(b.size_bytes)}</td>
                    <td className="num muted" title="zstd-compressed, as stored">
                      {formatBytes(b.stored_bytes)}
                    </td>
                    <td title={Object.entries(b.row_counts).map(([table, rows]) => `${table}: ${rows}`).join("\n") || "no tables"}>{rowSummary(b)}</td>
                    <td>
                      {b.verified ? (
                        <span className="badge ok" title={`Read back from its destination and checked: SHA-256 ${b.sha256}, integrity_check, the rows of every table`}>
                          <ShieldCheck size={11} aria-hidden /> verified
                        </span>
                      ) : (
                        <span className="badge warn">not verified</span>
                      )}
                    </td>
                    <td>{b.destination}</td>
                    <td className="num actions-cell">
                      <button
                        type="button"
                        className="icon-btn"
                        aria-label={`Download backup ${b.id}`}
                        title="Download (a SQLite file compressed with zstd: zstd -d gives the database)"
                        disabled={downloading !== null}
                        onClick={() => void fetchFile(b)}
                      >
                        {downloading === b.id ? <Spinner label="Downloading" /> : <Download size={15} aria-hidden />}
                      </button>
                      {copier && (
                        <button type="button" className="icon-btn" aria-label={`Restore backup ${b.id} as a new database`} title="Restore as a new database" onClick={() => setRestoringAsNew(b)}>
                          <CopyPlus size={15} aria-hidden />
                        </button>
                      )}
                      {manager && (
                        <button type="button" className="icon-btn danger" aria-label={`Restore backup ${b.id} in place`} title={`Restore in place: replace the content of ${database}`} onClick={() => setRestoringHere(b)}>
                          <ArchiveRestore size={15} aria-hidden />
                        </button>
                      )}
                      {manager && (
                        <button type="button" className="icon-btn danger" aria-label={`Delete backup ${b.id}`} title="Delete this backup" onClick={() => setDeleting(b)}>
                          <Trash2 size={15} aria-hidden />
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {editing && (
        <ScheduleDialog
          database={database}
          status={info?.backups}
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            onChanged();
          }}
        />
      )}
      {restoringAsNew && <RestoreAsNew database={database} backup={restoringAsNew} onClose={() => setRestoringAsNew(null)} />}
      {restoringHere && (
        <TypedConfirm
          id="restore-in-place"
          title={`Replace the content of ${database}?`}
          expected={database}
          action="Replace the content"
          onClose={() => setRestoringHere(null)}
          onConfirm={async () => {
            // The server checks `confirm` too: it must be the database's own name.
            await client.restoreBackup(database, { backup: restoringHere.id, confirm: database });
            setRestoringHere(null);
            setFailure(null);
            setNotice(`${database} now holds the content of its backup of ${formatDateTime(restoringHere.created_at)} (${rowSummary(restoringHere)}).`);
            onChanged();
          }}
        >
          <p>
            Everything in <strong>{database}</strong> now, every table and row, is replaced by its backup of{" "}
            <strong>{formatDateTime(restoringHere.created_at)}</strong> ({rowSummary(restoringHere)}). Changes made since that backup are lost: back up now
            first to keep them, or restore as a new database instead.
          </p>
          <p className="hint">
            Reads go on during the restore and see the old content or the new, never a mix; writes wait for it; open libSQL transactions on {database} are
            rolled back.
          </p>
        </TypedConfirm>
      )}
      {deleting && (
        <Confirm
          title="Delete this backup?"
          action="Delete backup"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await client.deleteBackup(database, deleting.id);
            setDeleting(null);
            setNotice(`The backup of ${formatDateTime(deleting.created_at)} is deleted.`);
            list.reload();
            onChanged();
          }}
        >
          <p>
            The backup of <strong>{formatDateTime(deleting.created_at)}</strong> (<code>{deleting.id}</code>, {rowSummary(deleting)}) is deleted from its
            destination ({deleting.destination}). It cannot be undone.
          </p>
        </Confirm>
      )}
    </div>
  );
}

/**
 * Whether the schedule's status already tells of `error`: its last error is the same message,
 * or, for a failure whose detail the server keeps to its log (paths, a destination's address),
 * `{code}: {what it means}`.
 */
function reportedBySchedule(error: unknown, lastError: string | null | undefined): boolean {
  if (!lastError) return false;
  if (errorMessage(error) === lastError) return true;
  return error instanceof ApiError && lastError.startsWith(`${error.code}: `);
}

/** The schedule and how it is doing: interval, how many are kept, the last backup, a warning. */
function Schedule({ status, now, onEdit }: { status: BackupStatus | null | undefined; now: number; onEdit?: () => void }) {
  const alert = backupAlert(status);
  const every = status?.every ? `every ${readableInterval(status.every)}` : "on demand only";
  return (
    <section className="panel schedule" aria-labelledby="schedule-title">
      <div className="panel-head">
        <h2 id="schedule-title">Schedule</h2>
        {onEdit && (
          <button type="button" className="btn small" onClick={onEdit}>
            <Pencil size={14} aria-hidden /> Edit schedule
          </button>
        )}
      </div>
      <dl className="facts-grid" data-testid="backup-schedule">
        <div>
          <dt>Backed up</dt>
          <dd>{every}</dd>
        </div>
        <div>
          <dt>Kept</dt>
          <dd>{status ? `the newest ${status.keep}` : "the server's default"}</dd>
        </div>
        <div>
          <dt>Last backup</dt>
          <dd data-testid="last-backup">
            {status?.last_success_at ? (
              <span title={formatDateTime(status.last_success_at)}>
                {formatRelative(status.last_success_at, now)} <span className="muted">· {formatDateTime(status.last_success_at)}</span>
              </span>
            ) : (
              <span className="muted">never</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>{alert ? <BackupAlertBadge status={status} /> : status?.every ? <span className="badge ok">on schedule</span> : <span className="muted">no schedule</span>}</dd>
        </div>
      </dl>
      {alert && (
        <div className="error-box compact" role="alert">
          <AlertTriangle size={18} aria-hidden />
          <div className="error-text">
            <strong>{alert.kind === "failed" ? "The last backup failed" : "A backup is overdue"}</strong>
            <span>
              {alert.kind === "failed" ? status?.last_error : alert.detail}
              {status?.last_failure_at && <span className="muted"> ({formatDateTime(status.last_failure_at)})</span>}
            </span>
            {alert.kind === "failed" && (
              <span className="muted">{status?.every ? "The schedule tries again after a minute; Back up now tries at once." : "Back up now tries again."}</span>
            )}
          </div>
        </div>
      )}
    </section>
  );
}

/** Edits the interval and the number kept; sends only what changed (PATCH). */
function ScheduleDialog({ database, status, onClose, onSaved }: { database: string; status: BackupStatus | null | undefined; onClose: () => void; onSaved: () => void }) {
  const client = useClient();
  const initial = scheduleFields(status);
  const [every, setEvery] = useState(initial.every);
  const [keep, setKeep] = useState(initial.keep);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const everyProblem = backupEveryProblem(every);
  const keepProblem = backupKeepProblem(keep);
  const update = scheduleUpdate(initial, { every, keep });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (everyProblem || keepProblem) return;
    if (!update) return onClose();
    setBusy(true);
    setError(null);
    try {
      await client.updateDatabase(database, update);
      onSaved();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={`Backup schedule of ${database}`}
      onClose={onClose}
      footer={<DialogFooter onCancel={onClose} form="backup-schedule" label="Save schedule" busy={busy} disabled={!!everyProblem || !!keepProblem || !update} />}
    >
      <form id="backup-schedule" className="form" onSubmit={submit}>
        <label htmlFor="backup-every">Back up every</label>
        <input id="backup-every" autoFocus value={every} onChange={(e) => setEvery(e.target.value)} placeholder="the server's default" aria-invalid={everyProblem ? true : undefined} />
        {everyProblem ? (
          <p className="field-error">{everyProblem}</p>
        ) : (
          <p className="hint">
            An interval (<code>30m</code>, <code>1h</code>, <code>1d</code>), or <code>off</code> for backups on demand only; empty for the server's default. A
            database that did not change is not backed up again.
          </p>
        )}
        <label htmlFor="backup-keep">Backups kept</label>
        <input id="backup-keep" inputMode="numeric" value={keep} onChange={(e) => setKeep(e.target.value)} placeholder="the server's default" aria-invalid={keepProblem ? true : undefined} />
        {keepProblem ? <p className="field-error">{keepProblem}</p> : <p className="hint">After each backup, older ones beyond this number are deleted; empty for the server's default.</p>}
        {error !== null && <ErrorBox error={error} />}
      </form>
    </Dialog>
  );
}

/** Restores a backup into a new database, then opens it. */
function RestoreAsNew({ database, backup, onClose }: { database: string; backup: BackupInfo; onClose: () => void }) {
  const client = useClient();
  const me = useMe();
  const [name, setName] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const problem = name ? newDatabaseProblem(me, name) : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name || problem) return;
    setBusy(true);
    setError(null);
    try {
      const created = await client.restoreBackup(database, { backup: backup.id, as: name });
      navigate(pathOf("databases", created.name));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <Dialog title="Restore as a new database" onClose={onClose} footer={<DialogFooter onCancel={onClose} form="restore-as-new" label="Restore" busy={busy} disabled={!name || !!problem} />}>
      <form id="restore-as-new" className="form" onSubmit={submit}>
        <p>
          A new database gets the content of the backup of <strong>{database}</strong> taken {formatDateTime(backup.created_at)} ({rowSummary(backup)}).{" "}
          {database} itself is not changed.
        </p>
        <label htmlFor="restore-name">Name of the new database</label>
        <input id="restore-name" autoFocus autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} placeholder={`${database}-restored`.slice(0, 64)} aria-invalid={problem ? true : undefined} />
        {problem && <p className="field-error">{problem}</p>}
        {error !== null && <ErrorBox error={error} />}
      </form>
    </Dialog>
  );
}

/** Branches a database into a new one (a copy of it as it is now), then opens the branch. */
export function BranchDialog({ database, onClose }: { database: string; onClose: () => void }) {
  const client = useClient();
  const me = useMe();
  const [name, setName] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const problem = name ? newDatabaseProblem(me, name) : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name || problem) return;
    setBusy(true);
    setError(null);
    try {
      const branch = await client.branchDatabase(database, name);
      navigate(pathOf("databases", branch.name));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Branch ${database}`} onClose={onClose} footer={<DialogFooter onCancel={onClose} form="branch-db" label="Create branch" busy={busy} disabled={!name || !!problem} />}>
      <form id="branch-db" className="form" onSubmit={submit}>
        <p>
          A branch is a new database holding a copy of <strong>{database}</strong> as it is now: its tables, rows and size limit. From then on the two are
          independent; the branch remembers where it came from.
        </p>
        <label htmlFor="branch-name">Name of the branch</label>
        <input id="branch-name" autoFocus autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} placeholder={`${database}-dev`.slice(0, 64)} aria-invalid={problem ? true : undefined} />
        {problem && <p className="field-error">{problem}</p>}
        {error !== null && <ErrorBox error={error} />}
      </form>
    </Dialog>
  );
}

/** Sets a new time to live from now, or removes it (PATCH `ttl`). */
export function TtlDialog({ database, expiresAt, onClose, onSaved }: { database: string; expiresAt: string | null | undefined; onClose: () => void; onSaved: () => void }) {
  const client = useClient();
  const now = useNow(10_000);
  const [ttl, setTtl] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<"set" | "clear" | null>(null);
  const problem = ttl.trim() ? ttlProblem(ttl) : null;
  const seconds = ttl.trim() && !problem ? parseDuration(ttl) : null;

  const save = async (value: string | null) => {
    setBusy(value === null ? "clear" : "set");
    setError(null);
    try {
      await client.updateDatabase(database, { ttl: value });
      onSaved();
    } catch (e) {
      setError(e);
      setBusy(null);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!ttl.trim() || problem) return;
    void save(ttl.trim());
  };

  return (
    <Dialog
      title={`Time to live of ${database}`}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          {expiresAt && (
            <button type="button" className="btn danger-outline" onClick={() => void save(null)} disabled={busy !== null}>
              {busy === "clear" && <Spinner label="Working" />} Keep forever
            </button>
          )}
          <button type="submit" form="set-ttl" className="btn primary" disabled={!ttl.trim() || !!problem || busy !== null}>
            {busy === "set" && <Spinner label="Working" />} Set time to live
          </button>
        </>
      }
    >
      <form id="set-ttl" className="form" onSubmit={submit}>
        <p>
          {expiresAt ? (
            <>
              <strong>{database}</strong> {expiryLabel(expiresAt, now)} ({formatDateTime(expiresAt)}): then it is deleted, with its data. A new time to live
              counts from now; <em>Keep forever</em> removes it.
            </>
          ) : (
            <>
              <strong>{database}</strong> has no time to live: it is kept until someone deletes it. With one, it is deleted, with its data, once that time has
              passed.
            </>
          )}
        </p>
        <label htmlFor="ttl-value">Delete it after</label>
        <div className="inline-row">
          <input id="ttl-value" autoFocus autoComplete="off" value={ttl} onChange={(e) => setTtl(e.target.value)} placeholder="e.g. 2h, 7d" aria-invalid={problem ? true : undefined} />
          {TTL_PRESETS.map((preset) => (
            <button key={preset} type="button" className="btn small" onClick={() => setTtl(preset)} aria-pressed={ttl.trim() === preset}>
              {preset}
            </button>
          ))}
        </div>
        {problem ? (
          <p className="field-error">{problem}</p>
        ) : seconds !== null ? (
          <p className="hint" data-testid="ttl-preview">
            From now: deleted around {formatDateTime(new Date(now + seconds * 1000).toISOString())}.
          </p>
        ) : (
          <p className="hint">A duration from now: 30m, 2h, 7d, 1h30m.</p>
        )}
        {error !== null && <ErrorBox error={error} />}
      </form>
    </Dialog>
  );
}
