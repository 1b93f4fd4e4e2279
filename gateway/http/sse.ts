import type { Context } from "hono";
import { errorEnvelope } from "../errors.js";
import { admitGeneration, type GenerationRequest, type GenerationResult } from "../jobs/runGeneration.js";
import type { OutputDelta } from "../routing/backend.js";
import type { HttpDeps } from "./context.js";

/** The wire framing of a generation stream: each function returns ready-to-write SSE text. */
export type StreamFormat = {
  /** Events before any output. */
  open(): string;
  delta(delta: OutputDelta): string;
  /** The last events of a finished generation (they carry the receipt hash). */
  close(result: GenerationResult): string;
  /** The event that ends a stream whose backend failed after output, or which could not finish. */
  fail(error: unknown, result: GenerationResult | null): string;
};

/** Usage as the gateway reports it: its own counts, and the charge in base units as a decimal string. */
export function usageOf(result: GenerationResult) {
  return {
    prompt_tokens: result.promptTokens,
    completion_tokens: result.completionTokens,
    total_tokens: result.promptTokens + result.completionTokens,
    charged: result.charged.toString(),
  };
}

/** `data: <json>\n\n` */
export const dataLine = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;

/** OpenAI's framing (chat and completions): `data:` chunks, the receipt on the last, then `[DONE]`. */
export function openAIFormat(p: {
  choices: number;
  /** The fields every chunk repeats: `id` (the job id), `object`, `created`, `model`. */
  envelope: { id: string; object: string; created: number; model: string };
  opening?(index: number): unknown;
  delta(d: OutputDelta): unknown;
  finish(index: number, reason: "stop" | "length"): unknown;
  includeUsage: boolean;
}): StreamFormat {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ ...p.envelope, choices, ...extra });
  // Every delta event is `data: {…envelope,"choices":[<choice>]}`: the envelope's JSON is written once per stream.
  const envelope = JSON.stringify(p.envelope);
  const deltaPrefix = `data: ${envelope.length > 2 ? `${envelope.slice(0, -1)},` : "{"}"choices":[`;
  return {
    open: () =>
      p.opening ? Array.from({ length: p.choices }, (_, i) => dataLine(chunk([p.opening?.(i)]))).join("") : "",
    delta: (d) => `${deltaPrefix}${JSON.stringify(p.delta(d))}]}\n\n`,
    close(result) {
      let out = "";
      for (let index = 0; index < p.choices; index++) {
        const extra = index === p.choices - 1 ? { receipt_hash: result.receiptHash } : {};
        out += dataLine(chunk([p.finish(index, result.finishReasons[index] ?? "stop")], extra));
      }
      if (p.includeUsage) out += dataLine(chunk([], { usage: usageOf(result), receipt_hash: result.receiptHash }));
      return `${out}data: [DONE]\n\n`;
    },
    fail(error, result) {
      if (!result) return dataLine(errorEnvelope(error));
      const message = `The backend failed mid-stream: ${(error as Error).message}`;
      return dataLine({
        error: { message, type: "api_error", param: null, code: "backend_error" },
        receipt_hash: result.receiptHash,
      });
    },
  };
}

/**
 * Runs a generation as Server-Sent Events. Admission errors (402/403/503) and a failure of every
 * backend before the first token are still plain HTTP errors: the event stream starts with the first
 * delta. A failure after the first token ends the stream with an error event (the client pays for
 * what was relayed).
 *
 * The events go out through one byte stream that the relay pushes into: the first delta is written at once, then the
 * deltas of one read from the backend are written as one chunk (flushed in the same turn of the event loop, after the
 * relay has taken everything that read brought), and a client that reads slowly holds the relay back (the push waits
 * while the stream is full).
 */
