import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, it } from "mocha";
import {
  BPS,
  chargeFor,
  holdFor,
  MAX_MULTIPLIER_BPS,
  type Price,
  PricingInputError,
  rewardFor,
  type TokenCounts,
} from "../../protocol/pricing.js";

const price = (promptPrice: bigint, completionPrice: bigint, multiplierBps: bigint): Price => ({
  promptPrice,
  completionPrice,
  multiplierBps,
});
const counts = (promptTokens: number, completionTokens: number): TokenCounts => ({ promptTokens, completionTokens });
const MAX_SAFE = Number.MAX_SAFE_INTEGER; // 2^53 − 1

/** The design's formula written once more, independently, for the properties. */
const reference = (c: TokenCounts, p: Price) =>
  ((BigInt(c.promptTokens) * p.promptPrice + BigInt(c.completionTokens) * p.completionPrice) * p.multiplierBps) /
  10_000n;

const arbCount = fc.integer({ min: 0, max: MAX_SAFE });
const arbPrice = fc.record({
  promptPrice: fc.bigInt({ min: 0n, max: 2n ** 160n }),
  completionPrice: fc.bigInt({ min: 0n, max: 2n ** 160n }),
  multiplierBps: fc.bigInt({ min: 0n, max: MAX_MULTIPLIER_BPS }),
});

const throwsParam = (fn: () => unknown, param: string) =>
  assert.throws(fn, (e: unknown) => e instanceof PricingInputError && e.param === param && e.message.startsWith(param));

