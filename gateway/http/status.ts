import { Hono } from "hono";
import type { AppEnv, HttpDeps } from "./context.js";

/** `GET /launch-status`: the honest state of the network, never a promise. */
export function statusRoutes(deps: HttpDeps) {
  const app = new Hono<AppEnv>();
  app.get("/launch-status", (c) => {
    const mode = deps.router.mode();
    return c.json({
      inferenceRuntime: mode,
      models: deps.catalog.models.map((m) => ({ id: m.id, status: deps.router.health(m.id) })),
      contracts: deps.launch.contracts
        ? { status: "configured", chainId: deps.launch.chainId, addresses: deps.launch.contracts }
        : { status: "pending", chainId: deps.launch.chainId, addresses: null },
    });
  });
  return app;
}
