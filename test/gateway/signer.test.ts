import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { keccak256, recoverMessageAddress, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createReceiptSigner } from "../../gateway/receipts/signer.js";

describe("gateway › receipts › createReceiptSigner", () => {
  const key = generatePrivateKey();
  const signer = createReceiptSigner(key);

  it("makes EIP-191 signatures identical to viem's signMessage({ raw }) that recover to the attester", async () => {
    const account = privateKeyToAccount(key);
    assert.equal(signer.address, account.address);
    for (let i = 0; i < 20; i++) {
      const hash = keccak256(toHex(`receipt ${i}`));
      const signature = await signer.sign(hash);
      assert.equal(signature, await account.signMessage({ message: { raw: hash } }));
      assert.equal(await recoverMessageAddress({ message: { raw: hash }, signature }), account.address);
    }
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

  it("rejects a malformed hash and refuses an invalid key without printing it", async () => {
    await assert.rejects(signer.sign("0x1234"));
    const bad = `0x${"00".repeat(32)}` as const;
    assert.throws(
      () => createReceiptSigner(bad),
      (error: Error) => !error.message.includes(bad),
    );
  });
});
