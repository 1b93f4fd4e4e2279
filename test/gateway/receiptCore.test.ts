import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import canonicalize from "canonicalize";
import fc from "fast-check";
import { describe, it } from "mocha";
import type { Address, Hex } from "viem";
import { buildReceipt, canonicalReceiptCore, hashReceiptCore, isReceiptCore } from "../../gateway/receipts/core.js";
import { chargeFor, MAX_MULTIPLIER_BPS, rewardFor } from "../../protocol/pricing.js";
import {
  type CreateReceiptCoreParameters,
  createReceiptCore,
  type ReceiptCore,
  receiptCoreSchema,
  receiptHash,
} from "../../protocol/receipt.js";
import { RECEIPT_VECTORS_PATH } from "../../scripts/make-receipt-vectors.js";

const RUNS = process.env.BASIS_DEEP ? 10_000 : 1_000;
const vectors = JSON.parse(readFileSync(RECEIPT_VECTORS_PATH, "utf8")).vectors as {
  name: string;
  core: ReceiptCore;
  canonical: string;
  hash: Hex;
}[];

const wellFormed = (s: string) => !/\p{Cs}/u.test(s);
/** Any UTF-16 text: lone surrogates, controls, quotes, backslashes, astral characters, `\u2028`. */
const anyText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom("", '"', "\\", "\u2028", "\u007f", "\ud800", "\udc00x", "😀", "\u0000", "basis-default"),
);
const hex = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString("hex"));
const address = hex(20).map((h) => `0x${h}` as Address);
const digest = hex(32).map((h) => `0x${h}` as Hex);
const uint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
const count = fc.oneof(fc.nat({ max: 100_000 }), fc.constant(Number.MAX_SAFE_INTEGER));
const moment = fc.date({
  min: new Date("1970-01-01T00:00:00.000Z"),
  max: new Date("9999-12-31T23:59:59.999Z"),
  noInvalidDate: true,
});

/** A valid core: every field well-formed, the money computed from the counts. */
const validCore = fc
  .record({
    jobId: anyText.filter((s) => s.length > 0 && wellFormed(s)),
    model: anyText.filter((s) => s.length > 0 && wellFormed(s)),
    account: address,
    worker: fc.option(address, { nil: null }),
    tokenizer: fc.oneof(
      fc.constantFrom("o200k_base", "cl100k_base"),
      anyText.filter((s) => s.length > 0 && wellFormed(s)),
    ),
    promptTokens: count,
    completionTokens: count,
    promptPrice: fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.bigInt({ min: 0n, max: 2n ** 150n })),
    completionPrice: fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.bigInt({ min: 0n, max: 2n ** 150n })),
    multiplierBps: fc.bigInt({ min: 0n, max: MAX_MULTIPLIER_BPS }),
    rewardBps: fc.bigInt({ min: 0n, max: 10_000n }),
    finishReason: fc.constantFrom("stop", "length", "cancelled", "failed") as fc.Arbitrary<ReceiptCore["finishReason"]>,
    promptDigest: digest,
    outputDigest: digest,
    times: fc.tuple(moment, moment).map(([a, b]): [Date, Date] => (a <= b ? [a, b] : [b, a])),
  })
  .map((f): ReceiptCore => {
    const price = { promptPrice: f.promptPrice, completionPrice: f.completionPrice, multiplierBps: f.multiplierBps };
    const charged = chargeFor(f, price);
    return {
      version: 1,
      jobId: f.jobId,
      model: f.model,
      account: f.account,
      worker: f.worker,
      tokenizer: f.tokenizer,
      promptTokens: f.promptTokens,
      completionTokens: f.completionTokens,
      promptPrice: f.promptPrice.toString(),
      completionPrice: f.completionPrice.toString(),
      multiplierBps: Number(f.multiplierBps),
      rewardBps: Number(f.rewardBps),
      charged: charged.toString(),
      reward: rewardFor(charged, f.rewardBps, f.worker === null ? "gateway" : "worker").toString(),
      finishReason: f.finishReason,
      promptDigest: f.promptDigest,
      outputDigest: f.outputDigest,
      startedAt: f.times[0].toISOString(),
      completedAt: f.times[1].toISOString(),
    };
  });

/** Values a field may be broken into: wrong types, near-misses of every format, out-of-range numbers. */
const junk = fc.oneof(
  anyText,
  fc.constantFrom(
    null,
    undefined,
    true,
    0,
    -0,
    1,
    -1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 53,
    10_000,
    10_001,
    1_000_000,
    1_000_001,
    "0",
    "00",
    "01",
    "-1",
    "1.0",
    " 1",
    (2n ** 256n).toString(),
    (2n ** 256n - 1n).toString(),
    "9".repeat(77),
    "9".repeat(78),
    `0x${"A".repeat(40)}`,
    `0x${"a".repeat(39)}`,
    `0x${"a".repeat(64)}`,
    `0x${"a".repeat(63)}`,
    "2026-11-21T10:00:00.000Z",
    "2026-11-21T10:00:00Z",
    "2026-02-30T10:00:00.000Z",
    "2026-11-21T24:00:00.000Z",
    "+002026-11-21T10:00:00.000Z",
    "stop",
    "STOP",
    "cancelled",
    [],
    {},
  ),
  fc.integer(),
  fc.bigInt().map(String),
  uint256.map(String),
  fc.bigInt({ min: 2n ** 256n - 1000n, max: 2n ** 256n + 1000n }).map(String),
  moment.map((d) => d.toISOString()),
  address,
  digest,
);
const FIELDS = Object.keys(vectors[0]?.core ?? {}) as (keyof ReceiptCore)[];

