import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import type { Logger } from "pino";
import { ApiError, errorEnvelope, notFound, payloadTooLarge } from "./errors.js";
import { accountRoutes } from "./http/account.js";
import { apiKeyAuth, requestRateLimit } from "./http/auth.js";
import { limitBody } from "./http/bodyLimit.js";
import { chatRoutes } from "./http/chat.js";
import { completionRoutes } from "./http/completions.js";
import type { AppEnv, HttpDeps } from "./http/context.js";
import { embeddingRoutes } from "./http/embeddings.js";
import { idempotencyKeys } from "./http/idempotency.js";
import { messagesRoutes } from "./http/messages.js";
import { modelRoutes } from "./http/models.js";
import { observe } from "./http/observe.js";
import { openApiRoutes } from "./http/openapi.js";
import { receiptRoutes } from "./http/receipts.js";
import { rewardRoutes } from "./http/rewards.js";
import { settlementRoutes } from "./http/settlement.js";
import { statusRoutes } from "./http/status.js";
import { publicWorkerRoutes } from "./http/workers.js";
import type { Metrics } from "./observability/metrics.js";

/** Everything the app is built from: injected, so tests and production share it. */
export type AppDeps = HttpDeps & {
  logger?: Logger;
  metrics?: Metrics;
  /** Readiness: the database answers (and whatever else must hold before traffic). */
  ready?(): Promise<boolean>;
  /** Called with every unexpected error (a 500): production logs it. Never sees secrets. */
  onUnexpectedError?(error: unknown, requestId: string): void;
};

/**
 * Builds the gateway's HTTP app. The OpenAI-compatible surface is served under `/v1` and `/api/v1`.
 * @example serve({ fetch: createApp(deps).fetch, port: 8787 })
 */
export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(observe({ logger: deps.logger, metrics: deps.metrics }));

  const v1 = new Hono<AppEnv>();
  v1.use("*", limitBody(deps.bodyLimitBytes));
  v1.route("/", modelRoutes(deps));
  v1.route("/", publicWorkerRoutes(deps));
  const auth = apiKeyAuth(deps.keys);
  const idempotent = idempotencyKeys(deps.idempotency);
  const limited = requestRateLimit(deps.rateLimits);
  for (const path of ["/chat/*", "/completions", "/messages", "/embeddings"]) v1.use(path, auth, limited, idempotent);
  v1.route("/", chatRoutes(deps));
  v1.route("/", completionRoutes(deps));
  v1.route("/", messagesRoutes(deps));
  v1.route("/", embeddingRoutes(deps));

  app.route("/v1", v1);
  app.route("/api/v1", v1);
  app.route("/api", statusRoutes(deps));
  app.route("/api", receiptRoutes(deps));
  app.route("/api", settlementRoutes(deps));
  app.route("/api", rewardRoutes(deps));
  const account = accountRoutes(deps);
  app.use(
    "/api/auth/*",
    bodyLimit({
      maxSize: 16_384,
      onError: () => {
        throw payloadTooLarge(16_384);
      },
    }),
  );
  app.use(
    "/api/account/*",
    bodyLimit({
      maxSize: 16_384,
      onError: () => {
        throw payloadTooLarge(16_384);
      },
    }),
  );
  app.route("/api", account);
  app.route("/", openApiRoutes());
  app.get("/livez", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const ready = deps.ready ? await deps.ready().catch(() => false) : true;
    return c.json({ status: ready ? "ready" : "not_ready" }, ready ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    if (!deps.metrics) throw notFound("Metrics");
    return c.text(await deps.metrics.registry.metrics(), 200, { "content-type": deps.metrics.registry.contentType });
  });

  app.notFound((c) => {
    const error = notFound(`Route ${c.req.method} ${c.req.path}`);
    return c.json(error.toJSON(), 404);
  });
  app.onError((error, c) => {
    if (error instanceof ApiError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return c.json(error.toJSON(), error.status as 400);
    }
    deps.onUnexpectedError?.(error, c.get("requestId"));
    return c.json(errorEnvelope(error), 500);
  });
  return app;
}
