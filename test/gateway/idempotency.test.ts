import assert from "node:assert/strict";
import { after, before, describe, it } from "mocha";
import { createIdempotency, type Idempotency } from "../../gateway/ledger/idempotency.js";
import { heartbeat } from "../../gateway/ledger/instances.js";
import type { Db } from "../../gateway/store/db.js";
import { randomAccount, randomId, testDbs } from "./dbs.js";

describe("idempotency", () => {
  for (const target of testDbs) {
    describe(`on ${target.name}`, () => {
      let db: Db;
      let idem: Idempotency;
      before(async () => {
        db = await target.open();
        idem = createIdempotency(db);
      });
      after(async () => {
        await db.close();
      });
      const fresh = () => ({ account: randomAccount(), key: randomId("idem"), requestHash: randomId("hash") });

      describe("#begin", () => {
        it("answers exactly one of 100 parallel requests with one key 'new', the others 'in_progress'", async () => {
          const p = fresh();
          const results = await Promise.all(Array.from({ length: 100 }, () => idem.begin(p)));
          assert.equal(results.filter((r) => r.state === "new").length, 1);
          assert.equal(results.filter((r) => r.state === "in_progress").length, 99);
        });

        it("answers 'conflict' to the same key with another body, running or done", async () => {
          const p = fresh();
          await idem.begin(p);
          assert.deepEqual(await idem.begin({ ...p, requestHash: "other" }), { state: "conflict" });
          await idem.complete({ ...p, status: 200, headers: {}, body: "{}" });
          assert.deepEqual(await idem.begin({ ...p, requestHash: "other" }), { state: "conflict" });
        });

        it("replays the recorded answer (status, headers, body) to a retry with the same body", async () => {
          const p = fresh();
          assert.deepEqual(await idem.begin(p), { state: "new" });
          const answer = {
            status: 201,
            headers: { "content-type": "application/json", "x-request-id": "r1" },
            body: '{"id":"x"}',
          };
          await idem.complete({ ...p, ...answer });
          assert.deepEqual(await idem.begin(p), { state: "replay", ...answer });
        });

        it("scopes keys to the account: another account's same key is new", async () => {
          const p = fresh();
          await idem.begin(p);
          assert.deepEqual(await idem.begin({ ...p, account: randomAccount() }), { state: "new" });
        });

        it("starts afresh once the record is older than the time to live", async () => {
          const p = fresh();
          const short = createIdempotency(db, { ttlMs: 60_000 });
          await short.begin(p);
          await short.complete({ ...p, status: 200, headers: {}, body: "first" });
          await db.query("UPDATE idempotency_keys SET created_at = now() - interval '2 minutes' WHERE key = $1", [
            p.key,
          ]);
          assert.deepEqual(await short.begin({ ...p, requestHash: "a new body" }), { state: "new" });
        });

        it("lets a retry take over a request left in progress by a dead instance, not by a live one", async () => {
          const [dead, live, me] = [randomId("dead"), randomId("live"), randomId("me")];
          await heartbeat(db, dead);
          await heartbeat(db, live);
          const deadP = fresh();
          const liveP = fresh();
          await createIdempotency(db, { instanceId: dead }).begin(deadP);
          await createIdempotency(db, { instanceId: live }).begin(liveP);
          await db.query("UPDATE instances SET heartbeat_at = now() - interval '1 minute' WHERE id = $1", [dead]);
          const mine = createIdempotency(db, { instanceId: me });
          assert.deepEqual(await mine.begin(liveP), { state: "in_progress" });
          assert.deepEqual(await mine.begin({ ...deadP, requestHash: "other" }), { state: "conflict" });
          assert.deepEqual(await mine.begin(deadP), { state: "new" });
        });
      });

      describe("#abandon", () => {
        it("lets a retry run after the first attempt failed before anything billable", async () => {
          const p = fresh();
          await idem.begin(p);
          await idem.abandon(p);
          assert.deepEqual(await idem.begin(p), { state: "new" });
        });

        it("does not erase a completed answer", async () => {
          const p = fresh();
          await idem.begin(p);
          await idem.complete({ ...p, status: 200, headers: {}, body: "ok" });
          await idem.abandon(p);
          assert.equal((await idem.begin(p)).state, "replay");
        });
      });

      describe("#purge", () => {
        it("deletes the records older than the time to live", async () => {
          const p = fresh();
          const short = createIdempotency(db, { ttlMs: 60_000 });
          await short.begin(p);
          await db.query("UPDATE idempotency_keys SET created_at = now() - interval '2 minutes' WHERE key = $1", [
            p.key,
          ]);
          assert.ok((await short.purge()) >= 1);
          assert.equal((await db.query("SELECT 1 FROM idempotency_keys WHERE key = $1", [p.key])).length, 0);
        });
      });
    });
  }
});
