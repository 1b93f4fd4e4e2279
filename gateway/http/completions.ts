import { Hono } from "hono";
import { invalidRequest, modelNotFound } from "../errors.js";
import { runGeneration } from "../jobs/runGeneration.js";
import type { AppEnv, HttpDeps } from "./context.js";
import { readJsonBody } from "./json.js";
import { completionCap } from "./limits.js";
import { completionRequestSchema } from "./schemas/completions.js";
import { openAIFormat, streamGeneration, usageOf } from "./sse.js";
import { parseBody } from "./validate.js";

type Logprobs = { tokens?: unknown[]; token_logprobs?: unknown[]; top_logprobs?: unknown[]; text_offset?: unknown[] };

/** Appends one delta's completion logprobs to a choice's (the arrays are concatenated). */
function mergeLogprobs(into: Logprobs | null, more: unknown): Logprobs | null {
  if (!more || typeof more !== "object") return into;
  const next = more as Logprobs;
  const base = into ?? { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  for (const key of ["tokens", "token_logprobs", "top_logprobs", "text_offset"] as const) {
    if (Array.isArray(next[key])) base[key] = [...(base[key] ?? []), ...(next[key] as unknown[])];
  }
  return base;
}

/** `POST /completions`: base models; logprobs, echo and prompt logprobs are the backend's, passed through. */
export function completionRoutes(deps: HttpDeps) {
  const app = new Hono<AppEnv>();

  app.post("/completions", async (c) => {
    const body = parseBody(completionRequestSchema, await readJsonBody(c));
    const model = deps.catalog.get(body.model);
    if (model?.kind !== "chat") throw modelNotFound(body.model);
    const tokenizer = deps.tokenizer(model.tokenizer);
    const prompts = typeof body.prompt === "string" ? [body.prompt] : body.prompt;
    if (prompts.some((p) => p === "")) throw invalidRequest("prompt must not be empty.", "prompt");
    const longest = Math.max(...prompts.map((p) => tokenizer.count(p)));
    const promptTokens = prompts.reduce((sum, p) => sum + tokenizer.count(p), 0);
    const maxTokens = completionCap(model, longest, body.max_tokens ?? 16, "max_tokens", "prompt");
    const n = body.n ?? 1;
    const choices = prompts.length * n;
    const { model: _m, stream: wantStream, stream_options, user: _u, ...rest } = body;
    const jobId = `cmpl-${deps.newJobId()}`;
    const created = Math.floor(deps.clock().getTime() / 1000);
    const request = {
      jobId,
      account: c.get("account"),
      apiKeyId: c.get("apiKeyId"),
      model,
      endpoint: "completion" as const,
      body: { ...rest, max_tokens: maxTokens },
      promptText: typeof body.prompt === "string" ? body.prompt : JSON.stringify(body.prompt),
      promptTokens,
      maxTokens,
      choices,
      echo: body.echo ? Array.from({ length: choices }, (_, i) => prompts[Math.floor(i / n)] ?? "") : undefined,
    };

    if (!wantStream) {
      const texts = Array.from({ length: choices }, () => "");
      const logprobs: (Logprobs | null)[] = Array.from({ length: choices }, () => null);
      const result = await runGeneration(deps, { ...request, signal: c.req.raw.signal }, (delta) => {
        texts[delta.index] += delta.text;
        logprobs[delta.index] = mergeLogprobs(logprobs[delta.index] ?? null, delta.logprobs);
      });
      c.header("x-basis-receipt", result.receiptHash);
      return c.json({
        id: jobId,
        object: "text_completion",
        created,
        model: model.id,
        choices: texts.map((text, index) => ({
          index,
          text,
          logprobs: logprobs[index] ?? null,
          finish_reason: result.finishReasons[index] ?? "stop",
        })),
        usage: usageOf(result),
        receipt_hash: result.receiptHash,
      });
    }

    return streamGeneration(
      c,
      deps,
      request,
      openAIFormat({
        choices,
        envelope: { id: jobId, object: "text_completion", created, model: model.id },
        delta: (d) => ({ index: d.index, text: d.text, logprobs: d.logprobs ?? null, finish_reason: null }),
        finish: (index, reason) => ({ index, text: "", logprobs: null, finish_reason: reason }),
        includeUsage: stream_options?.include_usage === true,
      }),
    );
  });

  return app;
}
