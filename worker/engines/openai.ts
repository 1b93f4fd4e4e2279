/**
 * An OpenAI-compatible engine by base URL: vLLM, SGLang, llama.cpp's server, Ollama, TGI… The worker
 * streams from it exactly as the gateway streams from its own upstream.
 */
import { request } from "undici";
import { createUpstreamBackend } from "../../gateway/routing/upstream.js";
import type { Engine, ModelHealth, ModelMapping } from "./engine.js";

export type OpenAIEngineOptions = {
  /** Base URL including the version prefix, e.g. `http://127.0.0.1:8000/v1`. */
  url: string;
  apiKey?: string;
  models: readonly ModelMapping[];
  timeoutMs?: number;
  /** How often an unreachable engine is probed again. */
  probeEveryMs?: number;
};

/** The engine is ready once `GET {url}/models` answers 200; until then its models are `loading`. */
export function createOpenAIEngine(opts: OpenAIEngineOptions): Engine {
  const upstream = createUpstreamBackend({
    url: opts.url,
    apiKey: opts.apiKey,
    models: Object.fromEntries(opts.models.map((m) => [m.id, m.engineModel])),
    serves: opts.models.map((m) => m.id),
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
  let state: ModelHealth = "loading";
  let timer: NodeJS.Timeout | null = null;
  const listeners: (() => void)[] = [];
  const set = (next: ModelHealth) => {
    if (next === state) return;
    state = next;
    for (const l of listeners) l();
  };

  async function probe(): Promise<boolean> {
    try {
      const res = await request(`${opts.url.replace(/\/$/, "")}/models`, {
        headers: opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {},
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      });
      await res.body.dump();
      return res.statusCode === 200;
    } catch {
      return false;
    }
  }

  const watch = async () => {
    set((await probe()) ? "ready" : state === "loading" ? "loading" : "unavailable");
    timer = setTimeout(watch, state === "ready" ? 30_000 : (opts.probeEveryMs ?? 2_000));
    timer.unref();
  };

  return {
    models: () => opts.models.map((m) => ({ id: m.id, state })),
    onStateChange: (listener) => void listeners.push(listener),
    async start() {
      await watch();
    },
    generate: (job) => upstream.generate(job),
    embed: (job) => upstream.embed(job),
    async close() {
      if (timer) clearTimeout(timer);
      await upstream.close();
    },
  };
}
