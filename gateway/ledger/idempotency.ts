/**
 * `Idempotency-Key` on POST requests: a retry with the same key and the same body gets the first
 * answer and is charged once; the same key with another body is a conflict. Keys are scoped to the
 * account and kept `ttlMs` (default 24 h). `begin` is one atomic statement: of any number of
 * concurrent requests with one key, exactly one is told to run.
 */
import type { Db } from "../store/db.js";
import { DEFAULT_ALIVE_MS, deadInstanceSql } from "./instances.js";
import { normalizeAccount } from "./rows.js";
import type { Address } from "./types.js";

/** What `begin` says about a request. */
export type BeginResult =
  | { state: "new" }
  | { state: "replay"; status: number; headers: Record<string, string>; body: string }
  | { state: "conflict" }
  | { state: "in_progress" };

export type BeginParameters = { account: Address; key: string; requestHash: string };
export type CompleteParameters = {
  account: Address;
  key: string;
  status: number;
  headers: Record<string, string>;
  body: string;
};
export type AbandonParameters = { account: Address; key: string };

/** The Idempotency-Key store. */
export interface Idempotency {
  /** Claims the key for this request, or says what to answer instead. */
  begin(p: BeginParameters): Promise<BeginResult>;
  /** Records the answer of the request that got `new`, for its retries. */
  complete(p: CompleteParameters): Promise<void>;
  /** Frees the key of a request that failed before doing anything billable, so a retry runs. */
  abandon(p: AbandonParameters): Promise<void>;
  /** Deletes the records older than the time to live; returns how many. */
  purge(): Promise<number>;
}

/** Options of {@link createIdempotency}. */
export type CreateIdempotencyOptions = {
  /** How long a record answers retries (default 24 h); after that the key starts afresh. */
  ttlMs?: number;
  /**
   * This gateway instance. When given, a request still in progress under an instance that died
   * (see `instances.ts`) is taken over by a retry with the same body instead of answering
   * `in_progress` until the record expires.
   */
  instanceId?: string;
  /** Heartbeat timeout of instances (default 15 s). */
  aliveMs?: number;
};

/**
 * Builds the Idempotency-Key store.
 * @param db the database.
 * @param options time to live, this instance's id, heartbeat timeout.
 * @returns {@link Idempotency}.
 * @example
 * const r = await idem.begin({ account, key, requestHash: sha256hex(body) });
 * if (r.state === "replay") return new Response(r.body, { status: r.status, headers: r.headers });
 */
export function createIdempotency(db: Db, options: CreateIdempotencyOptions = {}): Idempotency {
  const ttlMs = Math.floor(options.ttlMs ?? 24 * 60 * 60 * 1000);
  const aliveMs = Math.floor(options.aliveMs ?? DEFAULT_ALIVE_MS);
  const expired = `h.created_at < now() - ($5::bigint * interval '1 millisecond')`;
  const takeover = options.instanceId
    ? `OR (h.state = 'in_progress' AND h.request_hash = EXCLUDED.request_hash AND ${deadInstanceSql(4, 6, 7)})`
    : "";
  async function begin(p: BeginParameters): Promise<BeginResult> {
    const account = normalizeAccount(p.account);
    const claimed = await db.query(
      `INSERT INTO idempotency_keys AS h (account, key, request_hash, state, instance_id)
         VALUES ($1, $2, $3, 'in_progress', $4)
         ON CONFLICT (account, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, state = 'in_progress',
           status = NULL, headers = NULL, body = NULL, instance_id = EXCLUDED.instance_id,
           created_at = now(), completed_at = NULL
         WHERE ${expired} ${takeover}
         RETURNING h.key`,
      [account, p.key, p.requestHash, options.instanceId ?? null, ttlMs, ...(takeover ? [[], aliveMs] : [])],
    );
    if (claimed.length > 0) return { state: "new" };
    const [row] = await db.query<{
      request_hash: string;
      state: "in_progress" | "done";
      status: number | null;
      headers: Record<string, string> | null;
      body: string | null;
    }>("SELECT request_hash, state, status, headers, body FROM idempotency_keys WHERE account = $1 AND key = $2", [
      account,
      p.key,
    ]);
    // The record vanished between the two statements (abandoned, purged): let the retry ask again.
    if (!row) return begin(p);
    if (row.request_hash !== p.requestHash) return { state: "conflict" };
    if (row.state === "in_progress") return { state: "in_progress" };
    return { state: "replay", status: row.status ?? 500, headers: row.headers ?? {}, body: row.body ?? "" };
  }
  return {
    begin,
    async complete(p) {
      await db.query(
        `UPDATE idempotency_keys SET state = 'done', status = $3, headers = $4::jsonb, body = $5, completed_at = now()
         WHERE account = $1 AND key = $2 AND state = 'in_progress'`,
        [normalizeAccount(p.account), p.key, p.status, JSON.stringify(p.headers), p.body],
      );
    },
    async abandon(p) {
      await db.query("DELETE FROM idempotency_keys WHERE account = $1 AND key = $2 AND state = 'in_progress'", [
        normalizeAccount(p.account),
        p.key,
      ]);
    },
    async purge() {
      const rows = await db.query(
        "DELETE FROM idempotency_keys WHERE created_at < now() - ($1::bigint * interval '1 millisecond') RETURNING key",
        [ttlMs],
      );
      return rows.length;
    },
  };
}
