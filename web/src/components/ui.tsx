// Small building blocks every screen shares: loading, error and empty states, badges,
// the modal dialog, a confirmation (and one that asks to type a name), a copyable secret and
// the page header.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { AlertTriangle, Check, Copy, Loader2, RotateCw, X } from "lucide-react";
import { ApiError, errorMessage } from "../lib/api";
import { literal } from "../lib/sql";
import type { CellValue } from "../lib/types";

export function Spinner({ label = "Loading" }: { label?: string }) {
  return (
    <span className="spinner" role="status" aria-label={label}>
      <Loader2 size={16} className="spin" aria-hidden />
    </span>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <div className="state">
      <Spinner label={`Loading ${what}`} /> <span>Loading {what}…</span>
    </div>
  );
}

export function ErrorBox({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div className="error-box" role="alert">
      <AlertTriangle size={18} aria-hidden />
      <div className="error-text">
        {title && <strong>{title}</strong>}
        <span>{errorMessage(error)}</span>
        {code && code !== "network" && <code className="error-code">{code}</code>}
      </div>
      {onRetry && (
        <button type="button" className="btn ghost small" onClick={onRetry}>
          <RotateCw size={14} aria-hidden /> Retry
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state empty">{children}</div>;
}

export function PageHeader({ title, subtitle, actions }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <p className="subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="actions">{actions}</div>}
    </header>
  );
}

export function StatusBadge({ status }: { status: number }) {
  const kind = status >= 500 ? "bad" : status >= 400 ? "warn" : "ok";
  return <span className={`badge ${kind}`}>{status}</span>;
}

/**
 * A modal dialog on the native <dialog>: the browser traps focus and closes it on Escape;
 * focus returns to where it was when it closes.
 */
export function Dialog({
  title,
  onClose,
  children,
  footer,
  wide,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    const previous = document.activeElement as HTMLElement | null;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      dialog?.close();
      previous?.focus?.();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={wide ? "dialog wide" : "dialog"}
      aria-label={title}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <div className="dialog-head">
        <h2>{title}</h2>
        <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
          <X size={18} aria-hidden />
        </button>
      </div>
      <div className="dialog-body">{children}</div>
      {footer && <div className="dialog-foot">{footer}</div>}
    </dialog>
  );
}

/**
 * Cancel plus the dialog's action. The action submits the form `form` when given (so Enter
 * in a field submits too), else calls `onAction`.
 */
export function DialogFooter({
  onCancel,
  label,
  busy,
  disabled,
  danger,
  form,
  onAction,
}: {
  onCancel: () => void;
  label: string;
  busy: boolean;
  disabled?: boolean;
  danger?: boolean;
  form?: string;
  onAction?: () => void;
}) {
  return (
    <>
      <button type="button" className="btn" onClick={onCancel}>
        Cancel
      </button>
      <button
        type={form ? "submit" : "button"}
        form={form}
        className={danger ? "btn danger" : "btn primary"}
        disabled={disabled || busy}
        onClick={form ? undefined : onAction}
        autoFocus={!form}
      >
        {busy && <Spinner label="Working" />} {label}
      </button>
    </>
  );
}

/** SQL and its parameters, exactly as they will be sent. */
export function SqlPreview({ sql, params }: { sql: string; params: readonly CellValue[] }) {
  return (
    <div className="sql-preview" aria-label="SQL that will run">
      <pre>{sql}</pre>
      {params.length > 0 && (
        <ol className="params">
          {params.map((p, i) => (
            <li key={i}>
              <code>?{i + 1}</code> = <code>{literal(p)}</code>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/**
 * Asks before an action that cannot be undone (revoking, rotating), runs it on
 * confirmation and shows the server's error if it fails.
 */
export function Confirm({
  title,
  action,
  onClose,
  onConfirm,
  children,
}: {
  title: string;
  action: string;
  onClose: () => void;
  onConfirm: () => Promise<unknown>;
  children: ReactNode;
}) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} onClose={onClose} footer={<DialogFooter onCancel={onClose} onAction={() => void run()} label={action} danger busy={busy} />}>
      {children}
      {error !== null && <ErrorBox error={error} />}
    </Dialog>
  );
}

/**
 * Asks before an action that destroys data (deleting a database, replacing its content):
 * the action stays disabled until `expected` (the database's name) is typed.
 */
export function TypedConfirm({
  id,
  title,
  expected,
  action,
  onClose,
  onConfirm,
  children,
}: {
  /** The form's id (unique on the page). */
  id: string;
  title: string;
  expected: string;
  action: string;
  onClose: () => void;
  onConfirm: () => Promise<unknown>;
  children: ReactNode;
}) {
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (typed !== expected) return;
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} onClose={onClose} footer={<DialogFooter onCancel={onClose} form={id} label={action} danger busy={busy} disabled={typed !== expected} />}>
      <form id={id} className="form" onSubmit={submit}>
        {children}
        <label htmlFor={`${id}-typed`}>
          Type <code>{expected}</code> to confirm
        </label>
        <input id={`${id}-typed`} autoFocus autoComplete="off" spellCheck={false} value={typed} onChange={(e) => setTyped(e.target.value)} />
        {error !== null && <ErrorBox error={error} />}
      </form>
    </Dialog>
  );
}

/**
 * Text to copy (a secret, a snippet) in a box with a Copy button. Where the clipboard is not
 * available the text is selected instead, for Ctrl+C.
 */
export function CopyBox({ label, value, testId }: { label: string; value: string; testId?: string }) {
  const box = useRef<HTMLPreElement>(null);
  const [copied, setCopied] = useState<"yes" | "select" | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("yes");
    } catch {
      const range = document.createRange();
      range.selectNodeContents(box.current!);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      setCopied("select");
    }
  };
  return (
    <div className="copy-box">
      <pre ref={box} aria-label={label} data-testid={testId} tabIndex={0}>
        {value}
      </pre>
      <button type="button" className="btn small" onClick={() => void copy()} aria-label={`Copy ${label.toLowerCase()}`}>
        {copied === "yes" ? <Check size={14} aria-hidden /> : <Copy size={14} aria-hidden />} {copied === "yes" ? "Copied" : copied === "select" ? "Press Ctrl+C" : "Copy"}
      </button>
    </div>
  );
}

/** The warning that goes with a secret the server answers once and never again. */
export function ShownOnce({ what }: { what: string }) {
  return (
    <p className="notice" role="status">
      <AlertTriangle size={15} aria-hidden /> Copy the {what} now: it is shown only now. The server keeps no copy and cannot show it again.
    </p>
  );
}
