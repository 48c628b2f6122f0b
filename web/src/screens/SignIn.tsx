// Sign-in: an API key or a per-database token, checked against the server (GET /api/me, which
// also says who it is and what it may do) before it is kept.
import { useState, type FormEvent } from "react";
import { KeyRound } from "lucide-react";
import { looksLikeToken, normalizeCredential } from "../lib/access";
import { ApiError, errorMessage, whoIs } from "../lib/api";
import type { Me } from "../lib/types";
import { Spinner } from "../components/ui";

export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: (credential: string, me: Me) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const candidate = normalizeCredential(key);
    if (!candidate) {
      setError("Enter the API key the server printed when it started, or a key or token you were given.");
      return;
    }
    setChecking(true);
    setError(null);
    try {
      const who = await whoIs(candidate);
      if (!(who instanceof ApiError)) onSignedIn(candidate, who);
      else if (looksLikeToken(candidate)) setError(`That token is not accepted: ${who.message}.`);
      else setError("That API key is not valid. Check it and try again.");
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setChecking(false);
    }
  };

  return (
    <div className="signin">
      <form className="signin-card" onSubmit={submit} noValidate>
        <div className="signin-brand">
          <img src="/favicon.svg" alt="" width={40} height={40} />
          <div>
            <h1>DB-Forge</h1>
            <p>Sign in to manage your databases</p>
          </div>
        </div>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label htmlFor="api-key">API key or token</label>
        <div className="input-icon">
          <KeyRound size={16} aria-hidden />
          <input
            id="api-key"
            type="password"
            autoComplete="current-password"
            autoFocus
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "signin-error" : "signin-hint"}
            placeholder="dbf_… or eyJ…"
          />
        </div>
        {error ? (
          <p id="signin-error" className="field-error" role="alert">
            {error}
          </p>
        ) : (
          <p id="signin-hint" className="hint">
            The admin key is printed by <code>dbforge serve</code> on first start and stored in <code>db-data/_forge/admin.key</code>; a scoped key (<code>dbf_…</code>) or a database token (<code>eyJ…</code>) works too.
          </p>
        )}
        <button type="submit" className="btn primary block" disabled={checking}>
          {checking ? <Spinner label="Checking the key" /> : null} Sign in
        </button>
      </form>
    </div>
  );
}
