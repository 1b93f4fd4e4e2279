import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { rateLimited } from "../errors.js";

/** Per-key limits per minute. */
export type RateLimitSettings = { requestsPerMinute: number; tokensPerMinute: number };

/**
 * Rate-limit counters per API key. This single-process version is the default; a shared one (Redis,
 * through rate-limiter-flexible's `RateLimiterRedis`) implements the same interface for replicas.
 */
export interface RateLimits {
  /** Counts one request; returns the `x-ratelimit-*-requests` headers, or throws 429 with Retry-After. */
  request(keyId: string): Promise<Record<string, string>>;
  /** Counts `tokens` (prompt + completion cap) of an admitted job; throws 429 with Retry-After when over. */
  tokens(keyId: string, tokens: number): Promise<void>;
}

function headers(kind: "requests" | "tokens", limit: number, res: RateLimiterRes): Record<string, string> {
  return {
    [`x-ratelimit-limit-${kind}`]: String(limit),
    [`x-ratelimit-remaining-${kind}`]: String(Math.max(0, res.remainingPoints)),
    [`x-ratelimit-reset-${kind}`]: `${Math.ceil(res.msBeforeNext / 1000)}s`,
  };
}

/** In-memory limits for one gateway process. */
export function createMemoryRateLimits(settings: RateLimitSettings): RateLimits {
  const requests = new RateLimiterMemory({ points: settings.requestsPerMinute, duration: 60 });
  const tokens = new RateLimiterMemory({ points: settings.tokensPerMinute, duration: 60 });
  return {
    async request(keyId) {
      try {
        return headers("requests", settings.requestsPerMinute, await requests.consume(keyId, 1));
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        const retry = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
        throw rateLimited(`Rate limit reached: ${settings.requestsPerMinute} requests per minute for this key.`, {
          ...headers("requests", settings.requestsPerMinute, error),
          "retry-after": String(retry),
        });
      }
    },
    async tokens(keyId, count) {
      if (count > settings.tokensPerMinute) {
        throw rateLimited(
          `This request may use ${count} tokens, more than this key's ${settings.tokensPerMinute} tokens per minute.`,
          { "retry-after": "60", "x-ratelimit-limit-tokens": String(settings.tokensPerMinute) },
        );
      }
      try {
        await tokens.consume(keyId, count);
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        const retry = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
        throw rateLimited(`Rate limit reached: ${settings.tokensPerMinute} tokens per minute for this key.`, {
          ...headers("tokens", settings.tokensPerMinute, error),
          "retry-after": String(retry),
        });
      }
    },
  };
}
