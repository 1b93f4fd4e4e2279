/** refund: an explicit, later reversal of (part of) a job's debit. */
import type { Db } from "../store/db.js";
import { LedgerError } from "./errors.js";
import { assertAmount } from "./rows.js";
import type { RefundParameters } from "./types.js";

/**
 * Returns `amount` of a job's debit to the account's `available` (`refunded += amount`), with a
 * `refund` entry whose `ref` is the reason, and marks the job's receipt `refunded` (envelope
 * `refund: { amount: <refunded so far>, reason, refundedAt }`). The account row is locked before the job's refunds are
 * summed, so concurrent refunds of one job can never exceed its debit together.
 * @param db the database.
 * @param p the job, the amount (> 0) and the reason (operator note, or the failure).
 * @throws LedgerError `nothing_to_refund` (no debit for the job), `refund_exceeds_debit`.
 * @example
 * await refund(db, { jobId, amount: 120n, reason: "operator: duplicate request" });
 */
export async function refund(db: Db, p: RefundParameters): Promise<void> {
  assertAmount(p.amount, "A refund");
  await db.transaction(async (tx) => {
    const [debit] = await tx.query<{ account: string }>(
      "SELECT account FROM ledger_entries WHERE job_id = $1 AND kind = 'debit' LIMIT 1",
      [p.jobId],
    );
    if (!debit) {
      throw new LedgerError("nothing_to_refund", `Job ${p.jobId} has no debit to refund.`, { jobId: p.jobId });
    }
    await tx.query("SELECT account FROM accounts WHERE account = $1 FOR UPDATE", [debit.account]);
    const [sums] = await tx.query<{ debited: string; refunded: string }>(
      `SELECT COALESCE(sum(amount) FILTER (WHERE kind = 'debit'), 0)::text AS debited,
              COALESCE(sum(amount) FILTER (WHERE kind = 'refund'), 0)::text AS refunded
       FROM ledger_entries WHERE job_id = $1`,
      [p.jobId],
    );
    const debited = BigInt(sums?.debited ?? 0);
    const refunded = BigInt(sums?.refunded ?? 0);
    if (refunded + p.amount > debited) {
      throw new LedgerError(
        "refund_exceeds_debit",
        `Refunding ${p.amount} on job ${p.jobId} exceeds its debit: ${debited} debited, ${refunded} already refunded.`,
        { jobId: p.jobId, debited: debited.toString(), refunded: refunded.toString() },
      );
    }
    await tx.query(
      `UPDATE accounts SET available = available + $2::numeric, refunded = refunded + $2::numeric, updated_at = now()
       WHERE account = $1`,
      [debit.account, p.amount.toString()],
    );
    await tx.query(
      "INSERT INTO ledger_entries (account, kind, amount, job_id, ref) VALUES ($1, 'refund', $2::numeric, $3, $4)",
      [debit.account, p.amount.toString(), p.jobId, p.reason],
    );
    // The receipt's envelope says so (its core and hash never change): everything refunded on the job so far.
    await tx.query(
      `UPDATE receipts SET status = 'refunded',
         refund = jsonb_build_object('amount', $2::text, 'reason', $3::text, 'refundedAt', $4::text)
       WHERE job_id = $1`,
      [p.jobId, (refunded + p.amount).toString(), p.reason, new Date().toISOString()],
    );
  });
}
