import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { type Address, getAddress, type Hash, zeroAddress, zeroHash } from "viem";
import { addr, CREDIT, loadBasis, viem } from "./fixture.js";
import {
  assertTokenDeltas,
  type Basis,
  DEFAULT_ADMIN_ROLE,
  deposit,
  h,
  makeBatch,
  mined,
  nextChainHead,
  PAUSER_ROLE,
  postArgs,
  postBatch,
  SETTLER_ROLE,
} from "./helpers.js";

const DEPOSITED = 1_000n * CREDIT;

/** The fixture with alice's 1,000 credits deposited, so batches have something to pay out. */
async function withCredit() {
  const basis = await loadBasis();
  await deposit(basis, basis.alice, addr(basis.alice), DEPOSITED);
  return basis;
}

function post(basis: Basis, args: ReturnType<typeof postArgs>) {
  return basis.settlementRegistry.write.postBatch(args, { account: basis.settler.account });
}

describe("SettlementRegistry", () => {
  describe("deployment", () => {
    it("starts with no batches, a zero chain head, the fixture's attester and the vault wired both ways", async () => {
      const { settlementRegistry, creditVault, attester } = await loadBasis();
      assert.equal(await settlementRegistry.read.vault(), getAddress(creditVault.address));
      assert.equal(await settlementRegistry.read.attester(), addr(attester));
      assert.equal(await settlementRegistry.read.latestBatchId(), 0n);
      assert.equal(await settlementRegistry.read.chainHead(), zeroHash);
      assert.equal(await settlementRegistry.read.batchRoot([1n]), zeroHash);
      assert.equal(await creditVault.read.settlementRegistry(), getAddress(settlementRegistry.address));
    });

    it("gives admin the admin and pauser roles and the settler only the settler role", async () => {
      const { settlementRegistry, admin, settler } = await loadBasis();
      const has = (role: Hash, who: { account: { address: Address } }) =>
        settlementRegistry.read.hasRole([role, who.account.address]);
      assert.deepEqual(
        await Promise.all([has(DEFAULT_ADMIN_ROLE, admin), has(PAUSER_ROLE, admin), has(SETTLER_ROLE, admin)]),
        [true, true, false],
      );
      assert.deepEqual(
        await Promise.all([has(DEFAULT_ADMIN_ROLE, settler), has(PAUSER_ROLE, settler), has(SETTLER_ROLE, settler)]),
        [false, false, true],
      );
      assert.equal(await settlementRegistry.read.SETTLER_ROLE(), SETTLER_ROLE);
      assert.equal(await settlementRegistry.read.PAUSER_ROLE(), PAUSER_ROLE);
    });

    it("emits AttesterRotated from the zero address at construction", async () => {
      const { creditVault, admin, settler, attester } = await loadBasis();
      const { contract, deploymentTransaction } = await viem.sendDeploymentTransaction("SettlementRegistry", [
        creditVault.address,
        admin.account.address,
        settler.account.address,
        attester.account.address,
      ]);
      await viem.assertions.emitWithArgs(deploymentTransaction.hash, contract, "AttesterRotated", [
        zeroAddress,
        addr(attester),
      ]);
    });

    it("reverts with ZeroAddress when any constructor address is zero", async () => {
      const { creditVault, settlementRegistry, admin, settler, attester } = await loadBasis();
      const good = [creditVault.address, addr(admin), addr(settler), addr(attester)] as const;
      for (let i = 0; i < good.length; i++) {
        const args = good.map((a, j) => (j === i ? zeroAddress : a)) as unknown as typeof good;
        await viem.assertions.revertWithCustomError(
          viem.deployContract("SettlementRegistry", args) as unknown as Promise<Hash>,
          settlementRegistry,
          "ZeroAddress",
        );
      }
    });
  });

  describe("#postBatch", () => {
    it("pays the vault out: the reward share to the distributor, the rest to the treasury", async () => {
      const basis = await withCredit();
      const batch = makeBatch(1n, 300n * CREDIT, 120n * CREDIT);
      await assertTokenDeltas(basis.creditToken, () => post(basis, postArgs(batch)), [
        { address: basis.rewardDistributor.address, amount: 120n * CREDIT },
        { address: addr(basis.treasury), amount: 180n * CREDIT },
        { address: basis.creditVault.address, amount: -300n * CREDIT },
      ]);
      assert.equal(await basis.creditVault.read.outstandingCredit(), DEPOSITED - 300n * CREDIT);
    });

    it("records the root, the latest id and chainHead = keccak256(abi.encode(prevHead, id, root, count, charged, reward, fileHash))", async () => {
      const basis = await withCredit();
      const { settlementRegistry } = basis;
      const first = makeBatch(1n, 300n, 100n);
      const second = makeBatch(2n, 50n, 0n, 5);
      await postBatch(basis, first);
      const head1 = nextChainHead(zeroHash, first);
      assert.equal(await settlementRegistry.read.chainHead(), head1);
      await postBatch(basis, second);
      assert.equal(await settlementRegistry.read.latestBatchId(), 2n);
      assert.equal(await settlementRegistry.read.batchRoot([1n]), first.root);
      assert.equal(await settlementRegistry.read.batchRoot([2n]), second.root);
      assert.equal(await settlementRegistry.read.chainHead(), nextChainHead(head1, second));
    });

    it("emits BatchPosted with the previous root (zero for the first batch) and the new chain head", async () => {
      const basis = await withCredit();
      const { settlementRegistry } = basis;
      const first = makeBatch(1n, 300n, 100n);
      const second = makeBatch(2n, 40n, 10n);
      const head1 = nextChainHead(zeroHash, first);
      await viem.assertions.emitWithArgs(post(basis, postArgs(first)), settlementRegistry, "BatchPosted", [
        1n,
        first.root,
        zeroHash,
        head1,
        first.receiptCount,
        300n,
        100n,
        first.fileHash,
        first.uri,
      ]);
      await viem.assertions.emitWithArgs(post(basis, postArgs(second)), settlementRegistry, "BatchPosted", [
        2n,
        second.root,
        first.root,
        nextChainHead(head1, second),
        second.receiptCount,
        40n,
        10n,
        second.fileHash,
        second.uri,
      ]);
    });

    it("makes the vault emit BatchPaid(batchId, charged, reward, treasuryShare)", async () => {
      const basis = await withCredit();
      await viem.assertions.emitWithArgs(
        post(basis, postArgs(makeBatch(1n, 300n, 100n))),
        basis.creditVault,
        "BatchPaid",
        [1n, 300n, 100n, 200n],
      );
    });

    it("records a batch that charged nothing without touching the vault", async () => {
      const basis = await loadBasis();
      const batch = makeBatch(1n, 0n, 0n);
      const receipt = await postBatch(basis, batch);
      assert.equal(await basis.settlementRegistry.read.batchRoot([1n]), batch.root);
      assert.deepEqual(
        receipt.logs.filter((log) => getAddress(log.address) === getAddress(basis.creditVault.address)),
        [],
      );
    });

    it("reverts with BatchIdNotNext(batchId, expected) when an id is skipped", async () => {
      const basis = await withCredit();
      const { settlementRegistry } = basis;
      await viem.assertions.revertWithCustomErrorWithArgs(
        post(basis, postArgs(makeBatch(2n, 1n, 0n))),
        settlementRegistry,
        "BatchIdNotNext",
        [2n, 1n],
      );
      await postBatch(basis, makeBatch(1n, 1n, 0n));
      await viem.assertions.revertWithCustomErrorWithArgs(
        post(basis, postArgs(makeBatch(3n, 1n, 0n))),
        settlementRegistry,
        "BatchIdNotNext",
        [3n, 2n],
      );
    });

    it("reverts with BatchAlreadyPosted(batchId) when an id repeats (and for id 0), leaving the first batch intact", async () => {
      const basis = await withCredit();
      const { settlementRegistry } = basis;
      const first = makeBatch(1n, 1n, 0n);
      await postBatch(basis, first);
      const again = { ...makeBatch(1n, 2n, 0n), root: h("another root") };
      await viem.assertions.revertWithCustomErrorWithArgs(
        post(basis, postArgs(again)),
        settlementRegistry,
        "BatchAlreadyPosted",
        [1n],
      );
      // Batch 0 never exists: ids start at 1, so it is reported as not the next id.
      await viem.assertions.revertWithCustomErrorWithArgs(
        post(basis, postArgs(makeBatch(0n, 1n, 0n))),
        settlementRegistry,
        "BatchIdNotNext",
        [0n, 2n],
      );
      assert.equal(await settlementRegistry.read.batchRoot([1n]), first.root);
      assert.equal(await settlementRegistry.read.chainHead(), nextChainHead(zeroHash, first));
    });

    it("reverts with ZeroRoot for a zero root", async () => {
      const basis = await withCredit();
      await viem.assertions.revertWithCustomError(
        post(basis, postArgs({ ...makeBatch(1n, 1n, 0n), root: zeroHash })),
        basis.settlementRegistry,
        "ZeroRoot",
      );
    });

    it("reverts with EmptyBatch for zero receipts", async () => {
      const basis = await withCredit();
      await viem.assertions.revertWithCustomError(
        post(basis, postArgs({ ...makeBatch(1n, 1n, 0n), receiptCount: 0n })),
        basis.settlementRegistry,
        "EmptyBatch",
      );
    });

    it("reverts with RewardExceedsCharged(reward, charged) when the reward is above the charge", async () => {
      const basis = await withCredit();
      await viem.assertions.revertWithCustomErrorWithArgs(
        post(basis, postArgs(makeBatch(1n, 10n, 11n))),
        basis.settlementRegistry,
        "RewardExceedsCharged",
        [11n, 10n],
      );
    });

    it("reverts with the vault's InsufficientCredit(charged, outstanding) and records nothing when the vault cannot pay", async () => {
      const basis = await withCredit();
      await viem.assertions.revertWithCustomErrorWithArgs(
        post(basis, postArgs(makeBatch(1n, DEPOSITED + 1n, 0n))),
        basis.creditVault,
        "InsufficientCredit",
        [DEPOSITED + 1n, DEPOSITED],
      );
      assert.equal(await basis.settlementRegistry.read.latestBatchId(), 0n);
      assert.equal(await basis.settlementRegistry.read.chainHead(), zeroHash);
    });

    it("reverts with AccessControlUnauthorizedAccount(account, SETTLER_ROLE) for anyone but the settler", async () => {
      const basis = await withCredit();
      for (const caller of [basis.admin, basis.attester, basis.alice]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          basis.settlementRegistry.write.postBatch(postArgs(makeBatch(1n, 1n, 0n)), { account: caller.account }),
          basis.settlementRegistry,
          "AccessControlUnauthorizedAccount",
          [addr(caller), SETTLER_ROLE],
        );
      }
    });

    it("follows settler rotation: the admin grants SETTLER_ROLE to a new key and revokes the old one", async () => {
      const basis = await withCredit();
      const { settlementRegistry, settler, carol } = basis;
      await mined(settlementRegistry.write.grantRole([SETTLER_ROLE, addr(carol)]));
      await mined(settlementRegistry.write.revokeRole([SETTLER_ROLE, addr(settler)]));
      await viem.assertions.revertWithCustomErrorWithArgs(
        post(basis, postArgs(makeBatch(1n, 1n, 0n))),
        settlementRegistry,
        "AccessControlUnauthorizedAccount",
        [addr(settler), SETTLER_ROLE],
      );
      await mined(settlementRegistry.write.postBatch(postArgs(makeBatch(1n, 1n, 0n)), { account: carol.account }));
      assert.equal(await settlementRegistry.read.latestBatchId(), 1n);
    });

    it("reverts with EnforcedPause while the registry is paused", async () => {
      const basis = await withCredit();
      await mined(basis.settlementRegistry.write.pause());
      await viem.assertions.revertWithCustomError(
        post(basis, postArgs(makeBatch(1n, 1n, 0n))),
        basis.settlementRegistry,
        "EnforcedPause",
      );
    });
  });

  describe("#verifyReceipt", () => {
    it("is true for every receipt of a batch with its StandardMerkleTree proof", async () => {
      const basis = await withCredit();
      const batch = makeBatch(1n, 1n, 0n, 5);
      await postBatch(basis, batch);
      for (const [i, [hash]] of batch.tree.entries()) {
        const proof = batch.tree.getProof(i) as Hash[];
        assert.equal(await basis.settlementRegistry.read.verifyReceipt([1n, hash as Hash, proof]), true);
      }
    });

    it("is false for a wrong proof, a receipt not in the batch, another batch and an unknown batch", async () => {
      const basis = await withCredit();
      const first = makeBatch(1n, 1n, 0n, 4);
      const second = makeBatch(2n, 1n, 0n, 4);
      await postBatch(basis, first);
      await postBatch(basis, second);
      const { settlementRegistry } = basis;
      const hash0 = first.tree.at(0)?.[0] as Hash;
      const proof0 = first.tree.getProof(0) as Hash[];
      const proof1 = first.tree.getProof(1) as Hash[];
      assert.equal(await settlementRegistry.read.verifyReceipt([1n, hash0, proof0]), true);
      assert.equal(await settlementRegistry.read.verifyReceipt([1n, hash0, proof1]), false);
      assert.equal(await settlementRegistry.read.verifyReceipt([1n, h("not served"), proof0]), false);
      assert.equal(await settlementRegistry.read.verifyReceipt([2n, hash0, proof0]), false);
      assert.equal(await settlementRegistry.read.verifyReceipt([3n, hash0, proof0]), false);
      assert.equal(await settlementRegistry.read.verifyReceipt([0n, zeroHash, []]), false);
    });

    it("receiptLeaf is the StandardMerkleTree leaf hash of a bytes32 receipt hash", async () => {
      const { settlementRegistry } = await loadBasis();
      const tree = makeBatch(1n, 0n, 0n, 2).tree;
      const hash = h("receipt");
      assert.equal(await settlementRegistry.read.receiptLeaf([hash]), tree.leafHash([hash]));
    });
  });

  describe("#setAttester", () => {
    it("rotates the attester and emits AttesterRotated(previous, current)", async () => {
      const { settlementRegistry, attester, carol } = await loadBasis();
      await viem.assertions.emitWithArgs(
        settlementRegistry.write.setAttester([addr(carol)]),
        settlementRegistry,
        "AttesterRotated",
        [addr(attester), addr(carol)],
      );
      assert.equal(await settlementRegistry.read.attester(), addr(carol));
    });

    it("reverts with ZeroAddress for the zero address", async () => {
      const { settlementRegistry } = await loadBasis();
      await viem.assertions.revertWithCustomError(
        settlementRegistry.write.setAttester([zeroAddress]),
        settlementRegistry,
        "ZeroAddress",
      );
    });

    it("reverts with AccessControlUnauthorizedAccount for a non-admin, the attester itself included", async () => {
      const { settlementRegistry, attester, carol } = await loadBasis();
      await viem.assertions.revertWithCustomErrorWithArgs(
        settlementRegistry.write.setAttester([addr(carol)], { account: attester.account }),
        settlementRegistry,
        "AccessControlUnauthorizedAccount",
        [addr(attester), DEFAULT_ADMIN_ROLE],
      );
    });
  });

  describe("#pause / #unpause", () => {
    it("lets the pauser pause and unpause, emitting Paused and Unpaused, and posting resumes", async () => {
      const basis = await withCredit();
      const { settlementRegistry, admin } = basis;
      await viem.assertions.emitWithArgs(settlementRegistry.write.pause(), settlementRegistry, "Paused", [addr(admin)]);
      await viem.assertions.emitWithArgs(settlementRegistry.write.unpause(), settlementRegistry, "Unpaused", [
        addr(admin),
      ]);
      await postBatch(basis, makeBatch(1n, 1n, 0n));
      assert.equal(await settlementRegistry.read.latestBatchId(), 1n);
    });

    it("reverts with AccessControlUnauthorizedAccount(account, PAUSER_ROLE) for anyone else, the settler included", async () => {
      const { settlementRegistry, settler } = await loadBasis();
      await viem.assertions.revertWithCustomErrorWithArgs(
        settlementRegistry.write.pause({ account: settler.account }),
        settlementRegistry,
        "AccessControlUnauthorizedAccount",
        [addr(settler), PAUSER_ROLE],
      );
      await mined(settlementRegistry.write.pause());
      await viem.assertions.revertWithCustomErrorWithArgs(
        settlementRegistry.write.unpause({ account: settler.account }),
        settlementRegistry,
        "AccessControlUnauthorizedAccount",
        [addr(settler), PAUSER_ROLE],
      );
    });
  });
});
