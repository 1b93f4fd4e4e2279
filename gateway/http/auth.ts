import { createMiddleware } from "hono/factory";
import type { Hex } from "viem";
import type { ApiKeys } from "../auth/apiKeys.js";
import type { RateLimits } from "../auth/rateLimits.js";
import { unauthorized } from "../errors.js";
import type { AppEnv } from "./context.js";

/**
 * Requires `Authorization: Bearer sk-basis-…` (or `x-api-key`) and binds the request to the key's account. The key is
 * never logged nor echoed; an unknown, malformed or revoked key is the same 401.
 */
export function apiKeyAuth(keys: ApiKeys) {
  return createMiddleware<AppEnv>(async function apiKeyAuth(c, next) {
    // OpenAI clients send `Authorization: Bearer …`; Anthropic clients send `x-api-key: …`.
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    const presented = bearer ?? c.req.header("x-api-key");
    if (!presented) throw unauthorized("Missing API key. Send it as 'Authorization: Bearer sk-basis-…'.");
    const record = await keys.verify(presented);
    if (!record) throw unauthorized("Invalid or revoked API key.");
    c.set("account", record.account.toLowerCase() as Hex);
    c.set("apiKeyId", record.id);
    await next();
  });
}

/** Counts each request against its key's per-minute limit and adds the `x-ratelimit-*` headers. */
export function requestRateLimit(limits: RateLimits | undefined) {
  return createMiddleware<AppEnv>(async function requestRateLimit(c, next) {
    const keyId = c.get("apiKeyId");
    if (!limits || !keyId) return next();
    const headers = await limits.request(keyId);
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  });
}