export async function streamGeneration(
  c: Context,
  deps: HttpDeps,
  request: Omit<GenerationRequest, "signal">,
  format: StreamFormat,
): Promise<Response> {
  const abort = new AbortController();
  const clientSignal = c.req.raw.signal;
  const onClientGone = () => abort.abort();
  clientSignal.addEventListener("abort", onClientGone, { once: true });
  let admitted: Awaited<ReturnType<typeof admitGeneration>>;
  try {
    admitted = await admitGeneration(deps, { ...request, signal: abort.signal });
  } catch (error) {
    clientSignal.removeEventListener("abort", onClientGone);
    throw error;
  }
  const out = eventStream(onClientGone);
  // The opening events go out with the first delta (one write), or with the last events when there is none.
  let opened = false;
  const open = () => {
    if (opened) return;
    opened = true;
    out.push(format.open());
  };
  let started: () => void = () => {};
  const firstDelta = new Promise<void>((resolve) => {
    started = resolve;
  });
  let sentFirst = false;
  const running = admitted.run((delta) => {
    if (delta.text === "" && delta.logprobs === undefined) return;
    open();
    out.push(format.delta(delta));
    started();
    if (sentFirst) return out.ready();
    // The first delta goes out now, ahead of whatever else the backend's read brought: written at once, and the
    // relay waits a turn of the event loop so that the response's head and this chunk reach the socket first.
    sentFirst = true;
    out.flush();
    return new Promise<void>((resolve) => setImmediate(resolve));
  });
  const ended = running.then(
    (result) => (result.error ? format.fail(result.error, result) : format.close(result)),
    (error: unknown) => format.fail(error, null),
  );
  try {
    await Promise.race([firstDelta, running]);
  } catch (error) {
    clientSignal.removeEventListener("abort", onClientGone);
    throw error;
  }
  void ended.then((last) => {
    clientSignal.removeEventListener("abort", onClientGone);
    open();
    out.end(last);
  });

  c.header("content-type", "text/event-stream; charset=utf-8");
  c.header("cache-control", "no-cache");
  c.header("x-accel-buffering", "no");
  // Declared chunked, @hono/node-server writes the head at once; otherwise it reads ahead in the body to size it,
  // waiting a timer's turn when the first chunk is there and the second is not yet. HTTP/1.1 only (1.0 has no chunks).
  if ((c.env as { incoming?: { httpVersion?: string } } | undefined)?.incoming?.httpVersion === "1.1")
    c.header("transfer-encoding", "chunked");
  return c.body(out.stream);
}

/** Chunks queued in the event stream and not yet read by the server before a push waits. */
const HIGH_WATER_CHUNKS = 8;

/**
 * A byte stream of SSE text. `push` appends text; what was pushed in one turn of the event loop is enqueued as one
 * chunk (`setImmediate`); `ready` is a promise while the stream is full (undefined otherwise); `end` writes the
 * last text and closes. `onCancel` runs when the reader goes away (the client disconnected).
 */
function eventStream(onCancel: () => void) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let text = "";
  let scheduled = false;
  let closed = false;
  let room: (() => void) | null = null;
  const freeRoom = () => {
    const resolve = room;
    room = null;
    resolve?.();
  };
  const flush = () => {
    scheduled = false;
    if (closed || text === "") return;
    controller.enqueue(Buffer.from(text, "utf8"));
    text = "";
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull: freeRoom,
      cancel() {
        closed = true;
        freeRoom();
        onCancel();
      },
    },
    { highWaterMark: HIGH_WATER_CHUNKS },
  );
  return {
    stream,
    push(more: string) {
      if (closed || more === "") return;
      text += more;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    /** Enqueues what was pushed now rather than at the end of the event loop's turn. */
    flush,
    ready(): Promise<void> | undefined {
      if (closed || (controller.desiredSize ?? 1) > 0) return undefined;
      return new Promise<void>((resolve) => {
        room = resolve;
      });
    },
    end(last: string) {
      if (closed) return;
      text += last;
      flush();
      closed = true;
      controller.close();
      freeRoom();
    },
  };
}
