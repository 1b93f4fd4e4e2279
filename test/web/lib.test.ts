import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "mocha";
import { RECEIPT_VECTORS_PATH } from "../../scripts/make-receipt-vectors.js";
import { formatCredits, parseCredits, shortHex } from "../../web/src/lib/format.js";
import { recomputeReceiptHash } from "../../web/src/lib/receiptHash.js";
import { bucketByTime } from "../../web/src/lib/series.js";

const CREDIT = 10n ** 18n;
const MINUTE = 60_000;

describe("dashboard › lib", () => {
  describe("#formatCredits", () => {
    const cases: [bigint | string, string][] = [
      [0n, "0"],
      [CREDIT, "1"],
      [1_234n * CREDIT + CREDIT / 2n, "1,234.5"],
      ["1000000000000000000000000", "1,000,000"],
      [33_000_000_000_000n, "0.000033"],
      // Cut, never rounded up: a balance is never shown larger than it is.
      [CREDIT - 1n, "0.999999"],
      [1n, "< 0.000001"],
      [-5n * CREDIT, "-5"],
      [2n ** 256n - 1n, "115,792,089,237,316,195,423,570,985,008,687,907,853,269,984,665,640,564,039,457.584007"],
    ];
    for (const [units, shown] of cases)
      it(`shows ${units} base units as ${shown}`, () => assert.equal(formatCredits(units), shown));
  });

  describe("#parseCredits", () => {
    const cases: [string, bigint | null][] = [
      ["100", 100n * CREDIT],
      ["12.5", 12n * CREDIT + CREDIT / 2n],
      ["1,000", 1_000n * CREDIT],
      [" 0.000000000000000001 ", 1n],
      ["0", null],
      ["0.0000000000000000001", null],
      ["-1", null],
      ["1e3", null],
      ["", null],
      ["abc", null],
    ];
    for (const [text, units] of cases)
      it(`reads ${JSON.stringify(text)} as ${units ?? "invalid"}`, () => assert.equal(parseCredits(text), units));
  });

  it("shortens a hash to its ends", () => {
    assert.equal(shortHex(`0x${"ab".repeat(32)}`), "0xabab…abab");
    assert.equal(shortHex("0x1234"), "0x1234");
  });

  describe("#bucketByTime", () => {
    const now = Date.UTC(2026, 10, 21, 12, 0, 30);
    it("sums amounts per minute over at least 12 buckets, ending with the current one", () => {
      const { points, width } = bucketByTime(
        [
          { at: now - 10_000, value: 2n },
          { at: now - 20_000, value: 3n },
          { at: now - 3 * MINUTE, value: 7n },
        ],
        { now },
      );
      assert.equal(width, MINUTE);
      assert.equal(points.length, 12);
      assert.equal(points.at(-1)?.value, 5n);
      assert.equal(points.at(-4)?.value, 7n);
      assert.equal(
        points.reduce((sum, p) => sum + p.value, 0n),
        12n,
      );
    });
    it("widens the buckets to keep at most 24 over a longer span", () => {
      const { points, width } = bucketByTime([{ at: now - 10 * 24 * 60 * MINUTE, value: 1n }], { now });
      assert.equal(width, 24 * 60 * MINUTE);
      assert.ok(points.length <= 24);
      assert.equal(
        points.reduce((sum, p) => sum + p.value, 0n),
        1n,
      );
    });
    it("has nothing to chart without amounts", () => assert.deepEqual(bucketByTime([], { now }).points, []));
  });

  describe("#recomputeReceiptHash", () => {
    const { vectors } = JSON.parse(readFileSync(RECEIPT_VECTORS_PATH, "utf8")) as {
      vectors: { name: string; core: unknown; hash: string }[];
    };
    for (const v of vectors)
      it(`gives the pinned hash of the vector "${v.name}" (the browser's independent derivation)`, () =>
        assert.equal(recomputeReceiptHash(v.core), v.hash));
    it("changes with any field of the core", () => {
      const first = vectors[0] as { core: Record<string, unknown>; hash: string };
      assert.notEqual(recomputeReceiptHash({ ...first.core, promptTokens: 13 }), first.hash);
    });
  });
});
