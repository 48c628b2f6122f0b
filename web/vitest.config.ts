// Unit tests of the app's logic (src/**/*.test.ts) in Node; the browser tests in e2e/ run
// with node:test against a real server instead.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
