import { Hono } from "hono";
import type { ServedBucket } from "../receipts/store.js";
import type { AppEnv, HttpDeps } from "./context.js";
import { SERVED_BUCKET_SECONDS, servedListQuerySchema, servedSummaryQuerySchema } from "./schemas/served.js";
import { parseBody } from "./validate.js";

const MINUTE = 60;
const WIDEST = SERVED_BUCKET_SECONDS[SERVED_BUCKET_SECONDS.length - 1] as number;

/**
 * The bucket width of `auto`: the finest that lets `buckets` buckets reach back to the first job served (at least a
 * minute back), else the widest.
 */
export function autoBucketSeconds(firstCompletedAt: Date | null, now: Date, buckets: number): number {
  const span = Math.max((now.getTime() - (firstCompletedAt?.getTime() ?? now.getTime())) / 1000, MINUTE);
  return SERVED_BUCKET_SECONDS.find((w) => span / w < buckets) ?? WIDEST;
}

const sums = (b: Pick<ServedBucket, "jobs" | "completionTokens" | "charged" | "rewards">) => ({
  jobs: b.jobs,
  completion_tokens: b.completionTokens.toString(),
  charged: b.charged.toString(),
  rewards: b.rewards.toString(),
});

/**
 * The jobs the signed-in account's workers served (mounted behind the session middleware; a worker's payout address
 * is the account owning its token): `GET /served`, a page newest first, and `GET /served/summary`, every job summed
 * and a series of the latest buckets, both read from the receipts.
 */
export function accountServedRoutes(deps: HttpDeps) {
  const app = new Hono<AppEnv>();

  app.get("/served", async (c) => {
    const query = parseBody(servedListQuerySchema, c.req.query());
    const page = await deps.receipts.served.list({
      worker: c.get("account"),
      cursor: query.cursor,
      limit: query.limit,
    });
    return c.json({
      object: "list",
      data: page.data.map((r) => ({
        job_id: r.core.jobId,
        receipt_hash: r.hash,
        worker_id: r.workerId,
        model: r.core.model,
        prompt_tokens: r.core.promptTokens,
        completion_tokens: r.core.completionTokens,
        charged: r.core.charged,
        reward: r.core.reward,
        status: r.status,
        completed_at: r.core.completedAt,
      })),
      next_cursor: page.nextCursor,
    });
  });

  app.get("/served/summary", async (c) => {
    const query = parseBody(servedSummaryQuerySchema, c.req.query());
    const account = c.get("account");
    const now = deps.clock();
    const totals = await deps.receipts.served.totals(account);
    const width =
      query.bucket === "auto" ? autoBucketSeconds(totals.firstCompletedAt, now, query.buckets) : Number(query.bucket);
    const last = Math.floor(now.getTime() / 1000 / width);
    const first = last - query.buckets + 1;
    const found =
      totals.jobs === 0
        ? []
        : await deps.receipts.served.buckets({
            worker: account,
            widthSeconds: width,
            from: new Date(first * width * 1000),
          });
    const byStart = new Map(found.map((b) => [b.start.getTime(), b]));
    const series = [];
    for (let i = first; i <= last; i++) {
      const start = i * width * 1000;
      const b = byStart.get(start) ?? { jobs: 0, completionTokens: 0n, charged: 0n, rewards: 0n };
      series.push({ start: new Date(start).toISOString(), ...sums(b) });
    }
    return c.json({
      object: "served_summary",
      account,
      totals: {
        ...sums(totals),
        prompt_tokens: totals.promptTokens.toString(),
        first_completed_at: totals.firstCompletedAt?.toISOString() ?? null,
        last_completed_at: totals.lastCompletedAt?.toISOString() ?? null,
      },
      bucket_seconds: width,
      series,
    });
  });

  return app;
}
