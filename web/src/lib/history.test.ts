import { describe, expect, it } from "vitest";
import { HISTORY_LIMIT, QueryHistory } from "./history";

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  };
}

describe("query history", () => {
  it("keeps one list per database, newest first, without duplicates", () => {
    const storage = memoryStorage();
    const shop = new QueryHistory(storage, "shop");
    shop.add("select 1", true, 1);
    shop.add("select 2", false, 2);
    shop.add("  select 1  ", true, 3);
    expect(shop.list().map((e) => [e.sql, e.at, e.ok])).toEqual([
      ["select 1", 3, true],
      ["select 2", 2, false],
    ]);
    expect(new QueryHistory(storage, "other").list()).toEqual([]);
  });
  it("is bounded and survives a new instance", () => {
    const storage = memoryStorage();
    const history = new QueryHistory(storage, "db");
    for (let i = 0; i < HISTORY_LIMIT + 20; i++) history.add(`select ${i}`, true, i);
    const again = new QueryHistory(storage, "db").list();
    expect(again).toHaveLength(HISTORY_LIMIT);
    expect(again[0]!.sql).toBe(`select ${HISTORY_LIMIT + 19}`);
  });
  it("ignores blank queries and corrupt storage, and clears", () => {
    const storage = memoryStorage();
    const history = new QueryHistory(storage, "db");
    history.add("   ", true);
    expect(history.list()).toEqual([]);
    storage.setItem("dbforge.history.db", "{not json");
    expect(history.list()).toEqual([]);
    history.add("select 1", true);
    history.clear();
    expect(history.list()).toEqual([]);
  });
  it("forgets every database's history, and nothing else, when cleared all", () => {
    const storage = memoryStorage();
    new QueryHistory(storage, "a").add("select 1", true);
    new QueryHistory(storage, "b").add("select 2", true);
    storage.setItem("dbforge.theme", "dark");
    const keys = () => [...storage.items.keys()];
    QueryHistory.clearAll({
      get length() {
        return storage.items.size;
      },
      key: (i: number) => keys()[i] ?? null,
      removeItem: storage.removeItem,
    });
    expect(keys()).toEqual(["dbforge.theme"]);
  });
});
