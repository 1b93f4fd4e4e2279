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

/**
 * One split regex per tokenizer, shared by all its counters (compiling the pre-tokenizer regex once per counter
 * showed in profiles): every use below resets `lastIndex` and runs its `exec` loop to the end synchronously.
 */
const splitRegexes = new WeakMap<Tokenizer, RegExp>();

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
  return new Counter(tokenizer);
}

/** A whitespace piece of the tail: its start in the tail and its text. */
type WsPiece = { start: number; text: string };

/**
 * The counter. A class rather than closures: one is made per choice of every job, and closures cost an
 * allocation each (and, under tsx, a `name` property defined on each).
 */
class Counter implements StreamCounter {
  private readonly split: RegExp;
  private readonly breaksTrailingWhitespaceAfterLastNewline: boolean;
  private readonly runClasses: readonly RegExp[];
  private done = ""; // text of the final pieces
  private doneTokens = 0;
  private tail = ""; // the unfinished text, from offset done.length (a rope: read only when the regex runs)
  private lastNonSpace = -1; // offset in `tail` of its last non-whitespace unit (-1: the tail is only whitespace)
  private pieces: [start: number, text: string | null][] = []; // the tail's pieces; null: read the grower at start
  private tailTokens: number | null = 0; // null: not counted since the last push
  private readonly growing = new Map<number, GrowingPiece>(); // incremental encodings, by absolute start offset
  // While the tail is only whitespace: its one piece, or two (o200k splits after the last line break).
  private wsPieces: WsPiece[] = [{ start: 0, text: "" }];
  private run: RegExp | null = null; // the tail is one long piece that deltas of this class extend
  private lastUnit = 0; // the last UTF-16 unit pushed

  constructor(private readonly tokenizer: Tokenizer) {
    let split = splitRegexes.get(tokenizer);
    if (split === undefined) {
      split = tokenizer.splitRegex();
      splitRegexes.set(tokenizer, split);
    }
    this.split = split;
    this.breaksTrailingWhitespaceAfterLastNewline = tokenizer.facts.breaksTrailingWhitespaceAfterLastNewline;
    this.runClasses = tokenizer.facts.runClasses;
  }

  private grower(at: number): GrowingPiece {
    let g = this.growing.get(at);
    if (g === undefined) {
      g = createGrowingPiece(this.tokenizer);
      this.growing.set(at, g);
    }
    return g;
  }

  private dropGrowers(from: number) {
    for (const at of this.growing.keys()) if (at >= from) this.growing.delete(at);
  }

  /** Tokens of the piece `text` at `start` in the tail; a long piece keeps (`keep`) or reuses its encoding. */
  private countAt(start: number, text: string, keep: boolean): number {
    if (text.length <= LONG_PIECE) return this.tokenizer.countPiece(text);
    const at = this.done.length + start;
    if (!keep && !this.growing.has(at)) return this.tokenizer.countPiece(text);
    const g = this.grower(at);
    if (text.length > g.units) g.extend(text.slice(g.units));
    else if (text.length < g.units) g.reset(text);
    return g.tokens;
  }

  /** Appends to a whitespace piece; a long one keeps an incremental encoding (a rope of text never read again). */
  private appendWs(piece: WsPiece, added: string) {
    const at = this.done.length + piece.start;
    const g = this.growing.get(at);
    if (g !== undefined) g.extend(added);
    else if (piece.text.length + added.length > LONG_PIECE) this.grower(at).extend(piece.text + added);
    piece.text += added;
  }

  /** The tail is only whitespace, `delta` included: grow its one or two pieces. */
  private pushWhitespace(delta: string) {
    let newline = -1;
    if (this.breaksTrailingWhitespaceAfterLastNewline) {
      for (let i = delta.length - 1; i >= 0 && newline < 0; i--) if (isNewline(delta.charCodeAt(i))) newline = i;
    }
    const first = this.wsPieces[0] as WsPiece;
    const last = this.wsPieces[this.wsPieces.length - 1] as WsPiece;
    if (newline < 0) {
      this.appendWs(last, delta);
    } else {
      // The first piece swallows the last one and the delta up to its last line break; a new last piece starts.
      if (last !== first) {
        this.appendWs(first, last.text);
        this.growing.delete(this.done.length + last.start);
      }
      this.appendWs(first, delta.slice(0, newline + 1));
      this.wsPieces = [first];
      if (newline + 1 < delta.length) {
        const next = { start: this.tail.length + newline + 1, text: "" };
        this.appendWs(next, delta.slice(newline + 1));
        this.wsPieces.push(next);
      }
    }
    this.tail += delta;
  }

