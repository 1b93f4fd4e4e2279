import type { Tokenizer } from "./tokenizer.js";

/**
 * The byte-pair encoding of one pre-tokenizer piece that grows at its end (the last piece of a stream: a long
 * run of spaces, emoji, CJK or one letter), updated in time proportional to the growth instead of the length.
 *
 * It rests on two properties of byte-pair encoding (github/rust-gems `bpe` crate, "Properties of BPE"): any run
 * of consecutive tokens of an encoding is the encoding of its own bytes (II), and two encodings that share a
 * token at the seam glue into the encoding of the whole (III). So after appending bytes, re-encode from the start
 * of some token `e_j` of the old encoding (first: of the new bytes alone): if `e_{j-1}` and the re-encoding's first
 * token `f_0` side by side are their own encoding (a memoized check), the encoding of the whole is
 * `e_0..e_{j-1} f` (III twice). Otherwise back off (1, 2, 4… tokens) and try again, down to a full re-encode.
 * The tests compare it with a full encode on random growth.
 */
export type GrowingPiece = {
  /** UTF-16 length of the piece so far. */
  readonly units: number;
  /** Token count of the piece so far (1 when the whole piece is a token, as tiktoken counts it). */
  readonly tokens: number;
  /** The piece grew by `added` at its end. */
  extend(added: string): void;
  /** The piece is now `piece` (it changed other than by growing): encode it from scratch. */
  reset(piece: string): void;
};

const encoder = new TextEncoder();
const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;

/**
 * Creates the incremental encoder of one growing piece, empty.
 * @param tokenizer The tokenizer (its heap merge `bpe` and whole-piece lookup `isToken`).
 * @returns A `GrowingPiece`.
 * @example const piece = createGrowingPiece(getTokenizer("o200k_base")); piece.extend(" ".repeat(1_000)); piece.tokens
 */
export function createGrowingPiece(tokenizer: Tokenizer): GrowingPiece {
  let bytes = new Uint8Array(64);
  let byteLength = 0;
  let units = 0;
  let lastUnit = ""; // a trailing lone high surrogate is encoded as U+FFFD (3 bytes) and may yet pair up
  let short: string | null = ""; // the text while it is short enough to be a single token
  let ends: number[] = []; // end offset of each token of the encoding of bytes[0..byteLength)
  let ranks: number[] = []; // and its rank
  let tokens = 0;

  /** Re-encodes after the bytes past `keptBytes` changed; tokens 0..kept-1 lie wholly before them. */
  const reencode = (kept: number) => {
    for (let back = 0; ; back = back === 0 ? 1 : back * 2) {
      const j = kept - back; // keep tokens 0..j-1, re-encode from the start of old token j
      if (j <= 0) {
        ({ ends, ranks } = tokenizer.bpe(bytes, 0, byteLength));
        return;
      }
      const tail = tokenizer.bpe(bytes, ends[j - 1] as number, byteLength);
      if (tokenizer.compatible(ranks[j - 1] as number, tail.ranks[0] as number)) {
        ends.length = j;
        ranks.length = j;
        for (const [k, end] of tail.ends.entries()) {
          ends.push(end);
          ranks.push(tail.ranks[k] as number);
        }
        return;
      }
    }
  };

  const piece: GrowingPiece = {
    get units() {
      return units;
    },
    get tokens() {
      return tokens;
    },
    extend(added) {
      if (added.length === 0) return;
      const redo = isHighSurrogate(lastUnit.charCodeAt(0));
      const keptBytes = redo ? byteLength - 3 : byteLength;
      const text = redo ? lastUnit + added : added;
      if (keptBytes + text.length * 3 > bytes.length) {
        const grown = new Uint8Array(Math.max(bytes.length * 2, keptBytes + text.length * 3));
        grown.set(bytes.subarray(0, keptBytes));
        bytes = grown;
      }
      byteLength = keptBytes + encoder.encodeInto(text, bytes.subarray(keptBytes)).written;
      units += added.length;
      lastUnit = added.slice(-1);
      short = short !== null && units <= tokenizer.maxTokenBytes ? short + added : null;
      let kept = ends.length; // tokens lying wholly in the unchanged bytes
      while (kept > 0 && (ends[kept - 1] as number) > keptBytes) kept--;
      reencode(kept);
      tokens = short !== null && tokenizer.isToken(short) ? 1 : ends.length;
    },
    reset(text) {
      bytes = new Uint8Array(64);
      byteLength = 0;
      units = 0;
      lastUnit = "";
      short = "";
      ends = [];
      ranks = [];
      tokens = 0;
      piece.extend(text);
    },
  };
  return piece;
}
