// Export and import (docs/API.md, "Export and import"). Exports are streamed by the server
// (`GET /api/db/{name}/export`), so a file holds every row, never only what a grid shows: the
// Export dialog of a database's page (a SQL dump or the SQLite file of the database, a table as
// CSV, JSON, NDJSON or a SQL dump), and the CSV and JSON buttons of the table grid and the SQL
// console. Imports upload a file (`POST /admin/databases/{name}/import`) with its progress:
// into a database from its page, or as a new database from the list. Read-only credentials
// may export; importing takes write access (into a database) or the right to create (a new one).
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Braces, FileDown, FileUp, X } from "lucide-react";
import { newDatabaseProblem } from "../lib/access";
import { ApiError } from "../lib/api";
import { useClient, useMe } from "../lib/context";
import { download, toCsv, toJson } from "../lib/export";
import { formatBytes, formatCount } from "../lib/format";
import { navigate, pathOf } from "../lib/router";
import {
  databaseNameFromFile,
  exportProblem,
  FORMAT_LABELS,
  formatFromFileName,
  holdsRows,
  importIntoProblem,
  importSummary,
  progressLabel,
  tableNameFromFile,
  type ExportRequest,
  type ExportSource,
  type TransferFormat,
} from "../lib/transfer";
import type { CellValue, ImportResult, TableInfo } from "../lib/types";
import { Dialog, ErrorBox, Spinner } from "../components/ui";

interface Progress {
  done: number;
  total: number | null;
}

/** The rows a result already holds, for a statement the server will not run again (one that writes). */
export interface ShownRows {
  columns: string[];
  rows: CellValue[][];
  /** Whether the server cut the result at its row limit: the rows shown are then not all. */
  truncated: boolean;
}

export interface Exporter {
  run: (request: ExportRequest, shown?: ShownRows) => Promise<void>;
  cancel: () => void;
  busy: TransferFormat | null;
  progress: Progress | null;
  error: unknown;
  saved: string | null;
}

/** Runs a component's exports, one at a time: its progress, the file saved, or why it failed. */
export function useExporter(database: string): Exporter {
  const client = useClient();
  const [busy, setBusy] = useState<TransferFormat | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const controller = useRef<AbortController | null>(null);
  // Leaving the page stops a download in progress.
  useEffect(() => () => controller.current?.abort(), []);

  const run = async (request: ExportRequest, shown?: ShownRows) => {
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    setBusy(request.format);
    setError(null);
    setSaved(null);
    setProgress(null);
    let shownAt = 0;
    try {
      const problem = exportProblem(request);
      if (problem) throw new Error(problem);
      const { blob, filename } = await client.exportData(database, request, {
        signal: abort.signal,
        onProgress: (done, total) => {
          // A render per chunk would be thousands: a few a second say as much.
          const now = performance.now();
          if (now - shownAt > 120) {
            shownAt = now;
            setProgress({ done, total });
          }
        },
      });
      if (abort.signal.aborted) return;
      download(filename, blob);
      setSaved(`Saved ${filename} (${formatBytes(blob.size)}).`);
    } catch (e) {
      if (abort.signal.aborted) return;
      // A statement that writes (INSERT ... RETURNING) is not run again by an export: when the
      // result on screen is whole, the file is made of it instead.
      if (e instanceof ApiError && e.forbidden && shown && !shown.truncated && request.format !== "ndjson") {
        const stamp = new Date().toISOString().slice(0, 19).replaceAll(":", "");
        const csv = request.format === "csv";
        download(
          `${database}-${stamp}.${request.format}`,
          csv ? toCsv(shown.columns, shown.rows) : toJson(shown.columns, shown.rows),
          csv ? "text/csv" : "application/json",
        );
        setSaved(`This statement writes, so it was not run again: the file holds the ${formatCount(shown.rows.length)} rows it answered.`);
        return;
      }
      setError(e);
    } finally {
      if (controller.current === abort) {
        controller.current = null;
        setBusy(null);
        setProgress(null);
      }
    }
  };
  const cancel = () => {
    controller.current?.abort();
    controller.current = null;
    setBusy(null);
    setProgress(null);
  };
  return { run, cancel, busy, progress, error, saved };
}

/**
 * The CSV and JSON buttons over a grid: the server exports `source` (the table, or the query
 * that gave the result), so the file holds every row.
 */
