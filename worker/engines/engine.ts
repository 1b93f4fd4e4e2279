import type { BackendJob, ModelHealth, OutputDelta, ReportedUsage } from "../../gateway/routing/backend.js";

export type { BackendJob, ModelHealth, OutputDelta, ReportedUsage };

/** One network model a worker serves and the engine's name for it. */
export type ModelMapping = { id: string; engineModel: string };

/** An embedding job as an engine receives it. */
export type EmbedJob = { jobId: string; model: string; inputs: string[]; dimensions?: number; signal: AbortSignal };

/**
 * What serves a worker's jobs: an OpenAI-compatible server by URL or an embedded llama.cpp. The
 * worker advertises `models()` to the gateway and forwards each job it receives to `generate`/`embed`.
 */
export interface Engine {
  /** The network models this engine serves, with their state (`loading` while a model warms). */
  models(): { id: string; state: ModelHealth }[];
  /** Called whenever a model's state changes, so the worker can re-advertise. */
  onStateChange(listener: () => void): void;
  /** Loads what must be loaded (models, contexts); states move from `loading` to `ready` or `unavailable`. */
  start(): Promise<void>;
  /**
   * Streams a generation job (OpenAI chat or completions body). Yields deltas per choice and, last,
   * the engine's own usage. Stops promptly (well within a second) once `job.signal` aborts.
   * Rejects with `BackendUnavailableError` before the first delta when it cannot serve.
   */
  generate(job: BackendJob): AsyncIterable<OutputDelta | { usage: ReportedUsage }>;
  /** Embeddings for `inputs`, in order. */
  embed(job: EmbedJob): Promise<{ vectors: number[][]; usage: ReportedUsage }>;
  close(): Promise<void>;
}
