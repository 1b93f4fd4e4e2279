import type { Hex } from "viem";
import { holdFor } from "../../protocol/pricing.js";
import { type FinishReason, sha256Digest } from "../../protocol/receipt.js";
import type { ModelEntry } from "../catalog.js";
import { badGateway, clientClosed } from "../errors.js";
import type { ReserveResult } from "../ledger/types.js";
import {
  type Backend,
  type BackendJob,
  BackendUnavailableError,
  type OutputDelta,
  type ReportedUsage,
} from "../routing/backend.js";
import { pickBackend, refusal } from "./admission.js";
import type { JobDeps } from "./deps.js";
import { type EarlyCall, resumed, startEarly } from "./earlyStart.js";
import { finishJob } from "./finish.js";
import { createChoiceMeter } from "./meter.js";

/** The abort reason of a job's backend signal once the relay is over. */
const JOB_OVER = new Error("the job is over");

/** A generation job as an endpoint hands it over, after validation and prompt counting. */
export type GenerationRequest = {
  jobId: string;
  account: Hex;
  apiKeyId: string | null;
  model: ModelEntry;
  endpoint: "chat" | "completion";
  /** The body the backend receives (the gateway sets model, max_tokens and stream itself). */
  body: Record<string, unknown>;
  /** The prompt text the gateway counted (digested into the receipt). */
  promptText: string;
  promptTokens: number;
  /** Completion cap per choice. */
  maxTokens: number;
  /** Number of choices. */
  choices: number;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** With `echo`, the prompt each choice starts with (relayed, not billed as output). */
  echo?: readonly string[];
};

/** Receives each relayed delta (after metering and capping). Returning a promise applies backpressure. */
export type DeltaSink = (delta: OutputDelta) => void | Promise<void>;

/** How a generation ended, with everything the endpoint needs for its last bytes. */
export type GenerationResult = {
  receiptHash: Hex;
  finishReasons: ("stop" | "length")[];
  ended: FinishReason;
  promptTokens: number;
  completionTokens: number;
  charged: bigint;
  /** Set when the backend failed after the first token: the stream ends with an error event. */
  error: Error | null;
};

/**
 * Runs one metered generation: picks a backend, reserves the worst case, relays and counts the
 * output, retries another backend if one fails before its first token, then debits what was relayed,
 * releases the rest and records the receipt (signed off the request path).
 * @throws ApiError 503 `runtime_pending` when nothing can serve, 402/403 when admission fails.
 */
export async function runGeneration(deps: JobDeps, req: GenerationRequest, sink: DeltaSink): Promise<GenerationResult> {
  const admitted = await admitGeneration(deps, req);
  return admitted.run(sink);
}

/** An admitted job: a backend is available and the worst case is held. */
export type AdmittedGeneration = { run(sink: DeltaSink): Promise<GenerationResult> };

/**
 * Admission alone, so that a streaming endpoint can still answer 402/403/503 as HTTP errors before
 * it starts its event stream: picks a backend and reserves the worst case in one atomic step. Where
 * `deps.earlyStarts` allows it, the backend call starts while the reserve runs (its output waits for
 * the grant; a refusal cancels it), so that the reserve's round trip overlaps the backend's.
 */
export async function admitGeneration(deps: JobDeps, req: GenerationRequest): Promise<AdmittedGeneration> {
  const price = deps.catalog.priceOf(req.model);
  const tried = new Set<string>();
  const first = await pickBackend(deps.router, req.model.id, tried, req.signal);

  if (req.apiKeyId && deps.rateLimits)
    await deps.rateLimits.tokens(req.apiKeyId, req.promptTokens + req.maxTokens * req.choices);
  const hold = holdFor(req.promptTokens, req.maxTokens * req.choices, price);
  const backendAbort = new AbortController();
  const began = deps.earlyStarts?.begin(req.account) ?? false;
  let early: EarlyCall | null = null;
  let admitted: ReserveResult;
  try {
    if (began) early = startEarly(first, backendJob(req, backendAbort.signal));
    admitted = await deps.ledger.reserve({
      account: req.account,
      jobId: req.jobId,
      amount: hold,
      apiKeyId: req.apiKeyId,
      instanceId: deps.instanceId,
    });
  } catch (error) {
    deps.earlyStarts?.end(req.account, began, null);
    backendAbort.abort(JOB_OVER);
    throw error;
  }
  deps.earlyStarts?.end(req.account, began, admitted.ok);
  if (!admitted.ok) {
    backendAbort.abort(JOB_OVER);
    throw refusal(admitted, hold);
  }
  return { run: (sink) => relay(deps, req, sink, first, tried, backendAbort, early) };
}

/** The job as `req`'s backends receive it. */
function backendJob(req: GenerationRequest, signal: AbortSignal): BackendJob {
  return { jobId: req.jobId, model: req.model.id, endpoint: req.endpoint, body: req.body, signal };
}

