import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { getAddress, type Hex, zeroAddress } from "viem";
import { addr, CREDIT, loadBasis, viem } from "./fixture.js";
import {
  activateRoot,
  assertTokenDeltas,
  type Basis,
  deposit,
  fundRewards,
  makeBatch,
  mined,
  postBatch,
  proofOf,
  rewardTree,
} from "./helpers.js";

const FUNDED = 1_000n * CREDIT;

/** Funded with 1,000 credits through a settled batch, with epoch 1 (alice 300, bob 200) claimable. */
async function epoch1Active() {
  const basis = await loadBasis();
  await fundRewards(basis, FUNDED);
  const tree = rewardTree([
    [addr(basis.alice), 300n * CREDIT],
    [addr(basis.bob), 200n * CREDIT],
  ]);
  await activateRoot(basis, tree.root as Hex);
  return { ...basis, tree };
}

function claim(basis: Basis, account: `0x${string}`, cumulative: bigint, proof: Hex[], caller = basis.carol) {
  return basis.rewardDistributor.write.claim([account, cumulative, proof], { account: caller.account });
}

describe("RewardDistributor", () => {
  describe("#claim", () => {
    it("pays the cumulative amount to the account on a first claim, whoever submits it", async () => {
      const basis = await epoch1Active();
      const { creditToken, rewardDistributor, alice, carol, tree } = basis;
      await assertTokenDeltas(creditToken, () => claim(basis, addr(alice), 300n * CREDIT, proofOf(tree, 0), carol), [
        { address: addr(alice), amount: 300n * CREDIT },
        { address: addr(carol), amount: 0n },
        { address: rewardDistributor.address, amount: -300n * CREDIT },
      ]);
      assert.equal(await rewardDistributor.read.claimed([addr(alice)]), 300n * CREDIT);
    });

    it("emits Claimed(account, amount) and returns the amount paid", async () => {
      const basis = await epoch1Active();
      const { rewardDistributor, bob, carol, tree } = basis;
      const { result } = await rewardDistributor.simulate.claim([addr(bob), 200n * CREDIT, proofOf(tree, 1)], {
        account: addr(carol),
      });
      assert.equal(result, 200n * CREDIT);
      await viem.assertions.emitWithArgs(
        claim(basis, addr(bob), 200n * CREDIT, proofOf(tree, 1)),
        rewardDistributor,
        "Claimed",
        [addr(bob), 200n * CREDIT],
      );
    });

    it("pays only the difference under a later root with a higher cumulative amount", async () => {
      const basis = await epoch1Active();
      const { creditToken, rewardDistributor, alice, bob, tree } = basis;
      await mined(claim(basis, addr(alice), 300n * CREDIT, proofOf(tree, 0)));
      const epoch2 = rewardTree([
        [addr(alice), 450n * CREDIT],
        [addr(bob), 200n * CREDIT],
      ]);
      await activateRoot(basis, epoch2.root as Hex);
      await viem.assertions.emitWithArgs(
        claim(basis, addr(alice), 450n * CREDIT, proofOf(epoch2, 0)),
        rewardDistributor,
        "Claimed",
        [addr(alice), 150n * CREDIT],
      );
      assert.equal(await rewardDistributor.read.claimed([addr(alice)]), 450n * CREDIT);
      // Bob never claimed epoch 1: the new root pays his whole cumulative amount once.
      await assertTokenDeltas(creditToken, () => claim(basis, addr(bob), 200n * CREDIT, proofOf(epoch2, 1)), [
        { address: addr(bob), amount: 200n * CREDIT },
      ]);
      assert.equal(await creditToken.read.balanceOf([rewardDistributor.address]), FUNDED - 650n * CREDIT);
    });

    it("rejects proofs against a root that was replaced (InvalidProof)", async () => {
      const basis = await epoch1Active();
      const { rewardDistributor, alice, tree } = basis;
      const epoch2 = rewardTree([
        [addr(alice), 450n * CREDIT],
        [addr(basis.bob), 200n * CREDIT],
      ]);
      await activateRoot(basis, epoch2.root as Hex);
      await viem.assertions.revertWithCustomErrorWithArgs(
        claim(basis, addr(alice), 300n * CREDIT, proofOf(tree, 0)),
        rewardDistributor,
        "InvalidProof",
        [addr(alice), 300n * CREDIT],
      );
    });

    it("reverts with NothingToClaim(account, cumulativeAmount, claimed) for a repeated claim", async () => {
      const basis = await epoch1Active();
      const { rewardDistributor, alice, tree } = basis;
      await mined(claim(basis, addr(alice), 300n * CREDIT, proofOf(tree, 0)));
      await viem.assertions.revertWithCustomErrorWithArgs(
        claim(basis, addr(alice), 300n * CREDIT, proofOf(tree, 0)),
        rewardDistributor,
        "NothingToClaim",
        [addr(alice), 300n * CREDIT, 300n * CREDIT],
      );
    });

    it("reverts with NothingToClaim when a later root proves a cumulative amount below what was claimed", async () => {
      const basis = await epoch1Active();
      const { rewardDistributor, alice, tree } = basis;
      await mined(claim(basis, addr(alice), 300n * CREDIT, proofOf(tree, 0)));
      const lower = rewardTree([
        [addr(alice), 250n * CREDIT],
        [addr(basis.bob), 200n * CREDIT],
      ]);
      await activateRoot(basis, lower.root as Hex);
      await viem.assertions.revertWithCustomErrorWithArgs(
        claim(basis, addr(alice), 250n * CREDIT, proofOf(lower, 0)),
        rewardDistributor,
        "NothingToClaim",
        [addr(alice), 250n * CREDIT, 300n * CREDIT],
      );
    });

    it("reverts with NothingToClaim for a zero cumulative amount", async () => {
      const basis = await loadBasis();
      await fundRewards(basis, FUNDED);
      const tree = rewardTree([
        [addr(basis.alice), 0n],
        [addr(basis.bob), 1n],
      ]);
      await activateRoot(basis, tree.root as Hex);
      await viem.assertions.revertWithCustomErrorWithArgs(
        claim(basis, addr(basis.alice), 0n, proofOf(tree, 0)),
        basis.rewardDistributor,
        "NothingToClaim",
        [addr(basis.alice), 0n, 0n],
      );
    });

    it("reverts with InvalidProof(account, cumulativeAmount) for a proof belonging to another account", async () => {
      const basis = await epoch1Active();
      const { rewardDistributor, alice, tree } = basis;
      // Bob's proof with alice's address, and with bob's amount.
      for (const amount of [200n * CREDIT, 300n * CREDIT]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          claim(basis, addr(alice), amount, proofOf(tree, 1)),
          rewardDistributor,
          "InvalidProof",
          [addr(alice), amount],
        );
      }
    });

    it("reverts with InvalidProof for an inflated amount or an account not in the tree", async () => {
      const basis = await epoch1Active();
      const { rewardDistributor, alice, carol, tree } = basis;
      await viem.assertions.revertWithCustomErrorWithArgs(
        claim(basis, addr(alice), 301n * CREDIT, proofOf(tree, 0)),
        rewardDistributor,
        "InvalidProof",
        [addr(alice), 301n * CREDIT],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        claim(basis, addr(carol), 300n * CREDIT, proofOf(tree, 0)),
        rewardDistributor,
        "InvalidProof",
        [addr(carol), 300n * CREDIT],
      );
    });

    it("reverts with NoRoot before any root was accepted, even with a root pending", async () => {
      const basis = await loadBasis();
      await fundRewards(basis, FUNDED);
      const tree = rewardTree([
        [addr(basis.alice), 1n],
        [addr(basis.bob), 1n],
      ]);
      await mined(
        basis.rewardDistributor.write.proposeRoot([tree.root as Hex, tree.root as Hex], {
          account: basis.proposer.account,
        }),
      );
      await viem.assertions.revertWithCustomError(
        claim(basis, addr(basis.alice), 1n, proofOf(tree, 0)),
        basis.rewardDistributor,
        "NoRoot",
      );
    });

    it("reverts with ZeroAddress for the zero account", async () => {
      const basis = await epoch1Active();
      await viem.assertions.revertWithCustomError(
        claim(basis, zeroAddress, 1n, []),
        basis.rewardDistributor,
        "ZeroAddress",
      );
    });

    it("reverts with the token's ERC20InsufficientBalance(distributor, balance, amount) when underfunded, and pays once funded", async () => {
      const basis = await loadBasis();
      await fundRewards(basis, 100n * CREDIT);
      const tree = rewardTree([
        [addr(basis.alice), 300n * CREDIT],
        [addr(basis.bob), 200n * CREDIT],
      ]);
      await activateRoot(basis, tree.root as Hex);
      await viem.assertions.revertWithCustomErrorWithArgs(
        claim(basis, addr(basis.alice), 300n * CREDIT, proofOf(tree, 0)),
        basis.creditToken,
        "ERC20InsufficientBalance",
        [getAddress(basis.rewardDistributor.address), 100n * CREDIT, 300n * CREDIT],
      );
      assert.equal(await basis.rewardDistributor.read.claimed([addr(basis.alice)]), 0n);
      // Another settled batch brings the reward share in; the same claim now goes through.
      await fundRewards(basis, 200n * CREDIT, 2n);
      await assertTokenDeltas(
        basis.creditToken,
        () => claim(basis, addr(basis.alice), 300n * CREDIT, proofOf(tree, 0)),
        [
          { address: addr(basis.alice), amount: 300n * CREDIT },
          { address: basis.rewardDistributor.address, amount: -300n * CREDIT },
        ],
      );
    });

    it("reverts with EnforcedPause while paused, before a root exists too", async () => {
      const basis = await loadBasis();
      await mined(basis.rewardDistributor.write.pause());
      await viem.assertions.revertWithCustomError(
        claim(basis, addr(basis.alice), 1n, []),
        basis.rewardDistributor,
        "EnforcedPause",
      );
    });

    it("reverts with EnforcedPause while paused, and pays after unpause", async () => {
      const basis = await epoch1Active();
      const { rewardDistributor, alice, tree } = basis;
      await mined(rewardDistributor.write.pause());
      await viem.assertions.revertWithCustomError(
        claim(basis, addr(alice), 300n * CREDIT, proofOf(tree, 0)),
        rewardDistributor,
        "EnforcedPause",
      );
      await mined(rewardDistributor.write.unpause());
      await mined(claim(basis, addr(alice), 300n * CREDIT, proofOf(tree, 0)));
      assert.equal(await rewardDistributor.read.claimed([addr(alice)]), 300n * CREDIT);
    });
  });

  describe("funding", () => {
    it("receives exactly the reward share of each settled batch", async () => {
      const basis = await loadBasis();
      await deposit(basis, basis.alice, addr(basis.alice), 15n * CREDIT);
      await postBatch(basis, makeBatch(1n, 10n * CREDIT, 10n * CREDIT));
      await postBatch(basis, makeBatch(2n, 5n * CREDIT, 2n * CREDIT));
      assert.equal(await basis.creditToken.read.balanceOf([basis.rewardDistributor.address]), 12n * CREDIT);
      assert.equal(await basis.creditToken.read.balanceOf([addr(basis.treasury)]), 3n * CREDIT);
    });
  });
});
