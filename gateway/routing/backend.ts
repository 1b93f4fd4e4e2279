import type { Address } from "viem";

/** Health of a model on a backend, as `/v1/models/:id/health` reports it. */
export type ModelHealth = "ready" | "loading" | "unavailable";

/** One streamed piece of output, in the backend-neutral form the job runner meters. */
export type OutputDelta = {
  /** Choice index (for `n` > 1). */
  index: number;
  /** Text appended to that choice. */
  text: string;
  /** Set on the choice's last delta. */
  finishReason?: "stop" | "length" | null;
  /** Backend-reported per-token log probabilities, passed through untouched (`/v1/completions`). */
  logprobs?: unknown;
};

/** What the backend says it used: stored beside the gateway's own count, never billed. */
export type ReportedUsage = { promptTokens: number | null; completionTokens: number | null };

/** A job as a backend receives it: the validated OpenAI request body, rewritten for the backend. */
export type BackendJob = {
  jobId: string;
  /** Network model id (`basis-default`). */
  model: string;
  /** `chat` → /v1/chat/completions, `completion` → /v1/completions. */
  endpoint: "chat" | "completion";
  /** The request body to send (model and max_tokens already set by the gateway). */
  body: Record<string, unknown>;
  signal: AbortSignal;
};

/** Thrown by a backend that could not start a job: the router may retry elsewhere; nothing was billed. */
export class BackendUnavailableError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly upstreamBody?: string,
  ) {
    super(message);
    this.name = "BackendUnavailableError";
  }
}

/**
 * Something that serves jobs: the gateway's own upstream today, contributor workers later. The job
 * runner and the endpoints only see this interface.
 */
export interface Backend {
  /** Stable id for logs and metrics (`upstream`, or a worker id). */
  readonly id: string;
  /** The contributor's payout wallet, or null when the gateway serves the job itself (reward 0). */
  readonly worker: Address | null;
  health(model: string): ModelHealth;
  /**
   * Streams the output of a generation job. Rejects with `BackendUnavailableError` before the first
   * delta when it cannot serve; after that, a failure ends the iteration with an error.
   */
  generate(job: BackendJob): AsyncIterable<OutputDelta | { usage: ReportedUsage }>;
  /**
   * Told, after a job it served was settled, the gateway's count beside the backend's own report
   * (workers: a persistent disagreement marks the worker suspect).
   */
  observeUsage?(counted: ReportedUsage, reported: ReportedUsage): void;
  /** Embeddings for `inputs`, in order. */
  embed(job: { jobId: string; model: string; inputs: string[]; dimensions?: number; signal: AbortSignal }): Promise<{
    vectors: number[][];
    usage: ReportedUsage;
  }>;
}

/** Picks a backend per job; the seam contributor workers plug into. */
export interface Router {
  /** A backend that can serve `model` now, excluding those already tried, or null. */
  pick(model: string, exclude?: ReadonlySet<string>): Backend | null;
  /**
   * Waits (up to the router's queue timeout, or until `signal` aborts) for a backend with free
   * capacity when backends serve `model` but all are busy; null when none frees up or none serves it.
   */
  wait?(model: string, exclude: ReadonlySet<string> | undefined, signal: AbortSignal): Promise<Backend | null>;
  /** Best health of `model` across backends. */
  health(model: string): ModelHealth;
  /** `proxy` when some backend is configured, `pending` when none is. */
  mode(): "proxy" | "pending";
}
