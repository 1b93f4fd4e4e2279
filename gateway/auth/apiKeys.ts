/**
 * API keys: `sk-basis-` + base64url of 32 random bytes. The database keeps only
 * HMAC-SHA256(pepper, key) (hex), a display prefix (`sk-basis-` + the first 4 characters of the
 * random part) and the last four characters. A stolen table cannot be turned back into keys without
 * the pepper, a server secret that never touches the database. No message ever contains a key, its
 * hash or the pepper.
 */
import crypto from "node:crypto";
import type { Address } from "viem";
import { type BudgetRow, budgetSelect, type KeyBudget, toKeyBudget, writeBudget } from "../ledger/budget.js";
import { normalizeAccount } from "../ledger/rows.js";
import type { Db } from "../store/db.js";
import { secretKind } from "./secrets.js";

export const API_KEY_PREFIX = "sk-basis-";

/** A budget to set on a key: a cap in base units per UTC day, UTC month, or for its lifetime (null). */
export type BudgetSetting = { limit: bigint; period: "day" | "month" | null };

/** An API key as its owner sees it (never the key itself). */
export type ApiKeyRecord = {
  id: string;
  account: Address;
  name: string;
  /** `sk-basis-` + the first 4 characters of the random part. */
  prefix: string;
  lastFour: string;
  createdAt: Date;
  revokedAt: Date | null;
  /** The cap and what counts against it in the current period; null when the key has no cap. */
  budget: KeyBudget | null;
};

export type CreateApiKeyParameters = { account: Address; name: string; budget?: BudgetSetting | null };
export type CreateApiKeyReturnType = { key: string; record: ApiKeyRecord };

/** The API key store. */
export interface ApiKeys {
  /** Makes a key; the plaintext is in the answer and nowhere else, ever. */
  create(p: CreateApiKeyParameters): Promise<CreateApiKeyReturnType>;
  /** The account's keys, oldest first, revoked ones included. */
  list(account: Address): Promise<ApiKeyRecord[]>;
  /** Revokes the key (at once: the next `verify` fails); null when the account has no such key. */
  revoke(account: Address, id: string): Promise<ApiKeyRecord | null>;
  /** Sets or clears (null) the key's budget; null when the account has no such key. */
  setBudget(account: Address, id: string, budget: BudgetSetting | null): Promise<ApiKeyRecord | null>;
  /** The live key record of a presented key, or null (malformed, unknown or revoked). */
  verify(plaintext: string): Promise<ApiKeyRecord | null>;
}

type KeyRow = BudgetRow & {
  id: string;
  account: Address;
  name: string;
  key_hash: string;
  prefix: string;
  last_four: string;
  created_at: Date;
  revoked_at: Date | null;
};

/** The keys of `source` (a table or CTE with the api_keys columns) with their budgets; `$1` is the clock. */
const select = (source: string) =>
  `SELECT k.id, k.account, k.name, k.key_hash, k.prefix, k.last_four, k.created_at, k.revoked_at, ${budgetSelect(1)}
   FROM ${source} k LEFT JOIN api_key_budgets ON api_key_budgets.api_key_id = k.id`;

function toRecord(r: KeyRow): ApiKeyRecord {
  return {
    id: r.id,
    account: r.account,
    name: r.name,
    prefix: r.prefix,
    lastFour: r.last_four,
    createdAt: new Date(r.created_at),
    revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
    budget: toKeyBudget(r),
  };
}

/**
 * Builds the API key store.
 * @param db the database.
 * @param options `pepper`: the server secret of the HMAC (at least 32 bytes); `now`: the clock of
 *   budget periods (tests).
 * @returns {@link ApiKeys}.
 * @example
 * const keys = createApiKeys(db, { pepper: env.API_KEY_PEPPER });
 * const { key } = await keys.create({ account, name: "ci" }); // show it once
 * const record = await keys.verify(bearerToken); // null → 401
 */
export function createApiKeys(db: Db, options: { pepper: string | Uint8Array; now?: () => Date }): ApiKeys {
  const secrets = secretKind(API_KEY_PREFIX, options.pepper);
  const now = () => options.now?.().toISOString() ?? null;
  const first = (rows: KeyRow[]) => (rows[0] ? toRecord(rows[0]) : null);

  return {
    async create(p) {
      const account = normalizeAccount(p.account);
      const secret = secrets.mint();
      const id = `key_${crypto.randomBytes(12).toString("base64url")}`;
      const rows = await db.transaction(async (tx) => {
        // Every key gets a budget row, so its spend is tracked even without a cap.
        await writeBudget(tx, { apiKeyId: id, limit: p.budget?.limit ?? null, period: p.budget?.period ?? null });
        await tx.query(
          "INSERT INTO api_keys (id, account, name, key_hash, prefix, last_four) VALUES ($1, $2, $3, $4, $5, $6)",
          [id, account, p.name, secrets.hash(secret.plaintext).toString("hex"), secret.displayPrefix, secret.lastFour],
        );
        return tx.query<KeyRow>(`${select("api_keys")} WHERE k.id = $2`, [now(), id]);
      });
      const record = first(rows);
      if (!record) throw new Error("The new API key was not stored.");
      return { key: secret.plaintext, record };
    },
    async list(account) {
      const rows = await db.query<KeyRow>(`${select("api_keys")} WHERE k.account = $2 ORDER BY k.created_at, k.id`, [
        now(),
        normalizeAccount(account),
      ]);
      return rows.map(toRecord);
    },
    async revoke(account, id) {
      const rows = await db.query<KeyRow>(
        `WITH revoked AS (
           UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $2 AND account = $3 RETURNING *
         ) ${select("revoked")}`,
        [now(), id, normalizeAccount(account)],
      );
      return first(rows);
    },
    async setBudget(account, id, budget) {
      return db.transaction(async (tx) => {
        const owned = await tx.query("SELECT id FROM api_keys WHERE id = $1 AND account = $2", [
          id,
          normalizeAccount(account),
        ]);
        if (owned.length === 0) return null;
        await writeBudget(tx, { apiKeyId: id, limit: budget?.limit ?? null, period: budget?.period ?? null });
        return first(await tx.query<KeyRow>(`${select("api_keys")} WHERE k.id = $2`, [now(), id]));
      });
    },
    async verify(plaintext) {
      if (!secrets.wellFormed(plaintext)) return null;
      const presented = secrets.hash(plaintext);
      // Found by its hash (an index); the final comparison is constant-time all the same. The hash is
      // keyed by the pepper, so timing of either step tells an attacker nothing about stored hashes.
      const [row] = await db.query<KeyRow>(`${select("api_keys")} WHERE k.key_hash = $2`, [
        now(),
        presented.toString("hex"),
      ]);
      if (!row || !secrets.matches(row.key_hash, presented)) return null;
      return row.revoked_at === null ? toRecord(row) : null;
    },
  };
}
