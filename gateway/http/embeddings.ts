import { Hono } from "hono";
import { z } from "zod";
import { invalidRequest, modelNotFound } from "../errors.js";
import { runEmbedding } from "../jobs/runEmbedding.js";
import type { AppEnv, HttpDeps } from "./context.js";
import { readJsonBody } from "./json.js";
import { parseBody } from "./validate.js";

/** `POST /v1/embeddings`: OpenAI's request, strict. */
export const embeddingRequestSchema = z.strictObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.number().int().min(1).max(8192).optional(),
  user: z.string().max(256).optional(),
});

/** A float vector as OpenAI's base64 encoding: little-endian float32 bytes. */
function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}

/** `POST /embeddings`, metered on the prompt tokens. */
export function embeddingRoutes(deps: HttpDeps) {
  const app = new Hono<AppEnv>();
  app.post("/embeddings", async (c) => {
    const body = parseBody(embeddingRequestSchema, await readJsonBody(c));
    const model = deps.catalog.get(body.model);
    if (model?.kind !== "embedding") throw modelNotFound(body.model);
    const inputs = typeof body.input === "string" ? [body.input] : body.input;
    const tokenizer = deps.tokenizer(model.tokenizer);
    const counts = inputs.map((text) => tokenizer.count(text));
    const over = counts.findIndex((n) => n > model.contextWindow);
    if (inputs.some((text) => text === "")) throw invalidRequest("input must not contain empty strings.", "input");
    if (over >= 0) {
      throw invalidRequest(
        `input[${over}] has ${counts[over]} tokens; this model accepts ${model.contextWindow}.`,
        "input",
        "context_length_exceeded",
      );
    }
    const promptTokens = counts.reduce((a, b) => a + b, 0);
    const result = await runEmbedding(deps, {
      jobId: `emb-${deps.newJobId()}`,
      account: c.get("account"),
      apiKeyId: c.get("apiKeyId"),
      model,
      inputs,
      inputArray: Array.isArray(body.input),
      promptTokens,
      dimensions: body.dimensions,
      signal: c.req.raw.signal,
    });
    c.header("x-basis-receipt", result.receiptHash);
    const base64 = body.encoding_format === "base64";
    return c.json({
      object: "list",
      model: model.id,
      data: result.vectors.map((vector, index) => ({
        object: "embedding",
        index,
        embedding: base64 ? toBase64(vector) : vector,
      })),
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens, charged: result.charged.toString() },
      receipt_hash: result.receiptHash,
    });
  });
  return app;
}
