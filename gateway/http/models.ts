import { Hono } from "hono";
import type { ModelEntry } from "../catalog.js";
import { modelNotFound } from "../errors.js";
import type { AppEnv, HttpDeps } from "./context.js";

/** `GET /models`, `/models/:id`, `/models/:id/health`: the catalog with prices and live availability. */
export function modelRoutes(deps: HttpDeps) {
  const app = new Hono<AppEnv>();
  const describe = (m: ModelEntry) => {
    const price = deps.catalog.priceOf(m);
    return {
      id: m.id,
      object: "model",
      created: m.created,
      owned_by: "basis",
      kind: m.kind,
      context_window: m.contextWindow,
      multiplier_bps: Number(m.multiplierBps),
      tokenizer: m.tokenizer,
      pricing: {
        unit: "base units of the credit token (18 decimals) per token, before the multiplier",
        prompt: price.promptPrice.toString(),
        completion: price.completionPrice.toString(),
      },
      available: deps.router.health(m.id) === "ready",
    };
  };

  app.get("/models", (c) => c.json({ object: "list", data: deps.catalog.models.map(describe) }));

  app.get("/models/:id", (c) => {
    const model = deps.catalog.get(c.req.param("id"));
    if (!model) throw modelNotFound(c.req.param("id"));
    return c.json(describe(model));
  });

  app.get("/models/:id/health", (c) => {
    const model = deps.catalog.get(c.req.param("id"));
    if (!model) throw modelNotFound(c.req.param("id"));
    return c.json({ id: model.id, status: deps.router.health(model.id) });
  });

  return app;
}
