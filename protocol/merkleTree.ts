/**
 * A fast builder of OpenZeppelin's `StandardMerkleTree` (`@openzeppelin/merkle-tree` 1.0.x, `sortLeaves: true`):
 * the same leaves (`keccak256(keccak256(abi.encode(values)))`), sorted the same way (by leaf hash, stably),
 * in the same array layout (leaves from the end, node `i` = sorted-pair keccak of nodes `2i+1`, `2i+2`), hence
 * the same root, proofs and `dump()`. The library builds with hex strings and BigInt comparisons (~10 s per
 * 100,000 leaves here); this keeps every node in one flat byte array, hashes on reused buffers (protocol/keccak.ts),
 * and turns a node into hex only when asked, once: `getProof(i)` walks the array in O(log n), and every proof holding
 * a node shares its string. A million leaves with every proof take ~5 s (`npm run bench:tree`).
 * test/protocol/merkleTree.test.ts checks it against the library on random trees.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Hex } from "viem";
import { keccak256Words as keccakWords } from "./keccak.js";

/** Writes one ABI word (32 bytes) of a value at `at`; false when the value is not in the canonical form handled here. */
type WordEncoder = (value: unknown, out: Buffer, at: number) => boolean;

const MAX_UINT256 = (1n << 256n) - 1n;
/**
 * Fast encoders for the canonical spellings of three static types. Any other spelling (short hex, a `Uint8Array`, a
 * hex amount…) or type goes through the library itself, so that it is accepted, encoded or refused exactly as there.
 */
const WORD_ENCODERS: Record<string, WordEncoder> = {
  bytes32: (v, out, at) => typeof v === "string" && v.startsWith("0x") && hexInto(v, out, at, 32),
  address: (v, out, at) =>
    typeof v === "string" && v.startsWith("0x") && hexInto(v, out.fill(0, at, at + 12), at + 12, 20),
  uint256: (v, out, at) => {
    const n = typeof v === "bigint" ? v : typeof v === "string" && /^[0-9]{1,78}$/.test(v) ? BigInt(v) : -1n;
    return n >= 0n && n <= MAX_UINT256 && hexInto(`0x${n.toString(16).padStart(64, "0")}`, out, at, 32);
  },
};
/** Decodes `0x` + exactly `2 * bytes` hex digits into `out` at `at`; false on any other length or digit. */
const hexInto = (hex: string, out: Buffer, at: number, bytes: number) =>
  hex.length === 2 + 2 * bytes && out.write(hex.slice(2), at, bytes, "hex") === bytes; // writing stops at a non-digit

/** Compares the 32-byte nodes at byte offsets `a` and `b` of `bytes` as big-endian numbers. */
function compareNodes(bytes: Uint8Array, a: number, b: number): number {
  for (let k = 0; k < 32; k++) {
    const d = (bytes[a + k] as number) - (bytes[b + k] as number);
    if (d !== 0) return d;
  }
  return 0;
}

/** Leaf hashing for one leaf encoding: fast for canonical static words, the library's own otherwise. */
function leafHasher(leafEncoding: readonly string[]) {
  const encoders = leafEncoding.map((type) => WORD_ENCODERS[type]);
  const words = leafEncoding.length * 8;
  const fast = words <= 32 && encoders.every((e) => e !== undefined);
  const { bytes: scratch, words: scratch32 } = wordBuffer(Math.max(32, leafEncoding.length * 32) + 32);
  const inner = scratch32.length - 8; // the inner hash goes after the encoding
  /** Writes the leaf hash of `value` into `dst` at word `to`. */
  return (value: unknown, dst: Uint32Array, to: number): void => {
    if (fast && Array.isArray(value) && value.length === encoders.length) {
      let ok = true;
      for (let k = 0; ok && k < encoders.length; k++) ok = (encoders[k] as WordEncoder)(value[k], scratch, k * 32);
      if (ok) {
        keccakWords(scratch32, 0, words, scratch32, inner);
        keccakWords(scratch32, inner, 8, dst, to);
        return;
      }
    }
    // A one-leaf tree's root is its leaf hash; invalid values throw the library's own error.
    const root = StandardMerkleTree.of([value as unknown[]], [...leafEncoding]).root;
    Buffer.from(dst.buffer, dst.byteOffset + to * 4, 32).write(root.slice(2), "hex");
  };
}

/** The library's error for a bad argument (same name and messages), so callers can't tell the builders apart. */
class InvalidArgumentError extends Error {
  override name = "InvalidArgumentError";
}
const NODE_ERROR = "Merkle tree nodes must be Uint8Array of length 32";

