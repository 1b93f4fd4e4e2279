import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The dashboard's build: `web/` → `web/dist`. Runtime settings (chain, RPC, contracts, gateway) are not baked in:
 * the app reads them from its server's `/config.json`. `npx vite web` serves it with hot reload, proxying to a
 * dashboard server (`npm run web`) on :5173 for `/config.json`, `/api`, `/v1` and `/rpc`.
 */
const root = fileURLToPath(new URL(".", import.meta.url));
const server = process.env.BASIS_WEB_URL ?? "http://127.0.0.1:5173";

export default defineConfig({
  root,
  base: "/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1_000 },
  server: {
    port: 5174,
    proxy: Object.fromEntries(["/config.json", "/api", "/v1", "/rpc"].map((p) => [p, { target: server }])),
  },
});