export function ExportButtons({ exporter, source, what, shown }: { exporter: Exporter; source: ExportSource; what: string; shown?: ShownRows }) {
  const formats: { format: TransferFormat; icon: typeof FileDown }[] = [
    { format: "csv", icon: FileDown },
    { format: "json", icon: Braces },
  ];
  return (
    <>
      {formats.map(({ format, icon: Icon }) => (
        <button
          key={format}
          type="button"
          className="btn small"
          title={`Export ${what} as ${FORMAT_LABELS[format]}: every row, streamed by the server`}
          aria-label={FORMAT_LABELS[format]}
          disabled={exporter.busy !== null}
          onClick={() => void exporter.run({ format, source }, shown)}
        >
          {exporter.busy === format ? <Spinner label={`Exporting ${FORMAT_LABELS[format]}`} /> : <Icon size={14} aria-hidden />} {FORMAT_LABELS[format]}
        </button>
      ))}
    </>
  );
}

/** How an export is going (bytes received, a Cancel), the file it saved, or its error. */
export function ExportStatus({ exporter, compact }: { exporter: Exporter; compact?: boolean }) {
  if (exporter.busy) {
    return (
      <p className="transfer-status" role="status" data-testid="export-progress">
        <Spinner label="Exporting" /> Exporting {FORMAT_LABELS[exporter.busy]}…{" "}
        {exporter.progress && <span className="muted">{progressLabel(exporter.progress.done, exporter.progress.total)} received</span>}
        <button type="button" className="btn link" onClick={exporter.cancel}>
          Cancel
        </button>
      </p>
    );
  }
  if (exporter.error !== null) return <ErrorBox error={exporter.error} title="The export failed" />;
  if (exporter.saved && !compact) {
    return (
      <p className="notice ok" role="status" data-testid="export-saved">
        {exporter.saved}
      </p>
    );
  }
  return null;
}

const FORMAT_NOTES: Record<TransferFormat, string> = {
  sql: "CREATE and INSERT statements, as sqlite3 .dump writes them",
  sqlite: "the database file itself, a consistent snapshot",
  csv: "a header row, then one line per row",
  json: "one array of row objects",
  ndjson: "one row object per line",
};

