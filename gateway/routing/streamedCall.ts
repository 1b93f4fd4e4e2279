import { StringDecoder } from "node:string_decoder";
import { createParser, type EventSourceMessage, type EventSourceParser } from "eventsource-parser";
import type { Dispatcher } from "undici";
import { BackendUnavailableError, type OutputDelta, type ReportedUsage } from "./backend.js";

/** What one upstream call yields: output deltas and, last, the upstream's own usage report. */
export type StreamedItem = OutputDelta | { usage: ReportedUsage };

type UpstreamChunk = {
  choices?: {
    index?: number;
    delta?: { content?: string | null };
    text?: string;
    finish_reason?: string | null;
    logprobs?: unknown;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
};

/** Items queued and not yet taken above which the upstream socket is paused until the relay catches up. */
const HIGH_WATER = 256;
/**
 * A call the relay stopped reading before its end (cut at the completion cap, usually just before the upstream's own
 * finish chunk, usage and `[DONE]`) may still deliver this many bytes, for this long, before it is cut: one that was
 * about to end anyway then keeps its connection (cutting it costs a TCP connection, per request, on both sides).
 * The bytes are discarded.
 */
const DRAIN_BYTES = 16_384;
const DRAIN_MS = 250;
/** After `[DONE]`, how long the end of the HTTP response may take before the call is cut (its connection closed). */
const END_GRACE_MS = 1_000;
/** Bytes of an error answer kept for the message (its first 2,000 characters are reported). */
const ERROR_BYTES = 8_192;
/** Why a call the relay no longer reads is cut; one shared instance, so cutting a call captures no stack trace. */
const NOT_NEEDED = new Error("the gateway no longer needs this answer");

/**
 * One streamed chat or completion call to an OpenAI-compatible upstream, as an undici dispatch handler: the SSE
 * events are parsed as the bytes arrive and queued as backend-neutral items for `generate` to take. Compared with
 * `Pool.request` + a `Readable` body + `for await`, nothing is wrapped in a stream, and a call read to `[DONE]`
 * is never destroyed: its connection goes back to the pool (destroying a body read to its end threw and
 * formatted an `AbortError`, on every request).
 *
 * Errors, as `generate` reports them: before the upstream answered 2xx, a `BackendUnavailableError` (the router may
 * retry elsewhere), or the abort reason when the job was aborted; after, the error itself (connection lost,
 * malformed event), once every item parsed before it was taken.
 */
export class StreamedCall implements Dispatcher.DispatchHandler {
  /** The error that ended the call, if one did. */
  error: Error | null = null;
  private items: (StreamedItem | undefined)[] = [];
  private head = 0;
  private status = 0;
  private ended = false;
  /** `data: [DONE]` was received: nothing after it is read. */
  private done = false;
  private closed = false;
  /** Bytes a closed call may still deliver before it is cut. */
  private drainLeft = DRAIN_BYTES;
  private drainTimer: NodeJS.Timeout | null = null;
  private controller: Dispatcher.DispatchController | null = null;
  private wake: (() => void) | null = null;
  private errorBody: Buffer[] = [];
  private errorBytes = 0;
  private readonly decoder = new StringDecoder("utf8");
  private readonly parser: EventSourceParser;

  constructor(
    private readonly chat: boolean,
    private readonly signal: AbortSignal,
  ) {
    this.parser = createParser({ onEvent: this.event.bind(this) });
    if (signal.aborted) this.handleEvent();
    else signal.addEventListener("abort", this, { once: true });
  }

  /** The job's signal aborted (this object is its listener: no closure per call). */
  handleEvent(): void {
    const reason = this.signal.reason;
    this.fail(reason instanceof Error ? reason : new Error("aborted"));
  }

  /**
   * Resolves once the upstream answered 2xx.
   * @throws BackendUnavailableError when it answered an error status or could not be reached; the abort
   *   reason when the job was aborted first.
   */
  async started(): Promise<void> {
    while (this.status === 0 && this.error === null && !this.ended) await this.more();
    if (this.error !== null && (this.status === 0 || this.status >= 400)) {
      if (this.signal.aborted || this.error instanceof BackendUnavailableError) throw this.error;
      throw new BackendUnavailableError(`upstream unreachable: ${this.error.message}`);
    }
    if (this.status >= 400) {
      while (!this.ended && this.error === null) await this.more();
      const text = Buffer.concat(this.errorBody).toString("utf8");
      throw new BackendUnavailableError(`upstream answered ${this.status}`, this.status, text.slice(0, 2_000));
    }
  }

  /** The next queued item, or undefined when none is queued now. */
  take(): StreamedItem | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
      if (this.controller?.paused && !this.closed) this.controller.resume();
    }
    return item;
  }

  /** Whether the stream is over (`[DONE]` or the end of the response): nothing more will be queued. */
  finished(): boolean {
    return this.done || this.ended;
  }

  /** Resolves when something happens: an item queued, the end, an error. */
  more(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  /**
   * The relay stopped reading. A call read to `[DONE]` is left to finish its response (its connection is reused)
   * within `END_GRACE_MS`; one stopped before (cut at the cap) within `DRAIN_MS` and `DRAIN_BYTES`, its output
   * discarded; one whose job was aborted (the client left) is cut at once.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal.removeEventListener("abort", this);
    if (this.ended || this.error !== null) return;
    if (this.signal.aborted) {
      this.cut();
      return;
    }
    if (this.controller?.paused) this.controller.resume();
    this.drainTimer = setTimeout(() => this.cut(), this.done ? END_GRACE_MS : DRAIN_MS);
    this.drainTimer.unref();
  }

  /** Cuts a call nobody reads any more (closes its connection). */
  private cut() {
    if (this.ended || this.error !== null) return;
    this.error = NOT_NEEDED;
    this.controller?.abort(NOT_NEEDED);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.error !== null) controller.abort(this.error);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    if (statusCode < 200) return; // 1xx: the answer is still to come
    this.status = statusCode;
    this.notify();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.status >= 400) {
      if (this.errorBytes < ERROR_BYTES) {
        this.errorBody.push(chunk);
        this.errorBytes += chunk.length;
      }
      return;
    }
    if (this.closed) {
      this.drainLeft -= chunk.length;
      if (this.drainLeft < 0) this.cut();
      return;
    }
    if (this.done || this.error !== null) return;
    this.feed(this.decoder.write(chunk));
    if (this.items.length - this.head > HIGH_WATER && !controller.paused) controller.pause();
    this.notify();
  }

  onResponseEnd(): void {
    if (this.drainTimer !== null) clearTimeout(this.drainTimer);
    if (this.status < 400 && !this.done && !this.closed && this.error === null) {
      const rest = this.decoder.end();
      if (rest) this.feed(rest);
    }
    this.ended = true;
    this.notify();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error, false);
  }

  /** Ends the call with `error` (the first one wins); `cut`: abort the request too (undici's own errors already did). */
  private fail(error: Error, cut = true) {
    if (this.drainTimer !== null) clearTimeout(this.drainTimer);
    if (this.error === null) {
      this.error = error;
      if (cut && !this.ended) this.controller?.abort(error);
    }
    this.notify();
  }

  private notify() {
    const wake = this.wake;
    if (wake !== null) {
      this.wake = null;
      wake();
    }
  }

  /** Parses a piece of the event stream; a malformed event fails the call and drops what its piece queued. */
  private feed(text: string) {
    const before = this.items.length;
    try {
      this.parser.feed(text);
    } catch (error) {
      this.items.length = before;
      this.fail(error as Error);
    }
  }

  private event(message: EventSourceMessage) {
    const data = message.data;
    if (this.done) return;
    if (data === "[DONE]") {
      this.done = true;
      return;
    }
    const chunk = JSON.parse(data) as UpstreamChunk;
    const choices = chunk.choices;
    if (choices) {
      for (const choice of choices) {
        const text = this.chat ? (choice.delta?.content ?? "") : (choice.text ?? "");
        const finish = choice.finish_reason;
        this.items.push({
          index: choice.index ?? 0,
          text,
          finishReason: finish === "length" ? "length" : finish ? "stop" : null,
          logprobs: choice.logprobs ?? undefined,
        });
      }
    }
    if (chunk.usage) {
      this.items.push({
        usage: {
          promptTokens: chunk.usage.prompt_tokens ?? null,
          completionTokens: chunk.usage.completion_tokens ?? null,
        },
      });
    }
  }
}