describe("protocol/pricing", () => {
  describe("#chargeFor", () => {
    const table: { name: string; c: TokenCounts; p: Price; expected: bigint }[] = [
      {
        name: "zero tokens cost nothing",
        c: counts(0, 0),
        p: price(10n ** 12n, 3n * 10n ** 12n, 10_000n),
        expected: 0n,
      },
      { name: "a zero multiplier costs nothing", c: counts(1_000, 1_000), p: price(7n, 9n, 0n), expected: 0n },
      { name: "1.00x is the plain sum", c: counts(10, 5), p: price(2n, 3n, 10_000n), expected: 35n },
      { name: "0.50x rounds 17.5 down to 17", c: counts(10, 5), p: price(2n, 3n, 5_000n), expected: 17n },
      { name: "3.00x (basis-large)", c: counts(10, 5), p: price(2n, 3n, 30_000n), expected: 105n },
      { name: "a charge below one base unit is 0", c: counts(1, 0), p: price(1n, 1n, 9_999n), expected: 0n },
      { name: "exactly one base unit", c: counts(1, 0), p: price(1n, 1n, 10_000n), expected: 1n },
      { name: "1 bps of 19,999 units rounds down to 1", c: counts(0, 1), p: price(0n, 19_999n, 1n), expected: 1n },
      {
        name: "catalog defaults, basis-default: 1,000 prompt + 500 completion tokens",
        c: counts(1_000, 500),
        p: price(10n ** 12n, 3n * 10n ** 12n, 10_000n),
        expected: 2_500_000_000_000_000n,
      },
      {
        name: "token counts beyond 2^53 in the product stay exact",
        c: counts(MAX_SAFE, MAX_SAFE),
        p: price(10n ** 18n, 10n ** 18n, 10_000n),
        expected: 2n * (2n ** 53n - 1n) * 10n ** 18n,
      },
      {
        name: "prices beyond 2^128 stay exact",
        c: counts(3, 1),
        p: price(2n ** 130n, 2n ** 129n + 1n, 15_000n),
        expected: ((3n * 2n ** 130n + 2n ** 129n + 1n) * 15_000n) / 10_000n,
      },
      {
        name: "a result beyond 2^256 stays exact (no overflow, no precision loss)",
        c: counts(MAX_SAFE, 0),
        p: price(2n ** 250n, 0n, MAX_MULTIPLIER_BPS),
        expected: (2n ** 53n - 1n) * 2n ** 250n * 100n,
      },
    ];
    for (const { name, c, p, expected } of table) {
      it(`${name}: ${expected}`, () => assert.equal(chargeFor(c, p), expected));
    }

    it("throws when the usage is missing, instead of charging zero", () => {
      throwsParam(() => chargeFor(undefined as unknown as TokenCounts, price(1n, 1n, BPS)), "usage");
      throwsParam(() => chargeFor({ promptTokens: 3 } as TokenCounts, price(1n, 1n, BPS)), "completionTokens");
      throwsParam(() => chargeFor({ completionTokens: 3 } as TokenCounts, price(1n, 1n, BPS)), "promptTokens");
      throwsParam(() => chargeFor(counts(1, null as unknown as number), price(1n, 1n, BPS)), "completionTokens");
    });

    const badCounts: [string, unknown][] = [
      ["negative", -1],
      ["fractional (1.5)", 1.5],
      ["NaN", Number.NaN],
      ["Infinity", Number.POSITIVE_INFINITY],
      ["beyond 2^53", 2 ** 53],
      ["a bigint", 5n],
      ["a string", "5"],
    ];
    for (const [what, value] of badCounts) {
      it(`throws for a token count that is ${what}`, () => {
        throwsParam(() => chargeFor(counts(value as number, 0), price(1n, 1n, BPS)), "promptTokens");
        throwsParam(() => chargeFor(counts(0, value as number), price(1n, 1n, BPS)), "completionTokens");
      });
    }

    it("throws for a negative price, a non-bigint price or a missing price", () => {
      throwsParam(() => chargeFor(counts(1, 1), price(-1n, 1n, BPS)), "price.promptPrice");
      throwsParam(() => chargeFor(counts(1, 1), price(1n, -1n, BPS)), "price.completionPrice");
      throwsParam(() => chargeFor(counts(1, 1), price(1 as unknown as bigint, 1n, BPS)), "price.promptPrice");
      throwsParam(() => chargeFor(counts(1, 1), undefined as unknown as Price), "price");
    });

    it("throws for a multiplier below 0 or above MAX_MULTIPLIER_BPS (100.00x)", () => {
      throwsParam(() => chargeFor(counts(1, 1), price(1n, 1n, -1n)), "price.multiplierBps");
      throwsParam(() => chargeFor(counts(1, 1), price(1n, 1n, MAX_MULTIPLIER_BPS + 1n)), "price.multiplierBps");
      throwsParam(() => chargeFor(counts(1, 1), price(1n, 1n, 10_000 as unknown as bigint)), "price.multiplierBps");
      assert.equal(chargeFor(counts(1, 0), price(1n, 1n, MAX_MULTIPLIER_BPS)), 100n);
    });

    it("equals the BigInt reference formula exactly (property)", () => {
      fc.assert(
        fc.property(
          arbCount,
          arbCount,
          arbPrice,
          (p, c, pr) => chargeFor(counts(p, c), pr) === reference(counts(p, c), pr),
        ),
      );
    });

    it("is monotone in each count (property)", () => {
      fc.assert(
        fc.property(arbCount, arbCount, arbCount, arbPrice, (a, b, other, pr) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          return (
            chargeFor(counts(lo, other), pr) <= chargeFor(counts(hi, other), pr) &&
            chargeFor(counts(other, lo), pr) <= chargeFor(counts(other, hi), pr)
          );
        }),
      );
    });
  });

  describe("#holdFor", () => {
    it("is the charge of the prompt plus the whole completion cap", () => {
      assert.equal(holdFor(10, 100, price(2n, 3n, 10_000n)), 320n);
      assert.equal(holdFor(10, 100, price(2n, 3n, 5_000n)), 160n);
      assert.equal(holdFor(0, 0, price(2n, 3n, 30_000n)), 0n);
    });

    it("throws for a missing or invalid cap", () => {
      throwsParam(() => holdFor(10, undefined as unknown as number, price(1n, 1n, BPS)), "maxCompletionTokens");
      throwsParam(() => holdFor(10, -1, price(1n, 1n, BPS)), "maxCompletionTokens");
      throwsParam(() => holdFor(0.5, 1, price(1n, 1n, BPS)), "promptTokens");
    });

    it("covers every charge with at most the cap of completion tokens (property)", () => {
      fc.assert(
        fc.property(arbCount, arbCount, arbCount, arbPrice, (prompt, a, b, pr) => {
          const [actual, max] = a <= b ? [a, b] : [b, a];
          return chargeFor(counts(prompt, actual), pr) <= holdFor(prompt, max, pr);
        }),
      );
    });
  });

  describe("#rewardFor", () => {
    const table: [bigint, bigint, bigint][] = [
      [0n, 7_000n, 0n],
      [1_001n, 7_000n, 700n], // 700.7 rounds down
      [1n, 9_999n, 0n],
      [1n, 10_000n, 1n],
      [123n, 0n, 0n],
      [2n ** 200n + 1n, 10_000n, 2n ** 200n + 1n],
      [2n ** 200n + 1n, 5_000n, 2n ** 199n],
    ];
    for (const [charged, bps, expected] of table) {
      it(`a worker earns ${expected} of ${charged} at ${bps} bps`, () =>
        assert.equal(rewardFor(charged, bps, "worker"), expected));
    }

    it("is 0 when the gateway served the job itself", () => {
      assert.equal(rewardFor(10n ** 24n, 10_000n, "gateway"), 0n);
    });

    it("throws for a negative charge, bps outside 0..10,000 or an unknown server", () => {
      throwsParam(() => rewardFor(-1n, 7_000n, "worker"), "charged");
      throwsParam(() => rewardFor(1 as unknown as bigint, 7_000n, "worker"), "charged");
      throwsParam(() => rewardFor(1n, -1n, "worker"), "rewardBps");
      throwsParam(() => rewardFor(1n, 10_001n, "worker"), "rewardBps");
      throwsParam(() => rewardFor(1n, 1n, "contributor" as "worker"), "servedBy");
    });

    it("never exceeds the charge and equals the BigInt reference (property)", () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: 2n ** 300n }), fc.bigInt({ min: 0n, max: BPS }), (charged, bps) => {
          const reward = rewardFor(charged, bps, "worker");
          return reward <= charged && reward === (charged * bps) / 10_000n && reward >= 0n;
        }),
      );
    });
  });
});
