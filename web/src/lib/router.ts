// A minimal client-side router over the History API: the dashboard has a handful of routes,
// and real URLs (`/databases/shop`) are what make deep links survive a reload (the server
// answers every such path with index.html).
import { useSyncExternalStore } from "react";

type Listener = () => void;
const listeners = new Set<Listener>();

function notify() {
  for (const listener of listeners) listener();
}

if (typeof window !== "undefined") window.addEventListener("popstate", notify);

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === currentUrl()) return;
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  notify();
}

function currentUrl(): string {
  return window.location.pathname + window.location.search;
}

function subscribe(listener: Listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The current path and search string; re-renders on navigation. */
export function useLocation(): { path: string; search: URLSearchParams } {
  const url = useSyncExternalStore(subscribe, currentUrl, () => "/");
  const [path = "/", search = ""] = url.split("?");
  return { path, search: new URLSearchParams(search) };
}

/**
 * Matches `/databases/:name/tables/:table` against a path; the parameters decoded, or null.
 * A pattern ending in `/*` also matches anything below it.
 */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const wildcard = pattern.endsWith("/*");
  const patternParts = (wildcard ? pattern.slice(0, -2) : pattern).split("/").filter(Boolean);
  const pathParts = path.split("/").filter(Boolean);
  if (wildcard ? pathParts.length < patternParts.length : pathParts.length !== patternParts.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of patternParts.entries()) {
    const actual = pathParts[i]!;
    if (part.startsWith(":")) {
      try {
        params[part.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (part !== actual) {
      return null;
    }
  }
  return params;
}

/** Builds a path from segments, encoding each. */
export function pathOf(...segments: string[]): string {
  return "/" + segments.map(encodeURIComponent).join("/");
}
