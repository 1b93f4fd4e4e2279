import { Hono } from "hono";
import type { AppEnv, HttpDeps } from "./context.js";

/** `GET /launch-status`: the honest state of the network, never a promise. */
export function statusRoutes(deps: HttpDeps) {
  const app = new Hono<AppEnv>();
  app.get("/launch-status", async (c) => {
    const deposits = deps.deposits ? await deps.deposits.status().catch(() => null) : null;
    const mode = deps.router.mode();
    return c.json({
      inferenceRuntime: mode,
      models: deps.catalog.models.map((m) => ({ id: m.id, status: deps.router.health(m.id) })),
      deposits: deposits
        ? {
            status: deposits.lastError ? "error" : "syncing",
            chainId: deposits.chainId,
            syncedBlock: deposits.syncedBlock.toString(),
            indexedBlock: deposits.indexedBlock?.toString() ?? null,
            lagBlocks: deposits.lagBlocks?.toString() ?? null,
            error: deposits.lastError,
          }
        : { status: "off" },
      contracts: deps.launch.contracts
        ? { status: "configured", chainId: deps.launch.chainId, addresses: deps.launch.contracts }
        : { status: "pending", chainId: deps.launch.chainId, addresses: null },
    });
  });
  return app;
}