/** `bytes` zeroed bytes (a multiple of 4) with a 32-bit word view on the same memory. */
function wordBuffer(bytes: number): { bytes: Buffer; words: Uint32Array } {
  const memory = new ArrayBuffer(bytes);
  return { bytes: Buffer.from(memory), words: new Uint32Array(memory) };
}

/** Folds `proof` into the root it implies from the leaf hash in `leaf` (sorted-pair keccak, as `MerkleProof.verify`). */
function processProof(leaf: Uint32Array, proof: readonly string[]): Hex {
  const { bytes, words } = wordBuffer(96); // [left, right, sibling]
  words.set(leaf.subarray(0, 8));
  for (const sibling of proof) {
    if (typeof sibling !== "string" || !hexInto(sibling, bytes, 64, 32)) throw new InvalidArgumentError(NODE_ERROR);
    if (compareNodes(bytes, 0, 64) <= 0) {
      bytes.copy(bytes, 32, 64, 96);
    } else {
      bytes.copy(bytes, 32, 0, 32);
      bytes.copy(bytes, 0, 64, 96);
    }
    keccakWords(words, 0, 16, words, 0);
  }
  return `0x${bytes.toString("hex", 0, 32)}`;
}

/**
 * The hex of one byte value in two ASCII bytes, as one 16-bit word: a node's hex is 32 look-ups into `hexOut` after
 * its "0x", then one flat string (a third fewer objects, and less garbage, than `"0x" + toString("hex")`).
 */
