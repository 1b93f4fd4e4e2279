import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { describe, it } from "mocha";
import { type Hex, keccak256, recoverMessageAddress, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createReceiptSigner } from "../../gateway/receipts/signer.js";
import { RECEIPT_VECTORS_PATH, VECTOR_ATTESTER_KEY } from "../../scripts/make-receipt-vectors.js";

const vectors = JSON.parse(readFileSync(RECEIPT_VECTORS_PATH, "utf8")) as {
  attester: string;
  vectors: { hash: Hex; signature: Hex }[];
};
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("gateway › receipts › createReceiptSigner", () => {
  const key = generatePrivateKey();
  const signer = createReceiptSigner(key);

  it("makes EIP-191 signatures identical to viem's signMessage({ raw }) that recover to the attester", async () => {
    const account = privateKeyToAccount(key);
    assert.equal(signer.address, account.address);
    for (let i = 0; i < 50; i++) {
      const hash = keccak256(toHex(`receipt ${i}`));
      const signature = await signer.sign(hash);
      assert.equal(signature, await account.signMessage({ message: { raw: hash } }));
      assert.equal(await recoverMessageAddress({ message: { raw: hash }, signature }), account.address);
    }
  });

  it("signs the same with its WebAssembly Keccak (once instantiated) as with viem's before it", async () => {
    const fresh = createReceiptSigner(key);
    const account = privateKeyToAccount(key);
    const hash = keccak256(toHex("before and after"));
    const before = await fresh.sign(hash); // at once: the WebAssembly module is still being instantiated
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let i = 0; i < 20; i++) {
      const h = keccak256(toHex(`after ${i}`));
      assert.equal(await fresh.sign(h), await account.signMessage({ message: { raw: h } }));
    }
    assert.equal(await fresh.sign(hash), before);
  });

  it("reproduces the signatures pinned in test/vectors/receipts.json", async () => {
    const attester = createReceiptSigner(VECTOR_ATTESTER_KEY);
    assert.equal(attester.address, vectors.attester);
    for (const v of vectors.vectors) assert.equal(await attester.sign(v.hash), v.signature);
  });

  it("signs an uppercase-hex hash like its lowercase form", async () => {
    const hash = keccak256(toHex("case"));
    assert.equal(await signer.sign(`0x${hash.slice(2).toUpperCase()}`), await signer.sign(hash));
  });

  it("signs in small batches between other work, never all at once in the caller's turn", async () => {
    const hashes = Array.from({ length: 500 }, (_, i) => keccak256(toHex(i)));
    const order: string[] = [];
    const all = Promise.all(hashes.map((h) => signer.sign(h))).then((signatures) => {
      order.push("all signed");
      return signatures;
    });
    setImmediate(() => order.push("other work"));
    const signatures = await all;
    assert.deepEqual(order, ["other work", "all signed"]);
    assert.equal(new Set(signatures).size, 500);
  });

  it("makes at most `batch` signatures per event-loop turn, and none in the caller's", async () => {
    const small = createReceiptSigner(key, { batch: 8 });
    let signed = 0;
    const all = Array.from({ length: 50 }, (_, i) => small.sign(keccak256(toHex(`turn ${i}`))).then(() => signed++));
    await Promise.resolve();
    assert.equal(signed, 0);
    await nextTurn();
    assert.equal(signed, 8);
    await nextTurn();
    assert.equal(signed, 16);
    await Promise.all(all);
    assert.equal(signed, 50);
  });

  it("rejects a malformed hash without signing it", async () => {
    for (const hash of ["0x1234", `0x${"zz".repeat(32)}`, "1234", undefined]) {
      await assert.rejects(signer.sign(hash as Hex), /a receipt hash is 0x \+ 64 hex digits/);
    }
  });

  describe("the key never shows", () => {
    const secret = `0x${"ab".repeat(32)}` as const;
    const invalid: [string, unknown][] = [
      ["zero", `0x${"00".repeat(32)}`],
      ["the curve order", "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"],
      ["one bad character", `0x${"ab".repeat(31)}zz`],
      ["no 0x prefix", "ab".repeat(32)],
      ["a trailing newline", `${secret}\n`],
      ["too short", "0xabab"],
      ["missing", undefined],
    ];
    for (const [what, bad] of invalid) {
      it(`refuses a key that is ${what}, without quoting it`, () => {
        assert.throws(
          () => createReceiptSigner(bad as Hex),
          (error: Error) =>
            /attester key/.test(error.message) &&
            (typeof bad !== "string" || !error.message.includes(bad.slice(2, 20))),
        );
      });
    }

    it("is not reachable from the signer object", () => {
      const s = createReceiptSigner(secret);
      assert.deepEqual(Object.keys(s), ["address", "sign"]);
      assert.ok(!JSON.stringify(s).includes("abab") && !inspect(s, { depth: 5, showHidden: true }).includes("abab"));
    });
  });
});
