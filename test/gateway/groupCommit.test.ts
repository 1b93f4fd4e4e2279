import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { after, before, describe, it } from "mocha";
import type { Address, Hex } from "viem";
import { createApiKeys } from "../../gateway/auth/apiKeys.js";
import { createLedger, type Ledger } from "../../gateway/ledger/ledger.js";
import { createReceiptStore, type SettleAndRecordParameters } from "../../gateway/receipts/store.js";
import type { Db } from "../../gateway/store/db.js";
import { groupCommit } from "../../gateway/store/groupCommit.js";
import { randomAccount, randomId, testDbs } from "./dbs.js";
import { assertConsistent, deposit } from "./ledgerHelpers.js";

const runs = process.env.BASIS_DEEP === "1" ? 200 : 25;

/** A Db that counts the statements whose text contains `marker`. */
function counting(db: Db, marker: string) {
  const seen = { n: 0 };
  const wrapped: Db = {
    ...db,
    kind: db.kind,
    query: (sql, params, options) => {
      if (sql.includes(marker)) seen.n++;
      return db.query(sql, params, options);
    },
  };
  return { db: wrapped, seen };
}

/** What a call ended in, comparable across runs: its answer, or its error's name and code. */
const settled = (p: Promise<unknown>) =>
  p.then(
    (value) => ({ value: JSON.parse(JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `${v}n` : v))) }),
    (error: Error & { code?: string }) => ({ error: `${error.name}:${error.code ?? error.message}` }),
  );

