import type { Hex } from "viem";
import type { Price, TokenCounts } from "../../protocol/pricing.js";
import type { FinishReason } from "../../protocol/receipt.js";
import type { ModelEntry } from "../catalog.js";
import { buildReceipt } from "../receipts/core.js";
import type { Backend, ReportedUsage } from "../routing/backend.js";
import type { JobDeps } from "./deps.js";

/** The facts of a finished job, from which its charge and receipt follow. */
export type FinishedJob = {
  jobId: string;
  account: Hex;
  model: ModelEntry;
  price: Price;
  /** The backend that served the job (its worker earns the reward; null: nothing served). */
  servedBy: Backend | null;
  counts: TokenCounts;
  finishReason: FinishReason;
  promptDigest: Hex;
  outputDigest: Hex;
  startedAt: Date;
  reported: ReportedUsage;
};

/**
 * Ends a job: builds its receipt core (which computes `charged` and `reward`) and hash in one pass, debits the charge and
 * releases the rest of the hold and records the receipt in one statement, then queues the attester's
 * signature off the request path.
 * @returns the receipt hash and what was charged.
 */
export async function finishJob(deps: JobDeps, job: FinishedJob): Promise<{ receiptHash: Hex; charged: bigint }> {
  const { core, json, hash } = buildReceipt({
    jobId: job.jobId,
    model: job.model.id,
    account: job.account,
    worker: job.servedBy?.worker ?? null,
    tokenizer: job.model.tokenizer,
    counts: job.counts,
    price: job.price,
    rewardBps: deps.catalog.rewardBps,
    finishReason: job.finishReason,
    promptDigest: job.promptDigest,
    outputDigest: job.outputDigest,
    startedAt: job.startedAt,
    completedAt: deps.clock(),
  });
  const charged = BigInt(core.charged);
  const workerId = job.servedBy?.worker ? job.servedBy.id : null;
  await deps.receipts.settleAndRecord({ hash, core, json, charged, reported: job.reported, workerId });
  job.servedBy?.observeUsage?.(
    { promptTokens: job.counts.promptTokens, completionTokens: job.counts.completionTokens },
    job.reported,
  );
  deps.signLater(hash);
  deps.observeJob?.(core);
  return { receiptHash: hash, charged };
}
