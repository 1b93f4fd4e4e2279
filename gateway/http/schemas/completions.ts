import { z } from "zod";
import { samplingShape } from "./common.js";

/** `POST /v1/completions` for base models: strict, with logprobs, echo and prompt logprobs passed to the backend. */
export const completionRequestSchema = z.strictObject({
  ...samplingShape,
  prompt: z.union([z.string(), z.array(z.string()).min(1).max(16)]),
  logprobs: z.number().int().min(0).max(20).nullable().optional(),
  /** vLLM's extension: log probabilities of the prompt tokens. */
  prompt_logprobs: z.number().int().min(0).max(20).nullable().optional(),
  echo: z.boolean().nullable().optional(),
  suffix: z.null().optional(),
  best_of: z.literal(1).nullable().optional(),
});

export type CompletionRequest = z.infer<typeof completionRequestSchema>;
