// Vite builds the dashboard into dist/, which the dbforge binary embeds. In development,
// `npm run dev` serves the app with hot reload and proxies every API path to a running
// dbforge (DBFORGE_URL, default http://127.0.0.1:8081).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const target = process.env.DBFORGE_URL ?? "http://127.0.0.1:8081";
const apiPaths = ["/admin", "/api", "/docs", "/openapi.json", "/health", "/ready", "/metrics"];

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: Object.fromEntries(apiPaths.map((path) => [path, { target, changeOrigin: true }])),
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // One chunk per library family keeps the app chunk small and long-cacheable.
    chunkSizeWarningLimit: 700,
  },
});
