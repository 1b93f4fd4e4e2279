import assert from "node:assert/strict";
import { after, before, describe, it } from "mocha";
import { LedgerError } from "../../gateway/ledger/errors.js";
import { createLedger, type Ledger } from "../../gateway/ledger/ledger.js";
import type { Db } from "../../gateway/store/db.js";
import { randomAccount, randomId, testDbs } from "./dbs.js";
import { assertConsistent, deposit } from "./ledgerHelpers.js";

const INSTANCE = "instance-ledger-test";
const isCode = (code: string) => (e: unknown) => e instanceof LedgerError && e.code === code;

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

      describe("#credit", () => {
        it("adds a deposit to available and deposited, an operator grant to available and granted", async () => {
          const account = randomAccount();
          await ledger.credit({ account, amount: 700n, kind: "deposit", ref: randomId("tx") });
          await ledger.credit({ account, amount: 50n, kind: "operator", ref: randomId("ticket") });
          const b = await assertConsistent(ledger, account);
          assert.equal(b.available, 750n);
          assert.equal(b.deposited, 700n);
          assert.equal(b.granted, 50n);
        });

        it("credits a (kind, ref) once, even when the repeats arrive concurrently", async () => {
          const account = randomAccount();
          const ref = randomId("tx");
          const results = await Promise.all(
            Array.from({ length: 20 }, () => ledger.credit({ account, amount: 10n ** 18n, kind: "deposit", ref })),
          );
          assert.equal(results.filter((r) => r.credited).length, 1);
          assert.equal((await assertConsistent(ledger, account)).available, 10n ** 18n);
        });

        it("stores the account in lower case, whatever the checksum casing", async () => {
          const account = randomAccount();
          await deposit(ledger, account.toUpperCase().replace("0X", "0x") as typeof account, 5n);
          assert.equal((await ledger.balance(account)).available, 5n);
        });

        it("refuses a zero, a negative amount and a malformed account", async () => {
          const account = randomAccount();
          await assert.rejects(
            ledger.credit({ account, amount: 0n, kind: "deposit", ref: "r" }),
            isCode("invalid_amount"),
          );
          await assert.rejects(
            ledger.credit({ account, amount: -1n, kind: "deposit", ref: "r" }),
            isCode("invalid_amount"),
          );
          await assert.rejects(
            ledger.credit({ account: "0x1234", amount: 1n, kind: "deposit", ref: "r" }),
            isCode("invalid_account"),
          );
        });

        it("keeps amounts beyond 2^53 and 2^128 exact", async () => {
          const account = randomAccount();
          const huge = 2n ** 200n + 12_345n;
          await deposit(ledger, account, huge);
          assert.equal((await assertConsistent(ledger, account)).available, huge);
        });
      });

      describe("#reserve", () => {
        it("moves the amount from available to held and records the hold", async () => {
          const account = randomAccount();
          await deposit(ledger, account, 1_000n);
          const jobId = randomId("job");
          assert.deepEqual(await ledger.reserve({ account, jobId, amount: 300n, instanceId: INSTANCE }), { ok: true });
          const b = await assertConsistent(ledger, account);
          assert.equal(b.available, 700n);
          assert.equal(b.held, 300n);
          const [hold] = await db.query<{ amount: string; instance_id: string }>(
            "SELECT amount::text AS amount, instance_id FROM holds WHERE job_id = $1",
            [jobId],
          );
          assert.deepEqual(hold, { amount: "300", instance_id: INSTANCE });
        });

        it("answers insufficient_credits with what is available, and writes nothing", async () => {
          const account = randomAccount();
          await deposit(ledger, account, 99n);
          const r = await ledger.reserve({ account, jobId: randomId("job"), amount: 100n, instanceId: INSTANCE });
          assert.deepEqual(r, { ok: false, reason: "insufficient_credits", available: 99n });
          const b = await assertConsistent(ledger, account);
          assert.equal(b.held, 0n);
          assert.equal((await db.query("SELECT 1 FROM holds WHERE account = $1", [account])).length, 0);
        });

        it("answers insufficient_credits with 0 for an account never credited", async () => {
          const r = await ledger.reserve({
            account: randomAccount(),
            jobId: randomId("job"),
            amount: 1n,
            instanceId: INSTANCE,
          });
          assert.deepEqual(r, { ok: false, reason: "insufficient_credits", available: 0n });
        });

        it("admits at most what the balance covers under 200 concurrent requests", async () => {
          const account = randomAccount();
          await deposit(ledger, account, 10n * 37n);
          const results = await Promise.all(
            Array.from({ length: 200 }, () =>
              ledger.reserve({ account, jobId: randomId("job"), amount: 37n, instanceId: INSTANCE }),
            ),
          );
          assert.equal(results.filter((r) => r.ok).length, 10);
          const b = await assertConsistent(ledger, account);
          assert.equal(b.available, 0n);
          assert.equal(b.held, 370n);
          assert.equal((await db.query("SELECT 1 FROM holds WHERE account = $1", [account])).length, 10);
        });

        it("refuses a job id that already has a hold or entries", async () => {
          const account = randomAccount();
          await deposit(ledger, account, 100n);
          const jobId = randomId("job");
          await ledger.reserve({ account, jobId, amount: 10n, instanceId: INSTANCE });
          await assert.rejects(
            ledger.reserve({ account, jobId, amount: 10n, instanceId: INSTANCE }),
            isCode("duplicate_job"),
          );
          await ledger.settle({ jobId, charged: 4n });
          await assert.rejects(
            ledger.reserve({ account, jobId, amount: 10n, instanceId: INSTANCE }),
            isCode("duplicate_job"),
          );
          assert.equal((await assertConsistent(ledger, account)).available, 96n);
        });
      });

      describe("#settle", () => {
        it("debits the charge and releases the rest of the hold", async () => {
          const account = randomAccount();
          await deposit(ledger, account, 1_000n);
          const jobId = randomId("job");
          await ledger.reserve({ account, jobId, amount: 400n, instanceId: INSTANCE });
          assert.deepEqual(await ledger.settle({ jobId, charged: 150n }), { debited: 150n, released: 250n });
          const b = await assertConsistent(ledger, account);
          assert.deepEqual([b.available, b.held, b.spent], [850n, 0n, 150n]);
          assert.equal((await db.query("SELECT 1 FROM holds WHERE job_id = $1", [jobId])).length, 0);
        });

        it("throws charge_exceeds_hold and leaves the hold untouched when the charge is above it", async () => {
          const account = randomAccount();
          await deposit(ledger, account, 1_000n);
          const jobId = randomId("job");
          await ledger.reserve({ account, jobId, amount: 400n, instanceId: INSTANCE });
          await assert.rejects(ledger.settle({ jobId, charged: 401n }), isCode("charge_exceeds_hold"));
          const b = await assertConsistent(ledger, account);
          assert.deepEqual([b.available, b.held, b.spent], [600n, 400n, 0n]);
        });

        it("is idempotent per job: a repeat, even concurrent, returns the first result and debits once", async () => {
          const account = randomAccount();
          await deposit(ledger, account, 1_000n);
          const jobId = randomId("job");
          await ledger.reserve({ account, jobId, amount: 400n, instanceId: INSTANCE });
          const results = await Promise.all(Array.from({ length: 5 }, () => ledger.settle({ jobId, charged: 100n })));
          for (const r of results) assert.deepEqual(r, { debited: 100n, released: 300n });
          assert.deepEqual(await ledger.settle({ jobId, charged: 200n }), { debited: 100n, released: 300n });
          assert.equal((await assertConsistent(ledger, account)).spent, 100n);
        });

        it("charges the whole hold, or nothing, without writing zero entries", async () => {
          const account = randomAccount();
          await deposit(ledger, account, 1_000n);
          const [all, none] = [randomId("job"), randomId("job")];
          await ledger.reserve({ account, jobId: all, amount: 100n, instanceId: INSTANCE });
          await ledger.reserve({ account, jobId: none, amount: 100n, instanceId: INSTANCE });
          assert.deepEqual(await ledger.settle({ jobId: all, charged: 100n }), { debited: 100n, released: 0n });
          assert.deepEqual(await ledger.settle({ jobId: none, charged: 0n }), { debited: 0n, released: 100n });
          const zero = await db.query("SELECT 1 FROM ledger_entries WHERE account = $1 AND amount = 0", [account]);
          assert.equal(zero.length, 0);
          assert.equal((await assertConsistent(ledger, account)).spent, 100n);
        });

        it("throws unknown_hold for a job that never had a hold", async () => {
          await assert.rejects(ledger.settle({ jobId: randomId("job"), charged: 1n }), isCode("unknown_hold"));
        });
      });

      describe("#release", () => {
        it("returns the whole hold to available, once", async () => {
          const account = randomAccount();
          await deposit(ledger, account, 500n);
          const jobId = randomId("job");
          await ledger.reserve({ account, jobId, amount: 200n, instanceId: INSTANCE });
          assert.deepEqual(await ledger.release({ jobId }), { released: 200n });
          assert.deepEqual(await ledger.release({ jobId }), { released: 0n });
          const b = await assertConsistent(ledger, account);
          assert.deepEqual([b.available, b.held, b.spent], [500n, 0n, 0n]);
        });

        it("makes a later settle of the job debit nothing (the hold is gone)", async () => {
          const account = randomAccount();
          await deposit(ledger, account, 500n);
          const jobId = randomId("job");
          await ledger.reserve({ account, jobId, amount: 200n, instanceId: INSTANCE });
          await ledger.release({ jobId });
          assert.deepEqual(await ledger.settle({ jobId, charged: 50n }), { debited: 0n, released: 200n });
          assert.equal((await assertConsistent(ledger, account)).spent, 0n);
        });
      });

      describe("#refund", () => {
        async function settledJob(charged: bigint) {
          const account = randomAccount();
          await deposit(ledger, account, 1_000n);
          const jobId = randomId("job");
          await ledger.reserve({ account, jobId, amount: 500n, instanceId: INSTANCE });
          await ledger.settle({ jobId, charged });
          return { account, jobId };
        }

        it("returns part of a debit to available and counts it in refunded", async () => {
          const { account, jobId } = await settledJob(300n);
          await ledger.refund({ jobId, amount: 120n, reason: "operator: duplicate request" });
          const b = await assertConsistent(ledger, account);
          assert.deepEqual([b.available, b.spent, b.refunded], [820n, 300n, 120n]);
          const { data } = await ledger.entries(account, { limit: 1 });
          assert.equal(data[0]?.kind, "refund");
          assert.equal(data[0]?.ref, "operator: duplicate request");
        });

        it("never refunds more than the job's debit in total, even concurrently", async () => {
          const { account, jobId } = await settledJob(300n);
          const results = await Promise.allSettled(
            Array.from({ length: 10 }, () => ledger.refund({ jobId, amount: 100n, reason: "retry" })),
          );
          assert.equal(results.filter((r) => r.status === "fulfilled").length, 3);
          for (const r of results) if (r.status === "rejected") assert.ok(isCode("refund_exceeds_debit")(r.reason));
          assert.equal((await assertConsistent(ledger, account)).refunded, 300n);
        });

        it("throws nothing_to_refund for a job without a debit", async () => {
          const { jobId } = await settledJob(0n);
          await assert.rejects(ledger.refund({ jobId, amount: 1n, reason: "x" }), isCode("nothing_to_refund"));
        });
      });

      describe("#entries", () => {
        it("pages through an account's entries newest first with a cursor", async () => {
          const account = randomAccount();
          for (let i = 1n; i <= 5n; i++) await deposit(ledger, account, i);
          const first = await ledger.entries(account, { limit: 2 });
          assert.deepEqual(
            first.data.map((e) => e.amount),
            [5n, 4n],
          );
          // On a fresh store, entry ids cross 9 → 10: newest first numerically, not as text.
          const fresh = await target.open();
          try {
            const many = randomAccount();
            for (let i = 1n; i <= 12n; i++) await deposit(createLedger(fresh), many, i);
            const all = await createLedger(fresh).entries(many, { limit: 1000 });
            assert.deepEqual(
              all.data.map((e) => e.amount),
              Array.from({ length: 12 }, (_, i) => BigInt(12 - i)),
            );
          } finally {
            await fresh.close();
          }
          assert.ok(first.nextCursor);
          const second = await ledger.entries(account, { limit: 2, cursor: first.nextCursor });
          const third = await ledger.entries(account, { limit: 2, cursor: second.nextCursor ?? undefined });
          assert.deepEqual(
            [...second.data, ...third.data].map((e) => e.amount),
            [3n, 2n, 1n],
          );
          assert.equal(third.nextCursor, null);
          assert.equal(first.data[0]?.account, account);
          assert.equal(first.data[0]?.kind, "deposit");
          assert.ok(first.data[0]?.createdAt instanceof Date);
        });

        it("refuses a malformed cursor and an out-of-range limit", async () => {
          await assert.rejects(ledger.entries(randomAccount(), { limit: 10, cursor: "1; DROP" }), RangeError);
          await assert.rejects(ledger.entries(randomAccount(), { limit: 0 }), RangeError);
        });
      });

      describe("ledger_entries", () => {
        it("is append-only: an UPDATE or DELETE is refused by the database", async () => {
          const account = randomAccount();
          await deposit(ledger, account, 1n);
          await assert.rejects(
            db.query("UPDATE ledger_entries SET amount = 2 WHERE account = $1", [account]),
            /append-only/,
          );
          await assert.rejects(db.query("DELETE FROM ledger_entries WHERE account = $1", [account]), /append-only/);
        });
      });

      describe("#balance", () => {
        it("is all zeros for an unknown account", async () => {
          const b = await ledger.balance(randomAccount());
          assert.ok(Object.values(b).every((v) => v === 0n));
        });
      });
    });
  }
});
