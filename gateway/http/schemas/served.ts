import { z } from "zod";

/** Bucket widths of `GET /api/account/served/summary`, in seconds: a minute to a week. */
export const SERVED_BUCKET_SECONDS = [60, 300, 900, 3_600, 21_600, 86_400, 604_800] as const;

const baseUnits = z.string().regex(/^\d+$/).describe("base units of the credit token (18 decimals), decimal string");
const isoTime = z.iso.datetime();

/** `GET /api/account/served`: a page of the jobs the account's workers served, newest first. */
export const servedListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe("page size, 1 to 100"),
  cursor: z
    .string()
    .regex(/^\d{1,19}$/, "a next_cursor of a previous page")
    .optional()
    .describe("the previous page's `next_cursor`"),
});

/** `GET /api/account/served/summary`: totals of every job served, and a series of the latest buckets. */
export const servedSummaryQuerySchema = z.object({
  bucket: z
    .enum(["auto", ...SERVED_BUCKET_SECONDS.map(String)] as [string, ...string[]])
    .default("auto")
    .describe(
      "bucket width in seconds; `auto`: the finest width whose `buckets` cover the time since the first job served",
    ),
  buckets: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(24)
    .describe("how many buckets, ending with the current one"),
});

/** One served job, as `GET /api/account/served` lists it. */
export const servedJobSchema = z.object({
  job_id: z.string(),
  receipt_hash: z.string(),
  worker_id: z.string().nullable().describe("the worker (payout address + name) that served it"),
  model: z.string(),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  charged: baseUnits,
  reward: baseUnits,
  status: z.enum(["recorded", "settled", "refunded"]),
  completed_at: isoTime,
});

export const servedListSchema = z.object({
  object: z.literal("list"),
  data: z.array(servedJobSchema),
  next_cursor: z.string().nullable(),
});

const sums = {
  jobs: z.number().int(),
  completion_tokens: z.string().regex(/^\d+$/),
  charged: baseUnits,
  rewards: baseUnits,
};

export const servedSummarySchema = z.object({
  object: z.literal("served_summary"),
  account: z.string(),
  totals: z.object({
    ...sums,
    prompt_tokens: z.string().regex(/^\d+$/),
    first_completed_at: isoTime.nullable(),
    last_completed_at: isoTime.nullable(),
  }),
  bucket_seconds: z.number().int(),
  series: z
    .array(z.object({ start: isoTime, ...sums }))
    .describe("`buckets` buckets, oldest first, empty ones included, the last holding now"),
});

export type ServedListQuery = z.infer<typeof servedListQuerySchema>;
export type ServedSummaryQuery = z.infer<typeof servedSummaryQuerySchema>;
