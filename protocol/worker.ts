/**
 * The worker protocol: JSON text frames over one WebSocket that the worker opens to the gateway
 * (`GET /v1/workers/connect`). Both sides validate every frame they receive with these schemas.
 *
 * 1. gateway → `challenge` (a one-time nonce);
 * 2. worker → `hello`: its worker token, payout address, the EIP-191 signature of
 *    {@link workerChallengeMessage} by that address, its name, concurrency and models;
 * 3. gateway → `welcome` (or `refused`, then close);
 * 4. gateway → `job` / `cancel`; worker → `delta` / `usage` / `done` / `fail` / `embedding` /
 *    `models`; gateway → `ack` as it relays deltas (per-job flow control: a worker may have at most
 *    {@link JOB_WINDOW} deltas of a job unacknowledged).
 */
import { z } from "zod";

export const WORKER_PROTOCOL_VERSION = 1;
/** The largest frame either side accepts; a bigger one closes the connection (1009). */
export const MAX_FRAME_BYTES = 1_048_576;
/** Deltas of one job a worker may send before the gateway acknowledges them. */
export const JOB_WINDOW = 256;
/** The gateway acknowledges relayed deltas in steps of this many. */
export const ACK_EVERY = 64;
/** WebSocket close codes the gateway uses. */
export const CLOSE = {
  refused: 4001,
  protocolViolation: 4002,
  tokenRevoked: 4003,
  replaced: 4004,
  helloTimeout: 4005,
} as const;

/**
 * The text a worker signs (EIP-191 `personal_sign`) to prove control of its payout wallet for one
 * connection. The nonce is fresh per connection, so a signature cannot be replayed.
 */
export function workerChallengeMessage(p: { address: string; nonce: string }): string {
  return `Basis worker sign-in\nPayout address: ${p.address.toLowerCase()}\nNonce: ${p.nonce}`;
}

const id = z.string().min(1).max(64);
const modelId = z.string().min(1).max(128);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an 0x-prefixed 20-byte address");
export const modelStateSchema = z.strictObject({
  id: modelId,
  state: z.enum(["ready", "loading", "unavailable"]),
});
export type ModelState = z.infer<typeof modelStateSchema>;
const count = z.int().min(0).max(100_000_000).nullable();

/** Frames a worker sends. */
export const workerFrameSchema = z.discriminatedUnion("t", [
  z.strictObject({
    t: z.literal("hello"),
    protocol: z.literal(WORKER_PROTOCOL_VERSION),
    token: z.string().min(1).max(200),
    address,
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "a 65-byte hex signature"),
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, "1–64 letters, digits, '.', '_' or '-'")
      .optional(),
    concurrency: z.int().min(1).max(1_024),
    models: z.array(modelStateSchema).max(64),
  }),
  z.strictObject({ t: z.literal("models"), models: z.array(modelStateSchema).max(64) }),
  z.strictObject({
    t: z.literal("delta"),
    id,
    d: z
      .array(
        z.strictObject({
          i: z.int().min(0).max(127),
          text: z.string().max(65_536),
          finish: z.enum(["stop", "length"]).optional(),
          logprobs: z.unknown().optional(),
        }),
      )
      .min(1)
      .max(JOB_WINDOW),
  }),
  z.strictObject({ t: z.literal("usage"), id, promptTokens: count, completionTokens: count }),
  z.strictObject({ t: z.literal("done"), id }),
  z.strictObject({
    t: z.literal("fail"),
    id,
    message: z.string().max(2_000),
    /** True when nothing was produced and another worker may take the job. */
    retryable: z.boolean(),
  }),
  z.strictObject({
    t: z.literal("embedding"),
    id,
    vectors: z.array(z.array(z.number()).max(65_536)).max(2_048),
    promptTokens: count,
  }),
]);
export type WorkerFrame = z.infer<typeof workerFrameSchema>;

/** A job as the worker receives it: the OpenAI request body (model and max_tokens set by the gateway). */
export const jobFrameSchema = z.strictObject({
  t: z.literal("job"),
  id,
  /** Network model id; the worker maps it to its engine's model. */
  model: modelId,
  endpoint: z.enum(["chat", "completion", "embedding"]),
  body: z.record(z.string(), z.unknown()),
});
export type JobFrame = z.infer<typeof jobFrameSchema>;

/** Frames the gateway sends. */
export const gatewayFrameSchema = z.discriminatedUnion("t", [
  z.strictObject({ t: z.literal("challenge"), nonce: z.string(), protocol: z.int() }),
  z.strictObject({ t: z.literal("welcome"), workerId: z.string(), address }),
  z.strictObject({ t: z.literal("refused"), code: z.string(), message: z.string() }),
  jobFrameSchema,
  z.strictObject({ t: z.literal("cancel"), id }),
  z.strictObject({ t: z.literal("ack"), id, n: z.int().min(1) }),
]);
export type GatewayFrame = z.infer<typeof gatewayFrameSchema>;
