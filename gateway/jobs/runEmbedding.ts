import type { Hex } from "viem";
import { chargeFor, holdFor, rewardFor } from "../../protocol/pricing.js";
import { type ReceiptCore, sha256Digest } from "../../protocol/receipt.js";
import type { ModelEntry } from "../catalog.js";
import { badGateway, budgetExceeded, insufficientCredits, runtimePending } from "../errors.js";
import { BackendUnavailableError } from "../routing/backend.js";
import type { JobDeps } from "./deps.js";

/** An embedding job after validation and counting. */
export type EmbeddingRequest = {
  jobId: string;
  account: Hex;
  apiKeyId: string | null;
  model: ModelEntry;
  inputs: string[];
  promptTokens: number;
  dimensions?: number;
  signal: AbortSignal;
};

/**
 * Runs one metered embedding job: reserve the prompt's price, embed (another backend if one fails),
 * debit, record the receipt. The output digest is the SHA-256 of the vectors' JSON.
 */
export async function runEmbedding(deps: JobDeps, req: EmbeddingRequest) {
  const price = deps.catalog.priceOf(req.model);
  const tried = new Set<string>();
  let backend = deps.router.pick(req.model.id, tried);
  if (!backend) throw runtimePending(req.model.id);
  if (req.apiKeyId && deps.rateLimits) await deps.rateLimits.tokens(req.apiKeyId, req.promptTokens);
  const hold = holdFor(req.promptTokens, 0, price);
  const admitted = await deps.ledger.reserve({
    account: req.account,
    jobId: req.jobId,
    amount: hold,
    apiKeyId: req.apiKeyId,
    instanceId: deps.instanceId,
  });
  if (!admitted.ok) {
    throw admitted.reason === "budget_exceeded"
      ? budgetExceeded(admitted.remaining)
      : insufficientCredits(hold, admitted.available);
  }
  const startedAt = deps.clock();
  let answer: Awaited<ReturnType<typeof backend.embed>> | null = null;
  while (backend && !answer) {
    try {
      answer = await backend.embed({
        jobId: req.jobId,
        model: req.model.id,
        inputs: req.inputs,
        dimensions: req.dimensions,
        signal: req.signal,
      });
    } catch (error) {
      tried.add(backend.id);
      backend = error instanceof BackendUnavailableError ? deps.router.pick(req.model.id, tried) : null;
      if (!backend) {
        await deps.ledger.release({ jobId: req.jobId });
        throw badGateway(`The embedding backend failed: ${(error as Error).message}`);
      }
    }
  }
  if (!answer || !backend) throw runtimePending(req.model.id);
  const charged = chargeFor({ promptTokens: req.promptTokens, completionTokens: 0 }, price);
  await deps.ledger.settle({ jobId: req.jobId, charged });
  const core: ReceiptCore = {
    version: 1,
    jobId: req.jobId,
    model: req.model.id,
    account: req.account.toLowerCase() as Hex,
    worker: backend.worker ? (backend.worker.toLowerCase() as Hex) : null,
    tokenizer: req.model.tokenizer,
    promptTokens: req.promptTokens,
    completionTokens: 0,
    promptPrice: price.promptPrice.toString(),
    completionPrice: price.completionPrice.toString(),
    multiplierBps: Number(price.multiplierBps),
    rewardBps: Number(deps.catalog.rewardBps),
    charged: charged.toString(),
    reward: rewardFor(charged, deps.catalog.rewardBps, backend.worker ? "worker" : "gateway").toString(),
    finishReason: "stop",
    promptDigest: sha256Digest(req.inputs.join("\n")),
    outputDigest: sha256Digest(JSON.stringify(answer.vectors)),
    startedAt: startedAt.toISOString(),
    completedAt: deps.clock().toISOString(),
  };
  const receiptHash = await deps.receipts.record(core, answer.usage);
  deps.signLater(receiptHash);
  deps.observeJob?.(core);
  return { vectors: answer.vectors, charged, receiptHash };
}
