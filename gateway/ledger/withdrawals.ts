/**
 * Withdrawals: unused deposited credit back out of the vault, against an EIP-712 voucher the attester
 * signs (protocol/voucher.ts). A voucher's amount is held (`available → withdrawing`) from the moment
 * it is issued until the chain says what became of it:
 * - used: the indexer reports a confirmed `Withdrawn(account, nonce, amount)` → `withdrawing → withdrawn`;
 * - expired: a confirmed block is later than its deadline and no `Withdrawn` came → `withdrawing → available`.
 * Each step is one transaction with its ledger entry (ref = the withdrawal's id, once per kind).
 *
 * What can be withdrawn is the deposit-backed part of what is available: charges are paid out of the
 * vault (and operator grants never went into it), so spending counts against deposits first:
 *     withdrawable = min(available, deposited − (spent − refunded) − withdrawing − withdrawn)
 * Then an account's charges plus its withdrawals never exceed its deposits.
 */
import { randomUUID } from "node:crypto";
import type { Hex } from "viem";
import type { Voucher } from "../../protocol/voucher.js";
import type { Db } from "../store/db.js";
import { assertAmount, BALANCE_SELECT, type BalanceRow, normalizeAccount, toBalance } from "./rows.js";
import type { Address, Balance } from "./types.js";

/** Signs a voucher as the attester (EIP-712 over the vault's domain). */
export type VoucherSigner = (voucher: Voucher) => Promise<Hex>;

export type WithdrawalStatus = "pending" | "withdrawn" | "expired";

/** One issued voucher and what became of it. */
export type Withdrawal = {
  id: string;
  account: Address;
  amount: bigint;
  nonce: bigint;
  /** Unix seconds. */
  deadline: bigint;
  signature: Hex;
  status: WithdrawalStatus;
  /** The confirmed `Withdrawn` event, `<chainId>:<txHash>:<logIndex>`, once used. */
  chainRef: string | null;
  createdAt: Date;
  closedAt: Date | null;
};

export type IssueResult =
  | { ok: true; withdrawal: Withdrawal }
  | { ok: false; reason: "insufficient_credits"; withdrawable: bigint };

/** What {@link completeWithdrawal} found. */
export type CompleteOutcome =
  /** The voucher was pending: its amount is now withdrawn. */
  | "withdrawn"
  /** Already recorded (a re-read event). */
  | "recorded"
  /** Used on-chain after the gateway had expired it: only a reorg deeper than the confirmations can do that. */
  | "used_after_expiry"
  /** Not a voucher of this gateway's database. */
  | "unknown";

/**
 * The deposit-backed part of `available` (see the module comment). Pure; never negative.
 * @example withdrawable({ ...zero, available: 5n, deposited: 10n, spent: 7n }) // 3n
 */
export function withdrawable(b: Balance): bigint {
  const backed = b.deposited - (b.spent - b.refunded) - b.withdrawing - b.withdrawn;
  const max = backed < b.available ? backed : b.available;
  return max > 0n ? max : 0n;
}

type WithdrawalRow = {
  id: string;
  account: Address;
  amount: string;
  nonce: string;
  deadline: string;
  signature: Hex;
  status: WithdrawalStatus;
  chain_ref: string | null;
  created_at: Date;
  closed_at: Date | null;
};

const WITHDRAWAL_SELECT =
  "id, account, amount::text AS amount, nonce::text AS nonce, deadline::text AS deadline, signature, status, chain_ref, created_at, closed_at";

function toWithdrawal(r: WithdrawalRow): Withdrawal {
  return {
    id: r.id,
    account: r.account,
    amount: BigInt(r.amount),
    nonce: BigInt(r.nonce),
    deadline: BigInt(r.deadline),
    signature: r.signature,
    status: r.status,
    chainRef: r.chain_ref,
    createdAt: new Date(r.created_at),
    closedAt: r.closed_at ? new Date(r.closed_at) : null,
  };
}

/**
 * Issues a voucher for `amount` and holds it, in one transaction: the account row is locked, the
 * amount checked against {@link withdrawable}, a nonce drawn, the voucher signed, and
 * `available → withdrawing` written with a `voucher` entry.
 * @param p the account, the amount (> 0), the deadline (unix seconds) and the attester's signer.
 * @returns the withdrawal, or `insufficient_credits` with what could be withdrawn.
 */