const HEX_PAIRS = new Uint16Array(
  new Uint8Array(Buffer.from(Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0")).join(""))).buffer,
);
const hexMemory = new ArrayBuffer(66);
const hexOut = { bytes: Buffer.from(hexMemory), pairs: new Uint16Array(hexMemory) };
hexOut.bytes.write("0x");

/** What `dump()` returns: the library's `StandardMerkleTreeData` (`StandardMerkleTree.load` reads it back). */
export type StandardMerkleTreeDump<T> = {
  format: "standard-v1";
  leafEncoding: string[];
  tree: Hex[];
  values: { value: T; treeIndex: number }[];
};

/**
 * A `StandardMerkleTree` built fast: same root, leaf order, proofs and dump as `StandardMerkleTree.of`, with the
 * library's methods that the project uses (`root`, `getProof`, `verify`, `leafHash`, `leafLookup`, `dump`, …).
 * Nodes live in one buffer (64 MB for a million leaves); their hex strings are made on first use and kept.
 * @example FastStandardMerkleTree.of([[hashA], [hashB]], ["bytes32"]).getProof(0)
 */
export class FastStandardMerkleTree<T extends unknown[]> {
  private readonly hex: (Hex | undefined)[];
  private lookup: Map<string, number> | undefined;

  private constructor(
    private readonly values: readonly T[],
    readonly leafEncoding: string[],
    /** Every node's 32 bytes in the library's order: the root first, the sorted leaves last (reversed). */
    private readonly nodes: Buffer,
    /** Node index of each value's leaf. */
    private readonly treeIndex: Uint32Array,
    private readonly hashLeaf: ReturnType<typeof leafHasher>,
  ) {
    this.hex = new Array(nodes.length / 32);
  }

  /**
   * Builds the tree over `values`, as `StandardMerkleTree.of(values, leafEncoding, options)` does.
   * @param values One array of values per leaf, typed by `leafEncoding` (e.g. `[[receiptHash], …]`).
   * @param leafEncoding ABI types of a leaf's values, e.g. `["bytes32"]` or `["address", "uint256"]`.
   * @throws `InvalidArgumentError` for no values; the library's own error for a value it would refuse.
   */
  static of<T extends unknown[]>(
    values: readonly T[],
    leafEncoding: string[],
    options: { sortLeaves?: boolean } = {},
  ): FastStandardMerkleTree<T> {
    const n = values.length;
    const hashLeaf = leafHasher(leafEncoding);
    const leaves = wordBuffer(n * 32);
    for (let i = 0; i < n; i++) hashLeaf(values[i], leaves.words, i * 8);
    if (n === 0) throw new InvalidArgumentError("Expected non-zero number of leaves");

    // Leaf order: by hash, ties in value order (the library's stable sort).
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    if (options.sortLeaves ?? true) {
      const first = new Uint32Array(n); // the hashes' first 4 bytes, big-endian: decides nearly every comparison
      for (let i = 0; i < n; i++) first[i] = leaves.bytes.readUInt32BE(i * 32);
      order.sort(
        (a, b) => (first[a] as number) - (first[b] as number) || compareNodes(leaves.bytes, a * 32, b * 32) || a - b,
      );
    }

    const size = 2 * n - 1;
    const nodes = wordBuffer(size * 32);
    const treeIndex = new Uint32Array(n);
    for (let k = 0; k < n; k++) {
      const v = order[k] as number;
      const t = size - 1 - k;
      for (let w = 0; w < 8; w++) nodes.words[t * 8 + w] = leaves.words[v * 8 + w] as number;
      treeIndex[v] = t;
    }
    const pair = wordBuffer(64);
    for (let i = size - 1 - n; i >= 0; i--) {
      const left = 2 * i + 1;
      if (compareNodes(nodes.bytes, left * 32, left * 32 + 32) <= 0) {
        keccakWords(nodes.words, left * 8, 16, nodes.words, i * 8); // already in order, and adjacent
      } else {
        pair.words.set(nodes.words.subarray(left * 8 + 8, left * 8 + 16));
        pair.words.set(nodes.words.subarray(left * 8, left * 8 + 8), 8);
        keccakWords(pair.words, 0, 16, nodes.words, i * 8);
      }
    }
    return new FastStandardMerkleTree(values.slice(), leafEncoding, nodes.bytes, treeIndex, hashLeaf);
  }

  /**
   * Whether `proof` proves `leaf` under `root`, as `StandardMerkleTree.verify` answers.
   * @example FastStandardMerkleTree.verify(root, ["bytes32"], [receiptHash], proof)
   */
  static verify<T extends unknown[]>(root: Hex, leafEncoding: string[], leaf: T, proof: readonly string[]): boolean {
    const hash = new Uint32Array(8);
    leafHasher(leafEncoding)(leaf, hash, 0);
    return processProof(hash, proof) === root;
  }

  /** The root, `0x`-prefixed lowercase hex. */
  get root(): Hex {
    return this.node(0);
  }

  /** The number of leaves. */
  get length(): number {
    return this.values.length;
  }

  /** The values of leaf `index` (in the order given), or undefined. */
  at(index: number): T | undefined {
    return this.values.at(index);
  }

  /** `[index, values]` of every leaf, in the order given. */
  *entries(): Generator<[number, T]> {
    yield* this.values.entries();
  }

  /** The leaf hash of `leaf`: `keccak256(keccak256(abi.encode(...leaf)))`. */
  leafHash(leaf: T): Hex {
    const hash = new Uint32Array(8);
    this.hashLeaf(leaf, hash, 0);
    return `0x${Buffer.from(hash.buffer).toString("hex")}`;
  }

  /** The index of a leaf with these values (the last one, for duplicates, as the library answers). */
  leafLookup(leaf: T): number {
    if (!this.lookup) {
      this.lookup = new Map();
      for (let i = 0; i < this.values.length; i++) this.lookup.set(this.node(this.treeIndex[i] as number), i);
    }
    const index = this.lookup.get(this.leafHash(leaf));
    if (index === undefined) throw new InvalidArgumentError("Leaf is not in tree");
    return index;
  }

  /**
   * The proof of a leaf, by index (in the order given) or by values: sibling hashes from the leaf up. O(log n).
   * @throws `InvalidArgumentError` for an index out of bounds or values not in the tree.
   */
  getProof(leaf: number | T): Hex[] {
    let i = this.treeIndex[this.indexOf(leaf)] as number;
    const proof: Hex[] = new Array(31 - Math.clz32(i + 1)); // one sibling per level: the node's depth
    for (let d = 0; i > 0; i = (i - 1) >>> 1) proof[d++] = this.node(i % 2 === 1 ? i + 1 : i - 1);
    return proof;
  }

  /** Whether `proof` proves `leaf` (an index, or values) under this root. */
  verify(leaf: number | T, proof: readonly string[]): boolean {
    const hash = new Uint32Array(8);
    this.hashLeaf(typeof leaf === "number" ? this.values[this.indexOf(leaf)] : leaf, hash, 0);
    return processProof(hash, proof) === this.root;
  }

  /** The library's dump format: every node's hex and each value's node index. */
  dump(): StandardMerkleTreeDump<T> {
    return {
      format: "standard-v1",
      leafEncoding: this.leafEncoding,
      tree: Array.from(this.hex, (_, i) => this.node(i)),
      values: this.values.map((value, i) => ({ value, treeIndex: this.treeIndex[i] as number })),
    };
  }

  private indexOf(leaf: number | T): number {
    const index = typeof leaf === "number" ? leaf : this.leafLookup(leaf);
    if (!Number.isInteger(index) || index < 0 || index >= this.values.length) {
      throw new InvalidArgumentError("Index out of bounds");
    }
    return index;
  }

  private node(i: number): Hex {
    let hex = this.hex[i];
    if (hex === undefined) {
      for (let k = 0, at = i * 32; k < 32; k++) hexOut.pairs[k + 1] = HEX_PAIRS[this.nodes[at + k] as number] as number;
      hex = hexOut.bytes.toString("latin1") as Hex;
      this.hex[i] = hex;
    }
    return hex;
  }
}
