/**
 * The withdrawal service behind `POST /api/account/withdrawals`: vouchers signed by the attester over
 * the vault's EIP-712 domain, valid for a configured time, held in the ledger until the chain says what
 * became of them (gateway/ledger/withdrawals.ts; the deposit sync follows the `Withdrawn` events).
 */
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { VOUCHER_TYPES, voucherDomain } from "../../protocol/voucher.js";
import {
  type IssueResult,
  issueVoucher,
  listWithdrawals,
  type VoucherSigner,
  type Withdrawal,
} from "../ledger/withdrawals.js";
import type { Db } from "../store/db.js";

export type Withdrawals = {
  chainId: number;
  /** The CreditVault that pays the vouchers. */
  vault: Address;
  /** Issues and holds a voucher for `amount`, usable until now + the configured lifetime. */
  issue(account: Address, amount: bigint): Promise<IssueResult>;
  /** The account's vouchers, newest first. */
  list(account: Address): Promise<Withdrawal[]>;
};

/**
 * @param db the gateway's database.
 * @param p the chain and vault, the attester key (kept in the signer, never logged), a voucher's
 *   lifetime in seconds, and a clock in unix seconds (tests).
 * @example createWithdrawals(db, { chainId: 31337, vault, attesterKey, ttlSeconds: 3600 })
 */
export function createWithdrawals(
  db: Db,
  p: { chainId: number; vault: Address; attesterKey: Hex; ttlSeconds: number; nowSeconds?: () => number },
): Withdrawals {
  const attester = privateKeyToAccount(p.attesterKey);
  const domain = voucherDomain(p.chainId, p.vault);
  const sign: VoucherSigner = (message) =>
    attester.signTypedData({ domain, types: VOUCHER_TYPES, primaryType: "Voucher", message });
  const now = p.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  return {
    chainId: p.chainId,
    vault: p.vault,
    issue: (account, amount) => issueVoucher(db, { account, amount, deadline: BigInt(now() + p.ttlSeconds), sign }),
    list: (account) => listWithdrawals(db, account),
  };
}
