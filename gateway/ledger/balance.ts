/** Reading the ledger: balances, their recomputation from the entries, and the entries themselves. */
import type { Db } from "../store/db.js";
import { BALANCE_COLUMNS, BALANCE_SELECT, type BalanceRow, normalizeAccount, toBalance, ZERO_BALANCE } from "./rows.js";
import type { Address, Balance, EntriesParameters, EntriesReturnType, EntryKind } from "./types.js";

/** The account's current balances, zeros for an account the ledger has never seen. */
export async function balance(db: Db, account: Address): Promise<Balance> {
  const [row] = await db.query<BalanceRow>(`SELECT ${BALANCE_SELECT} FROM accounts WHERE account = $1`, [
    normalizeAccount(account),
  ]);
  return row ? toBalance(row) : { ...ZERO_BALANCE };
}

/** The sum of every account's balances (to compare with the vault's outstanding credit). */
export async function totals(db: Db): Promise<Balance> {
  const sums = BALANCE_COLUMNS.map((c) => `COALESCE(sum(${c}), 0)::text AS ${c}`).join(", ");
  const [row] = await db.query<BalanceRow>(`SELECT ${sums} FROM accounts`);
  return row ? toBalance(row) : { ...ZERO_BALANCE };
}

/**
 * The account's balances from `ledger_entries` alone, the way an auditor would: each kind moves
 * money between the columns.
 * - deposit: → available, deposited;  operator: → available, granted
 * - hold: available → held;  debit: held → spent;  release: held → available
 * - refund: → available, refunded (spent stays: it counts what was ever debited)
 * - voucher: available → withdrawing;  withdraw: withdrawing → withdrawn;  voucher_expiry: withdrawing → available
 */
export async function recompute(db: Db, account: Address): Promise<Balance> {
  const rows = await db.query<{ kind: EntryKind; total: string }>(
    "SELECT kind, sum(amount)::text AS total FROM ledger_entries WHERE account = $1 GROUP BY kind",
    [normalizeAccount(account)],
  );
  const sum = (kind: EntryKind) => BigInt(rows.find((r) => r.kind === kind)?.total ?? 0);
  const [deposit, operator, hold, debit, release, refund, voucher, withdraw, expiry] = (
    ["deposit", "operator", "hold", "debit", "release", "refund", "voucher", "withdraw", "voucher_expiry"] as const
  ).map(sum) as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
  return {
    available: deposit + operator - hold + release + refund - voucher + expiry,
    held: hold - debit - release,
    spent: debit,
    deposited: deposit,
    granted: operator,
    withdrawing: voucher - withdraw - expiry,
    withdrawn: withdraw,
    refunded: refund,
  };
}

/**
 * The account's entries, newest first.
 * @param p `limit` (1–1000) and the `cursor` a previous page returned.
 * @returns a page and the cursor of the next one (null on the last page).
 */
export async function entries(db: Db, account: Address, p: EntriesParameters): Promise<EntriesReturnType> {
  const limit = Math.floor(p.limit);
  if (!(limit >= 1 && limit <= 1000)) throw new RangeError(`limit must be 1 to 1000, got ${p.limit}.`);
  if (p.cursor !== undefined && !/^[1-9][0-9]{0,18}$/.test(p.cursor)) {
    throw new RangeError("Invalid cursor: pass back a nextCursor returned by entries().");
  }
  const rows = await db.query<{
    id: string;
    account: Address;
    kind: EntryKind;
    amount: string;
    job_id: string | null;
    ref: string | null;
    created_at: Date;
  }>(
    `SELECT id::text AS id, account, kind, amount::text AS amount, job_id, ref, created_at
     FROM ledger_entries WHERE account = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
     ORDER BY ledger_entries.id DESC LIMIT $3`,
    [normalizeAccount(account), p.cursor ?? null, limit + 1],
  );
  const page = rows.slice(0, limit);
  return {
    data: page.map((r) => ({
      id: r.id,
      account: r.account,
      kind: r.kind,
      amount: BigInt(r.amount),
      jobId: r.job_id,
      ref: r.ref,
      createdAt: new Date(r.created_at),
    })),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}