export async function issueVoucher(
  db: Db,
  p: { account: Address; amount: bigint; deadline: bigint; sign: VoucherSigner },
): Promise<IssueResult> {
  const account = normalizeAccount(p.account);
  assertAmount(p.amount, "A withdrawal");
  return db.transaction(async (tx) => {
    const [row] = await tx.query<BalanceRow>(`SELECT ${BALANCE_SELECT} FROM accounts WHERE account = $1 FOR UPDATE`, [
      account,
    ]);
    const max = row ? withdrawable(toBalance(row)) : 0n;
    if (p.amount > max) return { ok: false, reason: "insufficient_credits", withdrawable: max };
    const [seq] = await tx.query<{ nonce: string }>("SELECT nextval('withdrawal_nonces')::text AS nonce");
    const nonce = BigInt(seq?.nonce ?? Number.NaN);
    const signature = await p.sign({ account, amount: p.amount, nonce, deadline: p.deadline });
    const id = `wd_${randomUUID().replaceAll("-", "")}`;
    const amount = p.amount.toString();
    const [inserted] = await tx.query<WithdrawalRow>(
      `INSERT INTO withdrawals (id, account, amount, nonce, deadline, signature)
       VALUES ($1, $2, $3::numeric, $4::numeric, $5, $6) RETURNING ${WITHDRAWAL_SELECT}`,
      [id, account, amount, nonce.toString(), p.deadline.toString(), signature],
    );
    await tx.query(
      `UPDATE accounts SET available = available - $2::numeric, withdrawing = withdrawing + $2::numeric,
         updated_at = now() WHERE account = $1`,
      [account, amount],
    );
    await tx.query("INSERT INTO ledger_entries (account, kind, amount, ref) VALUES ($1, 'voucher', $2::numeric, $3)", [
      account,
      amount,
      id,
    ]);
    return { ok: true, withdrawal: toWithdrawal(inserted as WithdrawalRow) };
  });
}

/**
 * Records the on-chain use of a voucher (a confirmed `Withdrawn` event): `withdrawing → withdrawn`.
 * Idempotent: a re-read event answers `recorded` and writes nothing.
 * @param p the event's account and nonce, its amount (the vault pays exactly the signed amount) and ref.
 * @throws when the event's amount differs from the voucher's (the attester signed only the stored one).
 */
export async function completeWithdrawal(
  db: Db,
  p: { account: Address; nonce: bigint; amount: bigint; chainRef: string },
): Promise<CompleteOutcome> {
  const account = normalizeAccount(p.account);
  return db.transaction(async (tx) => {
    const [row] = await tx.query<WithdrawalRow>(
      `SELECT ${WITHDRAWAL_SELECT} FROM withdrawals WHERE account = $1 AND nonce = $2::numeric FOR UPDATE`,
      [account, p.nonce.toString()],
    );
    if (!row) return "unknown";
    if (row.status === "withdrawn") return "recorded";
    if (row.status === "expired") return "used_after_expiry";
    if (BigInt(row.amount) !== p.amount) {
      throw new Error(`withdrawal ${row.id}: the chain paid ${p.amount}, the voucher says ${row.amount}`);
    }
    await tx.query("UPDATE withdrawals SET status = 'withdrawn', chain_ref = $2, closed_at = now() WHERE id = $1", [
      row.id,
      p.chainRef,
    ]);
    await tx.query(
      `UPDATE accounts SET withdrawing = withdrawing - $2::numeric, withdrawn = withdrawn + $2::numeric,
         updated_at = now() WHERE account = $1`,
      [account, row.amount],
    );
    await tx.query("INSERT INTO ledger_entries (account, kind, amount, ref) VALUES ($1, 'withdraw', $2::numeric, $3)", [
      account,
      row.amount,
      row.id,
    ]);
    return "withdrawn";
  });
}

/**
 * Releases every pending voucher whose deadline is before `chainTime`: `withdrawing → available`.
 * Call it only with the timestamp of a block up to which every `Withdrawn` event has been recorded:
 * the vault refuses a voucher in any block later than its deadline, so none of these can still be used.
 * @param p `chainTime`: unix seconds of such a confirmed block.
 * @returns the withdrawals released, one transaction each.
 */
export async function expireVouchers(db: Db, p: { chainTime: bigint }): Promise<Withdrawal[]> {
  const due = await db.query<{ id: string }>(
    "SELECT id FROM withdrawals WHERE status = 'pending' AND deadline < $1 ORDER BY deadline",
    [p.chainTime.toString()],
  );
  const expired: Withdrawal[] = [];
  for (const { id } of due) {
    const row = await db.transaction(async (tx) => {
      const [w] = await tx.query<WithdrawalRow>(
        `UPDATE withdrawals SET status = 'expired', closed_at = now() WHERE id = $1 AND status = 'pending'
         RETURNING ${WITHDRAWAL_SELECT}`,
        [id],
      );
      if (!w) return null;
      await tx.query(
        `UPDATE accounts SET withdrawing = withdrawing - $2::numeric, available = available + $2::numeric,
           updated_at = now() WHERE account = $1`,
        [w.account, w.amount],
      );
      await tx.query(
        "INSERT INTO ledger_entries (account, kind, amount, ref) VALUES ($1, 'voucher_expiry', $2::numeric, $3)",
        [w.account, w.amount, w.id],
      );
      return w;
    });
    if (row) expired.push(toWithdrawal(row));
  }
  return expired;
}

/** The account's withdrawals, newest first (at most `limit`). */
export async function listWithdrawals(db: Db, account: Address, limit = 100): Promise<Withdrawal[]> {
  const rows = await db.query<WithdrawalRow>(
    `SELECT ${WITHDRAWAL_SELECT} FROM withdrawals WHERE account = $1 ORDER BY created_at DESC, id LIMIT $2`,
    [normalizeAccount(account), limit],
  );
  return rows.map(toWithdrawal);
}
