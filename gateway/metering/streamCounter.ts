import { createGrowingPiece, type GrowingPiece } from "./growingPiece.js";
import type { Tokenizer } from "./tokenizer.js";

/**
 * Counting tokens while relaying a stream, exactly and cheaply. The tokenizer byte-pair encodes each piece of its
 * pre-tokenizer regex separately, so the count of a text is the sum over its pieces. Appending text can only
 * change the pieces whose matching looked at the end of the text; every piece before them is final and is
 * counted once. Only the trailing, unfinished pieces are kept and recounted.
 *
 * When is a piece final? Matching a piece `[p, e)` reads at most:
 *  - 3 code points past `e` (a contraction suffix such as `'ll` after a word, or a lookahead), hence
 *    `e + 6 ≤ n` in UTF-16 units suffices, which also keeps a surrogate pair split across deltas out of it;
 *  - the whole whitespace run starting at `p` (`\s*[\r\n]+`, `\s+(?!\S)`, `\s+$` look for its end), hence a
 *    non-whitespace character must follow `p` somewhere in the text.
 * We require `e + MARGIN ≤ n` with MARGIN = 8 (2 spare units) and a non-whitespace character at or after `p`.
 *
 * Long runs stay linear (a few µs per character at worst, `scripts/bench/tokenCounting.ts`): a long unfinished
 * piece keeps its encoding across deltas (`growingPiece.ts`), and the regex is skipped while the unfinished text is
 * only whitespace or one long piece that the delta merely extends (`Tokenizer.facts`). A long piece mixing classes
 * (say `中A中A…`) still re-runs the regex over itself on each delta; its tokens are short, so the completion cap
 * bounds it.
 */

/** Units of text kept after a piece before it is taken as final (see the module doc). */
const MARGIN = 8;
/** Unfinished pieces longer than this (UTF-16 units) keep an incremental encoding. */
const LONG_PIECE = 64;
const SPACES = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff,
]);
/**
 * Whether a UTF-16 unit is JavaScript's `\s` (every `\s` character is a single unit).
 * @param unit A UTF-16 code unit.
 * @returns True for exactly the units `/\s/u` matches.
 * @example isWhitespaceUnit(0x20) // true
 */
export const isWhitespaceUnit = (unit: number) => SPACES.has(unit) || (unit >= 0x2000 && unit <= 0x200a);
const isSpace = isWhitespaceUnit;
const isNewline = (unit: number) => unit === 0x0a || unit === 0x0d;
const isHigh = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/** A running count over a streamed text. */
export type StreamCounter = {
  /** Appends a delta of the output, as relayed. */
  push(delta: string): void;
  /** The exact token count of everything pushed so far (equals `tokenizer.count(text())`). */
  tokens(): number;
  /**
   * The exact count if `delta` were pushed (`tokenizer.count(text() + delta)`), without pushing it: to keep a
   * completion within its cap. Costs a count of the unfinished tail plus `delta`, not of the whole text.
   */
  tokensWith(delta: string): number;
  /** Everything pushed so far. */
  text(): string;
  /**
   * Tokens of the final pieces and UTF-16 units of the unfinished tail: appending `delta` can only change the
   * tail, so `count(text() + delta) ≤ finalTokens + 3 × (unfinishedUnits + delta.length)` (a token is at least
   * one UTF-8 byte, a UTF-16 unit at most three). A cheap bound that spares `tokensWith` far from a cap.
   */
  settled(): { finalTokens: number; unfinishedUnits: number };
};

/**
 * Creates a streaming token counter.
 * @param tokenizer The model's tokenizer (`getTokenizer(entry.tokenizer)`).
 * @returns A counter whose `tokens()` is exact after every `push`, whatever the split of the text into deltas.
 * @example
 * const counter = createStreamCounter(getTokenizer("o200k_base"));
 * for await (const delta of deltas) counter.push(delta);
 * counter.tokens(); // === getTokenizer("o200k_base").count(counter.text())
 */
