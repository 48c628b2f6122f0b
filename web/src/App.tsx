// The shell: sign-in gate, sidebar navigation, theme, and the route table.
import { lazy, Suspense, useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { Activity, Database, Gauge, LogOut, Moon, Server, SquareTerminal, Sun } from "lucide-react";
import { ApiClient } from "./lib/api";
import { QueryHistory } from "./lib/history";
import { ClientContext, ThemeContext } from "./lib/context";
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
import { Empty, Loading, PageHeader } from "./components/ui";

// The console carries CodeMirror, the largest part of the bundle: it loads on first use.
const Console = lazy(() => import("./screens/Console").then((m) => ({ default: m.Console })));
const ConsolePicker = lazy(() => import("./screens/Console").then((m) => ({ default: m.ConsolePicker })));

export function App() {
  const [key, setKey] = useState<string | null>(() => loadKey());
  const [notice, setNotice] = useState<string | null>(null);
  const [theme, setTheme] = useState<Theme>(() => initialTheme());

  const signOut = useCallback((message: string | null) => {
    forgetKey();
    // Signing out on purpose also forgets the SQL history; a key the server stopped
    // accepting (a restart with a new key) does not cost the user their history.
    if (message === null) QueryHistory.clearAll(localStorage);
    setKey(null);
    setNotice(message);
  }, []);

  const client = useMemo(() => (key ? new ApiClient(key) : null), [key]);
  useEffect(() => {
    if (client) client.onUnauthorized = () => signOut("The server no longer accepts this API key. Sign in again.");
  }, [client, signOut]);

  const toggleTheme = () => {
    const next = theme === "dark" ? "light" : "dark";
    applyTheme(next, true);
    setTheme(next);
  };

  if (!client) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(accepted) => {
          saveKey(accepted);
          setNotice(null);
          setKey(accepted);
        }}
      />
    );
  }
  return (
    <ClientContext.Provider value={client}>
      <ThemeContext.Provider value={theme}>
        <Shell theme={theme} onToggleTheme={toggleTheme} onSignOut={() => signOut(null)} />
      </ThemeContext.Provider>
    </ClientContext.Provider>
  );
}

const navigation = [
  { to: "/", label: "Overview", icon: Gauge, match: (p: string) => p === "/" },
  { to: "/databases", label: "Databases", icon: Database, match: (p: string) => p.startsWith("/databases") && !p.endsWith("/console") },
  { to: "/console", label: "SQL console", icon: SquareTerminal, match: (p: string) => p === "/console" || p.endsWith("/console") },
  { to: "/activity", label: "Activity", icon: Activity, match: (p: string) => p.startsWith("/activity") },
  { to: "/server", label: "Server", icon: Server, match: (p: string) => p.startsWith("/server") },
];

function Shell({ theme, onToggleTheme, onSignOut }: { theme: Theme; onToggleTheme: () => void; onSignOut: () => void }) {
  const { path } = useLocation();
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
          {navigation.map(({ to, label, icon: Icon, match }) => (
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
        <Suspense fallback={<Loading what="the console" />}>
          <Routes path={path} />
        </Suspense>
      </main>
    </div>
  );
}

function Routes({ path }: { path: string }): ReactNode {
  let params: Record<string, string> | null;
  if (path === "/") return <Overview />;
  if (path === "/databases") return <Databases />;
  if ((params = matchPath("/databases/:name/console", path))) return <Console key={params.name} database={params.name!} />;
  if ((params = matchPath("/databases/:name/tables/:table", path)))
    return <DatabaseView key={params.name} database={params.name!} table={params.table!} />;
  if ((params = matchPath("/databases/:name", path))) return <DatabaseView key={params.name} database={params.name!} table={null} />;
  if (path === "/console") return <ConsolePicker />;
  if (path === "/activity") return <ActivityScreen />;
  if (path === "/server") return <ServerScreen />;
  return (
    <>
      <PageHeader title="Not found" />
      <Empty>
        Nothing lives at <code>{path}</code>. <Link to="/">Back to the overview</Link>
      </Empty>
    </>
  );
}
