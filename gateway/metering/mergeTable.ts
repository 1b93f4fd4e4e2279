import { bytePairEncode, type MergeTable } from "./bpe.js";

/**
 * The view of a byte-level BPE vocabulary that the heap merge (`bpe.ts`) and the growing-piece encoder need:
 * each token's bytes as a binary string (one char per byte), merges memoized by the ranks of the two tokens, and
 * a memoized check that two tokens side by side are their own encoding.
 */
export type Vocabulary = MergeTable & {
  /** Whether `bytePairEncode(bytes(left) + bytes(right))` is exactly `[left, right]`. */
  compatible(left: number, right: number): boolean;
  /** The token that `bytes[from..to)` is and that byte-pair encoding reaches from those bytes, or -1. */
  wholeToken(bytes: Uint8Array, from: number, to: number): number;
};

/** gpt-tokenizer's rank table: index = rank, value = the token as a string, or its bytes when not valid UTF-8. */
export type RankTable = readonly (string | readonly number[])[];

/** Memoized pairs at most this many at once (then a memo starts over): bounds memory on adversarial text. */
const MAX_MEMO = 1 << 21;
const pairId = (left: number, right: number) => left * 2 ** 21 + right; // ranks < 2^21

/** UTF-8 bytes of a token as a binary string; `unescape(encodeURIComponent(s))` is the fast native way for a string. */
export const binaryOf = (token: string | readonly number[]) =>
  typeof token === "string" ? unescape(encodeURIComponent(token)) : String.fromCharCode(...token);

function memoized<T>(compute: (left: number, right: number) => T): (left: number, right: number) => T {
  const memo = new Map<number, T>();
  return (left, right) => {
    const id = pairId(left, right);
    let value = memo.get(id);
    if (value === undefined) {
      value = compute(left, right);
      if (memo.size >= MAX_MEMO) memo.clear();
      memo.set(id, value);
    }
    return value;
  };
}

/**
 * Builds the vocabulary view (~0.2 s and ~15 MB for o200k_base: call it lazily).
 * @param ranks gpt-tokenizer's rank table.
 * @returns The merge table with `compatible`.
 * @throws When some byte value has no one-byte token (not a byte-level vocabulary).
 * @example createVocabulary(o200kRanks).mergeRank(byteRank[104], byteRank[105]) // rank of "hi"
 */
export function createVocabulary(ranks: RankTable): Vocabulary {
  const binary: string[] = [];
  const byBinary = new Map<string, number>();
  for (const [rank, token] of ranks.entries()) {
    if (token === undefined) continue;
    const key = binaryOf(token);
    binary[rank] = key;
    byBinary.set(key, rank);
  }
  const byteRank = Int32Array.from({ length: 256 }, (_, b) => byBinary.get(String.fromCharCode(b)) ?? -1);
  if (byteRank.includes(-1)) throw new Error("not a byte-level vocabulary: some byte has no one-byte token");
  const table: MergeTable = {
    byteRank,
    mergeRank: memoized((left, right) => byBinary.get((binary[left] as string) + (binary[right] as string)) ?? -1),
  };
  const compatible = memoized((left, right) => {
    const bytes = Uint8Array.from((binary[left] as string) + (binary[right] as string), (c) => c.charCodeAt(0));
    const { ranks: pair } = bytePairEncode(bytes, 0, bytes.length, table);
    return pair.length === 2 && pair[0] === left && pair[1] === right;
  });
  const reachable = new Map<number, boolean>(); // a few tokens of a vocabulary are not what BPE makes of their bytes
  const wholeToken = (bytes: Uint8Array, from: number, to: number): number => {
    let key = "";
    for (let i = from; i < to; i++) key += String.fromCharCode(bytes[i] as number);
    const rank = byBinary.get(key);
    if (rank === undefined) return -1;
    let ok = reachable.get(rank);
    if (ok === undefined) {
      const { ranks: made } = bytePairEncode(bytes, from, to, table);
      ok = made.length === 1 && made[0] === rank;
      reachable.set(rank, ok);
    }
    return ok ? rank : -1;
  };
  return { ...table, compatible, wholeToken };
}
