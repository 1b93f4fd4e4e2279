import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { getAddress, parseEther } from "viem";
import { addr, CREDIT, loadBasis, networkHelpers, viem } from "./fixture.js";
import { assertTokenDeltas, type Basis, deposit, makeBatch, mined, postArgs } from "./helpers.js";

const DEPOSITED = 1_000n * CREDIT;

/** The fixture with 1,000 credits deposited, and the vault as seen by its (impersonated) registry. */
async function asRegistry() {
  const basis = await loadBasis();
  await deposit(basis, basis.alice, addr(basis.alice), DEPOSITED);
  const registry = getAddress(basis.settlementRegistry.address);
  await networkHelpers.impersonateAccount(registry);
  await networkHelpers.setBalance(registry, parseEther("1"));
  const wallet = await viem.getWalletClient(registry);
  const vault = await viem.getContractAt("CreditVault", basis.creditVault.address, { client: { wallet } });
  return { ...basis, vault, registry };
}

function shares(basis: Basis, reward: bigint, treasuryShare: bigint) {
  return [
    { address: basis.rewardDistributor.address, amount: reward },
    { address: addr(basis.treasury), amount: treasuryShare },
    { address: basis.creditVault.address, amount: -(reward + treasuryShare) },
  ];
}

describe("CreditVault", () => {
  describe("#payBatch", () => {
    it("sends the reward share to the distributor and the rest to the treasury", async () => {
      const basis = await asRegistry();
      await assertTokenDeltas(
        basis.creditToken,
        () => basis.vault.write.payBatch([1n, 300n * CREDIT, 120n * CREDIT]),
        shares(basis, 120n * CREDIT, 180n * CREDIT),
      );
      assert.equal(await basis.creditVault.read.outstandingCredit(), DEPOSITED - 300n * CREDIT);
    });

    it("emits BatchPaid(batchId, charged, reward, treasuryShare)", async () => {
      const { vault, creditVault } = await asRegistry();
      await viem.assertions.emitWithArgs(vault.write.payBatch([9n, 300n, 120n]), creditVault, "BatchPaid", [
        9n,
        300n,
        120n,
        180n,
      ]);
    });

    it("pays everything to the treasury when the reward is zero, and everything to the distributor when it is all reward", async () => {
      const basis = await asRegistry();
      await assertTokenDeltas(
        basis.creditToken,
        () => basis.vault.write.payBatch([1n, 50n, 0n]),
        shares(basis, 0n, 50n),
      );
      await assertTokenDeltas(
        basis.creditToken,
        () => basis.vault.write.payBatch([2n, 70n, 70n]),
        shares(basis, 70n, 0n),
      );
    });

    it("can pay out all outstanding credit, and reverts with InsufficientCredit(charged, outstanding) above it", async () => {
      const { vault, creditVault } = await asRegistry();
      await viem.assertions.revertWithCustomErrorWithArgs(
        vault.write.payBatch([1n, DEPOSITED + 1n, 0n]),
        creditVault,
        "InsufficientCredit",
        [DEPOSITED + 1n, DEPOSITED],
      );
      await mined(vault.write.payBatch([1n, DEPOSITED, 0n]));
      assert.equal(await creditVault.read.outstandingCredit(), 0n);
    });

    it("never pays tokens sent to the vault without deposit", async () => {
      const basis = await asRegistry();
      await mined(
        basis.creditToken.write.transfer([basis.creditVault.address, 5n * CREDIT], { account: basis.bob.account }),
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        basis.vault.write.payBatch([1n, DEPOSITED + 1n, 0n]),
        basis.creditVault,
        "InsufficientCredit",
        [DEPOSITED + 1n, DEPOSITED],
      );
    });

    it("reverts with RewardExceedsCharged(reward, charged) when the reward share is above the charge", async () => {
      const { vault, creditVault } = await asRegistry();
      await viem.assertions.revertWithCustomErrorWithArgs(
        vault.write.payBatch([1n, 100n, 101n]),
        creditVault,
        "RewardExceedsCharged",
        [101n, 100n],
      );
    });

    it("reverts with NotSettlementRegistry(caller) for anyone but the registry, admin and settler included", async () => {
      const { creditVault, admin, settler, alice } = await loadBasis();
      for (const caller of [admin, settler, alice]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          creditVault.write.payBatch([1n, 0n, 0n], { account: caller.account }),
          creditVault,
          "NotSettlementRegistry",
          [addr(caller)],
        );
      }
    });

    it("reverts with EnforcedPause while the vault is paused, which also blocks postBatch", async () => {
      const basis = await asRegistry();
      const { vault, creditVault, settlementRegistry, settler } = basis;
      await mined(creditVault.write.pause());
      await viem.assertions.revertWithCustomError(vault.write.payBatch([1n, 1n, 0n]), creditVault, "EnforcedPause");
      await viem.assertions.revertWithCustomError(
        settlementRegistry.write.postBatch(postArgs(makeBatch(1n, 1n, 0n)), { account: settler.account }),
        creditVault,
        "EnforcedPause",
      );
      assert.equal(await settlementRegistry.read.latestBatchId(), 0n);
    });

    it("pays a changed distributor and treasury after setRewardDistributor and setTreasury", async () => {
      const basis = await asRegistry();
      const { vault, creditVault, creditToken, bob, carol } = basis;
      await mined(creditVault.write.setRewardDistributor([addr(bob)]));
      await mined(creditVault.write.setTreasury([addr(carol)]));
      await assertTokenDeltas(creditToken, () => vault.write.payBatch([1n, 10n, 4n]), [
        { address: addr(bob), amount: 4n },
        { address: addr(carol), amount: 6n },
        { address: basis.rewardDistributor.address, amount: 0n },
        { address: addr(basis.treasury), amount: 0n },
      ]);
    });
  });
});
