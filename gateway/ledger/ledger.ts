/**
 * The ledger: every credit of the gateway, in integer base units, in the database.
 *
 * Conservation. For every account, and summed over all accounts, at every committed instant:
 *
 *     deposited + granted + refunded = available + held + spent + withdrawing + withdrawn
 *
 * - `deposited`: confirmed vault deposits; `granted`: operator credits (kind `operator`);
 * - `available`: spendable now; `held`: worst cases of running jobs (open rows of `holds`);
 * - `spent`: every debit ever (gross: a refund does not lower it); `refunded`: refunds of debits;
 * - `withdrawing`: issued withdrawal vouchers not yet used on-chain nor expired (withdrawals.ts);
 * - `withdrawn`: paid back out of the vault with vouchers.
 * Net consumption is `spent − refunded`. Every operation moves an amount between these columns in one
 * transaction together with its `ledger_entries` row, so the identity holds after each commit and
 * `recompute` (entries only) equals `balance` (the `accounts` row). No column is ever negative
 * (CHECK constraints), and admission is one conditional UPDATE, so no race can overdraw an account.
 */
import type { Db } from "../store/db.js";
import { groupCommit } from "../store/groupCommit.js";
import { balance, entries, recompute, totals } from "./balance.js";
import { credit } from "./credit.js";
import { reconcile } from "./reconcile.js";
import { refund } from "./refund.js";
import { type ReserveCall, reserve, reserveMany, reserveOne } from "./reserve.js";
import { release, settle } from "./settle.js";
import type { Ledger } from "./types.js";

export type { Balance, Ledger, LedgerEntry, ReserveResult } from "./types.js";

/** Options of {@link createLedger}. */
export type CreateLedgerOptions = {
  /** The clock of budget periods (tests); the database's clock when omitted. */
  now?: () => Date;
  /**
   * Group commit of admissions (default true): reserves made while another is running go to the database together,
   * as one statement, when it ends (see `store/groupCommit.ts`). False: every reserve is its own statement.
   */
  groupCommit?: boolean;
};

/**
 * Builds the ledger on a database whose migrations have run (`openDb` runs them).
 * @param db the database (PGlite or Postgres).
 * @param options `now`: a clock for budget periods.
 * @returns the {@link Ledger}.
 * @example
 * const ledger = createLedger(await openDb({}));
 * await ledger.credit({ account, amount: 10n ** 18n, kind: "deposit", ref: "31337:0xabc…:0" });
 * const r = await ledger.reserve({ account, jobId, amount: 5_000n, apiKeyId: key.id, instanceId });
 */
export function createLedger(db: Db, options: CreateLedgerOptions = {}): Ledger {
  const now = () => options.now?.().toISOString() ?? null;
  const runReserve =
    options.groupCommit === false
      ? undefined
      : groupCommit<ReserveCall, Awaited<ReturnType<typeof reserveOne>>>({
          one: (call) => reserveOne(db, call),
          many: (calls) => reserveMany(db, calls),
          // Account rows are locked in one order by every batch.
          order: (a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0),
        });
  return {
    credit: (p) => credit(db, p),
    reserve: (p) => reserve(db, p, now(), runReserve),
    settle: (p) => settle(db, p, now()),
    release: (p) => release(db, p, now()),
    refund: (p) => refund(db, p),
    reconcile: (p) => reconcile(db, p, now()),
    balance: (account) => balance(db, account),
    entries: (account, p) => entries(db, account, p),
    recompute: (account) => recompute(db, account),
    totals: () => totals(db),
  };
}
