import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { type Address, type Hex, recoverMessageAddress } from "viem";
import { z } from "zod";
import { chargeFor, MAX_MULTIPLIER_BPS, type Price, rewardFor, type TokenCounts } from "./pricing.js";

/**
 * The receipt of one finished job (DESIGN §4). The core is hashed and never changes:
 * `receiptHash = 0x + hex(SHA-256(JCS(core)))`, JCS being RFC 8785 canonical JSON (keys sorted by UTF-16
 * code units, no whitespace, integers as plain numbers). Amounts are decimal strings of base units.
 */

const MAX_UINT256 = 2n ** 256n - 1n;
const lowercaseAddress = z.string().regex(/^0x[0-9a-f]{40}$/, "expected a lowercase 0x-prefixed 20-byte address");
/** `0x` + 64 lowercase hex digits: a SHA-256 digest, a receipt hash, a merkle node, a transaction hash. */
export const hexDigestSchema = z.string().regex(/^0x[0-9a-f]{64}$/, "expected 0x + 64 lowercase hex digits");
const digest = hexDigestSchema;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
/** A uint256 as a canonical decimal string: digits only, no sign, no leading zero. */
export const decimalSchema = z
  .string()
  .regex(DECIMAL, "expected a canonical decimal string (digits, no leading zero)")
  .refine((s) => !DECIMAL.test(s) || (s.length <= 78 && BigInt(s) <= MAX_UINT256), "expected at most 2^256 - 1");
const decimal = decimalSchema;
/** RFC 3339 UTC with milliseconds, exactly as `Date.prototype.toISOString` writes it, and a real date. */
export const timestampSchema = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
    "expected RFC 3339 UTC with milliseconds, e.g. 2026-11-21T10:00:00.000Z",
  )
  .refine((s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString() === s, "expected a valid date and time");
const timestamp = timestampSchema;
/** A non-empty string that JCS can serialize (no lone UTF-16 surrogate). */
const text = z
  .string()
  .min(1)
  .refine((s) => !/\p{Cs}/u.test(s), "must not contain a lone UTF-16 surrogate");
const tokens = z.int().nonnegative();
/** Cross-field rules run only on a value whose every field is well-formed (zod runs them after field issues otherwise). */
const onlyWhenWellFormed = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

/** How a job ended: `stop` (natural end), `length` (hit the cap), `cancelled` (client went away), `failed` (after output). */
export const finishReasonSchema = z.enum(["stop", "length", "cancelled", "failed"]);

/**
 * The hashed core of a receipt, strict: every field required, unknown keys rejected, and the money
 * consistent with the counts (`charged` = `chargeFor`, `reward` = `rewardFor`, 0 without a worker),
 * `completedAt` not before `startedAt`.
 */
export const receiptCoreSchema = z
  .strictObject({
    version: z.literal(1),
    jobId: text,
    model: text,
    account: lowercaseAddress,
    worker: lowercaseAddress.nullable(),
    tokenizer: text,
    promptTokens: tokens,
    completionTokens: tokens,
    promptPrice: decimal,
    completionPrice: decimal,
    multiplierBps: z.int().min(0).max(Number(MAX_MULTIPLIER_BPS)),
    rewardBps: z.int().min(0).max(10_000),
    charged: decimal,
    reward: decimal,
    finishReason: finishReasonSchema,
    promptDigest: digest,
    outputDigest: digest,
    startedAt: timestamp,
    completedAt: timestamp,
  })
  .superRefine((core, ctx) => {
    const charged = chargeFor(core, {
      promptPrice: BigInt(core.promptPrice),
      completionPrice: BigInt(core.completionPrice),
      multiplierBps: BigInt(core.multiplierBps),
    });
    if (BigInt(core.charged) !== charged) {
      ctx.addIssue({ code: "custom", path: ["charged"], message: `expected ${charged} from the counts and prices` });
    }
    const reward = rewardFor(BigInt(core.charged), BigInt(core.rewardBps), core.worker === null ? "gateway" : "worker");
    if (BigInt(core.reward) !== reward) {
      ctx.addIssue({
        code: "custom",
        path: ["reward"],
        message: `expected ${reward} from charged, rewardBps and worker`,
      });
    }
    if (core.completedAt < core.startedAt) {
      ctx.addIssue({ code: "custom", path: ["completedAt"], message: "must not be before startedAt" });
    }
  }, onlyWhenWellFormed);

/** The hashed, immutable core of a receipt. */
export type ReceiptCore = z.infer<typeof receiptCoreSchema>;
/** How a job ended. */
export type FinishReason = z.infer<typeof finishReasonSchema>;

/** Thrown when a value is not a valid receipt core; `issues` name the fields (`path: message`). */
export class InvalidReceiptError extends Error {
  override name = "InvalidReceiptError";
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`invalid receipt core: ${issues.join("; ")}`);
    this.issues = issues;
  }
}

/**
 * Validates a receipt core.
 * @param value Anything, e.g. a stored or received JSON object.
 * @returns The core, typed.
 * @throws InvalidReceiptError naming every bad field.
 * @example parseReceiptCore(JSON.parse(body))
 */
