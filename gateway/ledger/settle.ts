/** settle and release: how a hold ends. Each is one statement (basis_settle); the `holds` row is deleted exactly once. */
import type { Db } from "../store/db.js";
import { settleBudget } from "./budget.js";
import { LedgerError } from "./errors.js";
import { assertAmount } from "./rows.js";
import type { ReleaseReturnType, SettleParameters, SettleReturnType } from "./types.js";

type HoldRow = { account: string; amount: string; api_key_id: string | null };

/**
 * Ends the hold of `jobId` inside `tx`: debits `charged(hold)` and releases the rest, updating the
 * account, the key's budget and the ledger. `where` adds a condition on the hold (reconcile's "its
 * instance is dead"). Deleting the row first makes two concurrent endings of one hold impossible.
 * @returns the amounts, or null when there was no such (matching) hold.
 */
export async function closeHold(
  tx: Db,
  p: {
    jobId: string;
    charged: (hold: bigint) => bigint;
    where?: { sql: string; params: unknown[] };
    now: string | null;
  },
): Promise<SettleReturnType | null> {
  const [hold] = await tx.query<HoldRow>(
    `DELETE FROM holds h WHERE h.job_id = $1 ${p.where ? `AND ${p.where.sql}` : ""}
     RETURNING h.account, h.amount::text AS amount, h.api_key_id`,
    [p.jobId, ...(p.where?.params ?? [])],
  );
  if (!hold) return null;
  const amount = BigInt(hold.amount);
  const debited = p.charged(amount);
  const released = amount - debited;
  await tx.query(
    `UPDATE accounts SET held = held - $2::numeric, spent = spent + $3::numeric,
       available = available + $4::numeric, updated_at = now()
     WHERE account = $1`,
    [hold.account, hold.amount, debited.toString(), released.toString()],
  );
  if (hold.api_key_id) {
    await settleBudget(tx, { apiKeyId: hold.api_key_id, held: amount, charged: debited, now: p.now });
  }
  for (const [kind, value] of [
    ["debit", debited],
    ["release", released],
  ] as const) {
    if (value === 0n) continue;
    await tx.query("INSERT INTO ledger_entries (account, kind, amount, job_id) VALUES ($1, $2, $3::numeric, $4)", [
      hold.account,
      kind,
      value.toString(),
      p.jobId,
    ]);
  }
  return { debited, released };
}

/**
 * Charges the server-counted amount of a finished job and releases the rest of its hold.
 * Idempotent per job: once the hold has ended (settled, released or reconciled) it returns what was
 * recorded then, whatever `charged` says now; a `debited` below `charged` means the hold had been
 * released before (compare them to detect it).
 * @param db the database.
 * @param p the job and what it costs (0 ≤ charged ≤ hold).
 * @returns `{ debited, released }`, which add up to the hold.
 * @throws LedgerError `charge_exceeds_hold` (nothing written), `unknown_hold` (no hold ever).
 */
export async function settle(db: Db, p: SettleParameters, now: string | null): Promise<SettleReturnType> {
  assertAmount(p.charged, "A charge", true);
  // One round trip: basis_settle (migration 004) closes the hold atomically inside one statement.
  const [row] = await db.query<SettleRow>(
    "SELECT outcome, debited::text AS debited, released::text AS released FROM basis_settle($1, $2::numeric, $3::timestamptz)",
    [p.jobId, p.charged.toString(), now],
  );
  return settleOutcome(row, p.jobId, p.charged);
}

/** A row of `basis_settle`, numbers as decimal strings. */
export type SettleRow = { outcome: string; debited: string; released: string };

/**
 * What a `basis_settle` row means for the caller.
 * @throws LedgerError `charge_exceeds_hold` (nothing written) or `unknown_hold`.
 */
export function settleOutcome(row: SettleRow | undefined, jobId: string, charged: bigint): SettleReturnType {
  switch (row?.outcome) {
    case "ok":
    case "recorded":
      return { debited: BigInt(row.debited), released: BigInt(row.released) };
    case "charge_exceeds_hold":
      throw new LedgerError(
        "charge_exceeds_hold",
        `Job ${jobId} charged ${charged} above its hold of ${row.released}.`,
        {
          jobId,
          charged: charged.toString(),
          hold: row.released,
        },
      );
    default:
      throw new LedgerError("unknown_hold", `Job ${jobId} has no hold.`, { jobId });
  }
}

/**
 * Returns the whole hold of a job that failed before its first token.
 * @returns what was released; 0 when the job has no open hold (already settled or released).
 */
export async function release(db: Db, p: { jobId: string }, now: string | null): Promise<ReleaseReturnType> {
  const [row] = await db.query<{ outcome: string; released: string }>(
    "SELECT outcome, released::text AS released FROM basis_settle($1, 0, $2::timestamptz)",
    [p.jobId, now],
  );
  return { released: row?.outcome === "ok" ? BigInt(row.released) : 0n };
}
