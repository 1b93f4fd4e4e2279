import assert from "node:assert/strict";
import { after, before, describe, it } from "mocha";
import { heartbeat, registerInstance, retireInstance } from "../../gateway/ledger/instances.js";
import { createLedger, type Ledger } from "../../gateway/ledger/ledger.js";
import type { Db } from "../../gateway/store/db.js";
import { randomAccount, randomId, testDbs } from "./dbs.js";
import { assertConsistent, deposit } from "./ledgerHelpers.js";

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

      /** Makes the instance's last heartbeat `ms` old. */
      const silence = (instanceId: string, ms: number) =>
        db.query("UPDATE instances SET heartbeat_at = now() - ($2::bigint * interval '1 millisecond') WHERE id = $1", [
          instanceId,
          ms,
        ]);
      const holdExists = async (jobId: string) =>
        (await db.query("SELECT 1 FROM holds WHERE job_id = $1", [jobId])).length === 1;

      async function holdOn(instanceId: string, amount = 100n) {
        const account = randomAccount();
        await deposit(ledger, account, 1_000n);
        const jobId = randomId("job");
        assert.deepEqual(await ledger.reserve({ account, jobId, amount, instanceId }), { ok: true });
        return { account, jobId };
      }

      describe("#reconcile", () => {
        it("releases the holds of an instance silent for longer than olderThanMs, and not those of a live one", async () => {
          const [dead, live, me] = [randomId("dead"), randomId("live"), randomId("me")];
          for (const id of [dead, live, me]) await heartbeat(db, id);
          const lost = await holdOn(dead, 300n);
          const running = await holdOn(live);
          await silence(dead, 60_000);
          await silence(live, 1_000);
          const { released } = await ledger.reconcile({ instanceId: me, olderThanMs: 15_000 });
          assert.ok(released >= 1);
          assert.equal(await holdExists(lost.jobId), false);
          assert.equal(await holdExists(running.jobId), true);
          const b = await assertConsistent(ledger, lost.account);
          assert.deepEqual([b.available, b.held, b.spent], [1_000n, 0n, 0n]);
        });

        it("releases, at start, the holds of this process's previous incarnation on the same node", async () => {
          const node = randomId("host:8080");
          const before = randomId("incarnation");
          await registerInstance(db, { instanceId: before, node });
          const lost = await holdOn(before);
          // Restarted seconds later: the old heartbeat is still fresh, but the node says it is gone.
          const now = randomId("incarnation");
          await registerInstance(db, { instanceId: now, node });
          await ledger.reconcile({ instanceId: now });
          assert.equal(await holdExists(lost.jobId), false);
          assert.equal(await heartbeat(db, before), false, "the old incarnation learns it was retired");
        });

        it("releases the holds of a retired instance without waiting for the timeout", async () => {
          const gone = randomId("gone");
          await heartbeat(db, gone);
          const lost = await holdOn(gone);
          await retireInstance(db, gone);
          await ledger.reconcile({ instanceId: randomId("me") });
          assert.equal(await holdExists(lost.jobId), false);
        });

        it("never releases the caller's own holds nor those of liveInstanceIds", async () => {
          const [me, friend] = [randomId("me"), randomId("friend")];
          const mine = await holdOn(me);
          const theirs = await holdOn(friend);
          // Neither has ever beaten, and both holds are old enough to look abandoned.
          await db.query("UPDATE holds SET created_at = now() - interval '1 hour' WHERE job_id = ANY($1::text[])", [
            [mine.jobId, theirs.jobId],
          ]);
          await ledger.reconcile({ instanceId: me, liveInstanceIds: [friend] });
          assert.equal(await holdExists(mine.jobId), true);
          assert.equal(await holdExists(theirs.jobId), true);
        });

        it("gives a never-seen instance's fresh hold the timeout before releasing it", async () => {
          const unseen = randomId("unseen");
          const hold = await holdOn(unseen);
          await ledger.reconcile({ instanceId: randomId("me") });
          assert.equal(await holdExists(hold.jobId), true);
          await db.query("UPDATE holds SET created_at = now() - interval '1 minute' WHERE job_id = $1", [hold.jobId]);
          await ledger.reconcile({ instanceId: randomId("me") });
          assert.equal(await holdExists(hold.jobId), false);
        });

        it("releases each hold once when several replicas reconcile together", async () => {
          const dead = randomId("dead");
          await heartbeat(db, dead);
          const holds = await Promise.all(Array.from({ length: 5 }, () => holdOn(dead, 10n)));
          await silence(dead, 60_000);
          const results = await Promise.all(
            Array.from({ length: 4 }, () => ledger.reconcile({ instanceId: randomId("replica") })),
          );
          assert.ok(results.reduce((n, r) => n + r.released, 0) >= 5);
          for (const h of holds) {
            assert.equal(await holdExists(h.jobId), false);
            const b = await assertConsistent(ledger, h.account);
            assert.deepEqual([b.available, b.held], [1_000n, 0n]);
          }
          const releases = await db.query(
            "SELECT job_id FROM ledger_entries WHERE kind = 'release' AND job_id = ANY($1::text[])",
            [holds.map((h) => h.jobId)],
          );
          assert.equal(releases.length, 5);
        });

        it("leaves a settle after the release debiting nothing (the client is never charged twice)", async () => {
          const dead = randomId("dead");
          await heartbeat(db, dead);
          const { account, jobId } = await holdOn(dead);
          await silence(dead, 60_000);
          await ledger.reconcile({ instanceId: randomId("me") });
          assert.deepEqual(await ledger.settle({ jobId, charged: 40n }), { debited: 0n, released: 100n });
          assert.equal((await assertConsistent(ledger, account)).spent, 0n);
        });
      });
    });
  }
});