export function parseReceiptCore(value: unknown): ReceiptCore {
  const parsed = receiptCoreSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new InvalidReceiptError(parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`));
}

/**
 * SHA-256 of a text's UTF-8 bytes, as a receipt's `promptDigest` / `outputDigest`. A lone surrogate is
 * encoded as U+FFFD (EF BF BD), as every WHATWG/Node UTF-8 encoder does.
 * @param text The exact text.
 * @returns `0x` + 64 lowercase hex digits.
 * @example sha256Digest("") // 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
 */
export function sha256Digest(text: string): Hex {
  return `0x${createHash("sha256").update(text, "utf8").digest("hex")}`;
}

/**
 * The RFC 8785 (JCS) canonical JSON of a receipt core: the exact bytes that are hashed.
 * @param core A receipt core (validated first).
 * @returns Sorted keys, no whitespace, e.g. `{"account":"0x…","charged":"35",…,"worker":null}`.
 * @throws InvalidReceiptError when `core` is not a valid receipt core.
 */
export function canonicalReceipt(core: ReceiptCore): string {
  const json = canonicalize(parseReceiptCore(core));
  if (json === undefined) throw new InvalidReceiptError(["(root): not serializable"]);
  return json;
}

/**
 * The receipt hash: `0x + hex(SHA-256(JCS(core)))`, the leaf value of settlement batches and what the attester signs.
 * @param core A receipt core (validated first).
 * @returns The 32-byte hash.
 * @throws InvalidReceiptError when `core` is not a valid receipt core.
 * @example receiptHash(core) // 0x6b…
 */
export function receiptHash(core: ReceiptCore): Hex {
  return sha256Digest(canonicalReceipt(core));
}

/**
 * Recovers the address that signed a receipt hash with EIP-191 personal-sign
 * (`keccak256("\x19Ethereum Signed Message:\n32" ‖ hash)`); compare it with the attester registered on-chain.
 * @param hash The receipt hash (32 bytes).
 * @param signature 65 bytes `r ‖ s ‖ v`.
 * @returns The signer's checksummed address.
 * @example (await verifyReceiptSignature(hash, sig)) === await registry.read.attester()
 */
export async function verifyReceiptSignature(hash: Hex, signature: Hex): Promise<Address> {
  if (!digest.safeParse(hash).success) throw new InvalidReceiptError(["hash: expected 0x + 64 lowercase hex digits"]);
  return recoverMessageAddress({ message: { raw: hash }, signature });
}

/** What `createReceiptCore` needs: the job's facts; the money is derived from them. */
export type CreateReceiptCoreParameters = {
  jobId: string;
  model: string;
  account: Address;
  /** The contributor worker's payout address, or null when the gateway's own upstream served the job. */
  worker: Address | null;
  tokenizer: string;
  counts: TokenCounts;
  price: Price;
  rewardBps: bigint;
  finishReason: FinishReason;
  promptDigest: Hex;
  outputDigest: Hex;
  startedAt: Date;
  completedAt: Date;
};

/**
 * Builds a receipt core from a job's facts: computes `charged` and `reward`, lowercases addresses, writes the
 * times as RFC 3339 UTC with milliseconds, and validates the result.
 * @returns The core, ready for `receiptHash`.
 * @throws InvalidReceiptError or PricingInputError for invalid facts.
 * @example createReceiptCore({ jobId, model: "basis-default", account, worker: null, tokenizer: "o200k_base", counts, price, rewardBps: 7_000n, finishReason: "stop", promptDigest, outputDigest, startedAt, completedAt })
 */
export function createReceiptCore(p: CreateReceiptCoreParameters): ReceiptCore {
  return parseReceiptCore(receiptCoreFields(p));
}

/**
 * The fields of a job's receipt core from its facts (charge and reward computed, addresses lowercased, times in
 * RFC 3339 UTC with milliseconds), not yet validated: `createReceiptCore` validates them with the zod schema, the
 * gateway's request path with its faster equivalent (gateway/receipts/core.ts).
 */
export function receiptCoreFields(p: CreateReceiptCoreParameters) {
  const charged = chargeFor(p.counts, p.price);
  const reward = rewardFor(charged, p.rewardBps, p.worker === null ? "gateway" : "worker");
  return {
    version: 1 as const,
    jobId: p.jobId,
    model: p.model,
    account: p.account.toLowerCase(),
    worker: p.worker === null ? null : p.worker.toLowerCase(),
    tokenizer: p.tokenizer,
    promptTokens: p.counts.promptTokens,
    completionTokens: p.counts.completionTokens,
    promptPrice: p.price.promptPrice.toString(),
    completionPrice: p.price.completionPrice.toString(),
    multiplierBps: Number(p.price.multiplierBps),
    rewardBps: Number(p.rewardBps),
    charged: charged.toString(),
    reward: reward.toString(),
    finishReason: p.finishReason,
    promptDigest: p.promptDigest,
    outputDigest: p.outputDigest,
    startedAt: p.startedAt.toISOString(),
    completedAt: p.completedAt.toISOString(),
  };
}
