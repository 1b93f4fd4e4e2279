import assert from "node:assert/strict";
import { after, before, describe, it } from "mocha";
import { type ApiKeys, createApiKeys } from "../../gateway/auth/apiKeys.js";
import { createLedger, type Ledger } from "../../gateway/ledger/ledger.js";
import type { Db } from "../../gateway/store/db.js";
import { randomAccount, randomId, testDbs } from "./dbs.js";
import { assertConsistent, deposit } from "./ledgerHelpers.js";

const INSTANCE = "instance-budget-test";
const PEPPER = "a-test-pepper-that-is-at-least-32-bytes-long";

describe("ledger", () => {
  for (const target of testDbs) {
    describe(`on ${target.name}`, () => {
      let db: Db;
      let clock: Date;
      let ledger: Ledger;
      let keys: ApiKeys;
      before(async () => {
        db = await target.open();
        ledger = createLedger(db, { now: () => clock });
        keys = createApiKeys(db, { pepper: PEPPER, now: () => clock });
      });
      after(async () => {
        await db.close();
      });

      async function keyWithBudget(limit: bigint, period: "day" | "month" | null) {
        clock = new Date("2026-03-15T12:00:00Z");
        const account = randomAccount();
        await deposit(ledger, account, 1_000_000n);
        const { record } = await keys.create({ account, name: "budgeted", budget: { limit, period } });
        const reserve = (amount: bigint, jobId = randomId("job")) =>
          ledger.reserve({ account, jobId, amount, apiKeyId: record.id, instanceId: INSTANCE });
        const budget = async () => (await keys.list(account))[0]?.budget;
        return { account, apiKeyId: record.id, reserve, budget };
      }

      describe("#reserve with a key budget", () => {
        it("answers budget_exceeded with the remaining budget, and charges nothing", async () => {
          const k = await keyWithBudget(1_000n, "day");
          assert.deepEqual(await k.reserve(700n), { ok: true });
          assert.deepEqual(await k.reserve(301n), { ok: false, reason: "budget_exceeded", remaining: 300n });
          const b = await assertConsistent(ledger, k.account);
          assert.equal(b.held, 700n);
          assert.deepEqual(await k.budget(), { limit: 1_000n, period: "day", spent: 0n, held: 700n });
        });

        it("answers insufficient_credits before budget_exceeded when both apply", async () => {
          const k = await keyWithBudget(10n, null);
          const r = await k.reserve(2_000_000n);
          assert.equal(r.ok ? "ok" : r.reason, "insufficient_credits");
        });

        it("admits at most the budget under concurrent requests", async () => {
          const k = await keyWithBudget(500n, "month");
          const results = await Promise.all(Array.from({ length: 40 }, () => k.reserve(50n)));
          assert.equal(results.filter((r) => r.ok).length, 10);
          assert.equal((await k.budget())?.held, 500n);
        });
      });

      describe("#settle with a key budget", () => {
        it("releases the unused part of the budget and counts the charge as spent in the period", async () => {
          const k = await keyWithBudget(1_000n, "day");
          const jobId = randomId("job");
          await k.reserve(800n, jobId);
          assert.equal((await k.reserve(300n)).ok, false);
          await ledger.settle({ jobId, charged: 200n });
          assert.deepEqual(await k.budget(), { limit: 1_000n, period: "day", spent: 200n, held: 0n });
          assert.deepEqual(await k.reserve(800n), { ok: true });
          assert.deepEqual(await k.reserve(1n), { ok: false, reason: "budget_exceeded", remaining: 0n });
        });

        it("gives the whole hold back to the budget on release", async () => {
          const k = await keyWithBudget(1_000n, "day");
          const jobId = randomId("job");
          await k.reserve(1_000n, jobId);
          await ledger.release({ jobId });
          assert.deepEqual(await k.budget(), { limit: 1_000n, period: "day", spent: 0n, held: 0n });
        });
      });

      describe("budget periods", () => {
        it("starts a new daily budget at 00:00 UTC", async () => {
          const k = await keyWithBudget(1_000n, "day");
          const jobId = randomId("job");
          await k.reserve(1_000n, jobId);
          await ledger.settle({ jobId, charged: 1_000n });
          assert.equal((await k.reserve(1n)).ok, false);
          clock = new Date("2026-03-15T23:59:59Z");
          assert.equal((await k.reserve(1n)).ok, false);
          clock = new Date("2026-03-16T00:00:00Z");
          assert.deepEqual(await k.reserve(1_000n), { ok: true });
        });

        it("starts a new monthly budget on the 1st, and never renews a lifetime budget", async () => {
          const monthly = await keyWithBudget(100n, "month");
          const lifetime = await keyWithBudget(100n, null);
          for (const k of [monthly, lifetime]) {
            const jobId = randomId("job");
            await k.reserve(100n, jobId);
            await ledger.settle({ jobId, charged: 100n });
          }
          clock = new Date("2026-04-01T00:00:00Z");
          assert.deepEqual(await monthly.reserve(100n), { ok: true });
          assert.deepEqual(await lifetime.reserve(1n), { ok: false, reason: "budget_exceeded", remaining: 0n });
        });

        it("keeps held amounts across a period change (in-flight jobs still count)", async () => {
          const k = await keyWithBudget(1_000n, "day");
          await k.reserve(600n);
          clock = new Date("2026-03-16T08:00:00Z");
          assert.deepEqual(await k.reserve(401n), { ok: false, reason: "budget_exceeded", remaining: 400n });
        });
      });

      describe("keys without a budget", () => {
        it("admit anything the balance covers and still track the spend", async () => {
          clock = new Date("2026-03-15T12:00:00Z");
          const account = randomAccount();
          await deposit(ledger, account, 10_000n);
          const { record } = await keys.create({ account, name: "free" });
          const jobId = randomId("job");
          await ledger.reserve({ account, jobId, amount: 9_000n, apiKeyId: record.id, instanceId: INSTANCE });
          await ledger.settle({ jobId, charged: 7_000n });
          assert.equal((await keys.list(account))[0]?.budget, null);
          const [row] = await db.query<{ total_spent: string }>(
            "SELECT total_spent::text AS total_spent FROM api_key_budgets WHERE api_key_id = $1",
            [record.id],
          );
          assert.equal(row?.total_spent, "7000");
        });
      });
    });
  }
});
