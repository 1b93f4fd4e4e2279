/**
 * A job's outgoing deltas, coalesced into `delta` frames. Until the job's first token (a delta with text or
 * logprobs) every delta is sent at once. After it, a delta waits until the end of the current turn of the event
 * loop (what the engine produced in that turn goes in one frame) and, on a fast stream, until `intervalMs` after
 * the previous frame. A stream slower than a token per `intervalMs` (a GPU serving ~100 tokens/s per stream) is
 * sent token by token with no added delay; a fast one (the embedded engine on a small model, a token every
 * millisecond or less) costs one frame, one socket write on each side and one SSE write per interval instead of
 * per token, and each of its tokens waits at most `intervalMs`.
 */
import { ACK_EVERY, MAX_FRAME_BYTES, type WorkerFrame } from "../protocol/worker.js";

/** One delta as the protocol carries it (`d` of a `delta` frame). */
export type WireDelta = { i: number; text: string; finish?: "stop" | "length"; logprobs?: unknown };

/**
 * The pause after a frame during which a fast stream's deltas are gathered into the next one. A stream of up to
 * 125 tokens/s (a token every 8 ms or more) is not held back at all; a faster one sends ~125 frames a second.
 */
export const DELTA_FRAME_INTERVAL_MS = 8;
/** Deltas in one frame at most (the gateway accepts up to JOB_WINDOW and acknowledges every ACK_EVERY). */
const MAX_DELTAS_PER_FRAME = ACK_EVERY;
/** Bytes of text in one frame before it is sent (far below MAX_FRAME_BYTES, JSON escaping included). */
const MAX_TEXT_PER_FRAME = MAX_FRAME_BYTES / 16;

export class DeltaOutbox {
  private pending: WireDelta[] = [];
  /** An estimate of the pending frame's size: text lengths, and the JSON of logprobs. */
  private size = 0;
  /** Whether a delta with text (or logprobs) went out: until then every delta is sent at once. */
  private started = false;
  private lastFrameAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;

  constructor(
    private readonly id: string,
    private readonly send: (frame: WorkerFrame) => void,
    private readonly intervalMs = DELTA_FRAME_INTERVAL_MS,
  ) {}

  /** Queues a delta; up to and with the job's first token (a delta with text or logprobs), it is sent at once. */
  add(delta: WireDelta) {
    const size = delta.text.length + (delta.logprobs === undefined ? 0 : JSON.stringify(delta.logprobs).length);
    if (this.pending.length > 0 && this.size + size > MAX_TEXT_PER_FRAME) this.flush();
    this.pending.push(delta);
    this.size += size;
    if (!this.started) {
      this.started = size > 0;
      return this.flush();
    }
    if (this.pending.length >= MAX_DELTAS_PER_FRAME) return this.flush();
    this.schedule();
  }

  /** Sends what is pending now (before a usage, done or fail frame, or a wait for acknowledgements). */
  flush() {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    if (this.pending.length === 0) return;
    const d = this.pending;
    this.pending = [];
    this.size = 0;
    this.lastFrameAt = performance.now();
    this.send({ t: "delta", id: this.id, d });
  }

  /** Drops what is pending (the job was cancelled) and stops its timers. */
  discard() {
    this.pending = [];
    this.size = 0;
    this.flush();
  }

  private schedule() {
    if (this.timer || this.immediate) return;
    const wait = this.lastFrameAt + this.intervalMs - performance.now();
    if (wait >= 1) this.timer = setTimeout(() => this.flush(), wait);
    else this.immediate = setImmediate(() => this.flush());
  }
}