describe("gateway › store › groupCommit", () => {
  it("runs a call alone when nothing runs, batches the calls that wait, in order, each with its own answer", async () => {
    const log: string[] = [];
    let release: () => void = () => {};
    const run = groupCommit<number, string>({
      one: async (n) => {
        log.push(`one ${n}`);
        if (n === 0) await new Promise<void>((resolve) => (release = resolve));
        return `a${n}`;
      },
      many: async (ns) => {
        log.push(`many ${ns.join(",")}`);
        return ns.map((n) => `a${n}`);
      },
      order: (a, b) => (a % 2) - (b % 2),
    });
    const first = run(0);
    const rest = [5, 2, 3, 4].map((n) => run(n));
    release();
    assert.deepEqual(await Promise.all([first, ...rest]), ["a0", "a5", "a2", "a3", "a4"]);
    // Even before odd, stable: 2, 4, then 5, 3.
    assert.deepEqual(log, ["one 0", "many 2,4,5,3"]);
  });

  it("runs each call of a failed batch alone, so each gets its own answer or error", async () => {
    let release: () => void = () => {};
    const run = groupCommit<number, number>({
      one: async (n) => {
        if (n === 0) await new Promise<void>((resolve) => (release = resolve));
        if (n === 3) throw new Error("three fails");
        return n * 10;
      },
      many: async () => {
        throw new Error("the batch failed");
      },
    });
    const calls = [0, 1, 2, 3, 4].map((n) => settled(run(n)));
    release();
    assert.deepEqual(await Promise.all(calls), [
      { value: 0 },
      { value: 10 },
      { value: 20 },
      { error: "Error:three fails" },
      { value: 40 },
    ]);
  });

  it("never runs again a call of a batch that committed without its answer (it would apply twice)", async () => {
    let ones = 0;
    let release: () => void = () => {};
    const run = groupCommit<number, number>({
      one: async (n) => {
        ones++;
        if (n === 0) await new Promise<void>((resolve) => (release = resolve));
        return n;
      },
      many: async (ns) => ns.slice(0, 1),
    });
    const calls = [0, 1, 2].map((n) => settled(run(n)));
    release();
    const results = await Promise.all(calls);
    assert.deepEqual(results[1], { value: 1 });
    assert.match(String((results[2] as { error: string }).error), /a batch of 2 answered 1 rows/);
    assert.equal(ones, 1);
  });

  it("keeps batches within maxBatch", async () => {
    const sizes: number[] = [];
    let release: () => void = () => {};
    const run = groupCommit<number, number>({
      one: async (n) => {
        if (n === 0) await new Promise<void>((resolve) => (release = resolve));
        sizes.push(1);
        return n;
      },
      many: async (ns) => {
        sizes.push(ns.length);
        return ns;
      },
      maxBatch: 4,
    });
    const calls = Array.from({ length: 11 }, (_, n) => run(n));
    release();
    assert.deepEqual(
      await Promise.all(calls),
      Array.from({ length: 11 }, (_, n) => n),
    );
    assert.deepEqual(sizes, [1, 4, 4, 2]);
  });

  for (const target of testDbs) {
    describe(`on ${target.name}`, () => {
      let db: Db;
      before(async () => {
        db = await target.open();
      });
      after(async () => {
        await db.close();
      });

      // Job ids are the gateway's random ones, never shared by two accounts: the batch's order by account then changes
      // nothing (accounts and their keys are independent), and the answers are those of arrival order.
      it("admits concurrent reserves as one by one in arrival order would, batched (property)", async () => {
        const keys = createApiKeys(db, { pepper: "g".repeat(32) });
        const reserves = fc.array(
          fc.record({
            a: fc.nat(2),
            job: fc.nat(15),
            amount: fc.bigInt({ min: 1n, max: 1_500n }),
            withKey: fc.boolean(),
          }),
          { minLength: 2, maxLength: 24 },
        );
        let batched = 0;
        await fc.assert(
          fc.asyncProperty(reserves, async (plan) => {
            // The same plan on two sets of fresh accounts: concurrently through group commit, and one by one.
            const run = async (ledger: Ledger, concurrent: boolean) => {
              const accounts: Address[] = [randomAccount(), randomAccount(), randomAccount()];
              const jobs = accounts.map(() => Array.from({ length: 16 }, () => randomId("gc")));
              const apiKeys: Awaited<ReturnType<typeof keys.create>>[] = [];
              for (const account of accounts) {
                await deposit(ledger, account, 2_000n);
                apiKeys.push(await keys.create({ account, name: "g", budget: { limit: 1_800n, period: null } }));
              }
              const call = (r: (typeof plan)[number]) =>
                settled(
                  ledger.reserve({
                    account: accounts[r.a] as Address,
                    jobId: jobs[r.a]?.[r.job] as string,
                    amount: r.amount,
                    apiKeyId: r.withKey ? (apiKeys[r.a]?.record.id ?? null) : null,
                    instanceId: "gc-test",
                  }),
                );
              const results = [];
              if (concurrent) results.push(...(await Promise.all(plan.map(call))));
              else for (const r of plan) results.push(await call(r));
              for (const account of accounts) await assertConsistent(ledger, account);
              const balances = [];
              for (const account of accounts) balances.push(await ledger.balance(account));
              return { results, balances: balances.map((b) => [b.available, b.held]) };
            };
            const spied = counting(db, "basis_reserve_many");
            const grouped = await run(createLedger(spied.db), true);
            const alone = await run(createLedger(db, { groupCommit: false }), false);
            assert.deepEqual(grouped, alone);
            batched += spied.seen.n;
          }),
          { numRuns: runs },
        );
        assert.ok(batched > 0, "no batch was ever formed");
      });

      it("ends concurrent jobs as one by one would, batched, one receipt each; a failed batch falls back", async () => {
        const spied = counting(db, "basis_settle_record_many");
        const ledger = createLedger(db);
        const grouped = createReceiptStore(spied.db);
        const alone = createReceiptStore(db, { groupCommit: false });
        const account = randomAccount();
        await deposit(ledger, account, 10n ** 9n);
        const job = async () => {
          const jobId = randomId("end");
          await ledger.reserve({ account, jobId, amount: 1_000n, apiKeyId: null, instanceId: "gc-test" });
          return jobId;
        };
        const ending = (jobId: string, charged: bigint, hash?: string): SettleAndRecordParameters => {
          const core = {
            version: 1 as const,
            jobId,
            model: "basis-default",
            account,
            worker: null,
            tokenizer: "o200k_base",
            promptTokens: 1,
            completionTokens: 1,
            promptPrice: "1",
            completionPrice: "1",
            multiplierBps: 10_000,
            rewardBps: 7_000,
            charged: charged.toString(),
            reward: "0",
            finishReason: "stop" as const,
            promptDigest: `0x${"1".repeat(64)}` as Hex,
            outputDigest: `0x${"2".repeat(64)}` as Hex,
            startedAt: "2026-11-21T10:00:00.000Z",
            completedAt: "2026-11-21T10:00:01.000Z",
          };
          return {
            hash: (hash ?? `0x${createHash("sha256").update(jobId).digest("hex")}`) as Hex,
            core,
            charged,
            reported: { promptTokens: 1, completionTokens: null },
          };
        };
        // A batch: settles, a second settle of one job (recorded), one above its hold, one with no hold.
        const ids = await Promise.all(Array.from({ length: 6 }, job));
        const plan = [
          ending(ids[0] as string, 10n),
          ending(ids[1] as string, 1_000n),
          ending(ids[1] as string, 5n),
          ending(ids[2] as string, 1_001n),
          ending("no-such-job", 1n),
          ending(ids[3] as string, 0n),
        ];
        const first = grouped.settleAndRecord(ending(ids[4] as string, 7n));
        const results = await Promise.all([first, ...plan.map((p) => grouped.settleAndRecord(p))].map(settled));
        assert.ok(spied.seen.n >= 1, "the endings were not batched");
        assert.deepEqual(results, [
          { value: { debited: "7n", released: "993n" } },
          { value: { debited: "10n", released: "990n" } },
          { value: { debited: "1000n", released: "0n" } },
          { value: { debited: "1000n", released: "0n" } },
          { error: "LedgerError:charge_exceeds_hold" },
          { error: "LedgerError:unknown_hold" },
          { value: { debited: "0n", released: "1000n" } },
        ]);
        for (const id of [ids[0], ids[1], ids[3], ids[4]] as string[]) {
          const receipt = await alone.byJobId(id);
          assert.ok(receipt, `no receipt for ${id}`);
        }
        assert.equal(await alone.byJobId(ids[2] as string), null);

        // Two endings with one hash: the second's receipt insert fails, which fails its batch: each then runs alone.
        const [a, b, c] = await Promise.all([job(), job(), job()]);
        const shared = `0x${"e".repeat(64)}`;
        const blocker = grouped.settleAndRecord(ending(ids[5] as string, 1n));
        const clash = await Promise.all(
          [
            blocker,
            grouped.settleAndRecord(ending(a, 3n, shared)),
            grouped.settleAndRecord(ending(b, 4n, shared)),
            grouped.settleAndRecord(ending(c, 5n)),
          ].map(settled),
        );
        assert.deepEqual(clash[0], { value: { debited: "1n", released: "999n" } });
        assert.deepEqual(clash[3], { value: { debited: "5n", released: "995n" } });
        // Alone, a and b race for the hash as two concurrent requests would: exactly one of them records it.
        const [won, lost] = "error" in (clash[1] as object) ? [b, a] : [a, b];
        assert.ok("error" in (clash[1] as object) !== "error" in (clash[2] as object), JSON.stringify(clash));
        assert.ok(await alone.byJobId(won), "the winner's receipt is recorded");
        // The failed ending wrote nothing: its hold is still open, and it can end later.
        assert.equal(await alone.byJobId(lost), null);
        const charged = lost === a ? 3n : 4n;
        assert.deepEqual(await alone.settleAndRecord(ending(lost, charged)), {
          debited: charged,
          released: 1_000n - charged,
        });
        await assertConsistent(ledger, account);
      });
    });
  }
});
