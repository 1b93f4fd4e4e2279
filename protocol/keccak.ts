/**
 * keccak256 for the merkle trees (protocol/merkleTree.ts), on word buffers the trees reuse: `hash-wasm`'s
 * WebAssembly Keccak (~0.6 µs for a 64-byte pair here, against ~4.8 µs for `@noble/hashes`' `keccak_256` and ~3.4 µs
 * for the native `keccak` binding, whose per-call object costs dominate). Without WebAssembly (`node --jitless`),
 * hashes go through viem's `keccak256`. test/protocol/merkleTree.test.ts checks both paths against
 * `@noble/hashes`.
 */
import { createKeccak, type IHasher } from "hash-wasm";
import { keccak256 } from "viem";

/** One reusable keccak256 hasher (hashing is synchronous once it is created), or null without WebAssembly. */
const hasher: IHasher | null = await createKeccak(256).catch(() => null);

/**
 * keccak256 of `words` 32-bit words of `src` from word `from`, written to `dst` at word `to` (`dst` may be `src`).
 * Words are views of bytes: the hash is of the bytes in memory order.
 * @example keccak256Words(pair, 0, 16, nodes, i * 8) // a 64-byte pair of nodes, hashed into node i
 */
export function keccak256Words(src: Uint32Array, from: number, words: number, dst: Uint32Array, to: number): void {
  const input = new Uint8Array(src.buffer, src.byteOffset + from * 4, words * 4);
  const out = new Uint8Array(dst.buffer, dst.byteOffset + to * 4, 32);
  if (!hasher) {
    out.set(keccak256(input, "bytes"));
    return;
  }
  hasher.init();
  hasher.update(input);
  out.set(hasher.digest("binary"));
}

/** Whether hashes go through WebAssembly (false under `node --jitless`). */
export const keccakOnWasm = hasher !== null;
