import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { type Address, getAddress, type Hash, maxUint256, parseEther, zeroAddress } from "viem";
import { addr, CREDIT, loadBasis, networkHelpers, viem } from "./fixture.js";
import { assertTokenDeltas, DEFAULT_ADMIN_ROLE, deposit, mined, PAUSER_ROLE } from "./helpers.js";
import { signPermit } from "./signing.js";

/** Deploys a second vault (not wired to any registry), returning it and its deployment transaction. */
async function deployVault(args: readonly [Address, Address, Address, Address]) {
  const { contract, deploymentTransaction } = await viem.sendDeploymentTransaction("CreditVault", args);
  await mined(deploymentTransaction.hash);
  return { vault: contract, hash: deploymentTransaction.hash };
}

describe("CreditVault", () => {
  describe("deployment", () => {
    it("is wired to the token, the reward distributor, the treasury and the settlement registry", async () => {
      const { creditVault, creditToken, rewardDistributor, settlementRegistry, treasury } = await loadBasis();
      assert.equal(await creditVault.read.token(), getAddress(creditToken.address));
      assert.equal(await creditVault.read.rewardDistributor(), getAddress(rewardDistributor.address));
      assert.equal(await creditVault.read.treasury(), addr(treasury));
      assert.equal(await creditVault.read.settlementRegistry(), getAddress(settlementRegistry.address));
      assert.equal(await creditVault.read.outstandingCredit(), 0n);
      assert.equal(await creditVault.read.paused(), false);
    });

    it("gives the admin the admin and pauser roles and nobody else", async () => {
      const { creditVault, admin, settler, alice } = await loadBasis();
      assert.equal(await creditVault.read.hasRole([DEFAULT_ADMIN_ROLE, admin.account.address]), true);
      assert.equal(await creditVault.read.hasRole([PAUSER_ROLE, admin.account.address]), true);
      for (const other of [settler, alice]) {
        assert.equal(await creditVault.read.hasRole([DEFAULT_ADMIN_ROLE, other.account.address]), false);
        assert.equal(await creditVault.read.hasRole([PAUSER_ROLE, other.account.address]), false);
      }
      assert.equal(await creditVault.read.PAUSER_ROLE(), PAUSER_ROLE);
    });

    it("emits RewardDistributorSet and TreasurySet from the zero address at construction", async () => {
      const { creditToken, admin, bob, carol } = await loadBasis();
      const { vault, hash } = await deployVault([creditToken.address, admin.account.address, addr(bob), addr(carol)]);
      await viem.assertions.emitWithArgs(hash, vault, "RewardDistributorSet", [zeroAddress, addr(bob)]);
      await viem.assertions.emitWithArgs(hash, vault, "TreasurySet", [zeroAddress, addr(carol)]);
      assert.equal(await vault.read.settlementRegistry(), zeroAddress);
    });

    it("reverts with ZeroAddress when any constructor address is zero", async () => {
      const { creditVault, creditToken, admin, bob, carol } = await loadBasis();
      const good = [creditToken.address, admin.account.address, addr(bob), addr(carol)] as const;
      for (let i = 0; i < good.length; i++) {
        const args = good.map((a, j) => (j === i ? zeroAddress : a)) as unknown as typeof good;
        await viem.assertions.revertWithCustomError(
          viem.deployContract("CreditVault", args) as unknown as Promise<Hash>,
          creditVault,
          "ZeroAddress",
        );
      }
    });
  });

  describe("#deposit", () => {
    it("pulls the amount from the payer and credits the account, which may differ from the payer", async () => {
      const basis = await loadBasis();
      const { creditVault, creditToken, alice, bob } = basis;
      const amount = 250n * CREDIT;
      await mined(creditToken.write.approve([creditVault.address, amount], { account: alice.account }));
      const { result } = await creditVault.simulate.deposit([addr(bob), amount], { account: addr(alice) });
      assert.equal(result, amount);
      const tx = () => creditVault.write.deposit([addr(bob), amount], { account: alice.account });
      await viem.assertions.emitWithArgs(tx(), creditVault, "Deposited", [addr(alice), addr(bob), amount]);
      await mined(creditToken.write.approve([creditVault.address, amount], { account: alice.account }));
      await assertTokenDeltas(creditToken, tx, [
        { address: addr(alice), amount: -amount },
        { address: addr(bob), amount: 0n },
        { address: creditVault.address, amount },
      ]);
      assert.equal(await creditVault.read.outstandingCredit(), 2n * amount);
      assert.equal(await creditToken.read.allowance([addr(alice), creditVault.address]), 0n);
    });

    it("adds every deposit to outstandingCredit", async () => {
      const basis = await loadBasis();
      await deposit(basis, basis.alice, addr(basis.alice), 10n * CREDIT);
      await deposit(basis, basis.bob, addr(basis.alice), 5n * CREDIT);
      await deposit(basis, basis.carol, addr(basis.carol), 1n);
      assert.equal(await basis.creditVault.read.outstandingCredit(), 15n * CREDIT + 1n);
    });

    it("does not count tokens sent to the vault without deposit as credit", async () => {
      const basis = await loadBasis();
      await deposit(basis, basis.alice, addr(basis.alice), 10n * CREDIT);
      await mined(basis.creditToken.write.transfer([basis.creditVault.address, 7n], { account: basis.alice.account }));
      assert.equal(await basis.creditVault.read.outstandingCredit(), 10n * CREDIT);
      assert.equal(await basis.creditToken.read.balanceOf([basis.creditVault.address]), 10n * CREDIT + 7n);
    });

    it("reverts with NothingReceived(amount) when the transfer delivers nothing to the vault", async () => {
      const basis = await loadBasis();
      const { creditVault, creditToken, alice } = basis;
      await deposit(basis, alice, addr(alice), 10n * CREDIT);
      // The only transfer the real token makes without a balance change is the vault paying itself.
      const self = getAddress(creditVault.address);
      await networkHelpers.impersonateAccount(self);
      await networkHelpers.setBalance(self, parseEther("1"));
      const wallet = await viem.getWalletClient(self);
      await mined(creditToken.write.approve([self, CREDIT], { account: wallet.account }));
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.deposit([addr(alice), CREDIT], { account: wallet.account }),
        creditVault,
        "NothingReceived",
        [CREDIT],
      );
      assert.equal(await creditVault.read.outstandingCredit(), 10n * CREDIT);
    });

    it("reverts with ZeroAddress when the account is the zero address", async () => {
      const { creditVault, alice } = await loadBasis();
      await viem.assertions.revertWithCustomError(
        creditVault.write.deposit([zeroAddress, CREDIT], { account: alice.account }),
        creditVault,
        "ZeroAddress",
      );
    });

    it("reverts with ZeroAmount when the amount is zero", async () => {
      const { creditVault, alice } = await loadBasis();
      await viem.assertions.revertWithCustomError(
        creditVault.write.deposit([addr(alice), 0n], { account: alice.account }),
        creditVault,
        "ZeroAmount",
      );
    });

    it("reverts with the token's ERC20InsufficientAllowance when the payer has not approved the vault", async () => {
      const { creditVault, creditToken, alice } = await loadBasis();
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.deposit([addr(alice), CREDIT], { account: alice.account }),
        creditToken,
        "ERC20InsufficientAllowance",
        [getAddress(creditVault.address), 0n, CREDIT],
      );
    });

    it("reverts with EnforcedPause while the vault is paused", async () => {
      const { creditVault, creditToken, alice } = await loadBasis();
      await mined(creditToken.write.approve([creditVault.address, CREDIT], { account: alice.account }));
      await mined(creditVault.write.pause());
      await viem.assertions.revertWithCustomError(
        creditVault.write.deposit([addr(alice), CREDIT], { account: alice.account }),
        creditVault,
        "EnforcedPause",
      );
    });
  });

  describe("#depositWithPermit", () => {
    it("deposits with an EIP-2612 permit instead of a prior approval", async () => {
      const { creditVault, creditToken, alice, bob } = await loadBasis();
      const amount = 40n * CREDIT;
      const deadline = maxUint256;
      const { v, r, s, nonce } = await signPermit(alice, creditToken, creditVault.address, amount, deadline);
      const tx = () =>
        creditVault.write.depositWithPermit([addr(bob), amount, deadline, v, r, s], { account: alice.account });
      const before = await creditToken.read.balanceOf([addr(alice)]);
      await viem.assertions.emitWithArgs(tx(), creditVault, "Deposited", [addr(alice), addr(bob), amount]);
      assert.equal(await creditToken.read.balanceOf([addr(alice)]), before - amount);
      assert.equal(await creditToken.read.balanceOf([creditVault.address]), amount);
      assert.equal(await creditVault.read.outstandingCredit(), amount);
      assert.equal(await creditToken.read.nonces([addr(alice)]), nonce + 1n);
      assert.equal(await creditToken.read.allowance([addr(alice), creditVault.address]), 0n);
    });

    it("still deposits when someone front-ran the permit, using the allowance it set", async () => {
      const { creditVault, creditToken, alice, carol } = await loadBasis();
      const amount = 40n * CREDIT;
      const deadline = maxUint256;
      const { v, r, s } = await signPermit(alice, creditToken, creditVault.address, amount, deadline);
      // Carol submits alice's permit to the token first: the vault's own permit call will now fail.
      await mined(
        creditToken.write.permit([addr(alice), creditVault.address, amount, deadline, v, r, s], {
          account: carol.account,
        }),
      );
      await assertTokenDeltas(
        creditToken,
        () => creditVault.write.depositWithPermit([addr(alice), amount, deadline, v, r, s], { account: alice.account }),
        [
          { address: addr(alice), amount: -amount },
          { address: creditVault.address, amount },
        ],
      );
      assert.equal(await creditVault.read.outstandingCredit(), amount);
    });

    it("reverts with ERC20InsufficientAllowance when the permit is invalid and there is no allowance", async () => {
      const { creditVault, creditToken, alice, bob } = await loadBasis();
      const amount = 40n * CREDIT;
      // Signed by bob but submitted by alice: the permit fails, and alice approved nothing.
      const { v, r, s } = await signPermit(bob, creditToken, creditVault.address, amount, maxUint256);
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.depositWithPermit([addr(alice), amount, maxUint256, v, r, s], { account: alice.account }),
        creditToken,
        "ERC20InsufficientAllowance",
        [getAddress(creditVault.address), 0n, amount],
      );
    });

    it("reverts with ZeroAddress and ZeroAmount like deposit", async () => {
      const { creditVault, creditToken, alice } = await loadBasis();
      const { v, r, s } = await signPermit(alice, creditToken, creditVault.address, CREDIT, maxUint256);
      await viem.assertions.revertWithCustomError(
        creditVault.write.depositWithPermit([zeroAddress, CREDIT, maxUint256, v, r, s], { account: alice.account }),
        creditVault,
        "ZeroAddress",
      );
      await viem.assertions.revertWithCustomError(
        creditVault.write.depositWithPermit([addr(alice), 0n, maxUint256, v, r, s], { account: alice.account }),
        creditVault,
        "ZeroAmount",
      );
    });

    it("reverts with EnforcedPause while the vault is paused", async () => {
      const { creditVault, creditToken, alice } = await loadBasis();
      const { v, r, s } = await signPermit(alice, creditToken, creditVault.address, CREDIT, maxUint256);
      await mined(creditVault.write.pause());
      await viem.assertions.revertWithCustomError(
        creditVault.write.depositWithPermit([addr(alice), CREDIT, maxUint256, v, r, s], { account: alice.account }),
        creditVault,
        "EnforcedPause",
      );
    });
  });

  describe("#setSettlementRegistry", () => {
    it("sets the registry once and emits SettlementRegistrySet", async () => {
      const { creditToken, admin, bob, carol, settler } = await loadBasis();
      const { vault } = await deployVault([creditToken.address, admin.account.address, addr(bob), addr(carol)]);
      await viem.assertions.emitWithArgs(
        vault.write.setSettlementRegistry([addr(settler)]),
        vault,
        "SettlementRegistrySet",
        [addr(settler)],
      );
      assert.equal(await vault.read.settlementRegistry(), addr(settler));
    });

    it("reverts with SettlementRegistryAlreadySet naming the current registry", async () => {
      const { creditVault, settlementRegistry, bob } = await loadBasis();
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.setSettlementRegistry([addr(bob)]),
        creditVault,
        "SettlementRegistryAlreadySet",
        [getAddress(settlementRegistry.address)],
      );
    });

    it("reverts with ZeroAddress for the zero address", async () => {
      const { creditToken, admin, bob, carol } = await loadBasis();
      const { vault } = await deployVault([creditToken.address, admin.account.address, addr(bob), addr(carol)]);
      await viem.assertions.revertWithCustomError(
        vault.write.setSettlementRegistry([zeroAddress]),
        vault,
        "ZeroAddress",
      );
    });

    it("reverts with AccessControlUnauthorizedAccount for a non-admin", async () => {
      const { creditToken, admin, alice, bob, carol } = await loadBasis();
      const { vault } = await deployVault([creditToken.address, admin.account.address, addr(bob), addr(carol)]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        vault.write.setSettlementRegistry([addr(bob)], { account: alice.account }),
        vault,
        "AccessControlUnauthorizedAccount",
        [addr(alice), DEFAULT_ADMIN_ROLE],
      );
    });
  });

  describe("#setRewardDistributor", () => {
    it("changes the distributor and emits RewardDistributorSet(previous, current)", async () => {
      const { creditVault, rewardDistributor, carol } = await loadBasis();
      await viem.assertions.emitWithArgs(
        creditVault.write.setRewardDistributor([addr(carol)]),
        creditVault,
        "RewardDistributorSet",
        [getAddress(rewardDistributor.address), addr(carol)],
      );
      assert.equal(await creditVault.read.rewardDistributor(), addr(carol));
    });

    it("reverts with ZeroAddress for the zero address", async () => {
      const { creditVault } = await loadBasis();
      await viem.assertions.revertWithCustomError(
        creditVault.write.setRewardDistributor([zeroAddress]),
        creditVault,
        "ZeroAddress",
      );
    });

    it("reverts with AccessControlUnauthorizedAccount for a non-admin", async () => {
      const { creditVault, settler, carol } = await loadBasis();
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.setRewardDistributor([addr(carol)], { account: settler.account }),
        creditVault,
        "AccessControlUnauthorizedAccount",
        [addr(settler), DEFAULT_ADMIN_ROLE],
      );
    });
  });

  describe("#setTreasury", () => {
    it("changes the treasury and emits TreasurySet(previous, current)", async () => {
      const { creditVault, treasury, carol } = await loadBasis();
      await viem.assertions.emitWithArgs(creditVault.write.setTreasury([addr(carol)]), creditVault, "TreasurySet", [
        addr(treasury),
        addr(carol),
      ]);
      assert.equal(await creditVault.read.treasury(), addr(carol));
    });

    it("reverts with ZeroAddress for the zero address", async () => {
      const { creditVault } = await loadBasis();
      await viem.assertions.revertWithCustomError(
        creditVault.write.setTreasury([zeroAddress]),
        creditVault,
        "ZeroAddress",
      );
    });

    it("reverts with AccessControlUnauthorizedAccount for a non-admin, the treasury included", async () => {
      const { creditVault, treasury, carol } = await loadBasis();
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.setTreasury([addr(carol)], { account: treasury.account }),
        creditVault,
        "AccessControlUnauthorizedAccount",
        [addr(treasury), DEFAULT_ADMIN_ROLE],
      );
    });
  });

  describe("#pause / #unpause", () => {
    it("lets the pauser pause and unpause, emitting Paused and Unpaused", async () => {
      const { creditVault, admin } = await loadBasis();
      await viem.assertions.emitWithArgs(creditVault.write.pause(), creditVault, "Paused", [addr(admin)]);
      assert.equal(await creditVault.read.paused(), true);
      await viem.assertions.emitWithArgs(creditVault.write.unpause(), creditVault, "Unpaused", [addr(admin)]);
      assert.equal(await creditVault.read.paused(), false);
    });

    it("reverts with EnforcedPause when pausing twice and ExpectedPause when unpausing an active vault", async () => {
      const { creditVault } = await loadBasis();
      await viem.assertions.revertWithCustomError(creditVault.write.unpause(), creditVault, "ExpectedPause");
      await mined(creditVault.write.pause());
      await viem.assertions.revertWithCustomError(creditVault.write.pause(), creditVault, "EnforcedPause");
    });

    it("lets the admin grant the pauser role to another account, and only the admin", async () => {
      const { creditVault, alice, carol } = await loadBasis();
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.grantRole([PAUSER_ROLE, addr(carol)], { account: alice.account }),
        creditVault,
        "AccessControlUnauthorizedAccount",
        [addr(alice), DEFAULT_ADMIN_ROLE],
      );
      await mined(creditVault.write.grantRole([PAUSER_ROLE, addr(carol)]));
      await viem.assertions.emitWithArgs(creditVault.write.pause({ account: carol.account }), creditVault, "Paused", [
        addr(carol),
      ]);
    });

    it("reverts with AccessControlUnauthorizedAccount(account, PAUSER_ROLE) for anyone else", async () => {
      const { creditVault, alice } = await loadBasis();
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.pause({ account: alice.account }),
        creditVault,
        "AccessControlUnauthorizedAccount",
        [addr(alice), PAUSER_ROLE],
      );
      await mined(creditVault.write.pause());
      await viem.assertions.revertWithCustomErrorWithArgs(
        creditVault.write.unpause({ account: alice.account }),
        creditVault,
        "AccessControlUnauthorizedAccount",
        [addr(alice), PAUSER_ROLE],
      );
    });
  });
});
