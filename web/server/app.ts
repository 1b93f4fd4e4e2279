import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { RuntimeConfig } from "../src/config/runtimeConfig.js";
import { createProxy } from "./proxy.js";
import { refuseRpc } from "./rpcGuard.js";

/** What the dashboard server is built from: injected, so tests and the process share it. */
export type WebAppDeps = {
  /** What `GET /config.json` answers: the browser's whole view of the deployment. */
  config: RuntimeConfig;
  /** The built dashboard (`web/dist`). */
  distDir: string;
  /** The gateway that `/api/*` and `/v1/*` are proxied to. */
  gatewayUrl: string;
  /** The chain's JSON-RPC that `POST /rpc` is proxied to. */
  rpcUrl: string;
};

/** JSON-RPC bodies the browser sends are small; a batch of reads stays far below this. */
const RPC_BODY_LIMIT = 256 * 1024;

/**
 * The dashboard's server: the built single-page app, its runtime config, and same-origin proxies to the gateway
 * (`/api`, `/v1`) and the chain (`/rpc`), so the gateway needs no CORS and an RPC key never reaches the browser.
 * @example serve({ fetch: createWebApp(deps).fetch, port: 5173 })
 */
export function createWebApp(deps: WebAppDeps) {
  const app = new Hono();
  const indexFile = join(deps.distDir, "index.html");
  if (!existsSync(indexFile)) throw new Error(`the dashboard is not built: ${indexFile} is missing`);

  app.get("/config.json", (c) => c.json(deps.config, 200, { "cache-control": "no-store" }));
  app.get("/healthz", (c) => c.json({ status: "ok" }));

  const gateway = createProxy(deps.gatewayUrl);
  for (const path of ["/api/*", "/v1/*"]) app.all(path, (c) => gateway(c));

  // The RPC URL's own path (a provider's key, often) replaces `/rpc`; the page's cookies and credentials stay here.
  const rpc = createProxy(deps.rpcUrl, {
    preserveHost: false,
    keepPath: false,
    timeoutMs: 30_000,
    dropHeaders: ["cookie", "authorization"],
  });
  const allowAll = deps.config.chainId === 31337;
  app.post(
    "/rpc",
    bodyLimit({
      maxSize: RPC_BODY_LIMIT,
      onError: (c) => c.json({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "request too large" } }, 413),
    }),
    async (c) => {
      const body = await c.req.text();
      const refused = refuseRpc(body, { allowAll });
      return refused ? c.json(refused, 200) : rpc(c, { body });
    },
  );

  app.use(
    "/assets/*",
    serveStatic({
      root: deps.distDir,
      onFound: (_path, c) => {
        c.header("cache-control", "public, max-age=31536000, immutable");
      },
    }),
  );
  app.use("*", serveStatic({ root: deps.distDir }));
  // A single-page app: any other GET is the app itself (read each time: a rebuild replaces it and its assets).
  app.get("*", async (c) => c.html(await readFile(indexFile, "utf8"), 200, { "cache-control": "no-cache" }));
  return app;
}
