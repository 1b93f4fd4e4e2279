/**
 * Worker tokens: `wk-basis-` + base64url of 32 random bytes, issued to an account through the account
 * endpoints. A worker presents one when it connects; its payout address must be the token's account.
 * Stored as peppered hashes like API keys; revoking one drops the workers connected with it.
 */
import crypto from "node:crypto";
import type { Address } from "viem";
import { secretKind } from "../auth/secrets.js";
import { normalizeAccount } from "../ledger/rows.js";
import type { Db } from "../store/db.js";

export const WORKER_TOKEN_PREFIX = "wk-basis-";

/** A worker token as its owner sees it (never the token itself). */
export type WorkerTokenRecord = {
  id: string;
  account: Address;
  name: string;
  prefix: string;
  lastFour: string;
  createdAt: Date;
  revokedAt: Date | null;
};

export interface WorkerTokens {
  /** Mints a token; the plaintext is in the answer and nowhere else, ever. */
  create(p: { account: Address; name: string }): Promise<{ token: string; record: WorkerTokenRecord }>;
  list(account: Address): Promise<WorkerTokenRecord[]>;
  /** Revokes at once; null when the account has no such token. */
  revoke(account: Address, id: string): Promise<WorkerTokenRecord | null>;
  /** The live record of a presented token, or null (malformed, unknown or revoked). */
  verify(plaintext: string): Promise<WorkerTokenRecord | null>;
  /** Which of `ids` are still live (not revoked). */
  live(ids: readonly string[]): Promise<Set<string>>;
}

type Row = {
  id: string;
  account: Address;
  name: string;
  token_hash: string;
  prefix: string;
  last_four: string;
  created_at: Date;
  revoked_at: Date | null;
};

const toRecord = (r: Row): WorkerTokenRecord => ({
  id: r.id,
  account: r.account,
  name: r.name,
  prefix: r.prefix,
  lastFour: r.last_four,
  createdAt: new Date(r.created_at),
  revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
});

/** @param options `pepper`: the server secret (the same one API keys use is fine; prefixes differ). */
export function createWorkerTokens(db: Db, options: { pepper: string | Uint8Array }): WorkerTokens {
  const secrets = secretKind(WORKER_TOKEN_PREFIX, options.pepper);
  return {
    async create(p) {
      const secret = secrets.mint();
      const [row] = await db.query<Row>(
        `INSERT INTO worker_tokens (id, account, name, token_hash, prefix, last_four)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [
          `wkt_${crypto.randomBytes(12).toString("base64url")}`,
          normalizeAccount(p.account),
          p.name,
          secrets.hash(secret.plaintext).toString("hex"),
          secret.displayPrefix,
          secret.lastFour,
        ],
      );
      if (!row) throw new Error("The new worker token was not stored.");
      return { token: secret.plaintext, record: toRecord(row) };
    },
    async list(account) {
      const rows = await db.query<Row>("SELECT * FROM worker_tokens WHERE account = $1 ORDER BY created_at, id", [
        normalizeAccount(account),
      ]);
      return rows.map(toRecord);
    },
    async revoke(account, id) {
      const [row] = await db.query<Row>(
        `UPDATE worker_tokens SET revoked_at = COALESCE(revoked_at, now())
         WHERE id = $1 AND account = $2 RETURNING *`,
        [id, normalizeAccount(account)],
      );
      return row ? toRecord(row) : null;
    },
    async verify(plaintext) {
      if (!secrets.wellFormed(plaintext)) return null;
      const presented = secrets.hash(plaintext);
      const [row] = await db.query<Row>("SELECT * FROM worker_tokens WHERE token_hash = $1", [
        presented.toString("hex"),
      ]);
      if (!row || !secrets.matches(row.token_hash, presented) || row.revoked_at !== null) return null;
      return toRecord(row);
    },
    async live(ids) {
      if (ids.length === 0) return new Set();
      const rows = await db.query<{ id: string }>(
        "SELECT id FROM worker_tokens WHERE id = ANY($1::text[]) AND revoked_at IS NULL",
        [[...ids]],
      );
      return new Set(rows.map((r) => r.id));
    },
  };
}
