// What every screen needs from the shell: the API client and the current theme.
import { createContext, useContext } from "react";
import type { ApiClient } from "./api";
import type { Theme } from "./theme";

export const ClientContext = createContext<ApiClient | null>(null);
export const ThemeContext = createContext<Theme>("light");

export function useClient(): ApiClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error("useClient outside a signed-in shell");
  return client;
}

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
