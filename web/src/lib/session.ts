// The API key lives in session storage: it survives reloads of this tab, and is gone when
// the tab closes or the user signs out.
const KEY = "dbforge.apiKey";

type StorageLike = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export function loadKey(storage: StorageLike = sessionStorage): string | null {
  const key = storage.getItem(KEY);
  return key && key.trim() ? key : null;
}

export function saveKey(key: string, storage: StorageLike = sessionStorage): void {
  storage.setItem(KEY, key);
}

export function forgetKey(storage: StorageLike = sessionStorage): void {
  storage.removeItem(KEY);
}
