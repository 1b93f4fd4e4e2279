import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "mocha";
import type { Address, Hex } from "viem";
import { keccak256, toHex } from "viem";
import { merkleVectors, VECTORS_PATH } from "../../scripts/make-merkle-vectors.js";
import { addr, loadBasis, networkHelpers, REWARD_TIMELOCK } from "../contracts/fixture.js";

type Vectors = ReturnType<typeof merkleVectors>;
const committed = JSON.parse(readFileSync(VECTORS_PATH, "utf8")) as Vectors;

describe("merkle test vectors (test/vectors/merkle.json)", () => {
  it("are what protocol/merkle.ts builds with @openzeppelin/merkle-tree today", () => {
    assert.deepEqual(merkleVectors(), committed);
  });

  describe('receipt leaves ["bytes32"]', () => {
    it("every proof verifies on-chain against the posted batch root", async () => {
      const { settlementRegistry, settler } = await loadBasis();
      const { hashes, root, proofs } = committed.receipts;
      await settlementRegistry.write.postBatch(
        [1n, root as Hex, BigInt(hashes.length), 0n, 0n, keccak256(toHex("file")), "vectors"],
        {
          account: settler.account,
        },
      );
      for (const [i, hash] of hashes.entries()) {
        assert.equal(
          await settlementRegistry.read.verifyReceipt([1n, hash as Hex, proofs[i] as Hex[]]),
          true,
          `receipt ${i}`,
        );
      }
    });

    it("a proof does not verify another receipt's hash", async () => {
      const { settlementRegistry, settler } = await loadBasis();
      const { hashes, root, proofs } = committed.receipts;
      await settlementRegistry.write.postBatch([1n, root as Hex, 7n, 0n, 0n, keccak256(toHex("file")), "vectors"], {
        account: settler.account,
      });
      assert.equal(await settlementRegistry.read.verifyReceipt([1n, hashes[1] as Hex, proofs[0] as Hex[]]), false);
    });
  });

  describe('reward leaves ["address","uint256"]', () => {
    it("every account claims exactly its cumulative amount with its proof", async () => {
      const { rewardDistributor, creditToken, proposer, alice } = await loadBasis();
      const { accounts, amounts, root, proofs } = committed.rewards;
      await rewardDistributor.write.proposeRoot([root as Hex, keccak256(toHex("tree"))], { account: proposer.account });
      await networkHelpers.time.increase(REWARD_TIMELOCK);
      await rewardDistributor.write.acceptRoot();
      const total = amounts.reduce((sum, a) => sum + BigInt(a), 0n);
      await creditToken.write.mint([rewardDistributor.address, total]);
      for (const [i, account] of accounts.entries()) {
        // Anyone may submit: alice submits for every account, the tokens go to the account.
        await rewardDistributor.write.claim([account as Address, BigInt(amounts[i] ?? 0), proofs[i] as Hex[]], {
          account: alice.account,
        });
        assert.equal(await creditToken.read.balanceOf([account as Address]), BigInt(amounts[i] ?? -1));
      }
      assert.equal(await creditToken.read.balanceOf([rewardDistributor.address]), 0n);
      assert.equal(await creditToken.read.balanceOf([addr(alice)]), 1_000_000n * 10n ** 18n);
    });
  });
});
