/**
 * What a job costs and what its contributor earns. Money is `bigint` base units of the 18-decimal credit
 * token; token counts are safe integers (`number`); there is no floating point anywhere. Every function
 * validates its inputs and throws `PricingInputError` rather than guess: a missing usage is an error,
 * never zero.
 */

/** Basis points in one whole: a multiplier of `BPS` is 1.00x, a reward share of `BPS` is 100%. */
export const BPS = 10_000n;

/** The largest accepted model multiplier: 1,000,000 bps = 100.00x. Anything above is taken for a mis-scaled config. */
export const MAX_MULTIPLIER_BPS = 1_000_000n;

/** Per-token prices in base units, before the model's multiplier (`multiplierBps`, 10,000 = 1.00x). */
export type Price = { promptPrice: bigint; completionPrice: bigint; multiplierBps: bigint };

/** Server-counted tokens of one job. */
export type TokenCounts = { promptTokens: number; completionTokens: number };

/** Who served a job: a contributor worker earns a reward; the gateway's own upstream does not. */
export type ServedBy = "worker" | "gateway";

/** Thrown for a missing, negative, non-integer or out-of-range pricing input; `param` names it. */
export class PricingInputError extends Error {
  override name = "PricingInputError";
  /** The offending input, e.g. `completionTokens` or `price.multiplierBps`. */
  readonly param: string;

  constructor(param: string, problem: string) {
    super(`${param} ${problem}`);
    this.param = param;
  }
}

function show(value: unknown): string {
  return typeof value === "bigint" ? `${value}n` : typeof value === "string" ? JSON.stringify(value) : String(value);
}

function assertTokens(param: string, value: unknown): asserts value is number {
  if (value === undefined || value === null)
    throw new PricingInputError(param, "is missing (a missing usage is never billed as zero)");
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new PricingInputError(param, `must be a non-negative safe integer, got ${show(value)}`);
  }
}

function assertAmount(param: string, value: unknown, max?: bigint): asserts value is bigint {
  if (value === undefined || value === null) throw new PricingInputError(param, "is missing");
  if (typeof value !== "bigint")
    throw new PricingInputError(param, `must be a bigint, got ${typeof value} ${show(value)}`);
  if (value < 0n) throw new PricingInputError(param, `must not be negative, got ${value}`);
  if (max !== undefined && value > max) throw new PricingInputError(param, `must be at most ${max}, got ${value}`);
}

function assertPrice(price: Price): void {
  if (price === undefined || price === null || typeof price !== "object")
    throw new PricingInputError("price", "is missing");
  assertAmount("price.promptPrice", price.promptPrice);
  assertAmount("price.completionPrice", price.completionPrice);
  assertAmount("price.multiplierBps", price.multiplierBps, MAX_MULTIPLIER_BPS);
}

/**
 * The amount charged for a job: `floor((promptTokens × promptPrice + completionTokens × completionPrice) × multiplierBps / 10_000)`.
 * @param counts Server-counted prompt and completion tokens (both required).
 * @param price Per-token prices in base units and the model's multiplier in bps.
 * @returns The charge in base units, rounded down.
 * @throws PricingInputError when a count is missing, negative or not a safe integer, or a price is negative or not a bigint.
 * @example chargeFor({ promptTokens: 10, completionTokens: 5 }, { promptPrice: 2n, completionPrice: 3n, multiplierBps: 5_000n }) // 17n
 */
export function chargeFor(counts: TokenCounts, price: Price): bigint {
  if (counts === undefined || counts === null || typeof counts !== "object") {
    throw new PricingInputError("usage", "is missing (a missing usage is never billed as zero)");
  }
  assertTokens("promptTokens", counts.promptTokens);
  assertTokens("completionTokens", counts.completionTokens);
  assertPrice(price);
  const base =
    BigInt(counts.promptTokens) * price.promptPrice + BigInt(counts.completionTokens) * price.completionPrice;
  return (base * price.multiplierBps) / BPS; // bigint division truncates; every operand is ≥ 0, so this is floor
}

/**
 * The worst case reserved on the account before any work: the charge of the prompt plus the whole completion cap.
 * Since `chargeFor` is monotone in each count, `chargeFor({ promptTokens, completionTokens: c }, price) ≤ holdFor(promptTokens, max, price)`
 * for every `c ≤ max`.
 * @param promptTokens Server-counted prompt tokens.
 * @param maxCompletionTokens The completion cap of the request (`max_tokens`, or the model's limit when the client sets none).
 * @param price The job's price.
 * @returns The hold in base units.
 * @example holdFor(10, 100, { promptPrice: 2n, completionPrice: 3n, multiplierBps: 10_000n }) // 320n
 */
export function holdFor(promptTokens: number, maxCompletionTokens: number, price: Price): bigint {
  assertTokens("promptTokens", promptTokens);
  assertTokens("maxCompletionTokens", maxCompletionTokens);
  return chargeFor({ promptTokens, completionTokens: maxCompletionTokens }, price);
}

/**
 * The contributor's reward for a job: `floor(charged × rewardBps / 10_000)` when a worker served it, `0` when the gateway did.
 * @param charged What the job was charged, in base units.
 * @param rewardBps The contributor share in bps, 0 to 10,000.
 * @param servedBy `"worker"` (contributed compute) or `"gateway"` (its own upstream: billed work, no reward).
 * @returns The reward in base units, never more than `charged`.
 * @example rewardFor(1_001n, 7_000n, "worker") // 700n
 */
export function rewardFor(charged: bigint, rewardBps: bigint, servedBy: ServedBy): bigint {
  assertAmount("charged", charged);
  assertAmount("rewardBps", rewardBps, BPS);
  if (servedBy !== "worker" && servedBy !== "gateway") {
    throw new PricingInputError("servedBy", `must be "worker" or "gateway", got ${show(servedBy)}`);
  }
  return servedBy === "gateway" ? 0n : (charged * rewardBps) / BPS;
}
