// Keys (admins only): the scoped API keys, created with a role, databases and an optional
// expiry; their secret shown once (at creation and rotation); revoked after a confirmation.
// Also revokes every token of the server at once.
import { useState, type FormEvent } from "react";
import { Ban, KeyRound, Plus, RefreshCw, Trash2 } from "lucide-react";
import { expiresAt, KEY_EXPIRIES, parsePatterns, patternProblem, ROLE_LABELS } from "../lib/access";
import { useClient } from "../lib/context";
import { formatDateTime } from "../lib/format";
import { useLoad } from "../lib/hooks";
import type { CreatedKey, KeyInfo, Role } from "../lib/types";
import { Confirm, CopyBox, Dialog, DialogFooter, Empty, ErrorBox, Loading, PageHeader, ShownOnce, Spinner } from "../components/ui";

export function KeysScreen() {
  const client = useClient();
  const keys = useLoad((signal) => client.keys(signal), [client]);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<CreatedKey | null>(null);
  const [revoking, setRevoking] = useState<KeyInfo | null>(null);
  const [rotating, setRotating] = useState<KeyInfo | null>(null);
  const [revokingTokens, setRevokingTokens] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const now = Date.now();

  return (
    <>
      <PageHeader
        title="Keys"
        subtitle="Scoped API keys for people, services and CI. The bootstrap admin key is configured on the server and not listed."
        actions={
          <>
            <button type="button" className="btn danger-outline" onClick={() => setRevokingTokens(true)}>
              <Ban size={16} aria-hidden /> Revoke every token
            </button>
            <button type="button" className="btn primary" onClick={() => setCreating(true)}>
              <Plus size={16} aria-hidden /> New key
            </button>
          </>
        }
      />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {keys.error && !keys.data ? (
        <ErrorBox error={keys.error} onRetry={keys.reload} title="Cannot list the keys" />
      ) : !keys.data ? (
        <Loading what="keys" />
      ) : keys.data.keys.length === 0 ? (
        <Empty>
          No scoped keys yet.{" "}
          <button type="button" className="btn link" onClick={() => setCreating(true)}>
            Create one
          </button>{" "}
          for a service or a person that needs less than the admin key.
        </Empty>
      ) : (
        <div className="panel flush">
          <div className="table-scroll">
            <table className="table keys" aria-label="Keys">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Prefix</th>
                  <th>Role</th>
                  <th>Databases</th>
                  <th>Can create</th>
                  <th>Created</th>
                  <th>Expires</th>
                  <th>Last used</th>
                  <th>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.data.keys.map((k) => (
                  <tr key={k.id}>
                    <td>
                      <strong>{k.name}</strong>
                      <div className="key-id">{k.id}</div>
                    </td>
                    <td className="mono">{k.prefix}…</td>
                    <td>
                      <span className={`badge role-${k.role}`}>{ROLE_LABELS[k.role]}</span>
                    </td>
                    <td className="mono patterns">{k.databases.join(", ")}</td>
                    <td>{createsDatabases(k) ? "yes" : <span className="muted">no</span>}</td>
                    <td className="when">{formatDateTime(k.created_at)}</td>
                    <td className="when">
                      {k.expires_at ? formatDateTime(k.expires_at) : <span className="muted">never</span>}
                      {k.expires_at && Date.parse(k.expires_at) <= now && <span className="badge bad">expired</span>}
                    </td>
                    <td className="when">{k.last_used_at ? formatDateTime(k.last_used_at) : <span className="muted">not since start</span>}</td>
                    <td className="num">
                      <button type="button" className="icon-btn" aria-label={`Rotate ${k.name}`} title="Rotate: a new secret, the same grants" onClick={() => setRotating(k)}>
                        <RefreshCw size={15} aria-hidden />
                      </button>
                      <button type="button" className="icon-btn danger" aria-label={`Revoke ${k.name}`} title="Revoke" onClick={() => setRevoking(k)}>
                        <Trash2 size={15} aria-hidden />
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {keys.loading && keys.data && <Spinner label="Refreshing the keys" />}
      {creating && (
        <CreateKey
          onClose={() => setCreating(false)}
          onCreated={(created) => {
            setCreating(false);
            setSecret(created);
            keys.reload();
          }}
        />
      )}
      {secret && <SecretDialog created={secret} onClose={() => setSecret(null)} />}
      {revoking && (
        <Confirm
          title={`Revoke the key ${revoking.name}?`}
          action="Revoke key"
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await client.revokeKey(revoking.id);
            setNotice(`The key ${revoking.name} is revoked.`);
            setRevoking(null);
            keys.reload();
          }}
        >
          <p>
            The key <strong>{revoking.name}</strong> (<code>{revoking.prefix}…</code>) stops working at once: its next request gets <code>401</code>, and so
            does every token it minted. It cannot be undone.
          </p>
        </Confirm>
      )}
      {rotating && (
        <Confirm
          title={`Rotate the key ${rotating.name}?`}
          action="Rotate key"
          onClose={() => setRotating(null)}
          onConfirm={async () => {
            const created = await client.rotateKey(rotating.id);
            setRotating(null);
            setSecret(created);
            keys.reload();
          }}
        >
          <p>
            The key <strong>{rotating.name}</strong> gets a new secret with the same grants. The old secret (<code>{rotating.prefix}…</code>) and the tokens it
            minted stop working at once.
          </p>
        </Confirm>
      )}
      {revokingTokens && (
        <Confirm
          title="Revoke every token?"
          action="Revoke every token"
          onClose={() => setRevokingTokens(false)}
          onConfirm={async () => {
            await client.revokeAllTokens();
            setRevokingTokens(false);
            setNotice("Every token of the server minted until now is revoked; new tokens work.");
          }}
        >
          <p>
            Every per-database token minted so far, for every database, stops working at once. API keys are not affected. It cannot be undone.
          </p>
        </Confirm>
      )}
    </>
  );
}

/** What the key may really do: admins always create; read-only keys never, whatever they were given. */
function createsDatabases(k: KeyInfo): boolean {
  return k.role === "admin" || (k.role === "read_write" && k.can_create);
}

function SecretDialog({ created, onClose }: { created: CreatedKey; onClose: () => void }) {
  return (
    <Dialog
      wide
      title={`Secret of ${created.key.name}`}
      onClose={onClose}
      footer={
        <button type="button" className="btn primary" onClick={onClose}>
          Done
        </button>
      }
    >
      <ShownOnce what="secret" />
      <CopyBox label="Secret" value={created.secret} testId="key-secret" />
      <p className="hint">
        Send it as <code>X-API-Key</code> or <code>Authorization: Bearer</code>, sign in to this dashboard with it, or set it as <code>DBFORGE_API_KEY</code> for the CLI.
      </p>
    </Dialog>
  );
}

function CreateKey({ onClose, onCreated }: { onClose: () => void; onCreated: (created: CreatedKey) => void }) {
  const client = useClient();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("read_only");
  const [databases, setDatabases] = useState("");
  const [canCreate, setCanCreate] = useState(false);
  const [expiry, setExpiry] = useState("");
  const [date, setDate] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const admin = role === "admin";
  const patterns = parsePatterns(databases);
  const patternError = admin ? null : patterns.map(patternProblem).find((p) => p !== null) ?? null;
  const expires = expiresAt(expiry, date);
  const problem = !name.trim()
    ? "Name the key."
    : !admin && patterns.length === 0
      ? "Name at least one database or prefix."
      : patternError ?? (expires === null ? "Pick a date in the future." : null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (problem) return;
    setBusy(true);
    setError(null);
    try {
      onCreated(
        await client.createKey({
          name: name.trim(),
          role,
          databases: admin ? [] : patterns,
          can_create: role === "read_write" && canCreate,
          expires_at: expires ?? undefined,
        }),
      );
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <Dialog title="New key" onClose={onClose} footer={<DialogFooter onCancel={onClose} form="create-key" label="Create key" busy={busy} disabled={problem !== null} />}>
      <form id="create-key" className="form" onSubmit={submit}>
        <label htmlFor="key-name">Name</label>
        <input id="key-name" autoFocus value={name} maxLength={100} onChange={(e) => setName(e.target.value)} placeholder="ci, reporting, alice" />
        <label htmlFor="key-role">Role</label>
        <select id="key-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <option value="read_only">Read-only: reads of its databases</option>
          <option value="read_write">Read-write: the data of its databases</option>
          <option value="admin">Admin: everything, keys included</option>
        </select>
        <label htmlFor="key-databases">Databases</label>
        <input
          id="key-databases"
          value={admin ? "*" : databases}
          disabled={admin}
          onChange={(e) => setDatabases(e.target.value)}
          placeholder="shop, ci-*"
          aria-describedby="key-databases-hint"
          aria-invalid={patternError ? true : undefined}
        />
        <p id="key-databases-hint" className="hint">
          {admin ? "An admin key reaches every database." : "Names and prefixes ending in * (ci-*), separated by commas or spaces; * is every database."}
        </p>
        {patternError && <p className="field-error">{patternError}</p>}
        <label className="check">
          <input type="checkbox" checked={admin || (role === "read_write" && canCreate)} disabled={role !== "read_write"} onChange={(e) => setCanCreate(e.target.checked)} /> May
          create and delete databases its patterns match {role === "read_only" && <span className="muted">(read-write keys only)</span>}
        </label>
        <label htmlFor="key-expiry">Expires</label>
        <select id="key-expiry" value={expiry} onChange={(e) => setExpiry(e.target.value)}>
          {KEY_EXPIRIES.map((x) => (
            <option key={x.value} value={x.value}>
              {x.label}
            </option>
          ))}
        </select>
        {expiry === "date" && (
          <>
            <label htmlFor="key-expiry-date">
              Expiry date <span className="muted">(at 00:00 UTC)</span>
            </label>
            <input id="key-expiry-date" type="date" value={date} onChange={(e) => setDate(e.target.value)} />
          </>
        )}
        {problem && name.trim() && !patternError && <p className="hint">{problem}</p>}
        {error !== null && <ErrorBox error={error} />}
      </form>
      <p className="hint">
        <KeyRound size={13} aria-hidden /> Its secret is shown once, right after it is created.
      </p>
    </Dialog>
  );
}
