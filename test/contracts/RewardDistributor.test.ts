import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { getAddress, type Hash, type Hex, zeroAddress, zeroHash } from "viem";
import { addr, CREDIT, loadBasis, REWARD_TIMELOCK, viem } from "./fixture.js";
import {
  activateRoot,
  assertTokenDeltas,
  type Basis,
  DEFAULT_ADMIN_ROLE,
  fundRewards,
  GUARDIAN_ROLE,
  h,
  mined,
  PAUSER_ROLE,
  PROPOSER_ROLE,
  pinNextTimestamp,
  proofOf,
  rewardTree,
} from "./helpers.js";

const FUNDED = 1_000n * CREDIT;

/** The fixture with the distributor funded with 1,000 credits through a settled batch. */
async function funded() {
  const basis = await loadBasis();
  await fundRewards(basis, FUNDED);
  return basis;
}

/** Alice 300, bob 200: the first epoch's cumulative tree. */
function epoch1(basis: Basis) {
  return rewardTree([
    [addr(basis.alice), 300n * CREDIT],
    [addr(basis.bob), 200n * CREDIT],
  ]);
}

describe("RewardDistributor", () => {
  describe("deployment", () => {
    it("holds the credit token, the fixture's timelock and no root", async () => {
      const { rewardDistributor, creditToken } = await loadBasis();
      assert.equal(await rewardDistributor.read.token(), getAddress(creditToken.address));
      assert.equal(await rewardDistributor.read.timelock(), REWARD_TIMELOCK);
      assert.equal(await rewardDistributor.read.root(), zeroHash);
      assert.equal(await rewardDistributor.read.rootFileHash(), zeroHash);
      assert.deepEqual(await rewardDistributor.read.pendingRoot(), [zeroHash, zeroHash, 0n]);
    });

    it("gives admin the admin, pauser and guardian roles and the proposer only the proposer role", async () => {
      const { rewardDistributor, admin, proposer } = await loadBasis();
      const roles = [DEFAULT_ADMIN_ROLE, PAUSER_ROLE, GUARDIAN_ROLE, PROPOSER_ROLE] as const;
      const of = (who: typeof admin) =>
        Promise.all(roles.map((role) => rewardDistributor.read.hasRole([role, who.account.address])));
      assert.deepEqual(await of(admin), [true, true, true, false]);
      assert.deepEqual(await of(proposer), [false, false, false, true]);
      assert.deepEqual(
        [
          await rewardDistributor.read.PAUSER_ROLE(),
          await rewardDistributor.read.GUARDIAN_ROLE(),
          await rewardDistributor.read.PROPOSER_ROLE(),
        ],
        [PAUSER_ROLE, GUARDIAN_ROLE, PROPOSER_ROLE],
      );
    });

    it("emits TimelockSet(0, timelock) at construction", async () => {
      const { creditToken, admin, proposer } = await loadBasis();
      const { contract, deploymentTransaction } = await viem.sendDeploymentTransaction("RewardDistributor", [
        creditToken.address,
        addr(admin),
        addr(proposer),
        42n,
      ]);
      await viem.assertions.emitWithArgs(deploymentTransaction.hash, contract, "TimelockSet", [0n, 42n]);
    });

    it("reverts with ZeroAddress when the token, admin or proposer is zero", async () => {
      const { rewardDistributor, creditToken, admin, proposer } = await loadBasis();
      const good = [creditToken.address, addr(admin), addr(proposer)] as const;
      for (let i = 0; i < good.length; i++) {
        const [token, adminArg, proposerArg] = good.map((a, j) => (j === i ? zeroAddress : a));
        await viem.assertions.revertWithCustomError(
          viem.deployContract("RewardDistributor", [
            token ?? zeroAddress,
            adminArg ?? zeroAddress,
            proposerArg ?? zeroAddress,
            1n,
          ]) as unknown as Promise<Hash>,
          rewardDistributor,
          "ZeroAddress",
        );
      }
    });
  });

  describe("#proposeRoot", () => {
    it("stores the pending root, valid from now + timelock, and emits RootProposed(root, fileHash, validAt)", async () => {
      const { rewardDistributor, proposer } = await loadBasis();
      const now = await pinNextTimestamp(5);
      await viem.assertions.emitWithArgs(
        rewardDistributor.write.proposeRoot([h("root"), h("file")], { account: proposer.account }),
        rewardDistributor,
        "RootProposed",
        [h("root"), h("file"), now + REWARD_TIMELOCK],
      );
      assert.deepEqual(await rewardDistributor.read.pendingRoot(), [h("root"), h("file"), now + REWARD_TIMELOCK]);
      assert.equal(await rewardDistributor.read.root(), zeroHash);
    });

    it("replaces a pending root and restarts its timelock", async () => {
      const { rewardDistributor, proposer } = await loadBasis();
      await mined(rewardDistributor.write.proposeRoot([h("first"), h("f1")], { account: proposer.account }));
      const later = await pinNextTimestamp(100);
      await mined(rewardDistributor.write.proposeRoot([h("second"), h("f2")], { account: proposer.account }));
      assert.deepEqual(await rewardDistributor.read.pendingRoot(), [h("second"), h("f2"), later + REWARD_TIMELOCK]);
    });

    it("reverts with ZeroRoot for a zero root", async () => {
      const { rewardDistributor, proposer } = await loadBasis();
      await viem.assertions.revertWithCustomError(
        rewardDistributor.write.proposeRoot([zeroHash, h("file")], { account: proposer.account }),
        rewardDistributor,
        "ZeroRoot",
      );
    });

    it("reverts with AccessControlUnauthorizedAccount(account, PROPOSER_ROLE) for anyone else, the admin included", async () => {
      const { rewardDistributor, admin, alice } = await loadBasis();
      for (const caller of [admin, alice]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          rewardDistributor.write.proposeRoot([h("root"), h("file")], { account: caller.account }),
          rewardDistributor,
          "AccessControlUnauthorizedAccount",
          [addr(caller), PROPOSER_ROLE],
        );
      }
    });

    it("follows proposer rotation through grantRole and revokeRole by the admin", async () => {
      const { rewardDistributor, proposer, carol } = await loadBasis();
      await mined(rewardDistributor.write.grantRole([PROPOSER_ROLE, addr(carol)]));
      await mined(rewardDistributor.write.revokeRole([PROPOSER_ROLE, addr(proposer)]));
      await viem.assertions.revertWithCustomErrorWithArgs(
        rewardDistributor.write.proposeRoot([h("root"), h("file")], { account: proposer.account }),
        rewardDistributor,
        "AccessControlUnauthorizedAccount",
        [addr(proposer), PROPOSER_ROLE],
      );
      await mined(rewardDistributor.write.proposeRoot([h("root"), h("file")], { account: carol.account }));
      assert.equal((await rewardDistributor.read.pendingRoot())[0], h("root"));
    });

    it("reverts with EnforcedPause while paused", async () => {
      const { rewardDistributor, proposer } = await loadBasis();
      await mined(rewardDistributor.write.pause());
      await viem.assertions.revertWithCustomError(
        rewardDistributor.write.proposeRoot([h("root"), h("file")], { account: proposer.account }),
        rewardDistributor,
        "EnforcedPause",
      );
    });
  });

  describe("#acceptRoot", () => {
    it("reverts with TimelockNotExpired(validAt, timestamp) one second early, then anyone accepts exactly at validAt", async () => {
      const { rewardDistributor, proposer, alice } = await loadBasis();
      const proposedAt = await pinNextTimestamp(1);
      await mined(rewardDistributor.write.proposeRoot([h("root"), h("file")], { account: proposer.account }));
      const validAt = proposedAt + REWARD_TIMELOCK;
      await pinNextTimestamp(Number(REWARD_TIMELOCK) - 1);
      await viem.assertions.revertWithCustomErrorWithArgs(
        rewardDistributor.write.acceptRoot({ account: alice.account }),
        rewardDistributor,
        "TimelockNotExpired",
        [validAt, validAt - 1n],
      );
      // The failed attempt mined nothing: the next block is the first at validAt.
      await pinNextTimestamp(Number(REWARD_TIMELOCK));
      await viem.assertions.emitWithArgs(
        rewardDistributor.write.acceptRoot({ account: alice.account }),
        rewardDistributor,
        "RootAccepted",
        [h("root"), h("file")],
      );
      assert.equal(await rewardDistributor.read.root(), h("root"));
      assert.equal(await rewardDistributor.read.rootFileHash(), h("file"));
      assert.deepEqual(await rewardDistributor.read.pendingRoot(), [zeroHash, zeroHash, 0n]);
    });

    it("reverts with NoPendingRoot when nothing is pending, including after an accept", async () => {
      const basis = await loadBasis();
      await viem.assertions.revertWithCustomError(
        basis.rewardDistributor.write.acceptRoot(),
        basis.rewardDistributor,
        "NoPendingRoot",
      );
      await activateRoot(basis, h("root"));
      await viem.assertions.revertWithCustomError(
        basis.rewardDistributor.write.acceptRoot(),
        basis.rewardDistributor,
        "NoPendingRoot",
      );
    });

    it("reverts with EnforcedPause while paused", async () => {
      const { rewardDistributor, proposer } = await loadBasis();
      await mined(rewardDistributor.write.proposeRoot([h("root"), h("file")], { account: proposer.account }));
      await pinNextTimestamp(Number(REWARD_TIMELOCK) + 1);
      await mined(rewardDistributor.write.pause());
      await viem.assertions.revertWithCustomError(
        rewardDistributor.write.acceptRoot(),
        rewardDistributor,
        "EnforcedPause",
      );
    });
  });

  describe("#revokePendingRoot", () => {
    it("lets the guardian drop the pending root, emitting PendingRootRevoked(root, guardian), even while paused", async () => {
      const { rewardDistributor, proposer, admin } = await loadBasis();
      await mined(rewardDistributor.write.proposeRoot([h("bad root"), h("file")], { account: proposer.account }));
      await mined(rewardDistributor.write.pause());
      await viem.assertions.emitWithArgs(
        rewardDistributor.write.revokePendingRoot(),
        rewardDistributor,
        "PendingRootRevoked",
        [h("bad root"), addr(admin)],
      );
      assert.deepEqual(await rewardDistributor.read.pendingRoot(), [zeroHash, zeroHash, 0n]);
      await mined(rewardDistributor.write.unpause());
      await pinNextTimestamp(Number(REWARD_TIMELOCK) + 1);
      await viem.assertions.revertWithCustomError(
        rewardDistributor.write.acceptRoot(),
        rewardDistributor,
        "NoPendingRoot",
      );
      assert.equal(await rewardDistributor.read.root(), zeroHash);
    });

    it("leaves the accepted root claimable", async () => {
      const basis = await funded();
      const tree = epoch1(basis);
      await activateRoot(basis, tree.root as Hex);
      await mined(
        basis.rewardDistributor.write.proposeRoot([h("next"), h("file")], { account: basis.proposer.account }),
      );
      await mined(basis.rewardDistributor.write.revokePendingRoot());
      assert.equal(await basis.rewardDistributor.read.root(), tree.root);
      await assertTokenDeltas(
        basis.creditToken,
        () => basis.rewardDistributor.write.claim([addr(basis.alice), 300n * CREDIT, proofOf(tree, 0)]),
        [{ address: addr(basis.alice), amount: 300n * CREDIT }],
      );
    });

    it("reverts with NoPendingRoot when nothing is pending", async () => {
      const { rewardDistributor } = await loadBasis();
      await viem.assertions.revertWithCustomError(
        rewardDistributor.write.revokePendingRoot(),
        rewardDistributor,
        "NoPendingRoot",
      );
    });

    it("reverts with AccessControlUnauthorizedAccount(account, GUARDIAN_ROLE) for anyone else, the proposer included", async () => {
      const { rewardDistributor, proposer } = await loadBasis();
      await mined(rewardDistributor.write.proposeRoot([h("root"), h("file")], { account: proposer.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        rewardDistributor.write.revokePendingRoot({ account: proposer.account }),
        rewardDistributor,
        "AccessControlUnauthorizedAccount",
        [addr(proposer), GUARDIAN_ROLE],
      );
    });
  });

  describe("#setTimelock", () => {
    it("emits TimelockSet(previous, current) and applies to roots proposed afterwards", async () => {
      const { rewardDistributor, proposer } = await loadBasis();
      await viem.assertions.emitWithArgs(rewardDistributor.write.setTimelock([60n]), rewardDistributor, "TimelockSet", [
        REWARD_TIMELOCK,
        60n,
      ]);
      assert.equal(await rewardDistributor.read.timelock(), 60n);
      const now = await pinNextTimestamp(1);
      await mined(rewardDistributor.write.proposeRoot([h("root"), h("file")], { account: proposer.account }));
      assert.deepEqual(await rewardDistributor.read.pendingRoot(), [h("root"), h("file"), now + 60n]);
    });

    it("does not change the validAt of a root already pending", async () => {
      const { rewardDistributor, proposer } = await loadBasis();
      const now = await pinNextTimestamp(1);
      await mined(rewardDistributor.write.proposeRoot([h("root"), h("file")], { account: proposer.account }));
      await mined(rewardDistributor.write.setTimelock([0n]));
      const [, , validAt] = await rewardDistributor.read.pendingRoot();
      assert.equal(validAt, now + REWARD_TIMELOCK);
      await viem.assertions.revertWithCustomError(
        rewardDistributor.write.acceptRoot(),
        rewardDistributor,
        "TimelockNotExpired",
      );
    });

    it("reverts with AccessControlUnauthorizedAccount(account, DEFAULT_ADMIN_ROLE) for anyone else", async () => {
      const { rewardDistributor, proposer } = await loadBasis();
      await viem.assertions.revertWithCustomErrorWithArgs(
        rewardDistributor.write.setTimelock([0n], { account: proposer.account }),
        rewardDistributor,
        "AccessControlUnauthorizedAccount",
        [addr(proposer), DEFAULT_ADMIN_ROLE],
      );
    });
  });

  describe("#pause / #unpause", () => {
    it("lets the pauser pause and unpause, emitting Paused and Unpaused", async () => {
      const { rewardDistributor, admin } = await loadBasis();
      await viem.assertions.emitWithArgs(rewardDistributor.write.pause(), rewardDistributor, "Paused", [addr(admin)]);
      assert.equal(await rewardDistributor.read.paused(), true);
      await viem.assertions.emitWithArgs(rewardDistributor.write.unpause(), rewardDistributor, "Unpaused", [
        addr(admin),
      ]);
      assert.equal(await rewardDistributor.read.paused(), false);
    });

    it("reverts with AccessControlUnauthorizedAccount(account, PAUSER_ROLE) for anyone else", async () => {
      const { rewardDistributor, proposer } = await loadBasis();
      await viem.assertions.revertWithCustomErrorWithArgs(
        rewardDistributor.write.pause({ account: proposer.account }),
        rewardDistributor,
        "AccessControlUnauthorizedAccount",
        [addr(proposer), PAUSER_ROLE],
      );
      await mined(rewardDistributor.write.pause());
      await viem.assertions.revertWithCustomErrorWithArgs(
        rewardDistributor.write.unpause({ account: proposer.account }),
        rewardDistributor,
        "AccessControlUnauthorizedAccount",
        [addr(proposer), PAUSER_ROLE],
      );
    });
  });

  describe("#rewardLeaf", () => {
    it("is the StandardMerkleTree leaf hash of (account, cumulativeAmount)", async () => {
      const basis = await loadBasis();
      const tree = epoch1(basis);
      assert.equal(
        await basis.rewardDistributor.read.rewardLeaf([addr(basis.alice), 300n * CREDIT]),
        tree.leafHash([addr(basis.alice), (300n * CREDIT).toString()]),
      );
    });
  });
});
