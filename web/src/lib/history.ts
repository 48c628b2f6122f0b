// The SQL console's query history, one list per database, newest first, kept in the
// browser's local storage so it survives reloads. Bounded, and a re-run moves to the top.

export interface HistoryEntry {
  sql: string;
  at: number;
  ok: boolean;
}

type StorageLike = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export const HISTORY_LIMIT = 100;

const PREFIX = "dbforge.history.";

export class QueryHistory {
  private readonly storage: StorageLike;
  private readonly key: string;

  constructor(storage: StorageLike, database: string) {
    this.storage = storage;
    this.key = `${PREFIX}${database}`;
  }

  /** Forgets every database's history (on sign-out: queries may hold sensitive literals). */
  static clearAll(storage: Pick<Storage, "length" | "key" | "removeItem">): void {
    const keys: string[] = [];
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i);
      if (key?.startsWith(PREFIX)) keys.push(key);
    }
    keys.forEach((key) => storage.removeItem(key));
  }

  list(): HistoryEntry[] {
    try {
      const parsed: unknown = JSON.parse(this.storage.getItem(this.key) ?? "[]");
      if (!Array.isArray(parsed)) return [];
      return parsed.filter(
        (e): e is HistoryEntry =>
          typeof e === "object" && e !== null && typeof e.sql === "string" && typeof e.at === "number",
      );
    } catch {
      return [];
    }
  }

  add(sql: string, ok: boolean, at = Date.now()): HistoryEntry[] {
    const text = sql.trim();
    if (!text) return this.list();
    const entries = [{ sql: text, at, ok }, ...this.list().filter((e) => e.sql !== text)].slice(0, HISTORY_LIMIT);
    try {
      this.storage.setItem(this.key, JSON.stringify(entries));
    } catch {
      // A full storage only costs the history, never the query.
    }
    return entries;
  }

  clear(): void {
    this.storage.removeItem(this.key);
  }
}
