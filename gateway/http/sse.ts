import type { Context } from "hono";
import { stream } from "hono/streaming";
import type { StreamingApi } from "hono/utils/stream";
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
  return {
    open: () =>
      p.opening ? Array.from({ length: p.choices }, (_, i) => dataLine(chunk([p.opening?.(i)]))).join("") : "",
    delta: (d) => dataLine(chunk([p.delta(d)])),
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
 */
export async function streamGeneration(
  c: Context,
  deps: HttpDeps,
  request: Omit<GenerationRequest, "signal">,
  format: StreamFormat,
): Promise<Response> {
  const abort = new AbortController();
  c.req.raw.signal.addEventListener("abort", () => abort.abort(), { once: true });
  const admitted = await admitGeneration(deps, { ...request, signal: abort.signal });
  const pending: string[] = [format.open()];
  let out: StreamingApi | null = null;
  let started: () => void = () => {};
  const firstDelta = new Promise<void>((resolve) => {
    started = resolve;
  });
  const running = admitted.run(async (delta) => {
    if (delta.text === "" && delta.logprobs === undefined) return;
    const text = format.delta(delta);
    if (out) await out.write(text);
    else pending.push(text);
    started();
  });
  await Promise.race([firstDelta, running]);

  c.header("content-type", "text/event-stream; charset=utf-8");
  c.header("cache-control", "no-cache");
  c.header("x-accel-buffering", "no");
  return stream(c, async (sse) => {
    sse.onAbort(() => abort.abort());
    // Deltas keep arriving while these are written: drain until empty, then write directly.
    while (pending.length > 0) await sse.write(pending.shift() as string);
    out = sse;
    const result = await running.catch((error: unknown) => error as Error);
    if (result instanceof Error) await sse.write(format.fail(result, null));
    else if (result.error) await sse.write(format.fail(result.error, result));
    else await sse.write(format.close(result));
  });
}
