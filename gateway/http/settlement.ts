import { Hono } from "hono";
import { notFound } from "../errors.js";
import type { BatchStore, StoredBatch } from "../settlement/batches.js";
import type { AppEnv, HttpDeps } from "./context.js";
import { pageLimit } from "./receipts.js";

const present = (b: StoredBatch) => ({
  batch_id: b.batchId,
  root: b.root,
  receipt_count: b.receiptCount,
  total_charged: b.totalCharged.toString(),
  total_reward: b.totalReward.toString(),
  file_hash: b.fileHash,
  status: b.status,
  tx_hash: b.txHash,
  created_at: b.createdAt.toISOString(),
  mined_at: b.minedAt?.toISOString() ?? null,
});

/**
 * `GET /settlement/batches` (newest first, `before` cursor) and `GET /settlement/batches/:id/file`: the
 * batch file's exact bytes, whose SHA-256 is the `fileHash` posted on-chain.
 */
export function settlementRoutes(deps: HttpDeps) {
  const app = new Hono<AppEnv>();
  const batches = (): BatchStore => {
    if (!deps.settlement) throw notFound("Settlement on this gateway");
    return deps.settlement.batches;
  };
  const batchId = (raw: string) => {
    const id = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(id)) throw notFound(`Batch ${raw}`);
    return id;
  };

  app.get("/settlement/batches", async (c) => {
    const before = c.req.query("before");
    const limit = pageLimit(c.req.query("limit"));
    const data = await batches().list({ before: before ? batchId(before) : undefined, limit });
    return c.json({
      object: "list",
      data: data.map(present),
      next_cursor: data.length === limit ? String(data.at(-1)?.batchId) : null,
    });
  });

  app.get("/settlement/batches/:id", async (c) => {
    const batch = await batches().get(batchId(c.req.param("id")));
    if (!batch) throw notFound(`Batch ${c.req.param("id")}`);
    return c.json(present(batch));
  });

  app.get("/settlement/batches/:id/file", async (c) => {
    const batch = await batches().get(batchId(c.req.param("id")));
    if (!batch) throw notFound(`Batch ${c.req.param("id")}`);
    return c.body(batch.file, 200, { "content-type": "application/json; charset=utf-8" });
  });

  return app;
}
