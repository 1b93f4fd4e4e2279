import { Pool } from "undici";
import { type Backend, type BackendJob, BackendUnavailableError, type ModelHealth } from "./backend.js";
import { StreamedCall } from "./streamedCall.js";

/** Settings of the gateway's own OpenAI-compatible upstream. */
export type UpstreamOptions = {
  url: string;
  apiKey?: string;
  /** Network model id → upstream model name; unmapped ids are sent as they are. */
  models?: Record<string, string>;
  /** Network models this upstream serves. */
  serves: readonly string[];
  timeoutMs: number;
};

/**
 * The gateway's own upstream (any OpenAI-compatible server) as a backend: gateway-served, reward 0.
 * Requests always stream from the upstream, so output is metered as it is relayed.
 */
export function createUpstreamBackend(opts: UpstreamOptions): Backend & { close(): Promise<void> } {
  const url = new URL(opts.url);
  const basePath = url.pathname.replace(/\/$/, "");
  const pool = new Pool(url.origin, {
    connections: 128,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  const served = new Set(opts.serves);
  const upstreamModel = (model: string) => opts.models?.[model] ?? model;

  async function post(path: string, body: unknown, signal: AbortSignal) {
    try {
      const res = await pool.request({
        path: `${basePath}${path}`,
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal,
      });
      if (res.statusCode >= 400) {
        const text = await res.body.text().catch(() => "");
        throw new BackendUnavailableError(`upstream answered ${res.statusCode}`, res.statusCode, text.slice(0, 2_000));
      }
      return res;
    } catch (error) {
      if (error instanceof BackendUnavailableError) throw error;
      if (signal.aborted) throw error;
      throw new BackendUnavailableError(`upstream unreachable: ${(error as Error).message}`);
    }
  }

  return {
    id: "upstream",
    worker: null,
    health: (model: string): ModelHealth => (served.has(model) ? "ready" : "unavailable"),

    async *generate(job: BackendJob) {
      const path = job.endpoint === "chat" ? "/chat/completions" : "/completions";
      const body = {
        ...job.body,
        model: upstreamModel(job.model),
        stream: true,
        stream_options: { include_usage: true },
      };
      const call = new StreamedCall(job.endpoint === "chat", job.signal);
      try {
        pool.dispatch({ path: `${basePath}${path}`, method: "POST", headers, body: JSON.stringify(body) }, call);
      } catch (error) {
        call.onResponseError(null as never, error as Error);
      }
      try {
        await call.started();
        while (true) {
          const item = call.take();
          if (item !== undefined) {
            yield item;
            continue;
          }
          if (call.error) throw call.error;
          if (call.finished()) return;
          await call.more();
        }
      } finally {
        call.close();
      }
    },

    async embed(job) {
      const body: Record<string, unknown> = { model: upstreamModel(job.model), input: job.inputs };
      if (job.dimensions !== undefined) body.dimensions = job.dimensions;
      const res = await post("/embeddings", body, job.signal);
      const json = (await res.body.json()) as {
        data?: { index: number; embedding: number[] }[];
        usage?: { prompt_tokens?: number };
      };
      const data = [...(json.data ?? [])].sort((a, b) => a.index - b.index);
      if (data.length !== job.inputs.length)
        throw new BackendUnavailableError("upstream returned the wrong number of embeddings");
      return {
        vectors: data.map((d) => d.embedding),
        usage: { promptTokens: json.usage?.prompt_tokens ?? null, completionTokens: 0 },
      };
    },

    close: () => pool.close(),
  };
}
