import { createHash } from "node:crypto";
import type { ApiKeyRecord, ApiKeys } from "./apiKeys.js";

/**
 * API key verification with an in-process cache, so the request path does not pay a database round
 * trip per request to recognise a key. Safe for revocation: a revoke through this process drops the
 * entry at once, and every admission (`basis_reserve`) re-checks in the database that the key is not
 * revoked, so a key revoked on another replica is refused at once too.
 * @param keys the database-backed key store.
 * @param p `ttlMs`: how long a verified key is remembered (default 60 s); `maxEntries` (default 10,000).
 */
export function cachedKeys(
  keys: ApiKeys,
  p: { ttlMs?: number; maxEntries?: number; now?: () => number } = {},
): ApiKeys {
  const ttl = p.ttlMs ?? 60_000;
  const max = p.maxEntries ?? 10_000;
  const now = p.now ?? Date.now;
  // Keyed by SHA-256 of the presented key: the plaintext is never kept.
  const cache = new Map<string, { record: ApiKeyRecord; until: number }>();
  const byId = new Map<string, string>();
  const digest = (plaintext: string) => createHash("sha256").update(plaintext).digest("base64url");

  return {
    ...keys,
    async verify(plaintext) {
      const id = digest(plaintext);
      const hit = cache.get(id);
      if (hit && hit.until > now()) return hit.record;
      const record = await keys.verify(plaintext);
      cache.delete(id);
      if (!record) return null;
      if (cache.size >= max) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.set(id, { record, until: now() + ttl });
      byId.set(record.id, id);
      return record;
    },
    async revoke(account, keyId) {
      const revoked = await keys.revoke(account, keyId);
      const id = byId.get(keyId);
      if (id !== undefined) cache.delete(id);
      byId.delete(keyId);
      return revoked;
    },
  };
}
