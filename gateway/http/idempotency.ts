import { createHash } from "node:crypto";
import { createMiddleware } from "hono/factory";
import { idempotencyConflict, invalidRequest } from "../errors.js";
import type { Idempotency } from "../ledger/idempotency.js";
import type { AppEnv } from "./context.js";

/** Response headers worth replaying. */
const KEPT = ["content-type", "x-basis-receipt"];

/**
 * `Idempotency-Key` on POST: a retry with the same key and body replays the first answer (streams
 * included) without running or charging again; the same key with another body is 409; a retry while
 * the first is still running is 409 with Retry-After. An answer that charged nothing (any error) is
 * not kept, so the retry runs.
 */
export function idempotencyKeys(store: Idempotency) {
  return createMiddleware<AppEnv>(async function idempotencyKeys(c, next) {
    const key = c.req.header("idempotency-key");
    if (key === undefined || c.req.method !== "POST") return next();
    if (key.length === 0 || key.length > 255) {
      throw invalidRequest("Idempotency-Key must be 1 to 255 characters.", "Idempotency-Key");
    }
    const account = c.get("account");
    const text = await c.req.text();
    const requestHash = createHash("sha256").update(`${c.req.method} ${c.req.path}\n${text}`).digest("hex");
    const begun = await store.begin({ account, key, requestHash });
    if (begun.state === "replay") {
      return new Response(begun.body, {
        status: begun.status,
        headers: { ...begun.headers, "idempotent-replayed": "true" },
      });
    }
    if (begun.state === "conflict") {
      throw idempotencyConflict("This Idempotency-Key was already used with a different request body.");
    }
    if (begun.state === "in_progress") {
      throw idempotencyConflict("A request with this Idempotency-Key is still being processed; retry shortly.", 1);
    }

    try {
      await next();
    } catch (error) {
      await store.abandon({ account, key });
      throw error;
    }
    const res = c.res;
    if (c.error || res.status >= 400 || !res.body) {
      await store.abandon({ account, key });
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of KEPT) {
      const value = res.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    // Tee the body: the client gets its bytes as they come (streams are never delayed), a copy is kept.
    const [forClient, forStore] = res.body.tee();
    c.res = new Response(forClient, res);
    new Response(forStore)
      .text()
      .then((body) => store.complete({ account, key, status: res.status, headers, body }))
      .catch(() => store.abandon({ account, key }));
  });
}
