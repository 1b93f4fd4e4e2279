/** reserve: the admission of a job, one transaction, no check-then-charge race. */
import type { Db } from "../store/db.js";
import { LedgerError } from "./errors.js";
import { assertAmount, normalizeAccount } from "./rows.js";
import type { ReserveParameters, ReserveResult } from "./types.js";

/**
 * Holds the job's worst case: `available -= amount`, `held += amount`, a `holds` row, a `hold` entry,
 * and the key's budget charged; all or nothing. The balance check and the charge are one conditional
 * UPDATE (`… WHERE available >= amount`), so concurrent reserves on one account can never overdraw it.
 * @param db the database.
 * @param p the account, a job id never used before, the worst-case amount (> 0), the API key (for its
 *   budget) and the gateway instance that runs the job (for crash recovery).
 * @returns `{ ok: true }`, or why not: `insufficient_credits` (with what is available) or
 *   `budget_exceeded` (with what remains of the key's budget).
 * @example
 * const r = await reserve(db, { account, jobId, amount: 1_000n, apiKeyId, instanceId }, null);
 * if (!r.ok && r.reason === "insufficient_credits") throw insufficientCredits(1_000n, r.available);
 */
export async function reserve(db: Db, p: ReserveParameters, now: string | null): Promise<ReserveResult> {
  const account = normalizeAccount(p.account);
  assertAmount(p.amount, "A reserve");
  // One round trip: basis_reserve (migration 004) does all of it atomically inside one statement.
  const [row] = await db.query<{ outcome: string; value: string }>(
    "SELECT outcome, value::text AS value FROM basis_reserve($1, $2, $3::numeric, $4, $5, $6::timestamptz)",
    [p.jobId, account, p.amount.toString(), p.apiKeyId ?? null, p.instanceId, now],
  );
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
