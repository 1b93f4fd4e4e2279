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

  it("relays an echoed prompt without counting it as output", () => {
    const meter = createChoiceMeter(tokenizer, 100, "Once upon");
    assert.equal(meter.accept("Once up"), "Once up");
    assert.equal(meter.accept("on a time"), "on a time");
    assert.equal(meter.text(), " a time");
    assert.equal(meter.tokens(), tokenizer.count(" a time"));
  });
});
