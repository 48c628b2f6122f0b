import { describe, expect, it } from "vitest";
import { matchPath, pathOf } from "./router";

describe("routes", () => {
  it("matches parameters and decodes them", () => {
    expect(matchPath("/databases/:name", "/databases/shop")).toEqual({ name: "shop" });
    expect(matchPath("/databases/:name/tables/:table", "/databases/shop/tables/my%20items")).toEqual({ name: "shop", table: "my items" });
    expect(matchPath("/databases/:name", "/databases/shop/console")).toBeNull();
    expect(matchPath("/databases/:name", "/activity")).toBeNull();
    expect(matchPath("/databases/:name/tables/:table", "/databases/shop/tables/%E0%A4%A")).toBeNull();
  });
  it("builds paths with every segment encoded", () => {
    expect(pathOf("databases", "shop", "tables", "a/b c")).toBe("/databases/shop/tables/a%2Fb%20c");
  });
});
