// The shell: sign-in gate, who is signed in (GET /api/me), sidebar navigation for what that
// credential may use, theme, and the route table.
import { lazy, Suspense, useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { Activity, Database, Gauge, KeyRound, LogOut, Moon, ScrollText, Server, SquareTerminal, Sun, UserRound } from "lucide-react";
import { describeCredential, looksLikeToken } from "./lib/access";
import { ApiClient, ApiError } from "./lib/api";
import { QueryHistory } from "./lib/history";
import { ClientContext, MeContext, ThemeContext, useMe } from "./lib/context";
import { useLoad } from "./lib/hooks";
import { matchPath, useLocation } from "./lib/router";
import { forgetKey, loadKey, saveKey } from "./lib/session";
import { applyTheme, initialTheme, type Theme } from "./lib/theme";
import { Link } from "./components/Link";
import { SignIn } from "./screens/SignIn";
import { Overview } from "./screens/Overview";
import { Databases } from "./screens/Databases";
import { DatabaseView } from "./screens/DatabaseView";
import { ActivityScreen } from "./screens/Activity";
import { ServerScreen } from "./screens/Server";
import { KeysScreen } from "./screens/Keys";
import { AuditScreen } from "./screens/Audit";
import { Empty, ErrorBox, Loading, PageHeader } from "./components/ui";
import type { Me } from "./lib/types";

// The console carries CodeMirror, the largest part of the bundle: it loads on first use.
const Console = lazy(() => import("./screens/Console").then((m) => ({ default: m.Console })));
const ConsolePicker = lazy(() => import("./screens/Console").then((m) => ({ default: m.ConsolePicker })));

export function App() {
  const [key, setKey] = useState<string | null>(() => loadKey());
  const [me, setMe] = useState<Me | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [theme, setTheme] = useState<Theme>(() => initialTheme());

  const signOut = useCallback((message: string | null) => {
    forgetKey();
    // Signing out on purpose also forgets the SQL history; a key the server stopped
    // accepting (a restart with a new key) does not cost the user their history.
    if (message === null) QueryHistory.clearAll(localStorage);
    setKey(null);
    setMe(null);
    setNotice(message);
  }, []);

  const client = useMemo(() => (key ? new ApiClient(key) : null), [key]);
  useEffect(() => {
    if (!client || !key) return;
    const what = looksLikeToken(key) ? "token" : "API key";
    client.onUnauthorized = (error) => signOut(`The server no longer accepts this ${what}: ${error.message}. Sign in again.`);
  }, [client, key, signOut]);

  const toggleTheme = () => {
    const next = theme === "dark" ? "light" : "dark";
    applyTheme(next, true);
    setTheme(next);
  };

  if (!client) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(accepted, who) => {
          saveKey(accepted);
          setNotice(null);
          setMe(who);
          setKey(accepted);
        }}
      />
    );
  }
  // A reload keeps the credential (session storage) but asks the server again who it is.
  if (!me) return <Resume client={client} onKnown={setMe} onSignOut={() => signOut(null)} />;
  return (
    <ClientContext.Provider value={client}>
      <MeContext.Provider value={me}>
        <ThemeContext.Provider value={theme}>
          <Shell theme={theme} onToggleTheme={toggleTheme} onSignOut={() => signOut(null)} />
        </ThemeContext.Provider>
      </MeContext.Provider>
    </ClientContext.Provider>
  );
}

function Resume({ client, onKnown, onSignOut }: { client: ApiClient; onKnown: (me: Me) => void; onSignOut: () => void }) {
  const me = useLoad((signal) => client.me(signal), [client]);
  useEffect(() => {
    if (me.data) onKnown(me.data);
  }, [me.data, onKnown]);
  return (
    <div className="signin">
      {me.error ? (
        <div className="signin-card">
          <ErrorBox error={me.error} onRetry={me.reload} title="Cannot check the credential" />
          <button type="button" className="btn" onClick={onSignOut}>
            <LogOut size={16} aria-hidden /> Sign out
          </button>
        </div>
      ) : (
        <Loading what="your access" />
      )}
    </div>
  );
}

