import assert from "node:assert/strict";
import { after, before, describe, it } from "mocha";
import { createBatchStore } from "../../gateway/settlement/batches.js";
import { createRewardStore } from "../../gateway/settlement/rewards.js";
import type { Db } from "../../gateway/store/db.js";
import { testDbs } from "./dbs.js";

const REGISTRY = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const DISTRIBUTOR = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9";

describe("settlement stores › order past ten rows (numerically, not as text)", () => {
  for (const target of testDbs) {
    describe(`on ${target.name}`, () => {
      let db: Db;
      before(async () => {
        db = await target.open();
        for (let id = 1; id <= 11; id++) {
          await db.query(
            `INSERT INTO batches (batch_id, root, receipt_count, total_charged, total_reward, file, file_hash, status)
             VALUES ($1, $2, 1, 0, 0, '{}', $2, 'mined')`,
            [id, `0x${String(id).padStart(64, "0")}`],
          );
          await db.query(
            `INSERT INTO reward_roots (root, through_batch, file, file_hash, status) VALUES ($1, $2, '{}', $1, $3)`,
            [`0x${String(id).padStart(64, "0")}`, id, id <= 10 ? "accepted" : "proposed"],
          );
        }
      });
      after(async () => {
        await db.close();
      });

      it("lists batches newest first and pages below a batch id", async () => {
        const batches = createBatchStore(db, { chainId: 31337, registry: REGISTRY });
        assert.deepEqual(
          (await batches.list({ limit: 100 })).map((b) => b.batchId),
          [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
        );
        assert.deepEqual(
          (await batches.list({ before: 10, limit: 2 })).map((b) => b.batchId),
          [9, 8],
        );
      });

      it("finds the newest reward root and the newest accepted one", async () => {
        const rewards = createRewardStore(db, { chainId: 31337, distributor: DISTRIBUTOR });
        assert.equal((await rewards.latest())?.throughBatch, 11);
        assert.equal((await rewards.accepted())?.throughBatch, 10);
      });
    });
  }
});
