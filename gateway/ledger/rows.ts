/** Conversions between the ledger's SQL rows (money as decimal strings) and its types (bigint). */
import { LedgerError } from "./errors.js";
import type { Address, Balance } from "./types.js";

/** The columns of `accounts` that hold money, in the order of {@link Balance}. */
export const BALANCE_COLUMNS = [
  "available",
  "held",
  "spent",
  "deposited",
  "granted",
  "withdrawing",
  "withdrawn",
  "refunded",
] as const;

/** A balance row as SQL returns it. */
export type BalanceRow = Record<(typeof BALANCE_COLUMNS)[number], string>;

/** All zeros: the balance of an account the ledger has never seen. */
export const ZERO_BALANCE: Balance = {
  available: 0n,
  held: 0n,
  spent: 0n,
  deposited: 0n,
  granted: 0n,
  withdrawing: 0n,
  withdrawn: 0n,
  refunded: 0n,
};

/** `available::text AS available, …`: the money columns of `accounts`, read as exact decimal strings. */
export const BALANCE_SELECT = BALANCE_COLUMNS.map((c) => `${c}::text AS ${c}`).join(", ");

/** A {@link Balance} from a row of decimal strings. */
export function toBalance(row: BalanceRow): Balance {
  return {
    available: BigInt(row.available),
    held: BigInt(row.held),
    spent: BigInt(row.spent),
    deposited: BigInt(row.deposited),
    granted: BigInt(row.granted),
    withdrawing: BigInt(row.withdrawing),
    withdrawn: BigInt(row.withdrawn),
    refunded: BigInt(row.refunded),
  };
}

/** The account as stored: lower-case `0x` + 40 hex. Throws `invalid_account` otherwise. */
export function normalizeAccount(account: string): Address {
  const lower = account.toLowerCase();
  if (!/^0x[0-9a-f]{40}$/.test(lower)) {
    throw new LedgerError("invalid_account", `Not an account address: ${JSON.stringify(account.slice(0, 64))}.`);
  }
  return lower as Address;
}

/** Throws `invalid_amount` unless `amount` is a bigint above zero (or at least zero with `allowZero`). */
export function assertAmount(amount: bigint, what: string, allowZero = false): void {
  if (typeof amount !== "bigint" || amount < 0n || (!allowZero && amount === 0n)) {
    throw new LedgerError(
      "invalid_amount",
      `${what} must be a bigint ${allowZero ? "≥" : ">"} 0 base units, got ${String(amount)}.`,
    );
  }
}
