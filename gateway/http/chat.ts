import { Hono } from "hono";
import { modelNotFound } from "../errors.js";
import { runGeneration } from "../jobs/runGeneration.js";
import type { AppEnv, HttpDeps } from "./context.js";
import { readJsonBody } from "./json.js";
import { completionCap } from "./limits.js";
import { chatRequestSchema, messageText } from "./schemas/chat.js";
import { openAIFormat, streamGeneration, usageOf } from "./sse.js";
import { parseBody } from "./validate.js";

/** `POST /chat/completions`: OpenAI chat, non-streaming and SSE, metered and receipted. */
export function chatRoutes(deps: HttpDeps) {
  const app = new Hono<AppEnv>();

  app.post("/chat/completions", async (c) => {
    const body = parseBody(chatRequestSchema, await readJsonBody(c));
    const model = deps.catalog.get(body.model);
    if (model?.kind !== "chat") throw modelNotFound(body.model);
    const tokenizer = deps.tokenizer(model.tokenizer);
    const messages = body.messages.map((m) => ({
      role: m.role,
      content: messageText(m.content),
      ...(m.name === undefined ? {} : { name: m.name }),
    }));
    const promptTokens = tokenizer.countChat(messages);
    const requested = body.max_completion_tokens ?? body.max_tokens ?? null;
    const param = body.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
    const maxTokens = completionCap(model, promptTokens, requested, param, "messages");
    const choices = body.n ?? 1;
    const { model: _m, stream: wantStream, stream_options, max_completion_tokens: _mc, user: _u, ...rest } = body;
    const jobId = `chatcmpl-${deps.newJobId()}`;
    const created = Math.floor(deps.clock().getTime() / 1000);
    const request = {
      jobId,
      account: c.get("account"),
      apiKeyId: c.get("apiKeyId"),
      model,
      endpoint: "chat" as const,
      body: { ...rest, messages, max_tokens: maxTokens },
      promptText: JSON.stringify(messages),
      promptTokens,
      maxTokens,
      choices,
    };

    if (!wantStream) {
      const texts = Array.from({ length: choices }, () => "");
      const result = await runGeneration(deps, { ...request, signal: c.req.raw.signal }, (delta) => {
        texts[delta.index] += delta.text;
      });
      c.header("x-basis-receipt", result.receiptHash);
      return c.json({
        id: jobId,
        object: "chat.completion",
        created,
        model: model.id,
        choices: texts.map((content, index) => ({
          index,
          message: { role: "assistant", content },
          finish_reason: result.finishReasons[index] ?? "stop",
          logprobs: null,
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
        envelope: { id: jobId, object: "chat.completion.chunk", created, model: model.id },
        opening: (index) => ({ index, delta: { role: "assistant", content: "" }, finish_reason: null }),
        delta: (d) => ({ index: d.index, delta: { content: d.text }, finish_reason: null }),
        finish: (index, reason) => ({ index, delta: {}, finish_reason: reason }),
        includeUsage: stream_options?.include_usage === true,
      }),
    );
  });

  return app;
}
