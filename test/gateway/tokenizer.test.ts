import assert from "node:assert/strict";
import fc from "fast-check";
import { countTokens as cl100kCount } from "gpt-tokenizer/encoding/cl100k_base";
import { countTokens as o200kCount } from "gpt-tokenizer/encoding/o200k_base";
import { describe, it } from "mocha";
import { createGrowingPiece } from "../../gateway/metering/growingPiece.js";
import { isWhitespaceUnit } from "../../gateway/metering/streamCounter.js";
import { getTokenizer, type TokenizerName } from "../../gateway/metering/tokenizer.js";
import { arbText, classRun, longRun, splitAt } from "./textArbitraries.js";

/** gpt-tokenizer's public counter, with special-token strings counted as plain text (tiktoken `disallowed_special=()`). */
const libraryCount: Record<TokenizerName, (text: string) => number> = {
  o200k_base: (text) => o200kCount(text, { disallowedSpecial: new Set() }),
  cl100k_base: (text) => cl100kCount(text, { disallowedSpecial: new Set() }),
};
const NAMES: TokenizerName[] = ["o200k_base", "cl100k_base"];
const utf8 = (text: string) => new TextEncoder().encode(text);
const regexPieces = (name: TokenizerName, text: string) => [...getTokenizer(name).pieces(text)].map((m) => m[0]);

