/**
 * Byte-pair merging in O(n log n), with exactly tiktoken's rule: repeatedly merge the adjacent pair whose
 * concatenation has the lowest rank, the leftmost one on ties, until no adjacent pair is a token.
 * gpt-tokenizer (like tiktoken) rescans every pair after each merge, O(n²) per piece: fine for words, but a
 * 1 MB run of one character (a prompt or an output made of spaces, emoji or CJK) takes hours.
 * Here a heap holds every candidate pair; entries made stale by a merge are skipped when popped. Every part is a
 * token at all times, so a pair is looked up by the two ranks (memoized in `mergeTable.ts`).
 */

/** What the merge needs of a vocabulary. Every part is a token, so a pair is looked up by the ranks of its two tokens. */
export type MergeTable = {
  /** Rank of the one-byte token of each byte value (byte-level BPE has all 256). */
  byteRank: Int32Array;
  /** Rank of the token that concatenates tokens `left` and `right`, or -1 when there is none. */
  mergeRank(left: number, right: number): number;
};

/** A byte-pair encoding: the end offset and the rank of each token, in order. */
export type BpeTokens = { ends: number[]; ranks: number[] };

const SHIFT = 2 ** 32; // heap key = rank × 2^32 + position: lowest rank first, then leftmost (ranks < 2^21)

function siftDown(heap: number[], from: number): void {
  const n = heap.length;
  const key = heap[from] as number;
  let i = from;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= n) break;
    const right = left + 1;
    const child = right < n && (heap[right] as number) < (heap[left] as number) ? right : left;
    if ((heap[child] as number) >= key) break;
    heap[i] = heap[child] as number;
    i = child;
  }
  heap[i] = key;
}

function push(heap: number[], key: number): void {
  let i = heap.length;
  heap.push(key);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if ((heap[parent] as number) <= key) break;
    heap[i] = heap[parent] as number;
    i = parent;
  }
  heap[i] = key;
}

function pop(heap: number[]): number {
  const top = heap[0] as number;
  const last = heap.pop() as number;
  if (heap.length > 0) {
    heap[0] = last;
    siftDown(heap, 0);
  }
  return top;
}

/**
 * Byte-pair encodes `bytes[from..to)`.
 * @param bytes The UTF-8 bytes of a piece (or more).
 * @param from First byte of the range.
 * @param to End of the range (exclusive).
 * @param table The vocabulary's byte ranks and merges.
 * @returns The tokens: end offsets (absolute, into `bytes`; the last one is `to`) and ranks.
 * @example bytePairEncode(new TextEncoder().encode("hello world"), 0, 11, table).ends.length // 2
 */
export function bytePairEncode(bytes: Uint8Array, from: number, to: number, table: MergeTable): BpeTokens {
  const n = to - from;
  if (n <= 0) return { ends: [], ranks: [] };
  const next = new Int32Array(n + 1); // part i spans [i, next[i]) relative to `from`
  const prev = new Int32Array(n + 1);
  const token = new Int32Array(n); // rank of the token part i is
  const pairRank = new Int32Array(n).fill(-1); // rank of part i merged with its right neighbour, -1 for none
  const heap: number[] = [];
  for (let i = 0; i < n; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
    token[i] = table.byteRank[bytes[from + i] as number] as number;
  }
  for (let i = 0; i + 1 < n; i++) {
    const rank = table.mergeRank(token[i] as number, token[i + 1] as number);
    pairRank[i] = rank;
    if (rank >= 0) heap.push(rank * SHIFT + i);
  }
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(heap, i);

  while (heap.length > 0) {
    const top = pop(heap);
    const i = top % SHIFT;
    const rank = (top - i) / SHIFT;
    if (pairRank[i] !== rank) continue; // stale: part i has merged or its neighbour changed since
    const right = next[i] as number;
    const after = next[right] as number;
    next[i] = after;
    if (after < n) prev[after] = i;
    token[i] = rank;
    pairRank[right] = -1; // part `right` no longer exists
    const own = after < n ? table.mergeRank(rank, token[after] as number) : -1;
    pairRank[i] = own;
    if (own >= 0) push(heap, own * SHIFT + i);
    if (i > 0) {
      const left = prev[i] as number;
      const merged = table.mergeRank(token[left] as number, rank);
      pairRank[left] = merged;
      if (merged >= 0) push(heap, merged * SHIFT + left);
    }
  }
  const ends: number[] = [];
  const ranks: number[] = [];
  for (let i = 0; i < n; i = next[i] as number) {
    ends.push(from + (next[i] as number));
    ranks.push(token[i] as number);
  }
  return { ends, ranks };
}
