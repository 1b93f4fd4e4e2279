/** reserve: the admission of a job, one transaction, no check-then-charge race. */
import type { Db } from "../store/db.js";
import { LedgerError } from "./errors.js";
import { assertAmount, normalizeAccount } from "./rows.js";
import type { ReserveParameters, ReserveResult } from "./types.js";

/** One admission as the database takes it: amounts as decimal strings, `now` null for the database's clock. */
export type ReserveCall = {
  jobId: string;
  account: string;
  amount: string;
  apiKeyId: string | null;
  instanceId: string;
  now: string | null;
};

/** A row of `basis_reserve`: the outcome, and the amount it names as a decimal string. */
export type ReserveRow = { outcome: string; value: string };

/** Runs one admission's statement (alone, or in a group commit: see `reserveMany`). */
export type RunReserve = (call: ReserveCall) => Promise<ReserveRow | undefined>;

/** One admission, one statement: `basis_reserve` (migration 004) does all of it atomically. */
export async function reserveOne(db: Db, c: ReserveCall): Promise<ReserveRow | undefined> {
  const [row] = await db.query<ReserveRow>(
    "SELECT outcome, value::text AS value FROM basis_reserve($1, $2, $3::numeric, $4, $5, $6::timestamptz)",
    [c.jobId, c.account, c.amount, c.apiKeyId, c.instanceId, c.now],
    { name: "basis_reserve" },
  );
  return row;
}

/**
 * Many admissions, one statement and one transaction: `basis_reserve_many` (migration 075) runs `basis_reserve`
 * for each, in order. Each is atomic on its own as with `reserveOne` (a refusal undoes only its own writes).
 * @returns one row per call, in the calls' order.
 */
export async function reserveMany(db: Db, calls: readonly ReserveCall[]): Promise<(ReserveRow | undefined)[]> {
  const rows = await db.query<ReserveRow & { k: number }>(
    `SELECT k, outcome, value::text AS value
     FROM basis_reserve_many($1::text[], $2::text[], $3::numeric[], $4::text[], $5::text[], $6::timestamptz[])
     ORDER BY k`,
    [
      calls.map((c) => c.jobId),
      calls.map((c) => c.account),
      calls.map((c) => c.amount),
      calls.map((c) => c.apiKeyId),
      calls.map((c) => c.instanceId),
      calls.map((c) => c.now),
    ],
    { name: "basis_reserve_many" },
  );
  return calls.map((_, i) => rows[i]);
}

/**
 * Holds the job's worst case: `available -= amount`, `held += amount`, a `holds` row, a `hold` entry,
 * and the key's budget charged; all or nothing. The balance check and the charge are one conditional
 * UPDATE (`… WHERE available >= amount`), so concurrent reserves on one account can never overdraw it.
 * @param db the database.
 * @param p the account, a job id never used before, the worst-case amount (> 0), the API key (for its
 *   budget) and the gateway instance that runs the job (for crash recovery).
 * @param now the budget clock (null: the database's).
 * @param run how the statement runs (default: alone; the ledger passes its group commit).
 * @returns `{ ok: true }`, or why not: `insufficient_credits` (with what is available) or
 *   `budget_exceeded` (with what remains of the key's budget).
 * @example
 * const r = await reserve(db, { account, jobId, amount: 1_000n, apiKeyId, instanceId }, null);
 * if (!r.ok && r.reason === "insufficient_credits") throw insufficientCredits(1_000n, r.available);
 */
export async function reserve(
  db: Db,
  p: ReserveParameters,
  now: string | null,
  run: RunReserve = (call) => reserveOne(db, call),
): Promise<ReserveResult> {
  const account = normalizeAccount(p.account);
  assertAmount(p.amount, "A reserve");
  const row = await run({
    jobId: p.jobId,
    account,
    amount: p.amount.toString(),
    apiKeyId: p.apiKeyId ?? null,
    instanceId: p.instanceId,
    now,
  });
  switch (row?.outcome) {
    case "ok":
      return { ok: true };
    case "insufficient_credits":
      return { ok: false, reason: "insufficient_credits", available: BigInt(row.value) };
    case "key_revoked":
      return { ok: false, reason: "key_revoked" };
    case "budget_exceeded":
      return { ok: false, reason: "budget_exceeded", remaining: BigInt(row.value) };
    case "duplicate_job":
      throw new LedgerError("duplicate_job", `Job ${p.jobId} already has a hold or ledger entries.`, {
        jobId: p.jobId,
      });
    default:
      throw new Error(`basis_reserve answered ${row?.outcome}`);
  }
}
