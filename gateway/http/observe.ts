import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { Logger } from "pino";
import type { Metrics } from "../observability/metrics.js";
import type { AppEnv } from "./context.js";

/**
 * Logs one structured line per request (request id, method, route, status, milliseconds; never a
 * header or a body, so never a key) and feeds the HTTP metrics.
 */
export function observe(p: { logger?: Logger; metrics?: Metrics }) {
  return createMiddleware<AppEnv>(async function observe(c, next) {
    const start = performance.now();
    await next();
    const ms = performance.now() - start;
    const route = routePath(c, -1);
    p.metrics?.request(route, c.req.method, c.res.status, ms / 1000);
    if (p.logger?.isLevelEnabled("info")) {
      p.logger.info(
        {
          reqId: c.get("requestId"),
          method: c.req.method,
          route,
          status: c.res.status,
          ms: Math.round(ms * 1000) / 1000,
        },
        "request",
      );
    }
  });
}