  /** Splits `tail` with the regex and moves the pieces that can no longer change into `done`. */
  private settle() {
    const split = this.split;
    const tail = this.tail;
    const n = tail.length;
    const pieces: [number, string | null][] = [];
    let cut = 0;
    split.lastIndex = 0;
    for (let m = split.exec(tail); m !== null; m = split.exec(tail)) {
      const end = m.index + m[0].length;
      if (pieces.length === 0 && end + MARGIN <= n && m.index <= this.lastNonSpace) {
        this.doneTokens += this.countAt(m.index, m[0], false);
        this.growing.delete(this.done.length + m.index);
        cut = end;
      } else {
        pieces.push([m.index - cut, m[0]]);
      }
    }
    this.pieces = pieces;
    if (cut > 0) {
      this.done += tail.slice(0, cut);
      this.tail = tail.slice(cut);
      this.lastNonSpace -= cut;
    }
    if (this.lastNonSpace < 0) {
      // Only whitespace is left: from now on it grows without the regex.
      this.pieces = [];
      this.wsPieces = [{ start: 0, text: "" }];
      this.dropGrowers(this.done.length);
      const text = this.tail;
      this.tail = "";
      this.pushWhitespace(text);
    } else if (pieces.length === 1) {
      this.run = this.runOf(this.tail);
      if (this.run !== null) {
        this.countAt(0, this.tail, true);
        this.pieces = [[0, null]];
      }
    }
  }

  /** The class of deltas that only extend `piece`, the whole tail, or null (see `PieceFacts.runClasses`). */
  private runOf(piece: string): RegExp | null {
    if (piece.length <= LONG_PIECE || piece.slice(-3).includes("'") || /[\r\n]/.test(piece)) return null;
    const lastChar = isLow(piece.charCodeAt(piece.length - 1)) ? piece.slice(-2) : piece.slice(-1);
    for (const c of this.runClasses) if (c.test(lastChar)) return c;
    return null;
  }

  settled() {
    return { finalTokens: this.doneTokens, unfinishedUnits: this.tail.length };
  }

  push(delta: string) {
    if (typeof delta !== "string") throw new TypeError(`push expects a string delta, got ${typeof delta}`);
    if (delta.length === 0) return;
    this.tailTokens = null;
    let i = delta.length - 1;
    while (i >= 0 && isSpace(delta.charCodeAt(i))) i--;
    if (i < 0 && this.lastNonSpace < 0) {
      this.lastUnit = delta.charCodeAt(delta.length - 1);
      return this.pushWhitespace(delta);
    }
    // A surrogate pair split across deltas is tested whole: the piece's last code point may change class.
    const probe =
      isHigh(this.lastUnit) && isLow(delta.charCodeAt(0)) ? String.fromCharCode(this.lastUnit) + delta : delta;
    this.lastUnit = delta.charCodeAt(delta.length - 1);
    if (this.run?.test(probe)) {
      this.grower(this.done.length).extend(delta); // the one long piece just got longer
      this.tail += delta;
      this.lastNonSpace = this.tail.length - 1;
      return;
    }
    this.run = null;
    if (this.lastNonSpace < 0) this.dropGrowers(this.done.length + 1); // whitespace pieces are re-split by the regex
    if (i >= 0) this.lastNonSpace = this.tail.length + i;
    this.tail += delta;
    this.settle();
  }

  tokens() {
    if (this.tailTokens === null) {
      let tailTokens = 0;
      const base = this.done.length;
      if (this.lastNonSpace < 0) {
        for (const { start, text } of this.wsPieces) {
          tailTokens += this.growing.get(base + start)?.tokens ?? this.tokenizer.countPiece(text);
        }
      } else if (this.growing.size === 0) {
        for (const [start, text] of this.pieces) if (text !== null) tailTokens += this.countAt(start, text, true);
      } else {
        const live = new Set<number>();
        for (const [start, text] of this.pieces) {
          tailTokens += text === null ? this.grownTokens(base + start) : this.countAt(start, text, true);
          live.add(base + start);
        }
        for (const at of this.growing.keys()) if (!live.has(at)) this.growing.delete(at);
      }
      this.tailTokens = tailTokens;
    }
    return this.doneTokens + this.tailTokens;
  }

  /** Tokens of the grown piece at `at`; its encoding is kept while the piece is read from it (never counted as 0). */
  private grownTokens(at: number): number {
    const grown = this.growing.get(at);
    if (!grown) throw new Error(`stream counter: no encoding kept for the growing piece at ${at}`);
    return grown.tokens;
  }

  tokensWith(delta: string) {
    if (typeof delta !== "string") throw new TypeError(`tokensWith expects a string delta, got ${typeof delta}`);
    // The final pieces stay as they are whatever follows; the tail starts where a piece starts.
    return this.doneTokens + this.tokenizer.count(this.tail + delta);
  }

  text() {
    return this.done + this.tail;
  }
}