async function relay(
  deps: JobDeps,
  req: GenerationRequest,
  sink: DeltaSink,
  first: Backend,
  tried: Set<string>,
  backendAbort: AbortController,
  early: EarlyCall | null,
): Promise<GenerationResult> {
  const price = deps.catalog.priceOf(req.model);
  let backend: Backend | null = first;
  const startedAt = deps.clock();
  const tokenizer = deps.tokenizer(req.model.tokenizer);
  const meters = Array.from({ length: req.choices }, (_, i) =>
    createChoiceMeter(tokenizer, req.maxTokens, req.echo?.[i]),
  );
  let reported: ReportedUsage = { promptTokens: null, completionTokens: null };
  let relayedAny = false;
  let failure: Error | null = null;
  let draining = false;
  const onClientAbort = () => backendAbort.abort();
  if (req.signal.aborted) onClientAbort();
  else req.signal.addEventListener("abort", onClientAbort, { once: true });

  try {
    while (backend) {
      try {
        // The call admission started early, if any, else a new one (a retry on another backend is always new).
        const items =
          early?.backend === backend ? resumed(early) : backend.generate(backendJob(req, backendAbort.signal));
        early = null;
        for await (const item of items) {
          if ("usage" in item) {
            reported = item.usage;
            continue;
          }
          // Every choice finished on its own: only the backend's usage report may still follow.
          if (draining) break;
          const meter = meters[item.index];
          if (!meter) throw new Error(`backend sent choice ${item.index} of ${req.choices}`);
          const accepted = meter.accept(item.text);
          // Null: the choice already reached its cap or finished; nothing more of it is relayed.
          if (accepted === null) continue;
          relayedAny = true;
          const finishReason = meter.done() ? "length" : (item.finishReason ?? null);
          // The backend's delta as it is when the meter left it whole (the usual case), else a copy as relayed.
          const delta =
            accepted === item.text && finishReason === item.finishReason
              ? item
              : { ...item, text: accepted, finishReason };
          // A sink that returns nothing (a non-streamed answer, a stream with room) costs no turn of the event loop.
          const relayed = sink(delta);
          if (relayed) await relayed;
          if (item.finishReason) meter.finish(item.finishReason);
          if (meters.every((m) => m.done())) {
            // Cut at the cap: stop (the backend is cancelled). Finished by the backend: read its usage.
            if (!item.finishReason) break;
            draining = true;
          }
        }
        break;
      } catch (error) {
        if (req.signal.aborted || draining) break;
        if (!relayedAny && error instanceof BackendUnavailableError) {
          tried.add(backend.id);
          backend =
            deps.router.pick(req.model.id, tried) ??
            (await deps.router.wait?.(req.model.id, tried, req.signal)) ??
            null;
          if (backend) continue;
          await deps.ledger.release({ jobId: req.jobId });
          throw badGateway(
            `Every backend able to serve '${req.model.id}' failed before its first token: ${error.message}`,
          );
        }
        if (!relayedAny) {
          // Whatever went wrong (a malformed stream, a protocol violation), nothing was relayed: nothing is charged.
          await deps.ledger.release({ jobId: req.jobId });
          throw badGateway(`The backend failed before its first token: ${(error as Error).message}`);
        }
        failure = error as Error;
        break;
      }
    }
  } finally {
    req.signal.removeEventListener("abort", onClientAbort);
    // Whatever the backend still holds for this job is cancelled. A shared reason: `abort()` without one
    // builds a DOMException and its stack trace, for nothing on the usual path (no listener is left).
    backendAbort.abort(JOB_OVER);
  }

  if (req.signal.aborted && !relayedAny) {
    // The client left before any output: like a failure before the first token, it costs nothing.
    await deps.ledger.release({ jobId: req.jobId });
    throw clientClosed();
  }
  const completionTokens = meters.reduce((sum, m) => sum + m.tokens(), 0);
  const ended: FinishReason = failure
    ? "failed"
    : req.signal.aborted && !meters.every((m) => m.done())
      ? "cancelled"
      : meters.some((m) => m.finishReason() === "length")
        ? "length"
        : "stop";
  const { receiptHash, charged } = await finishJob(deps, {
    jobId: req.jobId,
    account: req.account,
    model: req.model,
    price,
    servedBy: backend,
    counts: { promptTokens: req.promptTokens, completionTokens },
    finishReason: ended,
    promptDigest: sha256Digest(req.promptText),
    outputDigest: sha256Digest(meters.map((m) => m.text()).join("")),
    startedAt,
    reported,
  });
  return {
    receiptHash,
    finishReasons: meters.map((m) => m.finishReason() ?? "stop"),
    ended,
    promptTokens: req.promptTokens,
    completionTokens,
    charged,
    error: failure,
  };
}
