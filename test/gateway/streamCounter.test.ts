import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, it } from "mocha";
import { createStreamCounter } from "../../gateway/metering/streamCounter.js";
import { getTokenizer, type Tokenizer, type TokenizerName } from "../../gateway/metering/tokenizer.js";
import { arbText, splitAt } from "./textArbitraries.js";

const NAMES: TokenizerName[] = ["o200k_base", "cl100k_base"];

/** Streams `deltas`, checking after each one (when `checkEvery`) that the count equals a full recount. */
const streamed = (tokenizer: Tokenizer, deltas: string[], checkEvery = false) => {
  const counter = createStreamCounter(tokenizer);
  let text = "";
  for (const delta of deltas) {
    counter.push(delta);
    text += delta;
    if (checkEvery) assert.equal(counter.tokens(), tokenizer.count(text), `after ${JSON.stringify(text.slice(-40))}`);
  }
  return counter;
};

/** A tokenizer that tallies the work done through it: bytes merged, and text units the regex scanned. */
function spied(name: TokenizerName) {
  const base = getTokenizer(name);
  const work = { merged: 0, scanned: 0 };
  class ScanningRegExp extends RegExp {
    override exec(text: string) {
      const from = this.lastIndex;
      const m = super.exec(text);
      work.scanned += (m === null ? text.length : this.lastIndex) - from;
      return m;
    }
  }
  const tokenizer: Tokenizer = {
    ...base,
    bpe: (bytes, from, to) => {
      work.merged += to - from;
      return base.bpe(bytes, from, to);
    },
    splitRegex: () => new ScanningRegExp(base.splitRegex().source, "gu"),
  };
  return { tokenizer, work };
}

describe("gateway/metering/streamCounter", () => {
  const cases: [string, string[]][] = [
    ["a contraction completed by a later delta", ["I'", "l", "l go, don", "'", "l", "l", " x"]],
    ["an uppercase contraction completed by a later delta", ["Z'RE", "L", " x"]],
    ["a newline after a whitespace run", ["a\n", "   ", "     ", "\n", "b"]],
    ["only line breaks", ["\n\n\n\n\n\n\n\n\n\n", "\n\n", "x"]],
    ["a surrogate pair split across deltas", ["x \ud835", "\udc00bc \ud83d", "\ude00!"]],
    ["spaces before a word", ["hello", " ", " ", " world", "   "]],
    ["digits in groups of three", ["12", "3", "45", "6789", " 1"]],
    ["CJK and combining marks", ["中", "文e", "\u0301", "ß", " ア", "イ"]],
    ["one character per delta", [..."The quick brown fox's 12345 jumps\r\n\r\n  over // the lazy dog!!"]],
    ["a long run of dashes ended by a line break", ["-".repeat(70), "--", "-\n", "--"]],
    ["a long lowercase run turning uppercase", ["a".repeat(70), "aa", "AA", "a"]],
    ["a long emoji run whose pairs are split", ["😀".repeat(40), "\ud83d", "\ude00\ud835", "\udc00"]],
    ["a long run of spaces, then a word", [" ".repeat(100), "  ", "\n ", "   ", "x"]],
  ];
  for (const name of NAMES) {
    for (const [what, deltas] of cases) {
      it(`${name}: is exact after every delta: ${what}`, () => {
        const counter = streamed(getTokenizer(name), deltas, true);
        assert.equal(counter.text(), deltas.join(""));
      });
    }

    it(`${name}: equals count(text) after every delta, for any text split at any points (property)`, () => {
      const t = getTokenizer(name);
      fc.assert(
        fc.property(arbText, fc.array(fc.nat(), { maxLength: 30 }), (text, points) => {
          const counter = streamed(t, splitAt(text, points), true);
          return counter.text() === text && counter.tokens() === t.count(text);
        }),
        { numRuns: 1_500 },
      );
    });
  }

  for (const name of NAMES) {
    it(`${name}: tokensWith(delta) is the count of text + delta, and changes nothing (property)`, () => {
      const t = getTokenizer(name);
      fc.assert(
        fc.property(arbText, fc.array(fc.nat(), { maxLength: 10 }), arbText, (text, points, delta) => {
          const counter = streamed(t, splitAt(text, points));
          const before = counter.tokens();
          return (
            counter.tokensWith(delta) === t.count(text + delta) &&
            counter.tokens() === before &&
            counter.text() === text
          );
        }),
        { numRuns: 500 },
      );
    });
  }

  describe("work stays linear in the text, whatever the text", () => {
    const texts: [string, string][] = [
      ["prose", "Basis meters every job on the server, in integer base units. ".repeat(300)],
      ["spaces", " ".repeat(20_000)],
      ["line breaks and indentation", "\n    ".repeat(4_000)],
      ["dashes", "-".repeat(20_000)],
      ["emoji", "😀".repeat(5_000)],
      ["one letter", "a".repeat(20_000)],
    ];
    for (const [what, text] of texts) {
      for (const size of [1, 4]) {
        it(`${what}, ${size}-unit deltas, count read after each: per unit ≤ 128 bytes merged, ≤ 40 units scanned`, () => {
          const { tokenizer, work } = spied("o200k_base");
          const counter = createStreamCounter(tokenizer);
          for (let i = 0; i < text.length; i += size) {
            counter.push(text.slice(i, i + size));
            counter.tokens();
          }
          assert.equal(counter.tokens(), getTokenizer("o200k_base").count(text));
          // 128 = the longest token: a delta re-merges at most the last token or two of a long piece.
          assert.ok(work.merged <= 128 * text.length, `merged ${work.merged} bytes for ${text.length} units`);
          assert.ok(work.scanned <= 40 * text.length, `scanned ${work.scanned} units for ${text.length}`);
        });
      }
    }
  });

  it("ignores empty deltas and rejects non-strings", () => {
    const counter = createStreamCounter(getTokenizer("o200k_base"));
    counter.push("");
    assert.equal(counter.tokens(), 0);
    assert.throws(() => counter.push(undefined as unknown as string), TypeError);
  });
});

describe("gateway › metering › createStreamCounter › settled", () => {
  it("bounds the count after any delta: count(text + delta) <= finalTokens + 3 × (unfinishedUnits + delta.length)", async () => {
    const { default: fc } = await import("fast-check");
    const { getTokenizer } = await import("../../gateway/metering/tokenizer.js");
    const { createStreamCounter } = await import("../../gateway/metering/streamCounter.js");
    const tokenizer = getTokenizer("o200k_base");
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme", maxLength: 10 }), { maxLength: 25 }),
        fc.string({ unit: "grapheme", maxLength: 10 }),
        (deltas, next) => {
          const counter = createStreamCounter(tokenizer);
          for (const d of deltas) counter.push(d);
          const { finalTokens, unfinishedUnits } = counter.settled();
          return tokenizer.count(counter.text() + next) <= finalTokens + 3 * (unfinishedUnits + next.length);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
