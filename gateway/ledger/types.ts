/** The ledger's public types. Money is always `bigint` base units of the 18-decimal credit token. */
import type { Address } from "viem";

export type { Address };

/** What an entry of `ledger_entries` records; its amount is always positive. */
export type EntryKind =
  | "deposit"
  | "operator"
  | "hold"
  | "debit"
  | "release"
  | "refund"
  | "voucher"
  | "withdraw"
  | "voucher_expiry";

/**
 * An account's balances. `granted` is the sum of operator credits; `withdrawing` the amounts of its
 * withdrawal vouchers not yet used on-chain nor expired; `withdrawn` what vouchers took out of the vault.
 */
export type Balance = {
  available: bigint;
  held: bigint;
  spent: bigint;
  deposited: bigint;
  granted: bigint;
  withdrawing: bigint;
  withdrawn: bigint;
  refunded: bigint;
};

/** One row of the append-only ledger. `id` is a decimal string, increasing with time. */
export type LedgerEntry = {
  id: string;
  account: Address;
  kind: EntryKind;
  amount: bigint;
  jobId: string | null;
  ref: string | null;
  createdAt: Date;
};

export type CreditParameters = { account: Address; amount: bigint; kind: "deposit" | "operator"; ref: string };
export type CreditReturnType = { credited: boolean };

export type ReserveParameters = {
  account: Address;
  jobId: string;
  amount: bigint;
  apiKeyId?: string | null;
  instanceId: string;
};
export type ReserveResult =
  | { ok: true }
  | { ok: false; reason: "insufficient_credits"; available: bigint }
  | { ok: false; reason: "budget_exceeded"; remaining: bigint }
  | { ok: false; reason: "key_revoked" };

export type SettleParameters = { jobId: string; charged: bigint };
export type SettleReturnType = { debited: bigint; released: bigint };
export type ReleaseParameters = { jobId: string };
export type ReleaseReturnType = { released: bigint };
export type RefundParameters = { jobId: string; amount: bigint; reason: string };
export type ReconcileParameters = { liveInstanceIds?: string[]; olderThanMs?: number; instanceId: string };
export type ReconcileReturnType = { released: number };
export type EntriesParameters = { cursor?: string; limit: number };
export type EntriesReturnType = { data: LedgerEntry[]; nextCursor: string | null };

/** The money core: every method is one atomic database transaction (reconcile: one per hold). */
export interface Ledger {
  /** Adds a deposit or an operator grant to `available`; idempotent by `(kind, ref)`. */
  credit(p: CreditParameters): Promise<CreditReturnType>;
  /** Moves the job's worst case from `available` to `held` (and into the key's budget), or says why not. */
  reserve(p: ReserveParameters): Promise<ReserveResult>;
  /** Debits `charged` (≤ the hold) and releases the rest; a repeat returns what the first recorded. */
  settle(p: SettleParameters): Promise<SettleReturnType>;
  /** Returns the whole hold to `available` (a job that failed before its first token); 0 when none. */
  release(p: ReleaseParameters): Promise<ReleaseReturnType>;
  /** Returns (part of) a job's debit to `available`; never more than the job's debit in total. */
  refund(p: RefundParameters): Promise<void>;
  /** Releases every open hold whose gateway instance is not alive. */
  reconcile(p: ReconcileParameters): Promise<ReconcileReturnType>;
  /** The account's current balances (zeros for an unknown account). */
  balance(account: Address): Promise<Balance>;
  /** The account's entries, newest first, `limit` at a time; pass `nextCursor` back for the next page. */
  entries(account: Address, p: EntriesParameters): Promise<EntriesReturnType>;
  /** The account's balances recomputed from `ledger_entries` alone. */
  recompute(account: Address): Promise<Balance>;
  /** The sum of every account's balances. */
  totals(): Promise<Balance>;
}
