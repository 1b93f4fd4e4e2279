/**
 * One connected, authenticated worker as a routing backend. Jobs are multiplexed over its WebSocket;
 * every frame from the worker is untrusted: the hub validates it, and this class checks that it
 * belongs to a job the worker holds and respects the job's flow-control window.
 */
import type { Address } from "viem";
import { ACK_EVERY, type GatewayFrame, JOB_WINDOW, type WorkerFrame } from "../../protocol/worker.js";
import {
  type Backend,
  type BackendJob,
  BackendUnavailableError,
  type ModelHealth,
  type OutputDelta,
  type ReportedUsage,
} from "../routing/backend.js";

type Item =
  | { kind: "deltas"; deltas: OutputDelta[] }
  | { kind: "usage"; usage: ReportedUsage }
  | { kind: "done" }
  | { kind: "embedding"; vectors: number[][]; promptTokens: number | null }
  /** `local`: the gateway gave up on the job (cancel, timeout, lost connection), the worker did not end it. */
  | { kind: "fail"; message: string; retryable: boolean; local?: boolean };

type JobState = {
  queue: Item[];
  wake: (() => void) | null;
  startedAt: number;
  lastFrameAt: number;
  /** Deltas received, and acknowledged to the worker. */
  received: number;
  acked: number;
  /** Deltas handed to the job runner since the last ack. */
  consumedSinceAck: number;
  delivered: boolean;
  finished: boolean;
  detach: () => void;
};

export type LinkTimeouts = {
  /** A job that has produced nothing after this long fails (before its first token: retried elsewhere). */
  firstTokenMs: number;
  /** A job whose worker sends nothing for this long while the gateway waits for it fails. */
  stallMs: number;
};

export type LinkEvents = {
  send(frame: GatewayFrame): void;
  /** The worker broke the protocol: the hub flags it and closes the connection. */
  violation(reason: string): void;
  /** A job stalled or its usage reports keep disagreeing: recorded on the worker. */
  suspect(reason: string): void;
  /** A job ended or the advertised models changed: queued jobs may find room now. */
  changed(): void;
};

/** How long a slot promised to a job in admission stays promised if the job never starts. */
const CLAIM_TTL_MS = 5_000;

/** Consecutive jobs whose usage report disagrees with the gateway's count before the worker is marked suspect. */
export const MISMATCH_STREAK = 5;

/**
 * True when a worker's own completion count is too far from the gateway's to be a tokenizer
 * difference: outside [counted/2 − 8, 2·counted + 8].
 */
export function usageDisagrees(counted: number, reported: number): boolean {
  return reported < counted / 2 - 8 || reported > counted * 2 + 8;
}

export class WorkerLink implements Backend {
  readonly models = new Map<string, ModelHealth>();
  private readonly jobs = new Map<string, JobState>();
  /** Jobs the gateway ended (cancelled, cut at the cap): late frames for them are expected and dropped. */
  private readonly ended = new Map<string, number>();
  private closedReason: string | null = null;
  private mismatches = 0;
  suspect = false;

  constructor(
    readonly id: string,
    readonly worker: Address,
    readonly name: string,
    readonly tokenId: string,
    readonly concurrency: number,
    private readonly timeouts: LinkTimeouts,
    private readonly events: LinkEvents,
  ) {}

  get inflight(): number {
    return this.jobs.size;
  }

  /**
   * Slots promised by the router to jobs still in admission (reserve, rate limits): counted as load so
   * that concurrent admissions never send a worker more jobs than its concurrency. A job that starts
   * takes its claim; one refused in admission leaves it to expire.
   */
  private claims: number[] = [];

  /** In-flight jobs plus live claims. */
  get load(): number {
    const now = Date.now();
    while (this.claims.length > 0 && (this.claims[0] as number) < now) this.claims.shift();
    return this.jobs.size + this.claims.length;
  }