/** The Export dialog of a database's page: the whole database, or one table or view. */
export function ExportDialog({ database, tables, initialTable, onClose }: { database: string; tables: TableInfo[]; initialTable?: string | null; onClose: () => void }) {
  const exporter = useExporter(database);
  const [what, setWhat] = useState(() => (initialTable && tables.some((t) => t.name === initialTable) ? initialTable : ""));
  const target = tables.find((t) => t.name === what) ?? null;
  // A view has rows but no dump of its own; the SQLite file is the whole database.
  const formats: TransferFormat[] = !target ? ["sql", "sqlite"] : target.type === "view" ? ["csv", "json", "ndjson"] : ["csv", "json", "ndjson", "sql"];
  const [chosen, setChosen] = useState<TransferFormat>(target ? "csv" : "sql");
  const format = formats.includes(chosen) ? chosen : formats[0]!;
  const [nullMarker, setNullMarker] = useState("");
  const request: ExportRequest = { format, source: target ? { kind: "table", table: target.name } : { kind: "database" }, nullMarker };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (exporter.busy) return;
    void exporter.run(request);
  };

  return (
    <Dialog
      title={`Export ${database}`}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
          <button type="submit" form="export-form" className="btn primary" disabled={exporter.busy !== null}>
            {exporter.busy ? <Spinner label="Exporting" /> : <FileDown size={15} aria-hidden />} Export
          </button>
        </>
      }
    >
      <form id="export-form" className="form" onSubmit={submit}>
        <label htmlFor="export-what">What</label>
        <select id="export-what" value={what} onChange={(e) => setWhat(e.target.value)}>
          <option value="">The whole database</option>
          {tables.map((t) => (
            <option key={t.name} value={t.name}>
              {t.type === "view" ? `View ${t.name}` : `Table ${t.name}`}
            </option>
          ))}
        </select>
        <fieldset className="choices">
          <legend>Format</legend>
          {formats.map((f) => (
            <label key={f} className="choice">
              <input type="radio" name="export-format" value={f} checked={format === f} onChange={() => setChosen(f)} />
              <span>
                <strong>{FORMAT_LABELS[f]}</strong> <span className="muted">{FORMAT_NOTES[f]}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {format === "csv" && (
          <NullMarkerField
            id="export-null"
            value={nullMarker}
            onChange={setNullMarker}
            verb="written"
            hint="Empty: an empty field (the default). Text that would read as NULL, a number or hex is quoted, so the file imports back with its types."
          />
        )}
        <p className="hint">The server streams the file: every row, read at one point in time, whatever its size.</p>
        <ExportStatus exporter={exporter} />
      </form>
    </Dialog>
  );
}

function NullMarkerField({ id, value, onChange, verb, hint }: { id: string; value: string; onChange: (value: string) => void; verb: string; hint: string }) {
  return (
    <>
      <label htmlFor={id}>
        NULL is {verb} as <span className="muted">(optional)</span>
      </label>
      <input id={id} className="mono" autoComplete="off" spellCheck={false} value={value} onChange={(e) => onChange(e.target.value)} placeholder="an empty field" aria-describedby={`${id}-hint`} />
      <p id={`${id}-hint`} className="hint">
        {hint}
      </p>
    </>
  );
}

type ImportPhase = "upload" | "import";

/**
 * Imports a file: into `database` (from its page; `tables` are its tables, offered as targets),
 * or, without a database, as a new database named in the form (from the list). The format
 * comes from the file's name and may be changed; CSV, JSON and NDJSON go to a table, new or
 * existing. The upload shows its progress; the result, or the server's error (which names the
 * line), stays in the dialog.
 */
export function ImportDialog({
  database,
  tables = [],
  onClose,
  onImported,
}: {
  database?: string;
  tables?: TableInfo[];
  onClose: () => void;
  onImported?: (result: ImportResult) => void;
}) {
  const client = useClient();
  const me = useMe();
  const asNew = database === undefined;
  const [name, setName] = useState("");
  const [nameEdited, setNameEdited] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<TransferFormat | "">("");
  const [table, setTable] = useState("");
  const [nullMarker, setNullMarker] = useState("");
  const [phase, setPhase] = useState<ImportPhase | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const controller = useRef<AbortController | null>(null);
  useEffect(() => () => controller.current?.abort(), []);

  const detected = file ? formatFromFileName(file.name) : null;
  const target = asNew ? name : database;
  const rows = format !== "" && holdsRows(format);
  const existing = rows ? tables.find((t) => t.name.toLowerCase() === table.trim().toLowerCase()) : undefined;
  const nameProblem = asNew && name ? newDatabaseProblem(me, name) : null;
  const problem =
    nameProblem ??
    (format === ""
      ? null
      : !asNew
        ? importIntoProblem({ format, table })
        : rows && !table.trim()
          ? "Name the table the rows go to."
          : null) ??
    (existing?.type === "view" ? `${existing.name} is a view: rows go into a table.` : null);
  const ready = !!file && format !== "" && !!target && !problem && phase === null;

  const pick = (picked: File | null) => {
    setFile(picked);
    setError(null);
    setResult(null);
    if (!picked) return;
    setFormat(formatFromFileName(picked.name) ?? "");
    setTable(tableNameFromFile(picked.name));
    if (asNew && !nameEdited) setName(databaseNameFromFile(picked.name));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready || !file || !target) return;
    const abort = new AbortController();
    controller.current = abort;
    setError(null);
    setResult(null);
    setPhase("upload");
    setProgress({ done: 0, total: file.size });
    try {
      if (asNew) {
        // Any format but a SQLite file would load into a database of that name that exists.
        const taken = await client.databaseExists(target, abort.signal);
        if (taken) throw new Error(`A database named ${target} exists already: pick another name, or import into it from its page.`);
      }
      let shownAt = 0;
      const imported = await client.importFile(target, file, { format, table, nullMarker }, {
        signal: abort.signal,
        onProgress: (done, total) => {
          const now = performance.now();
          if (now - shownAt > 100 || done === total) {
            shownAt = now;
            setProgress({ done, total });
          }
        },
        onUploaded: () => setPhase("import"),
      });
      setResult(imported);
      onImported?.(imported);
      if (asNew) navigate(imported.table ? pathOf("databases", imported.database, "tables", imported.table) : pathOf("databases", imported.database));
    } catch (e) {
      if (abort.signal.aborted) return;
      setError(e);
    } finally {
      if (controller.current === abort) controller.current = null;
      setPhase(null);
      setProgress(null);
    }
  };

  const stop = () => {
    controller.current?.abort();
    controller.current = null;
    setPhase(null);
    setProgress(null);
  };

  const title = asNew ? "Import database" : `Import into ${database}`;
  return (
    <Dialog
      wide
      title={title}
      onClose={onClose}
      footer={
        result && !asNew ? (
          <>
            {result.table && (
              <button
                type="button"
                className="btn"
                onClick={() => {
                  onClose();
                  navigate(pathOf("databases", result.database, "tables", result.table!));
                }}
              >
                Open {result.table}
              </button>
            )}
            <button type="button" className="btn primary" onClick={onClose} autoFocus>
              Done
            </button>
          </>
        ) : (
          <>
            {phase === "upload" ? (
              <button type="button" className="btn" onClick={stop}>
                <X size={15} aria-hidden /> Stop the upload
              </button>
            ) : (
              <button type="button" className="btn" onClick={onClose}>
                Cancel
              </button>
            )}
            <button type="submit" form="import-form" className="btn primary" disabled={!ready}>
              {phase ? <Spinner label="Importing" /> : <FileUp size={15} aria-hidden />} Import
            </button>
          </>
        )
      }
    >
      <form id="import-form" className="form" onSubmit={submit}>
        <p className="hint">
          {asNew
            ? "A new database from a file: a SQLite database file, a SQL dump, or the rows of one table as CSV, JSON or NDJSON."
            : "A SQL dump runs in this database; the rows of a CSV, JSON or NDJSON file go to a table, new or existing. All or nothing: if anything fails, nothing changes."}
        </p>
        <label htmlFor="import-file">File</label>
        <input id="import-file" type="file" disabled={phase !== null} onChange={(e) => pick(e.target.files?.[0] ?? null)} />
        {file && (
          <p className="hint" data-testid="import-file-facts">
            {file.name}, {formatBytes(file.size)}
          </p>
        )}
        {asNew && (
          <>
            <label htmlFor="import-name">Name of the new database</label>
            <input
              id="import-name"
              autoComplete="off"
              value={name}
              disabled={phase !== null}
              onChange={(e) => {
                setName(e.target.value);
                setNameEdited(true);
              }}
              placeholder="shop"
              aria-invalid={nameProblem ? true : undefined}
            />
            {nameProblem && <p className="field-error">{nameProblem}</p>}
          </>
        )}
        <label htmlFor="import-format">Format</label>
        <select id="import-format" value={format} disabled={phase !== null} onChange={(e) => setFormat(e.target.value as TransferFormat | "")} aria-describedby="import-format-hint">
          <option value="" disabled>
            Pick the file's format
          </option>
          {(Object.keys(FORMAT_LABELS) as TransferFormat[]).map((f) => (
            <option key={f} value={f}>
              {FORMAT_LABELS[f]}
            </option>
          ))}
        </select>
        <p id="import-format-hint" className="hint">
          {!file
            ? "Recognised from the file's name (.sqlite, .db, .sql, .csv, .json, .ndjson); change it if the name does not say."
            : detected === null
              ? `The name ${file.name} does not say what the file holds: pick its format.`
              : detected === format
                ? `${FORMAT_LABELS[detected]}, from the file's name.`
                : `The file's name says ${FORMAT_LABELS[detected]}; it will be read as ${FORMAT_LABELS[format as TransferFormat] ?? "…"}.`}
        </p>
        {rows && (
          <>
            <label htmlFor="import-table">Table</label>
            <input id="import-table" autoComplete="off" spellCheck={false} list="import-tables" value={table} disabled={phase !== null} onChange={(e) => setTable(e.target.value)} placeholder="people" />
            <datalist id="import-tables">
              {tables
                .filter((t) => t.type === "table")
                .map((t) => (
                  <option key={t.name} value={t.name} />
                ))}
            </datalist>
            {table.trim() && existing?.type !== "view" && (
              <p className="hint" data-testid="import-table-hint">
                {existing
                  ? `${existing.name} exists: the rows are added to it, and the file's ${format === "csv" ? "header" : "keys"} must name its columns.`
                  : `A new table ${table.trim()}, with a column per ${format === "csv" ? "field of the header" : "key"}, typed from the values.`}
              </p>
            )}
          </>
        )}
        {format === "csv" && (
          <NullMarkerField
            id="import-null"
            value={nullMarker}
            onChange={setNullMarker}
            verb="written in the file"
            hint="An unquoted field equal to it is NULL (by default, an empty field; \N is another common marker); a quoted field is always text."
          />
        )}
        {problem && <p className="field-error">{problem}</p>}
        {phase && progress && <UploadProgress phase={phase} progress={progress} />}
        {error !== null && <ErrorBox error={error} title="The import failed: nothing was changed" />}
        {result && (
          <p className="notice ok" role="status" data-testid="import-result">
            {importSummary(result)}
          </p>
        )}
      </form>
    </Dialog>
  );
}

function UploadProgress({ phase, progress }: { phase: ImportPhase; progress: Progress }) {
  return (
    <div className="transfer-progress" data-testid="import-progress">
      {phase === "upload" ? (
        <>
          <progress value={progress.done} max={progress.total ?? undefined} aria-label="Upload" />
          <span>Uploading: {progressLabel(progress.done, progress.total)}</span>
        </>
      ) : (
        <>
          <progress aria-label="Import" />
          <span>
            <Spinner label="Importing" /> Uploaded; the server is importing it, in one transaction (closing this does not stop it)…
          </span>
        </>
      )}
    </div>
  );
}
