import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, it } from "mocha";
import { type Hex, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  canonicalReceipt,
  createReceiptCore,
  InvalidReceiptError,
  parseReceiptCore,
  type ReceiptCore,
  receiptCoreSchema,
  receiptHash,
  sha256Digest,
  verifyReceiptSignature,
} from "../../protocol/receipt.js";
import { receiptSchema } from "../../protocol/receiptEnvelope.js";
import { RECEIPT_VECTORS_PATH, receiptVectors, VECTOR_ATTESTER_KEY } from "../../scripts/make-receipt-vectors.js";

type Vectors = Awaited<ReturnType<typeof receiptVectors>>;
const committed = JSON.parse(readFileSync(RECEIPT_VECTORS_PATH, "utf8")) as Vectors;
const first = committed.vectors[0];
if (first === undefined) throw new Error("test/vectors/receipts.json has no vectors");
const core: ReceiptCore = first.core as ReceiptCore;

/** A flat object's canonical JSON written without the library: keys sorted, no whitespace (valid for ASCII keys). */
const sortedJson = (o: Record<string, unknown>) =>
  `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(o[k])}`)
    .join(",")}}`;

const rejects = (change: Record<string, unknown>, field: string) => {
  const result = receiptCoreSchema.safeParse({ ...core, ...change });
  assert.equal(result.success, false, `accepted ${JSON.stringify(change)}`);
  assert.ok(
    result.error.issues.some((i) => i.path.join(".") === field || (field === "(root)" && i.path.length === 0)),
    `no issue on ${field}: ${JSON.stringify(result.error.issues)}`,
  );
};

describe("protocol/receipt", () => {
  describe("test vectors (test/vectors/receipts.json)", () => {
    it("are what protocol/receipt.ts builds today", async () => {
      assert.deepEqual(await receiptVectors(), committed);
    });

    it("cover a null worker, unicode texts and a charge beyond 2^64", () => {
      const cores = committed.vectors.map((v) => v.core);
      assert.ok(cores.some((c) => c.worker === null));
      assert.ok(cores.some((c) => BigInt(c.charged) > 2n ** 64n));
      assert.ok(
        committed.vectors.some((v) => /[^ -~]/.test(v.outputText) && /\p{Extended_Pictographic}/u.test(v.outputText)),
      );
    });

    for (const v of committed.vectors) {
      it(`${v.name}: canonical JSON, hash, digests and signature match`, async () => {
        assert.equal(canonicalReceipt(v.core as ReceiptCore), v.canonical);
        assert.equal(receiptHash(v.core as ReceiptCore), v.hash);
        assert.equal(sha256Digest(v.promptText), v.core.promptDigest);
        assert.equal(sha256Digest(v.outputText), v.core.outputDigest);
        assert.equal(await verifyReceiptSignature(v.hash as Hex, v.signature as Hex), committed.attester);
      });
    }

    it("the first hash, recomputed by hand from a canonical string typed here", () => {
      const typed =
        '{"account":"0xecc5ef75711f1814f78a8adc4019f8ceec35b881","charged":"33000000000000",' +
        '"completedAt":"2026-11-21T10:00:01.250Z","completionPrice":"3000000000000","completionTokens":7,' +
        '"finishReason":"stop","jobId":"job_vector_1","model":"basis-default","multiplierBps":10000,' +
        '"outputDigest":"0xfe2db686020b3684c0e7dc4876276fe9257cbad624878b3c79627a51f4ebd8a6",' +
        '"promptDigest":"0xade6acf289923c26478ac32bb11a1e43511e40959c58a2ac8d1f09b42ec8d3dc",' +
        '"promptPrice":"1000000000000","promptTokens":12,"reward":"23100000000000","rewardBps":7000,' +
        '"startedAt":"2026-11-21T10:00:00.000Z","tokenizer":"o200k_base","version":1,' +
        '"worker":"0x1f810a21744ebbd736b53c74bb0cea3ce360f0b3"}';
      const byHand = `0x${createHash("sha256").update(Buffer.from(typed, "utf8")).digest("hex")}`;
      // 33,000,000,000,000 = (12 × 10^12 + 7 × 3 × 10^12) × 10,000 / 10,000; the reward is 70% of it.
      assert.equal(byHand, "0xa0a5f44c586f265ca553fa3f746a089fc4ad182029f6ccb9248c389158ef739f");
      assert.equal(canonicalReceipt(core), typed);
      assert.equal(receiptHash(core), byHand);
      assert.equal(first.hash, byHand);
    });
  });

  describe("#receiptHash", () => {
    it("does not depend on the order of the keys", () => {
      const reversed = Object.fromEntries(Object.entries(core).reverse()) as ReceiptCore;
      assert.equal(receiptHash(reversed), receiptHash(core));
    });

    it("changes when any field changes", () => {
      const hashes = new Set([
        receiptHash(core),
        receiptHash({ ...core, jobId: "job_vector_1b" }),
        receiptHash({ ...core, model: "basis-default-2" }),
        receiptHash({ ...core, tokenizer: "cl100k_base" }),
        receiptHash({ ...core, finishReason: "length" }),
        receiptHash({ ...core, outputDigest: sha256Digest("other") }),
        receiptHash({ ...core, completedAt: "2026-11-21T10:00:01.251Z" }),
      ]);
      assert.equal(hashes.size, 7);
    });

    it("equals SHA-256 of the sorted-key JSON of any valid core (property)", () => {
      const arbAddress = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => toHex(b));
      fc.assert(
        fc.property(
          fc.record({
            jobId: fc.string({ minLength: 1, unit: "grapheme" }),
            worker: fc.option(arbAddress),
            account: arbAddress,
            promptTokens: fc.nat(),
            completionTokens: fc.nat(),
            promptPrice: fc.bigInt({ min: 0n, max: 2n ** 200n }),
            multiplierBps: fc.bigInt({ min: 0n, max: 100_000n }),
            output: fc.string({ unit: "binary" }),
            ms: fc.integer({ min: 0, max: 4_102_444_800_000 }),
          }),
          (j) => {
            const c = createReceiptCore({
              jobId: j.jobId,
              model: "basis-default",
              account: j.account,
              worker: j.worker,
              tokenizer: "o200k_base",
              counts: { promptTokens: j.promptTokens, completionTokens: j.completionTokens },
              price: {
                promptPrice: j.promptPrice,
                completionPrice: j.promptPrice * 3n,
                multiplierBps: j.multiplierBps,
              },
              rewardBps: 7_000n,
              finishReason: "stop",
              promptDigest: sha256Digest(j.jobId),
              outputDigest: sha256Digest(j.output),
              startedAt: new Date(j.ms),
              completedAt: new Date(j.ms + 1),
            });
            const expected = `0x${createHash("sha256").update(sortedJson(c)).digest("hex")}`;
            return canonicalReceipt(c) === sortedJson(c) && receiptHash(c) === expected;
          },
        ),
      );
    });

    it("throws InvalidReceiptError, naming the field, for an invalid core", () => {
      assert.throws(
        () => receiptHash({ ...core, charged: 33_000_000_000_000n } as unknown as ReceiptCore),
        (e: unknown) => e instanceof InvalidReceiptError && e.issues.some((i) => i.startsWith("charged:")),
      );
      assert.throws(() => canonicalReceipt({ ...core, extra: 1 } as ReceiptCore), InvalidReceiptError);
    });
  });

  describe("receiptCoreSchema", () => {
    it("accepts a valid core and returns it unchanged", () => assert.deepEqual(parseReceiptCore(core), core));

    it("rejects unknown and missing keys", () => {
      rejects({ extra: true }, "(root)");
      const { model: _, ...withoutModel } = core;
      assert.equal(receiptCoreSchema.safeParse(withoutModel).success, false);
      rejects({ worker: undefined }, "worker");
    });

    const invalid: [string, Record<string, unknown>, string][] = [
      ["version 2", { version: 2 }, "version"],
      ["an empty job id", { jobId: "" }, "jobId"],
      ["a lone surrogate in a string", { jobId: "job\ud800" }, "jobId"],
      ["a checksummed (mixed-case) account", { account: "0xEcc5eF75711f1814F78a8adc4019f8cEec35b881" }, "account"],
      ["a short worker address", { worker: "0x1234" }, "worker"],
      ["negative tokens", { promptTokens: -1 }, "promptTokens"],
      ["fractional tokens", { completionTokens: 1.5 }, "completionTokens"],
      ["tokens as a string", { promptTokens: "12" }, "promptTokens"],
      ["tokens beyond 2^53", { promptTokens: 2 ** 53 }, "promptTokens"],
      ["a price with a leading zero", { promptPrice: "01000000000000" }, "promptPrice"],
      ["a negative price", { completionPrice: "-3" }, "completionPrice"],
      ["a price as a number", { promptPrice: 1_000_000_000_000 }, "promptPrice"],
      ["a decimal point in an amount", { charged: "33000000000000.0" }, "charged"],
      ["an amount beyond 2^256 - 1", { reward: (2n ** 256n).toString() }, "reward"],
      ["a multiplier above 100.00x", { multiplierBps: 1_000_001 }, "multiplierBps"],
      ["a reward share above 100%", { rewardBps: 10_001 }, "rewardBps"],
      ["an unknown finish reason", { finishReason: "done" }, "finishReason"],
      ["an uppercase digest", { promptDigest: core.promptDigest.toUpperCase().replace("0X", "0x") }, "promptDigest"],
      ["a digest without 0x", { outputDigest: core.outputDigest.slice(2) }, "outputDigest"],
      ["a time without milliseconds", { startedAt: "2026-11-21T10:00:00Z" }, "startedAt"],
      ["a time with an offset", { startedAt: "2026-11-21T10:00:00.000+00:00" }, "startedAt"],
      ["an impossible date", { startedAt: "2026-02-30T10:00:00.000Z" }, "startedAt"],
      ["a charge that does not follow from the counts", { charged: "33000000000001" }, "charged"],
      ["a reward that does not follow from the charge", { reward: "23100000000001" }, "reward"],
      ["a reward without a worker", { worker: null }, "reward"],
      ["a completion before the start", { completedAt: "2026-11-21T09:59:59.999Z" }, "completedAt"],
    ];
    for (const [what, change, field] of invalid) {
      it(`rejects ${what}`, () => rejects(change, field));
    }
  });

  describe("#sha256Digest", () => {
    it("hashes the UTF-8 bytes, without normalizing", () => {
      assert.equal(sha256Digest(""), "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
      assert.equal(
        sha256Digest("é"),
        `0x${createHash("sha256")
          .update(Buffer.from([0xc3, 0xa9]))
          .digest("hex")}`,
      );
      assert.notEqual(sha256Digest("\u00e9"), sha256Digest("e\u0301"));
    });

    it("encodes a lone surrogate as U+FFFD", () => {
      assert.equal(
        sha256Digest("a\ud800"),
        `0x${createHash("sha256")
          .update(Buffer.from([0x61, 0xef, 0xbf, 0xbd]))
          .digest("hex")}`,
      );
    });
  });

  describe("#verifyReceiptSignature", () => {
    const attester = privateKeyToAccount(VECTOR_ATTESTER_KEY);

    it("recovers the signer of an EIP-191 signature of the hash", async () => {
      const hash = receiptHash(core);
      const signature = await attester.signMessage({ message: { raw: hash } });
      assert.equal(await verifyReceiptSignature(hash, signature), attester.address);
    });

    it("recovers another address for another hash (the signature does not verify it)", async () => {
      const other = keccak256(toHex("another receipt"));
      assert.notEqual(await verifyReceiptSignature(other, first.signature as Hex), attester.address);
    });

    it("throws for a hash that is not 32 bytes", async () => {
      await assert.rejects(verifyReceiptSignature("0x1234", first.signature as Hex), InvalidReceiptError);
    });
  });

  describe("#createReceiptCore", () => {
    const facts = {
      jobId: "job_1",
      model: "basis-large",
      account: "0xEcc5eF75711f1814F78a8adc4019f8cEec35b881",
      worker: "0x1F810a21744EBBD736b53c74bB0cea3Ce360f0b3",
      tokenizer: "o200k_base",
      counts: { promptTokens: 10, completionTokens: 5 },
      price: { promptPrice: 2n, completionPrice: 3n, multiplierBps: 30_000n },
      rewardBps: 7_000n,
      finishReason: "stop",
      promptDigest: sha256Digest("p"),
      outputDigest: sha256Digest("o"),
      startedAt: new Date("2026-11-21T10:00:00Z"),
      completedAt: new Date("2026-11-21T10:00:00.5Z"),
    } as const;

    it("derives charged and reward, lowercases addresses and writes millisecond UTC times", () => {
      const c = createReceiptCore(facts);
      assert.equal(c.charged, "105");
      assert.equal(c.reward, "73");
      assert.equal(c.account, "0xecc5ef75711f1814f78a8adc4019f8ceec35b881");
      assert.equal(c.worker, "0x1f810a21744ebbd736b53c74bb0cea3ce360f0b3");
      assert.equal(c.multiplierBps, 30_000);
      assert.equal(c.completedAt, "2026-11-21T10:00:00.500Z");
    });

    it("gives no reward when the gateway served the job", () => {
      assert.equal(createReceiptCore({ ...facts, worker: null }).reward, "0");
    });

    it("throws for a missing usage instead of recording zero", () => {
      assert.throws(
        () => createReceiptCore({ ...facts, counts: { promptTokens: 10 } as never }),
        /completionTokens is missing/,
      );
    });
  });
  describe("receiptSchema (the envelope, not hashed)", () => {
    const recorded = {
      hash: first.hash,
      core,
      status: "recorded",
      signature: first.signature,
      settlement: null,
      refund: null,
    };
    const settlement = {
      batchId: 1,
      root: keccak256(toHex("root")),
      leafIndex: 0,
      proof: [keccak256(toHex("sibling"))],
      txHash: keccak256(toHex("tx")),
      chainId: 31337,
      registry: "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0",
    };
    const refund = { amount: "1000", reason: "operator refund", refundedAt: "2026-11-22T00:00:00.000Z" };
    const valid: [string, Record<string, unknown>][] = [
      ["recorded", recorded],
      ["recorded before the attester signed it", { ...recorded, signature: null }],
      ["settled", { ...recorded, status: "settled", settlement }],
      ["refunded", { ...recorded, status: "refunded", refund }],
      ["refunded after settlement", { ...recorded, status: "refunded", settlement, refund }],
      [
        "settled, its transaction not recorded (a crash)",
        { ...recorded, status: "settled", settlement: { ...settlement, txHash: null } },
      ],
    ];
    for (const [what, receipt] of valid) {
      it(`accepts a receipt ${what}`, () => assert.equal(receiptSchema.safeParse(receipt).success, true));
    }
    const invalid: [string, Record<string, unknown>][] = [
      ["settled without settlement pointers", { ...recorded, status: "settled" }],
      ["refunded without a refund", { ...recorded, status: "refunded" }],
      ["recorded with settlement pointers", { ...recorded, settlement }],
      ["recorded with a refund", { ...recorded, refund }],
      [
        "refunding more than the charge",
        { ...recorded, status: "refunded", refund: { ...refund, amount: "33000000000001" } },
      ],
      ["with an unknown status", { ...recorded, status: "pending" }],
      ["with a short signature", { ...recorded, signature: "0x1234" }],
      ["with an unknown envelope key", { ...recorded, note: "x" }],
      [
        "with settlement pointers missing the root",
        { ...recorded, status: "settled", settlement: { ...settlement, root: undefined } },
      ],
      ["with an invalid core", { ...recorded, core: { ...core, charged: "1" } }],
    ];
    for (const [what, receipt] of invalid) {
      it(`rejects a receipt ${what}`, () => assert.equal(receiptSchema.safeParse(receipt).success, false));
    }
  });
});