export function createStreamCounter(tokenizer: Tokenizer): StreamCounter {
  const split = tokenizer.splitRegex();
  const { breaksTrailingWhitespaceAfterLastNewline, runClasses } = tokenizer.facts;
  let done = ""; // text of the final pieces
  let doneTokens = 0;
  let tail = ""; // the unfinished text, from offset done.length (a rope: read only when the regex runs)
  let lastNonSpace = -1; // offset in `tail` of its last non-whitespace unit (-1: the tail is only whitespace)
  let pieces: [start: number, text: string | null][] = []; // the tail's pieces; null: read the grower at start
  let tailTokens: number | null = 0; // null: not counted since the last push
  const growing = new Map<number, GrowingPiece>(); // incremental encodings, by absolute start offset
  // While the tail is only whitespace: its one piece, or two (o200k splits after the last line break).
  let wsPieces: { start: number; text: string }[] = [{ start: 0, text: "" }];
  let run: RegExp | null = null; // the tail is one long piece that deltas of this class extend
  let lastUnit = 0; // the last UTF-16 unit pushed

  const grower = (at: number) => {
    let g = growing.get(at);
    if (g === undefined) {
      g = createGrowingPiece(tokenizer);
      growing.set(at, g);
    }
    return g;
  };
  const dropGrowers = (from: number) => {
    for (const at of growing.keys()) if (at >= from) growing.delete(at);
  };
  /** Tokens of the piece `text` at `start` in the tail; a long piece keeps (`keep`) or reuses its encoding. */
  const countAt = (start: number, text: string, keep: boolean): number => {
    if (text.length <= LONG_PIECE) return tokenizer.countPiece(text);
    const at = done.length + start;
    if (!keep && !growing.has(at)) return tokenizer.countPiece(text);
    const g = grower(at);
    if (text.length > g.units) g.extend(text.slice(g.units));
    else if (text.length < g.units) g.reset(text);
    return g.tokens;
  };

  /** Appends to a whitespace piece; a long one keeps an incremental encoding (a rope of text never read again). */
  const appendWs = (piece: { start: number; text: string }, added: string) => {
    const at = done.length + piece.start;
    const g = growing.get(at);
    if (g !== undefined) g.extend(added);
    else if (piece.text.length + added.length > LONG_PIECE) grower(at).extend(piece.text + added);
    piece.text += added;
  };

  /** The tail is only whitespace, `delta` included: grow its one or two pieces. */
  const pushWhitespace = (delta: string) => {
    let newline = -1;
    if (breaksTrailingWhitespaceAfterLastNewline) {
      for (let i = delta.length - 1; i >= 0 && newline < 0; i--) if (isNewline(delta.charCodeAt(i))) newline = i;
    }
    const first = wsPieces[0] as { start: number; text: string };
    const last = wsPieces[wsPieces.length - 1] as { start: number; text: string };
    if (newline < 0) {
      appendWs(last, delta);
    } else {
      // The first piece swallows the last one and the delta up to its last line break; a new last piece starts.
      if (last !== first) {
        appendWs(first, last.text);
        growing.delete(done.length + last.start);
      }
      appendWs(first, delta.slice(0, newline + 1));
      wsPieces = [first];
      if (newline + 1 < delta.length) {
        const next = { start: tail.length + newline + 1, text: "" };
        appendWs(next, delta.slice(newline + 1));
        wsPieces.push(next);
      }
    }
    tail += delta;
  };

  /** Splits `tail` with the regex and moves the pieces that can no longer change into `done`. */
  const settle = () => {
    const n = tail.length;
    pieces = [];
    let cut = 0;
    split.lastIndex = 0;
    for (let m = split.exec(tail); m !== null; m = split.exec(tail)) {
      const end = m.index + m[0].length;
      if (pieces.length === 0 && end + MARGIN <= n && m.index <= lastNonSpace) {
        doneTokens += countAt(m.index, m[0], false);
        growing.delete(done.length + m.index);
        cut = end;
      } else {
        pieces.push([m.index - cut, m[0]]);
      }
    }
    if (cut > 0) {
      done += tail.slice(0, cut);
      tail = tail.slice(cut);
      lastNonSpace -= cut;
    }
    if (lastNonSpace < 0) {
      // Only whitespace is left: from now on it grows without the regex.
      pieces = [];
      wsPieces = [{ start: 0, text: "" }];
      dropGrowers(done.length);
      const text = tail;
      tail = "";
      pushWhitespace(text);
    } else if (pieces.length === 1) {
      run = runOf(tail);
      if (run !== null) {
        countAt(0, tail, true);
        pieces = [[0, null]];
      }
    }
  };

  /** The class of deltas that only extend `piece`, the whole tail, or null (see `PieceFacts.runClasses`). */
  const runOf = (piece: string): RegExp | null => {
    if (piece.length <= LONG_PIECE || piece.slice(-3).includes("'") || /[\r\n]/.test(piece)) return null;
    const lastChar = isLow(piece.charCodeAt(piece.length - 1)) ? piece.slice(-2) : piece.slice(-1);
    return runClasses.find((c) => c.test(lastChar)) ?? null;
  };

  return {
    settled: () => ({ finalTokens: doneTokens, unfinishedUnits: tail.length }),
    push(delta) {
      if (typeof delta !== "string") throw new TypeError(`push expects a string delta, got ${typeof delta}`);
      if (delta.length === 0) return;
      tailTokens = null;
      let i = delta.length - 1;
      while (i >= 0 && isSpace(delta.charCodeAt(i))) i--;
      if (i < 0 && lastNonSpace < 0) {
        lastUnit = delta.charCodeAt(delta.length - 1);
        return pushWhitespace(delta);
      }
      // A surrogate pair split across deltas is tested whole: the piece's last code point may change class.
      const probe = isHigh(lastUnit) && isLow(delta.charCodeAt(0)) ? String.fromCharCode(lastUnit) + delta : delta;
      lastUnit = delta.charCodeAt(delta.length - 1);
      if (run?.test(probe)) {
        grower(done.length).extend(delta); // the one long piece just got longer
        tail += delta;
        lastNonSpace = tail.length - 1;
        return;
      }
      run = null;
      if (lastNonSpace < 0) dropGrowers(done.length + 1); // whitespace pieces are re-split by the regex
      if (i >= 0) lastNonSpace = tail.length + i;
      tail += delta;
      settle();
    },
    tokens() {
      if (tailTokens === null) {
        tailTokens = 0;
        if (lastNonSpace < 0) {
          for (const { start, text } of wsPieces) {
            tailTokens += growing.get(done.length + start)?.tokens ?? tokenizer.countPiece(text);
          }
        } else {
          const live = new Set<number>();
          for (const [start, text] of pieces) {
            tailTokens += text === null ? (growing.get(done.length + start)?.tokens ?? 0) : countAt(start, text, true);
            live.add(done.length + start);
          }
          for (const at of growing.keys()) if (!live.has(at)) growing.delete(at);
        }
      }
      return doneTokens + tailTokens;
    },
    tokensWith(delta) {
      if (typeof delta !== "string") throw new TypeError(`tokensWith expects a string delta, got ${typeof delta}`);
      // The final pieces stay as they are whatever follows; the tail starts where a piece starts.
      return doneTokens + tokenizer.count(tail + delta);
    },
    text: () => done + tail,
  };
}
