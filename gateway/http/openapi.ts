import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "./context.js";
import { embeddingRequestSchema } from "./embeddings.js";
import { chatRequestSchema } from "./schemas/chat.js";
import { completionRequestSchema } from "./schemas/completions.js";
import { messagesRequestSchema } from "./schemas/messages.js";
import {
  servedListQuerySchema,
  servedListSchema,
  servedSummaryQuerySchema,
  servedSummarySchema,
} from "./schemas/served.js";

const errorSchema = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: {
        message: { type: "string" },
        type: { type: "string" },
        param: { type: ["string", "null"] },
        code: { type: ["string", "null"] },
      },
      required: ["message", "type", "param", "code"],
    },
  },
};

const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return rest;
};

const errors = Object.fromEntries(
  [
    ["400", "Invalid request: `param` names the parameter"],
    ["401", "Missing, unknown or revoked API key"],
    ["402", "insufficient_credits"],
    ["403", "budget_exceeded"],
    ["404", "model_not_found"],
    ["409", "Idempotency-Key reused with another body, or still running"],
    ["413", "Body over the limit"],
    ["429", "Rate limited (Retry-After, x-ratelimit-*)"],
    ["502", "The backend failed before the first token"],
    ["503", "runtime_pending (Retry-After)"],
  ].map(([status, description]) => [
    status,
    { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
  ]),
);

const generation = (summary: string, schema: z.ZodType, streams: boolean) => ({
  post: {
    summary,
    security: [{ bearer: [] }],
    parameters: [
      { name: "Idempotency-Key", in: "header", required: false, schema: { type: "string", maxLength: 255 } },
    ],
    requestBody: { required: true, content: { "application/json": { schema: jsonSchema(schema) } } },
    responses: {
      "200": {
        description: streams
          ? "JSON, or Server-Sent Events when `stream` is true; `x-basis-receipt` (or the last chunk's `receipt_hash`) names the receipt"
          : "JSON; `x-basis-receipt` names the receipt",
      },
      ...errors,
    },
  },
});

/** The query parameters of a zod object schema, as OpenAPI parameters. */
const queryParameters = (schema: z.ZodObject) =>
  Object.entries((jsonSchema(schema) as { properties: Record<string, { description?: string }> }).properties).map(
    ([name, { description, ...rest }]) => ({ name, in: "query", required: false, description, schema: rest }),
  );

/** A GET behind Sign-In with Ethereum (`Authorization: Bearer <session token>`), answering `answer`. */
const sessionGet = (summary: string, query: z.ZodObject, answer: z.ZodType) => ({
  get: {
    summary,
    security: [{ session: [] }],
    parameters: queryParameters(query),
    responses: {
      "200": { description: "JSON", content: { "application/json": { schema: jsonSchema(answer) } } },
      "400": errors["400"],
      "401": { ...errors["401"], description: "Missing or expired session" },
    },
  },
});

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate the requests. */
export function openApiDocument() {
  const paths: Record<string, unknown> = {
    "/v1/chat/completions": generation("Chat completion (OpenAI)", chatRequestSchema, true),
    "/v1/completions": generation("Text completion for base models (OpenAI)", completionRequestSchema, true),
    "/v1/messages": generation("Messages (Anthropic shape)", messagesRequestSchema, true),
    "/v1/embeddings": generation("Embeddings (OpenAI)", embeddingRequestSchema, false),
    "/v1/models": {
      get: { summary: "The models, their prices and availability", responses: { "200": { description: "list" } } },
    },
    "/v1/models/{id}": {
      get: {
        summary: "One model",
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
        responses: { "200": { description: "model" }, "404": errors["404"] },
      },
    },
    "/v1/models/{id}/health": {
      get: {
        summary: "ready | loading | unavailable",
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
        responses: { "200": { description: "health" }, "404": errors["404"] },
      },
    },
    "/api/launch-status": {
      get: { summary: "The runtime mode and contract configuration", responses: { "200": { description: "status" } } },
    },
    "/api/inference/receipts": {
      get: { summary: "Recent receipts, newest first", responses: { "200": { description: "list" } } },
    },
    "/api/inference/receipts/{id}": {
      get: {
        summary: "A receipt by hash or job id, with `verified`",
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
        responses: { "200": { description: "receipt" }, "404": errors["404"] },
      },
    },
    "/api/account/served": sessionGet(
      "Jobs the account's workers served, newest first (cursor pagination)",
      servedListQuerySchema,
      servedListSchema,
    ),
    "/api/account/served/summary": sessionGet(
      "Totals of the jobs the account's workers served, and jobs, credits and rewards per time bucket",
      servedSummaryQuerySchema,
      servedSummarySchema,
    ),
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Basis gateway",
      version: "1",
      description: "OpenAI-compatible, metered, with verifiable receipts. Also served under /api/v1.",
    },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        session: {
          type: "http",
          scheme: "bearer",
          description: "A Sign-In with Ethereum session token (GET /api/auth/nonce, POST /api/auth/verify)",
        },
      },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}

/** `GET /openapi.json` and interactive docs at `GET /docs`. */
export function openApiRoutes() {
  const app = new Hono<AppEnv>();
  const document = openApiDocument();
  app.get("/openapi.json", (c) => c.json(document));
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "Basis gateway API" }));
  return app;
}
