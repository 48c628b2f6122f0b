// What every screen needs from the shell: the API client, who is signed in, and the theme.
import { createContext, useContext } from "react";
import type { ApiClient } from "./api";
import type { Theme } from "./theme";
import type { Me } from "./types";

export const ClientContext = createContext<ApiClient | null>(null);
export const MeContext = createContext<Me | null>(null);
export const ThemeContext = createContext<Theme>("light");

export function useClient(): ApiClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error("useClient outside a signed-in shell");
  return client;
}

/** The signed-in credential as GET /api/me tells it: its kind, role and reach. */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error("useMe outside a signed-in shell");
  return me;
}

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
