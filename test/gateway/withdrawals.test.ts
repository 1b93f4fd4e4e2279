import assert from "node:assert/strict";
import fc from "fast-check";
import { after, before, describe, it } from "mocha";
import { type Address, verifyTypedData } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createLedger, type Ledger } from "../../gateway/ledger/ledger.js";
import type { Balance } from "../../gateway/ledger/types.js";
import {
  completeWithdrawal,
  expireVouchers,
  issueVoucher,
  listWithdrawals,
  type VoucherSigner,
  withdrawable,
} from "../../gateway/ledger/withdrawals.js";
import type { Db } from "../../gateway/store/db.js";
import { VOUCHER_TYPES, voucherDomain } from "../../protocol/voucher.js";
import { randomAccount, randomId, testDbs } from "./dbs.js";
import { assertConsistent, deposit } from "./ledgerHelpers.js";

const attester = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const VAULT = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address;
const sign: VoucherSigner = (message) =>
  attester.signTypedData({
    domain: voucherDomain(31337, VAULT),
    types: VOUCHER_TYPES,
    primaryType: "Voucher",
    message,
  });

const money = fc.bigInt({ min: 0n, max: 10n ** 24n });

describe("withdrawable", () => {
  it("is the deposit-backed part of what is available: never negative, never above available or deposits left", () => {
    fc.assert(
      fc.property(
        money,
        money,
        money,
        money,
        money,
        money,
        money,
        (available, deposited, granted, spent, r, wi, wd) => {
          const refunded = r > spent ? spent : r;
          const b: Balance = {
            available,
            held: 0n,
            spent,
            deposited,
            granted,
            withdrawing: wi,
            withdrawn: wd,
            refunded,
          };
          const w = withdrawable(b);
          assert.ok(w >= 0n);
          assert.ok(w <= available, "never more than is available");
          assert.ok(
            w + wi + wd + (spent - refunded) <= deposited || w === 0n,
            "charges plus withdrawals within deposits",
          );
          if (granted === 0n && wi === 0n && wd === 0n && available + spent - refunded === deposited) {
            assert.equal(w, available, "with only deposits, everything available can go back");
          }
        },
      ),
    );
  });

  it("spends deposits first: a granted account that spent its deposit can withdraw nothing", () => {
    const zero = { held: 0n, withdrawing: 0n, withdrawn: 0n, refunded: 0n };
    assert.equal(withdrawable({ ...zero, available: 100n, deposited: 50n, granted: 100n, spent: 50n }), 0n);
    assert.equal(withdrawable({ ...zero, available: 100n, deposited: 50n, granted: 100n, spent: 20n }), 30n);
    assert.equal(withdrawable({ ...zero, available: 100n, deposited: 0n, granted: 100n, spent: 0n }), 0n);
  });
});

