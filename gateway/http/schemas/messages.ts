import { z } from "zod";

const textBlock = z.strictObject({ type: z.literal("text"), text: z.string(), cache_control: z.unknown().optional() });
const content = z.union([z.string(), z.array(textBlock).min(1)]);

/** `POST /v1/messages` in Anthropic's request shape (text content), strict. */
export const messagesRequestSchema = z.strictObject({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z
    .array(z.strictObject({ role: z.enum(["user", "assistant"]), content }))
    .min(1, "must contain at least one message"),
  system: content.optional(),
  stop_sequences: z.array(z.string().min(1)).max(4).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.number().int().min(1).optional(),
  metadata: z.strictObject({ user_id: z.string().max(256).optional() }).optional(),
});

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;

/** The text of an Anthropic content value. */
export function contentText(value: string | { text: string }[]): string {
  return typeof value === "string" ? value : value.map((b) => b.text).join("");
}
