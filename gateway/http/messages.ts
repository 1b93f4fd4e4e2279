import { Hono } from "hono";
import { errorEnvelope, modelNotFound } from "../errors.js";
import { type GenerationResult, runGeneration } from "../jobs/runGeneration.js";
import type { AppEnv, HttpDeps } from "./context.js";
import { readJsonBody } from "./json.js";
import { completionCap } from "./limits.js";
import { contentText, messagesRequestSchema } from "./schemas/messages.js";
import { streamGeneration } from "./sse.js";
import { parseBody } from "./validate.js";

const event = (type: string, payload: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;

const stopReason = (result: GenerationResult) => (result.finishReasons[0] === "length" ? "max_tokens" : "end_turn");

const usage = (result: GenerationResult) => ({
  input_tokens: result.promptTokens,
  output_tokens: result.completionTokens,
  charged: result.charged.toString(),
});

/**
 * `POST /messages`: Anthropic's Messages API shape over the same metered chat job (text content;
 * streaming with Anthropic's event sequence). Errors stay in the gateway's one envelope.
 */
export function messagesRoutes(deps: HttpDeps) {
  const app = new Hono<AppEnv>();

  app.post("/messages", async (c) => {
    const body = parseBody(messagesRequestSchema, await readJsonBody(c));
    const model = deps.catalog.get(body.model);
    if (model?.kind !== "chat") throw modelNotFound(body.model);
    const tokenizer = deps.tokenizer(model.tokenizer);
    const messages = [
      ...(body.system === undefined ? [] : [{ role: "system", content: contentText(body.system) }]),
      ...body.messages.map((m) => ({ role: m.role, content: contentText(m.content) })),
    ];
    const promptTokens = tokenizer.countChat(messages);
    const maxTokens = completionCap(model, promptTokens, body.max_tokens, "max_tokens", "messages");
    const forwarded: Record<string, unknown> = { messages, max_tokens: maxTokens };
    if (body.stop_sequences) forwarded.stop = body.stop_sequences;
    if (body.temperature !== undefined) forwarded.temperature = body.temperature;
    if (body.top_p !== undefined) forwarded.top_p = body.top_p;
    if (body.top_k !== undefined) forwarded.top_k = body.top_k;
    const id = `msg_${deps.newJobId()}`;
    const request = {
      jobId: id,
      account: c.get("account"),
      apiKeyId: c.get("apiKeyId"),
      model,
      endpoint: "chat" as const,
      body: forwarded,
      promptText: JSON.stringify(messages),
      promptTokens,
      maxTokens,
      choices: 1,
    };
    const message = { id, type: "message", role: "assistant", model: model.id, stop_sequence: null };

    if (!body.stream) {
      let text = "";
      const result = await runGeneration(deps, { ...request, signal: c.req.raw.signal }, (delta) => {
        text += delta.text;
      });
      c.header("x-basis-receipt", result.receiptHash);
      return c.json({
        ...message,
        content: [{ type: "text", text }],
        stop_reason: stopReason(result),
        usage: usage(result),
        receipt_hash: result.receiptHash,
      });
    }

    return streamGeneration(c, deps, request, {
      open: () =>
        event("message_start", {
          message: {
            ...message,
            content: [],
            stop_reason: null,
            usage: { input_tokens: promptTokens, output_tokens: 0 },
          },
        }) +
        event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }) +
        event("ping", {}),
      delta: (d) => event("content_block_delta", { index: 0, delta: { type: "text_delta", text: d.text } }),
      close: (result) =>
        event("content_block_stop", { index: 0 }) +
        event("message_delta", {
          delta: { stop_reason: stopReason(result), stop_sequence: null },
          usage: usage(result),
          receipt_hash: result.receiptHash,
        }) +
        event("message_stop", {}),
      fail: (error, result) => {
        const envelope = errorEnvelope(error).error;
        const message = result ? `The backend failed mid-stream: ${(error as Error).message}` : envelope.message;
        return event("error", { error: { type: "api_error", message }, receipt_hash: result?.receiptHash ?? null });
      },
    });
  });

  return app;
}