/** A valid core with a few fields broken, removed, or an extra key. */
const nearCore = fc
  .tuple(
    validCore,
    fc.array(fc.tuple(fc.constantFrom(...FIELDS), junk), { maxLength: 3 }),
    fc.option(fc.constantFrom(...FIELDS)),
    fc.option(fc.tuple(fc.string({ maxLength: 8 }), junk)),
  )
  .map(([core, changes, removed, extra]) => {
    const broken: Record<string, unknown> = { ...core };
    for (const [field, value] of changes) broken[field] = value;
    if (removed !== null) delete broken[removed];
    if (extra !== null && extra[0] !== "__proto__") broken[extra[0]] = extra[1];
    return broken;
  });

describe("gateway › receipts › the request path's receipt (core.ts)", () => {
  it("hashes every committed vector (test/vectors/receipts.json) to its canonical JSON and hash", () => {
    assert.ok(vectors.length > 0);
    for (const v of vectors) {
      assert.equal(isReceiptCore(v.core), true, v.name);
      assert.equal(canonicalReceiptCore(v.core), v.canonical, v.name);
      assert.deepEqual(hashReceiptCore(v.core), { hash: v.hash, json: v.canonical }, v.name);
    }
  });

  it("writes exactly the canonicalize library's bytes, and receiptHash's hash, for any valid core (property)", () => {
    fc.assert(
      fc.property(validCore, (core) => {
        assert.equal(receiptCoreSchema.safeParse(core).success, true);
        assert.equal(isReceiptCore(core), true);
        assert.equal(canonicalReceiptCore(core), canonicalize(core));
        assert.equal(hashReceiptCore(core).hash, receiptHash(core));
      }),
      { numRuns: RUNS },
    );
  });

  it("accepts exactly what receiptCoreSchema accepts, for cores with broken, missing or extra fields (property)", () => {
    let rejected = 0;
    fc.assert(
      fc.property(nearCore, (value) => {
        const expected = receiptCoreSchema.safeParse(value).success;
        if (!expected) rejected++;
        assert.equal(isReceiptCore(value), expected, JSON.stringify(value));
      }),
      { numRuns: RUNS * 5 },
    );
    assert.ok(rejected > RUNS, `only ${rejected} broken cores were generated`);
  });

  it("rejects a decimal above 2^256 - 1 even where no token uses it, as the schema does", () => {
    const core = vectors[0]?.core as ReceiptCore;
    for (const price of [2n ** 256n, 10n ** 78n - 1n]) {
      const unused = { ...core, promptTokens: 0, promptPrice: price.toString() };
      const priced = {
        ...unused,
        charged: chargeFor(unused, {
          promptPrice: 0n,
          completionPrice: BigInt(core.completionPrice),
          multiplierBps: BigInt(core.multiplierBps),
        }).toString(),
      };
      const fixed = {
        ...priced,
        reward: rewardFor(BigInt(priced.charged), BigInt(core.rewardBps), "worker").toString(),
      };
      assert.equal(receiptCoreSchema.safeParse(fixed).success, false);
      assert.equal(isReceiptCore(fixed), false);
      assert.equal(isReceiptCore({ ...fixed, promptPrice: (2n ** 256n - 1n).toString() }), true);
    }
  });

  it("builds what createReceiptCore builds, and hashes it as receiptHash does, from any facts (property)", () => {
    const facts = fc.record({
      jobId: anyText,
      model: anyText,
      account: fc.oneof(
        address,
        address.map((a) => a.toUpperCase().replace("0X", "0x") as Address),
        anyText.map((s) => s as Address),
      ),
      worker: fc.option(address, { nil: null }),
      tokenizer: anyText,
      counts: fc.record({ promptTokens: fc.oneof(count, fc.constant(-1)), completionTokens: count }),
      price: fc.record({
        promptPrice: fc.bigInt({ min: 0n, max: 10n ** 15n }),
        completionPrice: fc.bigInt({ min: 0n, max: 10n ** 15n }),
        multiplierBps: fc.bigInt({ min: 0n, max: MAX_MULTIPLIER_BPS + 1n }),
      }),
      rewardBps: fc.bigInt({ min: 0n, max: 10_000n }),
      finishReason: fc.constantFrom("stop", "length", "cancelled", "failed", "oops") as fc.Arbitrary<
        ReceiptCore["finishReason"]
      >,
      promptDigest: fc.oneof(digest, anyText) as fc.Arbitrary<Hex>,
      outputDigest: digest,
      startedAt: moment,
      completedAt: moment,
    });
    fc.assert(
      fc.property(facts, (p: CreateReceiptCoreParameters) => {
        let expected: ReceiptCore | Error;
        try {
          expected = createReceiptCore(p);
        } catch (error) {
          expected = error as Error;
        }
        if (expected instanceof Error) {
          assert.throws(() => buildReceipt(p), { name: expected.name, message: expected.message });
          return;
        }
        const built = buildReceipt(p);
        assert.deepEqual(built.core, expected);
        assert.equal(built.json, canonicalize(expected));
        assert.equal(built.hash, receiptHash(expected));
      }),
      { numRuns: RUNS },
    );
  });
});