describe("withdrawal vouchers", () => {
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

      it("issues a voucher the vault accepts (attester's EIP-712 signature) and holds its amount", async () => {
        const account = randomAccount();
        await deposit(ledger, account, 1_000n);
        const r = await issueVoucher(db, { account, amount: 400n, deadline: 2_000_000_000n, sign });
        assert.ok(r.ok);
        const w = r.withdrawal;
        assert.equal(w.status, "pending");
        assert.equal(w.amount, 400n);
        const valid = await verifyTypedData({
          address: attester.address,
          domain: voucherDomain(31337, VAULT),
          types: VOUCHER_TYPES,
          primaryType: "Voucher",
          message: { account, amount: 400n, nonce: w.nonce, deadline: 2_000_000_000n },
          signature: w.signature,
        });
        assert.equal(valid, true, "signed by the attester over exactly (account, amount, nonce, deadline)");
        const b = await assertConsistent(ledger, account);
        assert.deepEqual([b.available, b.withdrawing, b.withdrawn], [600n, 400n, 0n]);
        assert.deepEqual(
          (await listWithdrawals(db, account)).map((x) => x.id),
          [w.id],
        );
      });

      it("refuses more than the deposit-backed credit, naming what can be withdrawn; grants never go out", async () => {
        const account = randomAccount();
        await deposit(ledger, account, 300n);
        await ledger.credit({ account, amount: 500n, kind: "operator", ref: randomId("grant") });
        const r = await issueVoucher(db, { account, amount: 301n, deadline: 2_000_000_000n, sign });
        assert.deepEqual(r, { ok: false, reason: "insufficient_credits", withdrawable: 300n });
        const unknown = await issueVoucher(db, { account: randomAccount(), amount: 1n, deadline: 1n, sign });
        assert.deepEqual(unknown, { ok: false, reason: "insufficient_credits", withdrawable: 0n });
        assert.equal((await ledger.balance(account)).withdrawing, 0n, "a refusal holds nothing");
      });

      it("admits concurrent vouchers up to the balance and no further", async () => {
        const account = randomAccount();
        await deposit(ledger, account, 500n);
        const results = await Promise.all(
          Array.from({ length: 20 }, () => issueVoucher(db, { account, amount: 100n, deadline: 2_000_000_000n, sign })),
        );
        assert.equal(results.filter((r) => r.ok).length, 5);
        const b = await assertConsistent(ledger, account);
        assert.deepEqual([b.available, b.withdrawing], [0n, 500n]);
        const nonces = new Set(results.flatMap((r) => (r.ok ? [r.withdrawal.nonce] : [])));
        assert.equal(nonces.size, 5, "every voucher has its own nonce");
      });

      it("moves a used voucher to withdrawn once, however often the event is read", async () => {
        const account = randomAccount();
        await deposit(ledger, account, 1_000n);
        const r = await issueVoucher(db, { account, amount: 250n, deadline: 2_000_000_000n, sign });
        assert.ok(r.ok);
        const event = { account, nonce: r.withdrawal.nonce, amount: 250n, chainRef: "31337:0xaa:1" };
        assert.equal(await completeWithdrawal(db, event), "withdrawn");
        assert.equal(await completeWithdrawal(db, event), "recorded");
        const b = await assertConsistent(ledger, account);
        assert.deepEqual([b.available, b.withdrawing, b.withdrawn], [750n, 0n, 250n]);
        const [w] = await listWithdrawals(db, account);
        assert.deepEqual([w?.status, w?.chainRef], ["withdrawn", "31337:0xaa:1"]);
        const expired = await expireVouchers(db, { chainTime: 3_000_000_000n });
        assert.ok(!expired.some((x) => x.id === r.withdrawal.id), "a used voucher never expires");
        assert.equal((await ledger.balance(account)).withdrawn, 250n, "a used voucher never expires");
      });

      it("releases a voucher once chain time passes its deadline, not at the deadline itself", async () => {
        const account = randomAccount();
        await deposit(ledger, account, 1_000n);
        const r = await issueVoucher(db, { account, amount: 700n, deadline: 1_000n, sign });
        assert.ok(r.ok);
        const mine = async (chainTime: bigint) =>
          (await expireVouchers(db, { chainTime })).filter((w) => w.account === account).map((w) => [w.id, w.status]);
        assert.deepEqual(await mine(1_000n), [], "the vault still takes it at t = deadline");
        assert.deepEqual(await mine(1_001n), [[r.withdrawal.id, "expired"]]);
        assert.deepEqual(await mine(5_000n), [], "released once");
        const b = await assertConsistent(ledger, account);
        assert.deepEqual([b.available, b.withdrawing, b.withdrawn], [1_000n, 0n, 0n]);
        assert.equal(
          await completeWithdrawal(db, { account, nonce: r.withdrawal.nonce, amount: 700n, chainRef: "31337:0xbb:0" }),
          "used_after_expiry",
          "a use after release (a reorg deeper than the confirmations) is reported, not booked",
        );
      });

      it("reports an event of no voucher of its own, and refuses one whose amount differs from the voucher", async () => {
        const account = randomAccount();
        assert.equal(
          await completeWithdrawal(db, { account, nonce: 999_999_999n, amount: 1n, chainRef: "31337:0xcc:0" }),
          "unknown",
        );
        await deposit(ledger, account, 100n);
        const r = await issueVoucher(db, { account, amount: 100n, deadline: 2_000_000_000n, sign });
        assert.ok(r.ok);
        await assert.rejects(
          completeWithdrawal(db, { account, nonce: r.withdrawal.nonce, amount: 99n, chainRef: "31337:0xdd:0" }),
          /the chain paid 99, the voucher says 100/,
        );
        assert.equal((await ledger.balance(account)).withdrawing, 100n, "nothing written");
      });
    });
  }
});
