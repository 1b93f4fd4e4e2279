import { z } from "zod";

/** Sampling controls shared by chat and completions; vLLM/llama.cpp extensions included. */
export const samplingShape = {
  model: z.string().min(1),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.number().int().min(-1).optional(),
  min_p: z.number().min(0).max(1).optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  repetition_penalty: z.number().gt(0).max(10).optional(),
  n: z.number().int().min(1).max(8).optional(),
  stop: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1).max(4)])
    .nullable()
    .optional(),
  seed: z.number().int().optional(),
  max_tokens: z.number().int().min(1).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  logit_bias: z.record(z.string(), z.number().min(-100).max(100)).nullable().optional(),
  user: z.string().max(256).optional(),
};
