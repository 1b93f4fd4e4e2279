import assert from "node:assert/strict";
import fc from "fast-check";
import { after, before, describe, it } from "mocha";
import type { Address } from "viem";
import { createApiKeys } from "../../gateway/auth/apiKeys.js";
import { LedgerError } from "../../gateway/ledger/errors.js";
import { heartbeat } from "../../gateway/ledger/instances.js";
import { createLedger, type Ledger } from "../../gateway/ledger/ledger.js";
import { completeWithdrawal, expireVouchers, issueVoucher } from "../../gateway/ledger/withdrawals.js";
import type { Db } from "../../gateway/store/db.js";
import { randomAccount, randomId, testDbs } from "./dbs.js";
import { assertConserved, assertConsistent } from "./ledgerHelpers.js";

const ACCOUNTS = 3;
const JOBS = 12;
const runs = process.env.BASIS_DEEP === "1" ? 500 : 50;

/** Refusals the ledger may answer to a random operation; anything else fails the property. */
const EXPECTED = new Set([
  "duplicate_job",
  "unknown_hold",
  "charge_exceeds_hold",
  "refund_exceeds_debit",
  "nothing_to_refund",
]);

const amount = fc.bigInt({ min: 1n, max: 2_000n });
const op = fc.oneof(
  fc.record({
    op: fc.constant("credit" as const),
    a: fc.nat(ACCOUNTS - 1),
    amount,
    ref: fc.nat(5),
    operator: fc.boolean(),
  }),
  fc.record({
    op: fc.constant("reserve" as const),
    a: fc.nat(ACCOUNTS - 1),
    job: fc.nat(JOBS - 1),
    amount,
    withKey: fc.boolean(),
    dead: fc.boolean(),
  }),
  fc.record({
    op: fc.constant("settle" as const),
    job: fc.nat(JOBS - 1),
    charged: fc.bigInt({ min: 0n, max: 2_100n }),
  }),
  fc.record({ op: fc.constant("release" as const), job: fc.nat(JOBS - 1) }),
  fc.record({ op: fc.constant("refund" as const), job: fc.nat(JOBS - 1), amount: fc.bigInt({ min: 1n, max: 500n }) }),
  fc.record({ op: fc.constant("reconcile" as const) }),
  fc.record({ op: fc.constant("voucher" as const), a: fc.nat(ACCOUNTS - 1), amount, deadline: fc.nat(3) }),
  fc.record({ op: fc.constant("withdrawn" as const), a: fc.nat(ACCOUNTS - 1), nonce: fc.nat(20) }),
  fc.record({ op: fc.constant("expire" as const), chainTime: fc.nat(4) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;
const batches = fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 });

describe("ledger", () => {
  for (const target of testDbs) {
    describe(`on ${target.name}`, () => {
      let db: Db;
      let ledger: Ledger;
      before(async () => {
        db = await target.open();
        ledger = createLedger(db);
      });
      after(async () => {
        await db.close();
      });

      describe("conservation", () => {
        it("holds for every account and in total under random concurrent credit/reserve/settle/release/refund/reconcile/voucher/withdrawn/expire", async () => {
          const keys = createApiKeys(db, { pepper: "x".repeat(32) });
          await fc.assert(
            fc.asyncProperty(batches, async (plan) => {
              const accounts: Address[] = Array.from({ length: ACCOUNTS }, randomAccount);
              const jobs = Array.from({ length: JOBS }, () => randomId("job"));
              const refs = Array.from({ length: 6 }, () => randomId("ref"));
              const [live, dead] = [randomId("live"), randomId("dead")];
              await heartbeat(db, dead);
              await db.query("UPDATE instances SET heartbeat_at = now() - interval '1 hour' WHERE id = $1", [dead]);
              const apiKeys = await Promise.all(
                accounts.map((account) =>
                  keys.create({ account, name: "p", budget: { limit: 3_000n, period: "day" } }),
                ),
              );
              let credited = 0n;
              let refunded = 0n;
              const nonces: bigint[] = [];

              const run = async (o: Op): Promise<void> => {
                switch (o.op) {
                  case "credit": {
                    const kind = o.operator ? "operator" : "deposit";
                    const r = await ledger.credit({
                      account: accounts[o.a] as Address,
                      amount: o.amount,
                      kind,
                      ref: refs[o.ref] as string,
                    });
                    if (r.credited) credited += o.amount;
                    return;
                  }
                  case "reserve":
                    await ledger.reserve({
                      account: accounts[o.a] as Address,
                      jobId: jobs[o.job] as string,
                      amount: o.amount,
                      apiKeyId: o.withKey ? apiKeys[o.a]?.record.id : null,
                      instanceId: o.dead ? dead : live,
                    });
                    return;
                  case "settle":
                    await ledger.settle({ jobId: jobs[o.job] as string, charged: o.charged });
                    return;
                  case "release":
                    await ledger.release({ jobId: jobs[o.job] as string });
                    return;
                  case "refund":
                    await ledger.refund({ jobId: jobs[o.job] as string, amount: o.amount, reason: "property" });
                    refunded += o.amount;
                    return;
                  case "reconcile":
                    await ledger.reconcile({ instanceId: live });
                    return;
                  case "voucher": {
                    const account = accounts[o.a] as Address;
                    const r = await issueVoucher(db, {
                      account,
                      amount: o.amount,
                      deadline: BigInt(o.deadline),
                      sign: async () => "0x00",
                    });
                    if (r.ok) nonces.push(r.withdrawal.nonce);
                    return;
                  }
                  case "withdrawn": {
                    // The vault pays a voucher's own amount: look it up as the chain would have it.
                    const nonce = nonces[o.nonce % Math.max(nonces.length, 1)];
                    if (nonce === undefined) return;
                    const [w] = await db.query<{ account: Address; amount: string }>(
                      "SELECT account, amount::text AS amount FROM withdrawals WHERE nonce = $1",
                      [nonce.toString()],
                    );
                    if (!w) return;
                    await completeWithdrawal(db, {
                      account: w.account,
                      nonce,
                      amount: BigInt(w.amount),
                      chainRef: `31337:0x${nonce}:0`,
                    });
                    return;
                  }
                  case "expire":
                    await expireVouchers(db, { chainTime: BigInt(o.chainTime) });
                    return;
                }
              };
              for (const batch of plan) {
                const outcomes = await Promise.allSettled(batch.map(run));
                for (const outcome of outcomes) {
                  if (outcome.status === "rejected") {
                    const e = outcome.reason;
                    if (!(e instanceof LedgerError && EXPECTED.has(e.code))) throw e;
                  }
                }
              }

              const sum = {
                available: 0n,
                held: 0n,
                spent: 0n,
                deposited: 0n,
                granted: 0n,
                withdrawing: 0n,
                withdrawn: 0n,
                refunded: 0n,
              };
              for (const [i, account] of accounts.entries()) {
                const b = await assertConsistent(ledger, account);
                for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += b[k];
                const [open] = await db.query<{ held: string }>(
                  "SELECT COALESCE(sum(amount), 0)::text AS held FROM holds WHERE account = $1",
                  [account],
                );
                assert.equal(b.held, BigInt(open?.held ?? -1), "held equals the open holds");
                const [vouchers] = await db.query<{ pending: string; used: string }>(
                  `SELECT COALESCE(sum(amount) FILTER (WHERE status = 'pending'), 0)::text AS pending,
                          COALESCE(sum(amount) FILTER (WHERE status = 'withdrawn'), 0)::text AS used
                   FROM withdrawals WHERE account = $1`,
                  [account],
                );
                assert.equal(b.withdrawing, BigInt(vouchers?.pending ?? -1), "withdrawing equals the pending vouchers");
                assert.equal(b.withdrawn, BigInt(vouchers?.used ?? -1), "withdrawn equals the used vouchers");
                assert.ok(b.withdrawing + b.withdrawn <= b.deposited, "vouchers never exceed deposits");
                const keyHeld = await db.query<{ held: string; holds: string }>(
                  `SELECT b.held::text AS held, (SELECT COALESCE(sum(amount), 0) FROM holds WHERE api_key_id = $1)::text AS holds
                   FROM api_key_budgets b WHERE b.api_key_id = $1`,
                  [apiKeys[i]?.record.id],
                );
                assert.equal(keyHeld[0]?.held, keyHeld[0]?.holds, "the key's budget holds equal its open holds");
              }
              assertConserved(sum, "total");
              assert.equal(sum.deposited + sum.granted, credited, "each (kind, ref) credited once");
              assert.equal(sum.refunded, refunded, "refunds as answered");
            }),
            { numRuns: runs },
          );
        });
      });
    });
  }
});