const navigation = [
  { to: "/", label: "Overview", icon: Gauge, admin: true, match: (p: string) => p === "/" },
  { to: "/databases", label: "Databases", icon: Database, admin: false, match: (p: string) => p.startsWith("/databases") && !p.endsWith("/console") },
  { to: "/console", label: "SQL console", icon: SquareTerminal, admin: false, match: (p: string) => p === "/console" || p.endsWith("/console") },
  { to: "/activity", label: "Activity", icon: Activity, admin: true, match: (p: string) => p.startsWith("/activity") },
  { to: "/keys", label: "Keys", icon: KeyRound, admin: true, match: (p: string) => p.startsWith("/keys") },
  { to: "/audit", label: "Audit", icon: ScrollText, admin: true, match: (p: string) => p.startsWith("/audit") },
  { to: "/server", label: "Server", icon: Server, admin: true, match: (p: string) => p.startsWith("/server") },
];

/** Who is signed in: the kind of credential, its name or id, and its role. */
function WhoAmI() {
  const me = useMe();
  const who = describeCredential(me);
  return (
    <header className="topbar">
      <p className="whoami" data-testid="whoami">
        <UserRound size={15} aria-hidden />
        <span className="muted">{who.kind}</span> {who.who && <strong>{who.who}</strong>}
        {who.database && <span className="muted">for {who.database}</span>}
        <span className={`badge role-${me.role}`}>{who.role}</span>
      </p>
    </header>
  );
}

function Shell({ theme, onToggleTheme, onSignOut }: { theme: Theme; onToggleTheme: () => void; onSignOut: () => void }) {
  const { path } = useLocation();
  const me = useMe();
  // Stats, activity, configuration, keys and the audit log answer 403 to anyone but an admin: no links there.
  const links = navigation.filter((n) => me.is_admin || !n.admin);
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Main">
        <Link to="/" className="brand">
          <img src="/favicon.svg" alt="" width={26} height={26} />
          <span>DB-Forge</span>
        </Link>
        <ul>
          {links.map(({ to, label, icon: Icon, match }) => (
            <li key={to}>
              <Link to={to} title={label} className={match(path) ? "nav-link current" : "nav-link"} aria-current={match(path) ? "page" : undefined}>
                <Icon size={17} aria-hidden />
                <span>{label}</span>
              </Link>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <button type="button" className="nav-link" onClick={onToggleTheme} aria-label={theme === "dark" ? "Switch to light theme" : "Switch to dark theme"}>
            {theme === "dark" ? <Sun size={17} aria-hidden /> : <Moon size={17} aria-hidden />}
            <span>{theme === "dark" ? "Light theme" : "Dark theme"}</span>
          </button>
          <button type="button" className="nav-link" onClick={onSignOut}>
            <LogOut size={17} aria-hidden />
            <span>Sign out</span>
          </button>
        </div>
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        <WhoAmI />
        <Suspense fallback={<Loading what="the console" />}>
          <Routes path={path} admin={me.is_admin} />
        </Suspense>
      </main>
    </div>
  );
}

/** A gateway page reached by URL without an admin credential: say so instead of failing. */
function AdminOnly({ title }: { title: string }) {
  return (
    <>
      <PageHeader title={title} />
      <ErrorBox title="This page needs an admin key" error={new ApiError(403, "forbidden", "You are signed in with a credential that is not an admin; its databases are on the Databases page.")} />
      <Link to="/databases" className="btn">
        <Database size={16} aria-hidden /> Databases
      </Link>
    </>
  );
}

function Routes({ path, admin }: { path: string; admin: boolean }): ReactNode {
  let params: Record<string, string> | null;
  // The overview is the gateway's statistics: a non-admin starts at its databases.
  if (path === "/") return admin ? <Overview /> : <Databases />;
  if (path === "/databases") return <Databases />;
  if ((params = matchPath("/databases/:name/console", path))) return <Console key={params.name} database={params.name!} />;
  if ((params = matchPath("/databases/:name/tables/:table", path)))
    return <DatabaseView key={params.name} database={params.name!} table={params.table!} />;
  if ((params = matchPath("/databases/:name", path))) return <DatabaseView key={params.name} database={params.name!} table={null} />;
  if ((params = matchPath("/databases/:name/backups", path))) return <DatabaseView key={params.name} database={params.name!} table={null} section="backups" />;
  if (path === "/console") return <ConsolePicker />;
  if (path === "/activity") return admin ? <ActivityScreen /> : <AdminOnly title="Activity" />;
  if (path === "/keys") return admin ? <KeysScreen /> : <AdminOnly title="Keys" />;
  if (path === "/audit") return admin ? <AuditScreen /> : <AdminOnly title="Audit" />;
  if (path === "/server") return admin ? <ServerScreen /> : <AdminOnly title="Server" />;
  return (
    <>
      <PageHeader title="Not found" />
      <Empty>
        Nothing lives at <code>{path}</code>. <Link to="/">Back to the overview</Link>
      </Empty>
    </>
  );
}
