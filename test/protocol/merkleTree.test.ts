import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import fc from "fast-check";
import { describe, it } from "mocha";
import { getAddress, type Hex } from "viem";
import { keccak256Words, keccakOnWasm } from "../../protocol/keccak.js";
import { buildReceiptTree, buildRewardTree } from "../../protocol/merkle.js";
import { FastStandardMerkleTree } from "../../protocol/merkleTree.js";
import { type merkleVectors, VECTORS_PATH } from "../../scripts/make-merkle-vectors.js";

const runs = process.env.BASIS_DEEP === "1" ? 400 : 32;
const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}`;
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(hex);
/** Any case the library accepts: lower, upper, or (for addresses) EIP-55 checksummed. */
const anyCase = (value: string, spelling: number) =>
  spelling === 1
    ? `0x${value.slice(2).toUpperCase()}`
    : spelling === 2 && value.length === 42
      ? getAddress(value)
      : value;
const receiptValue = fc.tuple(bytes32, fc.nat(2)).map(([v, s]): [string] => [anyCase(v, s)]);
const address = fc.tuple(fc.uint8Array({ minLength: 20, maxLength: 20 }).map(hex), fc.nat(2));
const amount = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
const rewardValue = fc
  .tuple(address, amount, fc.boolean())
  .map(([[a, s], n, asString]): [string, string | bigint] => [anyCase(a, s), asString ? n.toString() : n]);

/** 1..300 leaves, some of them repeated (duplicates are leaves like any other in the library). */
const leafSets = <T>(value: fc.Arbitrary<T>) =>
  fc
    .array(value, { minLength: 1, maxLength: 8 })
    .chain((pool) =>
      fc.array(fc.oneof(value, fc.constantFrom(...pool)), { minLength: 1, maxLength: 300, size: "max" }),
    );

/** Same root, layout, leaf order, proofs, leaf hashes and lookups as the library's tree over the same values. */
function assertSameTree<T extends unknown[]>(values: T[], encoding: string[], sortLeaves = true) {
  const lib = StandardMerkleTree.of(values, encoding, { sortLeaves });
  const fast = FastStandardMerkleTree.of(values, encoding, { sortLeaves });
  assert.equal(fast.root, lib.root);
  assert.deepEqual(fast.dump(), lib.dump());
  assert.equal(fast.length, lib.length);
  for (const [i, value] of values.entries()) {
    const proof = fast.getProof(i);
    assert.deepEqual(proof, lib.getProof(i), `proof of leaf ${i}`);
    assert.equal(fast.verify(i, proof), true);
    assert.equal(lib.verify(i, proof), true);
    assert.equal(fast.leafHash(value), lib.leafHash(value));
    if (i % 8 === 0 || i === values.length - 1) {
      assert.equal(fast.leafLookup(value), lib.leafLookup(value)); // the last of duplicates, in both
      assert.deepEqual(fast.getProof(value), lib.getProof(value));
    }
  }
  return fast;
}

/** Runs `build` on both builders and expects the same outcome: the same error, or no error. */
function assertSameError(build: (of: typeof StandardMerkleTree.of) => unknown) {
  const error = (f: () => unknown) => {
    try {
      f();
      return null;
    } catch (e) {
      return { name: (e as Error).name, message: (e as Error).message };
    }
  };
  const lib = error(() => build(StandardMerkleTree.of));
  assert.notEqual(lib, null, "the library refuses it");
  assert.deepEqual(
    error(() => build(FastStandardMerkleTree.of as unknown as typeof StandardMerkleTree.of)),
    lib,
  );
}

describe("protocol › keccak", () => {
  it("keccak256Words is keccak256 of any 0..33 words, in place or not", () => {
    assert.equal(keccakOnWasm, true, "hash-wasm's Keccak is in use");
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 0, maxLength: 33 }), fc.boolean(), (input, inPlace) => {
        const src = new Uint32Array(Math.max(1 + input.length, 9)).fill(7);
        src.set(input, 1);
        const expected = hex(keccak_256(new Uint8Array(src.buffer, 4, input.length * 4)));
        const dst = inPlace ? src : new Uint32Array(9);
        keccak256Words(src, 1, input.length, dst, 1);
        assert.equal(hex(new Uint8Array(dst.buffer, 4, 32)), expected);
      }),
      { numRuns: runs * 5 },
    );
  });

  it("without WebAssembly (node --jitless), hashes through viem's keccak256 and builds the same trees", () => {
    const script = `
      const { FastStandardMerkleTree } = await import(${JSON.stringify(new URL("../../protocol/merkleTree.ts", import.meta.url).href)});
      const { StandardMerkleTree } = await import("@openzeppelin/merkle-tree");
      const values = Array.from({ length: 9 }, (_, i) => ["0x" + String(i).padStart(64, "0")]);
      const [fast, lib] = [FastStandardMerkleTree, StandardMerkleTree].map((t) => t.of(values, ["bytes32"]).dump());
      console.log(typeof WebAssembly, JSON.stringify(fast) === JSON.stringify(lib));`;
    const out = execFileSync(process.execPath, ["--jitless", "--import", "tsx", "-e", script], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"], // not V8's warning that --jitless turns WebAssembly off
    });
    assert.equal(out.trim(), "undefined true");
  });
});

describe("protocol › merkleTree › FastStandardMerkleTree", () => {
  describe("is the library's StandardMerkleTree", () => {
    it('for ["bytes32"] leaves (receipts): 1..300 random hashes with duplicates, any hex case', () => {
      fc.assert(
        fc.property(leafSets(receiptValue), (values) => void assertSameTree(values, ["bytes32"])),
        { numRuns: runs },
      );
    });

    it('for ["address","uint256"] leaves (rewards): any address spelling, amounts up to 2^256-1', () => {
      fc.assert(
        fc.property(leafSets(rewardValue), (values) => void assertSameTree(values, ["address", "uint256"])),
        { numRuns: runs },
      );
    });

    it("with sortLeaves: false, and for other encodings (hashed by the library, built fast)", () => {
      fc.assert(
        fc.property(leafSets(receiptValue), (values) => void assertSameTree(values, ["bytes32"], false)),
        { numRuns: runs / 4 },
      );
      assertSameTree(
        [
          ["basis", 1n, true],
          ["", 0n, false],
          ["basis", 1n, true],
        ],
        ["string", "int8", "bool"],
      );
    });

    it("for two leaves whose hashes share their first 4 bytes (the sort's tie-break), in either order", () => {
      // keccak256(keccak256(abi.encode(x))) starts with 0x854c7c05 for both (found by a birthday search).
      const a = `0x${"9588".padStart(64, "0")}`;
      const b = `0x${"14dea".padStart(64, "0")}`;
      const tree = assertSameTree([[a], [b], [a]], ["bytes32"]);
      assert.equal(tree.leafHash([a]).slice(0, 10), tree.leafHash([b]).slice(0, 10));
      assertSameTree([[b], [a], [b]], ["bytes32"]);
    });

    it("for 2,000 leaves", () => {
      const values = Array.from({ length: 2_000 }, (_, i): [Hex] => [`0x${(i * 7919).toString(16).padStart(64, "0")}`]);
      const fast = FastStandardMerkleTree.of(values, ["bytes32"]);
      const lib = StandardMerkleTree.of(values, ["bytes32"]);
      assert.deepEqual(fast.dump(), lib.dump());
      for (const i of [0, 1, 999, 1_024, 1_999]) assert.deepEqual(fast.getProof(i), lib.getProof(i));
      assert.doesNotThrow(() => StandardMerkleTree.load(fast.dump()));
    });

    it("for values in spellings other than canonical hex (short hex, bytes, numbers, hex amounts)", () => {
      assertSameTree([["0x01"], ["0xABC"], [new Uint8Array(32).fill(9)], [`0x${"ab".repeat(32)}`]], ["bytes32"]);
      assertSameTree(
        [
          ["0x1234", 5],
          [new Uint8Array(20).fill(1), "0xff"],
          ["0x00000000000000000000000000000000000000aa", "007"],
        ],
        ["address", "uint256"],
      );
    });
  });

  describe("refuses what the library refuses, with its error", () => {
    it("no leaves", () => {
      assertSameError((of) => of([], ["bytes32"]));
      assertSameError((of) => of([], ["address", "uint256"]));
    });

    it("values that do not encode", () => {
      assertSameError((of) => of([[`0x${"zz".repeat(32)}`]], ["bytes32"]));
      assertSameError((of) => of([[`0x${"00".repeat(33)}`]], ["bytes32"]));
      assertSameError((of) => of([[`0x${"11".repeat(21)}`, "1"]], ["address", "uint256"]));
      assertSameError((of) => of([[`0x${"11".repeat(20)}`, (2n ** 256n).toString()]], ["address", "uint256"]));
      assertSameError((of) => of([[`0x${"11".repeat(20)}`, "-1"]], ["address", "uint256"]));
      assertSameError((of) => of([[`0x${"11".repeat(20)}`]], ["address", "uint256"]));
    });

    it("a proof of an index out of bounds, or of values not in the tree", () => {
      const values = [[`0x${"01".repeat(32)}`], [`0x${"02".repeat(32)}`]];
      for (const leaf of [2, -1, 0.5, [`0x${"03".repeat(32)}`]]) {
        assertSameError((of) => of(values, ["bytes32"]).getProof(leaf as number));
      }
    });
  });

  describe("verify", () => {
    it("fails for a proof with any bit flipped, or another leaf's proof, as the library's does", () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(bytes32, { minLength: 2, maxLength: 64, size: "max" }),
          fc.nat(),
          fc.nat(),
          fc.nat(255),
          (hashes, leaf, element, bit) => {
            const values = hashes.map((h) => [h]);
            const fast = FastStandardMerkleTree.of(values, ["bytes32"]);
            const lib = StandardMerkleTree.of(values, ["bytes32"]);
            const i = leaf % values.length;
            const proof = fast.getProof(i);
            const k = element % proof.length;
            const word = BigInt(proof[k] as Hex) ^ (1n << BigInt(bit));
            const tampered = proof.with(k, `0x${word.toString(16).padStart(64, "0")}` as Hex);
            assert.equal(fast.verify(i, tampered), false);
            assert.equal(lib.verify(i, tampered), false);
            assert.equal(FastStandardMerkleTree.verify(fast.root, ["bytes32"], values[i] as Hex[], tampered), false);
            assert.equal(FastStandardMerkleTree.verify(fast.root, ["bytes32"], values[i] as Hex[], proof), true);
            const other = (i + 1) % values.length;
            assert.equal(fast.verify(other, proof), lib.verify(other, proof));
            assert.equal(fast.verify(other, proof), false);
          },
        ),
        { numRuns: runs },
      );
    });

    it("refuses a proof element that is not 32 bytes of hex, as the library does", () => {
      const values = [[`0x${"01".repeat(32)}`], [`0x${"02".repeat(32)}`]];
      for (const bad of ["0x1234", `0x${"zz".repeat(32)}`]) {
        const lib = StandardMerkleTree.of(values, ["bytes32"]);
        const fast = FastStandardMerkleTree.of(values, ["bytes32"]);
        assert.throws(() => lib.verify(0, [bad]));
        assert.throws(() => fast.verify(0, [bad]), { name: "InvalidArgumentError" });
      }
    });
  });

  describe("protocol/merkle.ts builds with it", () => {
    it("the committed vectors (test/vectors/merkle.json): roots and every proof", () => {
      const committed = JSON.parse(readFileSync(VECTORS_PATH, "utf8")) as ReturnType<typeof merkleVectors>;
      const receipts = buildReceiptTree(committed.receipts.hashes as Hex[]);
      assert.ok(receipts instanceof FastStandardMerkleTree);
      assert.equal(receipts.root, committed.receipts.root);
      assert.deepEqual(
        committed.receipts.hashes.map((_, i) => receipts.getProof(i)),
        committed.receipts.proofs,
      );
      const rewards = buildRewardTree(
        committed.rewards.accounts.map((account, i) => ({
          account: account as Hex,
          cumulativeAmount: BigInt(committed.rewards.amounts[i] as string),
        })),
      );
      assert.equal(rewards.root, committed.rewards.root);
      assert.deepEqual(
        committed.rewards.accounts.map((_, i) => rewards.getProof(i)),
        committed.rewards.proofs,
      );
    });
  });
});
