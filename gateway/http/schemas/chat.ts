import { z } from "zod";
import { samplingShape } from "./common.js";

const textPart = z.strictObject({ type: z.literal("text"), text: z.string() });

const message = z.strictObject({
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: z.union([z.string(), z.array(textPart).min(1)]),
  name: z.string().max(64).optional(),
});

/** `POST /v1/chat/completions`: OpenAI's request, strict (a mistyped parameter is a 400 naming it). */
export const chatRequestSchema = z.strictObject({
  ...samplingShape,
  messages: z.array(message).min(1, "must contain at least one message"),
  max_completion_tokens: z.number().int().min(1).nullable().optional(),
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
  response_format: z.strictObject({ type: z.enum(["text", "json_object"]) }).optional(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** The text of a message's content (text parts joined). */
export function messageText(content: ChatRequest["messages"][number]["content"]): string {
  return typeof content === "string" ? content : content.map((p) => p.text).join("");
}
