import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, it } from "mocha";
import { createChoiceMeter } from "../../gateway/jobs/meter.js";
import { getTokenizer } from "../../gateway/metering/tokenizer.js";

const tokenizer = getTokenizer("o200k_base");

describe("gateway › jobs › createChoiceMeter", () => {
  it("never lets the count pass the cap, even when one byte more re-tokenizes earlier text", () => {
    // "Hello responsibilities" is 2 tokens; with one more "s" it is 5.
    const meter = createChoiceMeter(tokenizer, 2);
    assert.equal(meter.accept("Hello responsibilities"), "Hello responsibilities");
    assert.equal(meter.tokens(), 2);
    assert.equal(meter.accept("s"), null);
    assert.equal(meter.tokens(), 2);
    assert.equal(meter.finishReason(), "length");
  });

  it("relays exactly the text it counts, within the cap, for any text split into any deltas", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme", maxLength: 12 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 40 }),
        (deltas, cap) => {
          const meter = createChoiceMeter(tokenizer, cap);
          let relayed = "";
          for (const delta of deltas) relayed += meter.accept(delta) ?? "";
          assert.equal(meter.text(), relayed);
          assert.equal(meter.tokens(), tokenizer.count(relayed));
          assert.ok(meter.tokens() <= cap);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("cuts exactly where recounting the whole text before every delta cuts (the reference meter)", () => {
    /** The meter as specified, counting everything again before each delta. */
    const reference = (deltas: string[], cap: number) => {
      let text = "";
      let reason: "length" | null = null;
      const out: (string | null)[] = [];
      for (const delta of deltas) {
        if (reason !== null) {
          out.push(null);
          continue;
        }
        if (tokenizer.count(text + delta) <= cap) {
          text += delta;
          if (tokenizer.count(text) >= cap) reason = "length";
          out.push(delta);
          continue;
        }
        const points = Array.from(delta);
        let lo = 0;
        let hi = points.length;
        while (lo < hi) {
          const mid = Math.ceil((lo + hi) / 2);
          if (tokenizer.count(text + points.slice(0, mid).join("")) <= cap) lo = mid;
          else hi = mid - 1;
        }
        const part = points.slice(0, lo).join("");
        reason = "length";
        text += part;
        out.push(part === "" ? null : part);
      }
      return { out, reason, text };
    };
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ unit: "grapheme", maxLength: 12 }),
            fc.constantFrom(" the", " responsibilities", "s", "\n\n", "  ", "123", "'ll", "中文", "😀"),
          ),
          { maxLength: 40 },
        ),
        fc.integer({ min: 1, max: 60 }),
        (deltas, cap) => {
          const meter = createChoiceMeter(tokenizer, cap);
          const out = deltas.map((delta) => meter.accept(delta));
          const expected = reference(deltas, cap);
          assert.deepEqual(out, expected.out);
          assert.equal(meter.finishReason(), expected.reason);
          assert.equal(meter.text(), expected.text);
          assert.equal(meter.tokens(), tokenizer.count(expected.text));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("relays an echoed prompt without counting it as output", () => {
    const meter = createChoiceMeter(tokenizer, 100, "Once upon");
    assert.equal(meter.accept("Once up"), "Once up");
    assert.equal(meter.accept("on a time"), "on a time");
    assert.equal(meter.text(), " a time");
    assert.equal(meter.tokens(), tokenizer.count(" a time"));
  });
});
