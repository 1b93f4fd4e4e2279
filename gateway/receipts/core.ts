/**
 * A finished job's receipt on the request path: its core, the core's RFC 8785 canonical JSON and the receipt hash,
 * built in one pass. The result is the one `protocol/receipt.ts` defines (`createReceiptCore`, then `receiptHash`),
 * which validates the core with zod twice and canonicalizes it with the `canonicalize` library, ~20 µs per receipt;
 * here the core is checked once by hand-written rules and serialized by a template of its fixed, sorted keys (~3 µs).
 * test/gateway/receiptCore.test.ts holds them to it on random cores: `isReceiptCore` accepts exactly what
 * `receiptCoreSchema` accepts, and `canonicalReceiptCore` writes exactly the bytes `canonicalize` writes.
 */
import { createHash } from "node:crypto";
import type { Hex } from "viem";
import { chargeFor, MAX_MULTIPLIER_BPS, rewardFor } from "../../protocol/pricing.js";
import {
  type CreateReceiptCoreParameters,
  parseReceiptCore,
  type ReceiptCore,
  receiptCoreFields,
} from "../../protocol/receipt.js";

const ADDRESS = /^0x[0-9a-f]{40}$/;
const DIGEST = /^0x[0-9a-f]{64}$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MAX_UINT256 = 2n ** 256n - 1n;
const MAX_MULTIPLIER = Number(MAX_MULTIPLIER_BPS);
const LONE_SURROGATE = /\p{Cs}/u;
const FINISH_REASONS: ReadonlySet<unknown> = new Set(["stop", "length", "cancelled", "failed"]);
const CORE_KEYS = 19;

/** A non-empty string with no lone UTF-16 surrogate (what JCS can serialize). */
const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0 && !LONE_SURROGATE.test(v);
/** A canonical decimal string of a uint256 (77 digits are always below 2^256; 78 may not be). */
const isDecimal = (v: unknown): v is string =>
  typeof v === "string" && DECIMAL.test(v) && (v.length < 78 || (v.length === 78 && BigInt(v) <= MAX_UINT256));
/** RFC 3339 UTC with milliseconds, exactly as `Date.prototype.toISOString` writes it, and a real date. */
const isTimestamp = (v: unknown): v is string =>
  typeof v === "string" && TIMESTAMP.test(v) && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString() === v;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isIntIn = (v: unknown, max: number): v is number =>
  Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= max;

/**
 * Whether a plain object is a valid receipt core: the same rules as `receiptCoreSchema` (every field, its format,
 * no other key, `charged` and `reward` consistent with the counts and prices, `completedAt` not before `startedAt`),
 * without zod.
 * @param v A plain object (own enumerable keys).
 * @returns True exactly when `receiptCoreSchema.safeParse(v).success`.
 * @example isReceiptCore(core) // true
 */
export function isReceiptCore(v: unknown): v is ReceiptCore {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const c = v as Record<string, unknown>;
  if (
    !(
      c.version === 1 &&
      isText(c.jobId) &&
      isText(c.model) &&
      typeof c.account === "string" &&
      ADDRESS.test(c.account) &&
      (c.worker === null || (typeof c.worker === "string" && ADDRESS.test(c.worker))) &&
      isText(c.tokenizer) &&
      isCount(c.promptTokens) &&
      isCount(c.completionTokens) &&
      isDecimal(c.promptPrice) &&
      isDecimal(c.completionPrice) &&
      isIntIn(c.multiplierBps, MAX_MULTIPLIER) &&
      isIntIn(c.rewardBps, 10_000) &&
      isDecimal(c.charged) &&
      isDecimal(c.reward) &&
      FINISH_REASONS.has(c.finishReason) &&
      typeof c.promptDigest === "string" &&
      DIGEST.test(c.promptDigest) &&
      typeof c.outputDigest === "string" &&
      DIGEST.test(c.outputDigest) &&
      isTimestamp(c.startedAt) &&
      isTimestamp(c.completedAt) &&
      Object.keys(c).length === CORE_KEYS
    )
  ) {
    return false;
  }
  const charged = chargeFor(
    { promptTokens: c.promptTokens, completionTokens: c.completionTokens },
    {
      promptPrice: BigInt(c.promptPrice),
      completionPrice: BigInt(c.completionPrice),
      multiplierBps: BigInt(c.multiplierBps),
    },
  );
  const reward = rewardFor(charged, BigInt(c.rewardBps), c.worker === null ? "gateway" : "worker");
  return BigInt(c.charged) === charged && BigInt(c.reward) === reward && c.completedAt >= c.startedAt;
}

/**
 * The RFC 8785 canonical JSON of a valid receipt core: its 19 keys in UTF-16 order, no whitespace. Only the three
 * free-text fields can need escaping (JSON's minimal escaping, `JSON.stringify`, as JCS specifies); every other
 * string is an address, a digest, a decimal, a timestamp or a finish reason, which never do.
 * @param c A core that `isReceiptCore` accepts (anything else may serialize wrongly).
 * @returns The exact bytes `canonicalize(c)` returns.
 * @example canonicalReceiptCore(core) // '{"account":"0x…","charged":"33000000000000",…,"worker":null}'
 */
export function canonicalReceiptCore(c: ReceiptCore): string {
  return `{"account":"${c.account}","charged":"${c.charged}","completedAt":"${c.completedAt}","completionPrice":"${c.completionPrice}","completionTokens":${c.completionTokens},"finishReason":"${c.finishReason}","jobId":${JSON.stringify(c.jobId)},"model":${JSON.stringify(c.model)},"multiplierBps":${c.multiplierBps},"outputDigest":"${c.outputDigest}","promptDigest":"${c.promptDigest}","promptPrice":"${c.promptPrice}","promptTokens":${c.promptTokens},"reward":"${c.reward}","rewardBps":${c.rewardBps},"startedAt":"${c.startedAt}","tokenizer":${JSON.stringify(c.tokenizer)},"version":1,"worker":${c.worker === null ? "null" : `"${c.worker}"`}}`;
}

/**
 * The receipt hash of a valid core: `0x` + hex SHA-256 of its canonical JSON (`receiptHash` without re-validating).
 * @param c A core that `isReceiptCore` accepts.
 * @returns The hash and the canonical JSON it hashes.
 */
export function hashReceiptCore(c: ReceiptCore): { hash: Hex; json: string } {
  const json = canonicalReceiptCore(c);
  return { hash: `0x${createHash("sha256").update(json, "utf8").digest("hex")}`, json };
}

/**
 * Builds a job's receipt from its facts, as `createReceiptCore` does (charge and reward computed, addresses
 * lowercased, times in RFC 3339 UTC with milliseconds, the core validated), with its canonical JSON and hash.
 * @returns The core, its canonical JSON (`json`) and the receipt hash.
 * @throws InvalidReceiptError or PricingInputError for invalid facts, exactly as `createReceiptCore`.
 * @example const { core, hash } = buildReceipt({ jobId, model: "basis-default", account, worker: null, … })
 */
export function buildReceipt(p: CreateReceiptCoreParameters): { core: ReceiptCore; json: string; hash: Hex } {
  const built = receiptCoreFields(p);
  // Invalid facts are rare (a bug upstream of here): zod then names every bad field, as createReceiptCore does.
  const core = isReceiptCore(built) ? built : parseReceiptCore(built);
  return { core, ...hashReceiptCore(core) };
}
