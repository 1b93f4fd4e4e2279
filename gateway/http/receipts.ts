import { Hono } from "hono";
import { parseReceiptCore, receiptHash } from "../../protocol/receipt.js";
import { invalidRequest, notFound } from "../errors.js";
import type { StoredReceipt } from "../receipts/store.js";
import type { AppEnv, HttpDeps } from "./context.js";

/** A receipt as the API shows it, with `verified` from a server-side re-derivation of its hash. */
export function presentReceipt(r: StoredReceipt) {
  let verified = false;
  try {
    verified = receiptHash(parseReceiptCore(r.core)) === r.hash;
  } catch {
    verified = false;
  }
  return {
    receipt: {
      hash: r.hash,
      core: r.core,
      status: r.status,
      signature: r.signature,
      settlement: r.settlement,
      refund: r.refund,
      reported_usage: {
        prompt_tokens: r.reportedUsage.promptTokens,
        completion_tokens: r.reportedUsage.completionTokens,
      },
    },
    verified,
  };
}

/** Parses `limit` (1–100, default 20) of a paginated list. */
export function pageLimit(raw: string | undefined): number {
  if (raw === undefined) return 20;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw invalidRequest("limit must be an integer from 1 to 100.", "limit");
  return limit;
}

/** `GET /inference/receipts` (recent, public) and `/inference/receipts/:id` (a hash or a job id). */
export function receiptRoutes(deps: HttpDeps) {
  const app = new Hono<AppEnv>();

  app.get("/inference/receipts", async (c) => {
    const page = await deps.receipts.list({ limit: pageLimit(c.req.query("limit")), cursor: c.req.query("cursor") });
    return c.json({ object: "list", data: page.data.map((r) => presentReceipt(r)), next_cursor: page.nextCursor });
  });

  app.get("/inference/receipts/:id", async (c) => {
    const id = c.req.param("id");
    const receipt = /^0x[0-9a-fA-F]{64}$/.test(id) ? await deps.receipts.byHash(id) : await deps.receipts.byJobId(id);
    if (!receipt) throw notFound(`Receipt ${id}`);
    return c.json(presentReceipt(receipt));
  });

  return app;
}