describe("gateway/metering/tokenizer", () => {
  describe("#getTokenizer", () => {
    it("counts the published reference examples", () => {
      assert.equal(getTokenizer("o200k_base").count("hello world"), 2);
      assert.equal(getTokenizer("cl100k_base").count("hello world"), 2);
      // OpenAI cookbook, "How to count tokens with tiktoken": 6 tokens in both encodings.
      assert.equal(getTokenizer("o200k_base").count("tiktoken is great!"), 6);
      assert.equal(getTokenizer("cl100k_base").count("tiktoken is great!"), 6);
      assert.equal(getTokenizer("o200k_base").count(""), 0);
    });

    it("returns one instance per name and refuses unknown names", () => {
      assert.equal(getTokenizer("o200k_base"), getTokenizer("o200k_base"));
      assert.throws(() => getTokenizer("p50k_base" as TokenizerName), /unknown tokenizer "p50k_base"/);
    });

    it("counts special-token strings as plain text instead of failing", () => {
      for (const name of NAMES) {
        const t = getTokenizer(name);
        assert.ok(t.count("<|endoftext|>") > 1, name);
        assert.equal(t.count("a<|endoftext|>b<|im_start|>"), libraryCount[name]("a<|endoftext|>b<|im_start|>"));
      }
    });

    for (const name of NAMES) {
      it(`${name}: equals gpt-tokenizer's own countTokens on any text, long pieces included (property)`, () => {
        const t = getTokenizer(name);
        fc.assert(
          fc.property(arbText, (text) => t.count(text) === libraryCount[name](text)),
          { numRuns: 300 },
        );
      });
    }

    it("counts a long run of one character in linear time, like gpt-tokenizer but without its quadratic merge", () => {
      for (const [unit, times] of [
        ["a", 3_000],
        [" ", 3_000],
        ["中", 1_000],
        ["😀", 500],
        ["-", 3_000],
      ] as const) {
        const text = unit.repeat(times);
        assert.equal(getTokenizer("o200k_base").count(text), libraryCount.o200k_base(text), unit);
      }
    });

    it("rejects a non-string", () => {
      assert.throws(() => getTokenizer("o200k_base").count(undefined as unknown as string), TypeError);
    });
  });

  describe("#countChat", () => {
    const t = getTokenizer("o200k_base");
    it("counts 3 per message, the role, the content, 1 + tokens per name, and 3 to prime the reply", () => {
      assert.equal(t.countChat([]), 3);
      assert.equal(t.countChat([{ role: "user", content: "hello world" }]), 3 + (3 + 1 + 2));
      const messages = [
        { role: "system", content: "You are terse." },
        { role: "user", content: "tiktoken is great!", name: "ada" },
      ];
      const system = 3 + t.count("system") + t.count("You are terse.");
      const user = 3 + t.count("user") + 6 + 1 + t.count("ada");
      assert.equal(t.countChat(messages), 3 + system + user);
    });

    it("rejects a message without string content (a missing prompt is never zero)", () => {
      assert.throws(
        () => t.countChat([{ role: "user" } as never]),
        /messages\[0\] needs a string role and a string content/,
      );
    });
  });

  describe("#bpe (the heap merge)", () => {
    for (const name of NAMES) {
      it(`${name}: gives gpt-tokenizer's merge of every piece (property)`, () => {
        const t = getTokenizer(name);
        fc.assert(
          fc.property(arbText, (text) =>
            regexPieces(name, text).every((piece) => {
              const bytes = utf8(piece);
              return t.isToken(piece) || t.bpe(bytes, 0, bytes.length).ends.length === libraryCount[name](piece);
            }),
          ),
          { numRuns: 300 },
        );
      });
    }
  });

  describe("createGrowingPiece", () => {
    it("equals a full encode after any sequence of growth, surrogate pairs split included (property)", () => {
      const t = getTokenizer("o200k_base");
      fc.assert(
        fc.property(fc.oneof(longRun, classRun), fc.array(fc.nat(), { maxLength: 30 }), (piece, points) => {
          const grower = createGrowingPiece(t);
          let text = "";
          for (const part of splitAt(piece, points)) {
            grower.extend(part);
            text += part;
            const bytes = utf8(text);
            const expected = t.isToken(text) ? 1 : t.bpe(bytes, 0, bytes.length).ends.length;
            if (grower.tokens !== expected || grower.units !== text.length) return false;
          }
          return true;
        }),
        { numRuns: 300 },
      );
    });
  });

  describe("facts about the pre-tokenizers (used by the stream counter to skip the regex)", () => {
    it("isWhitespaceUnit is /\\s/u on every UTF-16 unit", () => {
      for (let unit = 0; unit <= 0xffff; unit++) {
        assert.equal(isWhitespaceUnit(unit), /\s/u.test(String.fromCharCode(unit)), `U+${unit.toString(16)}`);
      }
    });

    const whitespace = fc.string({
      unit: fc.constantFrom(" ", "\t", "\n", "\r", "\u00a0", "\u2028", "\u3000", "\ufeff"),
      minLength: 1,
    });
    for (const name of NAMES) {
      it(`${name}: a whitespace run at the end of a text splits as breaksTrailingWhitespaceAfterLastNewline says`, () => {
        const { breaksTrailingWhitespaceAfterLastNewline } = getTokenizer(name).facts;
        // The stream counter's tail always starts where a piece starts, so the regex matches the run from its start.
        fc.assert(
          fc.property(whitespace, (ws) => {
            const cut = breaksTrailingWhitespaceAfterLastNewline
              ? Math.max(ws.lastIndexOf("\n"), ws.lastIndexOf("\r")) + 1
              : 0;
            const expected = [ws.slice(0, cut), ws.slice(cut)].filter((p) => p.length > 0);
            return JSON.stringify(regexPieces(name, ws)) === JSON.stringify(expected);
          }),
        );
      });

      it(`${name}: a long piece ending in a run class is only extended by more of that class`, () => {
        const { runClasses } = getTokenizer(name).facts;
        fc.assert(
          fc.property(
            fc.constantFrom("", " ", "x", "A", "-"),
            classRun,
            fc.nat(),
            fc.integer({ min: 1, max: 8 }),
            (before, run, at, k) => {
              const delta = run.slice(at % run.length, (at % run.length) + k); // mostly characters of the run's class
              const pieces = regexPieces(name, before + run);
              const last = pieces.at(-1) as string;
              const lastChar = /[\udc00-\udfff]$/.test(last) ? last.slice(-2) : last.slice(-1);
              const cls = runClasses.find((c) => c.test(lastChar));
              // As the counter does: a surrogate pair completed by the delta is tested whole.
              const probe =
                /[\ud800-\udbff]$/.test(last) && /^[\udc00-\udfff]/.test(delta) ? last.slice(-1) + delta : delta;
              if (
                last.length <= 64 ||
                cls === undefined ||
                !cls.test(probe) ||
                last.slice(-3).includes("'") ||
                /[\r\n]/.test(last)
              ) {
                return true;
              }
              const after = regexPieces(name, before + run + delta);
              return after.length === pieces.length && after.at(-1) === last + delta;
            },
          ),
          { numRuns: 500 },
        );
      });
    }
  });
});
