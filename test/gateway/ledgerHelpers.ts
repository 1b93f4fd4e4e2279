/** Helpers of the ledger tests. */
import assert from "node:assert/strict";
import type { Address } from "viem";
import type { Balance, Ledger } from "../../gateway/ledger/types.js";
import { randomId } from "./dbs.js";

/** deposited + granted + refunded = available + held + spent + withdrawing + withdrawn, and nothing negative. */
export function assertConserved(b: Balance, label = "balance"): void {
  for (const [column, value] of Object.entries(b)) assert.ok(value >= 0n, `${label}: ${column} = ${value} < 0`);
  assert.equal(
    b.deposited + b.granted + b.refunded,
    b.available + b.held + b.spent + b.withdrawing + b.withdrawn,
    `${label}: conservation broken ${JSON.stringify(b, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`,
  );
}

/** Asserts conservation of the account's row and that the entries recompute it exactly. */
export async function assertConsistent(ledger: Ledger, account: Address): Promise<Balance> {
  const b = await ledger.balance(account);
  assertConserved(b, account);
  assert.deepEqual(await ledger.recompute(account), b, `${account}: recompute differs from balance`);
  return b;
}

/** Deposits `amount` on `account` under a fresh ref. */
export async function deposit(ledger: Ledger, account: Address, amount: bigint): Promise<void> {
  const { credited } = await ledger.credit({ account, amount, kind: "deposit", ref: randomId("tx") });
  assert.equal(credited, true);
}
