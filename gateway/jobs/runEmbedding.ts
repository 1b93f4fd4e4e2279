import type { Hex } from "viem";
import { holdFor } from "../../protocol/pricing.js";
import { sha256Digest } from "../../protocol/receipt.js";
import type { ModelEntry } from "../catalog.js";
import { badGateway, runtimePending } from "../errors.js";
import { type Backend, BackendUnavailableError } from "../routing/backend.js";
import { pickBackend, refusal } from "./admission.js";
import type { JobDeps } from "./deps.js";
import { finishJob } from "./finish.js";

/** An embedding job after validation and counting. */
export type EmbeddingRequest = {
  jobId: string;
  account: Hex;
  apiKeyId: string | null;
  model: ModelEntry;
  inputs: string[];
  /** Whether `input` was an array (its digest is then the JSON array, unambiguous). */
  inputArray: boolean;
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
  let backend: Backend | null = await pickBackend(deps.router, req.model.id, tried, req.signal);
  if (req.apiKeyId && deps.rateLimits) await deps.rateLimits.tokens(req.apiKeyId, req.promptTokens);
  const hold = holdFor(req.promptTokens, 0, price);
  const admitted = await deps.ledger.reserve({
    account: req.account,
    jobId: req.jobId,
    amount: hold,
    apiKeyId: req.apiKeyId,
    instanceId: deps.instanceId,
  });
  if (!admitted.ok) throw refusal(admitted, hold);
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
  const { receiptHash, charged } = await finishJob(deps, {
    jobId: req.jobId,
    account: req.account,
    model: req.model,
    price,
    servedBy: backend,
    counts: { promptTokens: req.promptTokens, completionTokens: 0 },
    finishReason: "stop",
    promptDigest: sha256Digest(
      req.inputs.length === 1 && !req.inputArray ? (req.inputs[0] ?? "") : JSON.stringify(req.inputs),
    ),
    outputDigest: sha256Digest(JSON.stringify(answer.vectors)),
    startedAt,
    reported: answer.usage,
  });
  return { vectors: answer.vectors, charged, receiptHash };
}