  /** Promises a slot to a job about to be admitted (see {@link load}). */
  claim() {
    this.claims.push(Date.now() + CLAIM_TTL_MS);
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  health(model: string): ModelHealth {
    if (this.closed) return "unavailable";
    return this.models.get(model) ?? "unavailable";
  }

  hasCapacity(): boolean {
    return !this.closed && this.load < this.concurrency;
  }

  setModels(models: readonly { id: string; state: ModelHealth }[]) {
    this.models.clear();
    for (const m of models) this.models.set(m.id, m.state);
    this.events.changed();
  }

  /** Handles a validated frame that is not part of the handshake. */
  receive(frame: WorkerFrame, now: number) {
    if (frame.t === "hello") return this.events.violation("a second hello");
    if (frame.t === "models") return this.setModels(frame.models);
    const job = this.jobs.get(frame.id);
    if (!job) {
      if (this.ended.has(frame.id)) return;
      return this.events.violation(`a '${frame.t}' frame for job ${JSON.stringify(frame.id)} it does not hold`);
    }
    job.lastFrameAt = now;
    switch (frame.t) {
      case "delta":
        job.received += frame.d.length;
        if (job.received - job.acked > JOB_WINDOW)
          return this.events.violation(`more than ${JOB_WINDOW} unacknowledged deltas for one job`);
        this.push(job, {
          kind: "deltas",
          deltas: frame.d.map((d) => ({
            index: d.i,
            text: d.text,
            finishReason: d.finish ?? null,
            logprobs: d.logprobs,
          })),
        });
        return;
      case "usage":
        return this.push(job, {
          kind: "usage",
          usage: { promptTokens: frame.promptTokens, completionTokens: frame.completionTokens },
        });
      case "done":
        return this.push(job, { kind: "done" });
      case "fail":
        return this.push(job, { kind: "fail", message: frame.message, retryable: frame.retryable });
      case "embedding":
        return this.push(job, { kind: "embedding", vectors: frame.vectors, promptTokens: frame.promptTokens });
    }
  }

  /** Fails jobs whose worker has gone quiet; called periodically by the hub. */
  sweep(now: number) {
    for (const [id, job] of this.jobs) {
      if (job.queue.length > 0 || job.finished) continue;
      const limit = job.delivered ? this.timeouts.stallMs : this.timeouts.firstTokenMs;
      const since = job.delivered ? job.lastFrameAt : job.startedAt;
      if (now - since < limit) continue;
      const what = job.delivered ? `stalled mid-stream for ${limit} ms` : `produced nothing in ${limit} ms`;
      if (job.delivered) this.events.suspect(`job ${id} ${what}`);
      this.push(job, { kind: "fail", message: `worker ${this.name} ${what}`, retryable: true, local: true });
    }
    for (const [id, until] of this.ended) if (until < now) this.ended.delete(id);
  }

  /** The connection is gone: every job it held fails (before its first token: retried elsewhere). */
  close(reason: string) {
    if (this.closedReason) return;
    this.closedReason = reason;
    this.events.changed();
    for (const job of this.jobs.values())
      this.push(job, { kind: "fail", message: `worker disconnected: ${reason}`, retryable: true, local: true });
  }

  /**
   * Compares the worker's own usage report with the gateway's count (see {@link usageDisagrees}). A job
   * without a report (cut at the cap or cancelled before the worker reported) is not compared.
   */
  observeUsage(counted: ReportedUsage, reported: ReportedUsage) {
    if (reported.completionTokens === null) return;
    if (!usageDisagrees(counted.completionTokens ?? 0, reported.completionTokens)) {
      this.mismatches = 0;
      return;
    }
    this.mismatches += 1;
    if (this.mismatches === MISMATCH_STREAK && !this.suspect) {
      this.suspect = true;
      this.events.suspect(`${MISMATCH_STREAK} consecutive usage reports disagreed with the gateway's count`);
    }
  }

  async *generate(job: BackendJob): AsyncGenerator<OutputDelta | { usage: ReportedUsage }> {
    const state = this.start(job.jobId, job.signal, {
      t: "job",
      id: job.jobId,
      model: job.model,
      endpoint: job.endpoint,
      body: job.body,
    });
    try {
      while (true) {
        const item = await this.next(state);
        switch (item.kind) {
          case "deltas":
            state.delivered = true;
            for (const delta of item.deltas) yield delta;
            this.consumed(job.jobId, state, item.deltas.length);
            break;
          case "usage":
            yield { usage: item.usage };
            break;
          case "done":
            state.finished = true;
            return;
          case "fail":
            state.finished = !item.local;
            if (!state.delivered) throw new BackendUnavailableError(item.message);
            throw new Error(item.message);
          case "embedding":
            state.finished = true;
            throw new Error("an embedding answer to a generation job");
        }
      }
    } finally {
      this.finish(job.jobId, state);
    }
  }

  async embed(job: { jobId: string; model: string; inputs: string[]; dimensions?: number; signal: AbortSignal }) {
    const body: Record<string, unknown> = { input: job.inputs };
    if (job.dimensions !== undefined) body.dimensions = job.dimensions;
    const state = this.start(job.jobId, job.signal, {
      t: "job",
      id: job.jobId,
      model: job.model,
      endpoint: "embedding",
      body,
    });
    try {
      while (true) {
        const item = await this.next(state);
        if (item.kind === "embedding") {
          state.finished = true;
          if (item.vectors.length !== job.inputs.length)
            throw new BackendUnavailableError("worker returned the wrong number of embeddings");
          return { vectors: item.vectors, usage: { promptTokens: item.promptTokens, completionTokens: 0 } };
        }
        if (item.kind === "fail") {
          state.finished = !item.local;
          throw new BackendUnavailableError(item.message);
        }
        if (item.kind !== "usage") throw new BackendUnavailableError(`a '${item.kind}' answer to an embedding job`);
      }
    } finally {
      this.finish(job.jobId, state);
    }
  }

  private start(jobId: string, signal: AbortSignal, frame: GatewayFrame): JobState {
    if (this.closed) throw new BackendUnavailableError(`worker ${this.name} disconnected`);
    if (signal.aborted) throw new BackendUnavailableError("cancelled");
    if (this.jobs.has(jobId)) throw new BackendUnavailableError(`worker ${this.name} already holds job ${jobId}`);
    const now = Date.now();
    const state: JobState = {
      queue: [],
      wake: null,
      startedAt: now,
      lastFrameAt: now,
      received: 0,
      acked: 0,
      consumedSinceAck: 0,
      delivered: false,
      finished: false,
      detach: () => signal.removeEventListener("abort", onAbort),
    };
    const onAbort = () => this.push(state, { kind: "fail", message: "cancelled", retryable: false, local: true });
    signal.addEventListener("abort", onAbort, { once: true });
    this.claims.shift();
    this.jobs.set(jobId, state);
    this.events.send(frame);
    return state;
  }

  private finish(jobId: string, state: JobState) {
    state.detach();
    this.jobs.delete(jobId);
    this.events.changed();
    if (!state.finished && !this.closed) {
      // Cancelled by the client or cut at the cap: tell the worker; frames already in flight are dropped.
      this.ended.set(jobId, Date.now() + 30_000);
      this.events.send({ t: "cancel", id: jobId });
    }
  }

  private consumed(jobId: string, state: JobState, n: number) {
    state.consumedSinceAck += n;
    if (state.consumedSinceAck >= ACK_EVERY) {
      state.acked += state.consumedSinceAck;
      this.events.send({ t: "ack", id: jobId, n: state.consumedSinceAck });
      state.consumedSinceAck = 0;
    }
  }

  private push(state: JobState, item: Item) {
    state.queue.push(item);
    const wake = state.wake;
    state.wake = null;
    wake?.();
  }

  private async next(state: JobState): Promise<Item> {
    while (state.queue.length === 0) await new Promise<void>((resolve) => (state.wake = resolve));
    return state.queue.shift() as Item;
  }
}
