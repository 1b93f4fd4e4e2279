/**
 * Per-key budgets: a cap in base units per UTC day, UTC month, or for the key's lifetime (no period).
 * A key is over budget when `held + spent in the current period + amount > budget_limit`. The check
 * and the charge are one conditional UPDATE, inside the reserve transaction. Keys without a row in
 * `api_key_budgets` have no budget and no tracking.
 */
import type { Db } from "../store/db.js";

/** SQL: the start of the current budget period of the row, at the time `$n` (the database clock when null). */
function periodStart(nowParam: number): string {
  const now = `COALESCE($${nowParam}::timestamptz, now())`;
  return `(CASE budget_period WHEN 'day' THEN date_trunc('day', ${now}, 'UTC')
    WHEN 'month' THEN date_trunc('month', ${now}, 'UTC') ELSE timestamptz 'epoch' END)`;
}

/** SQL: what the key spent in the current period (0 once the period rolled over). */
function spentInPeriod(nowParam: number): string {
  return `(CASE WHEN period_start = ${periodStart(nowParam)} THEN period_spent ELSE 0 END)`;
}

/**
 * Ends a hold on the key's budget: `held` drops by the hold, the period's spend grows by `charged`.
 * A no-op for a key without a budget row.
 */
export async function settleBudget(
  tx: Db,
  p: { apiKeyId: string; held: bigint; charged: bigint; now: string | null },
): Promise<void> {
  // GREATEST: a budget row created while the hold was open never saw the hold.
  await tx.query(
    `UPDATE api_key_budgets SET
       period_spent = ${spentInPeriod(4)} + $3::numeric,
       period_start = ${periodStart(4)},
       held = GREATEST(held - $2::numeric, 0),
       total_spent = total_spent + $3::numeric
     WHERE api_key_id = $1`,
    [p.apiKeyId, p.held.toString(), p.charged.toString(), p.now],
  );
}

/** A key's budget as shown to its owner: the cap, and the spend and holds counted against it. */
export type KeyBudget = { limit: bigint | null; period: "day" | "month" | null; spent: bigint; held: bigint };

/** A key's budget columns as {@link budgetSelect} reads them (null columns: the key has no budget row). */
export type BudgetRow = {
  budget_limit: string | null;
  budget_period: "day" | "month" | null;
  budget_spent: string | null;
  budget_held: string | null;
};

/**
 * SQL select list of a key's budget, for a query joining `api_key_budgets` (the spend of the period
 * current at the time `$nowParam`, the database clock when null).
 */
export function budgetSelect(nowParam: number): string {
  return `budget_limit::text AS budget_limit, budget_period, ${spentInPeriod(nowParam)}::text AS budget_spent,
    api_key_budgets.held::text AS budget_held`;
}

/** The {@link KeyBudget} of a row read with {@link budgetSelect}; null when the key has no cap. */
export function toKeyBudget(row: BudgetRow): KeyBudget | null {
  if (row.budget_limit === null) return null;
  return {
    limit: BigInt(row.budget_limit),
    period: row.budget_period,
    spent: BigInt(row.budget_spent ?? 0),
    held: BigInt(row.budget_held ?? 0),
  };
}

/**
 * Sets (or clears, with `limit: null`) the budget of a key; its spend tracking is kept.
 * Changing the period starts a new period.
 */
export async function writeBudget(
  db: Db,
  p: { apiKeyId: string; limit: bigint | null; period: "day" | "month" | null },
): Promise<void> {
  await db.query(
    `INSERT INTO api_key_budgets (api_key_id, budget_limit, budget_period) VALUES ($1, $2::numeric, $3)
     ON CONFLICT (api_key_id) DO UPDATE SET budget_limit = EXCLUDED.budget_limit, budget_period = EXCLUDED.budget_period`,
    [p.apiKeyId, p.limit === null ? null : p.limit.toString(), p.period],
  );
}
