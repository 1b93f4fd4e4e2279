import assert from "node:assert/strict";
import { type Address, encodeAbiParameters, getAddress, type Hash, type Hex, keccak256, toHex, zeroHash } from "viem";
import { buildReceiptTree, buildRewardTree } from "../../protocol/merkle.js";
import { type loadBasis, networkHelpers, REWARD_TIMELOCK, viem } from "./fixture.js";
import type { Wallet } from "./signing.js";

export type Basis = Awaited<ReturnType<typeof loadBasis>>;

/** Role ids as the contracts define them. */
export const DEFAULT_ADMIN_ROLE = zeroHash;
export const PAUSER_ROLE = keccak256(toHex("PAUSER_ROLE"));
export const SETTLER_ROLE = keccak256(toHex("SETTLER_ROLE"));
export const PROPOSER_ROLE = keccak256(toHex("PROPOSER_ROLE"));
export const GUARDIAN_ROLE = keccak256(toHex("GUARDIAN_ROLE"));

/** A deterministic 32-byte value for labels such as roots, file hashes and receipt hashes. */
export function h(label: string): Hex {
  return keccak256(toHex(label));
}

/** A receipt tree as the settler builds it (protocol/merkle.ts). */
export const receiptTree = buildReceiptTree;

/** A cumulative reward tree (protocol/merkle.ts) from `[account, cumulativeAmount]` pairs. */
export function rewardTree(entries: [Address, bigint][]) {
  return buildRewardTree(entries.map(([account, cumulativeAmount]) => ({ account, cumulativeAmount })));
}

/** The proof of leaf `index` of `tree`, typed for viem. */
export function proofOf(tree: { getProof(index: number): string[] }, index: number): Hex[] {
  return tree.getProof(index) as Hex[];
}

/** `keccak256(abi.encode(prevHead, batchId, root, receiptCount, totalCharged, totalReward, fileHash))`. */
export function nextChainHead(
  prevHead: Hex,
  batch: { batchId: bigint; root: Hex; receiptCount: bigint; totalCharged: bigint; totalReward: bigint; fileHash: Hex },
): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "uint256" },
        { type: "bytes32" },
        { type: "uint256" },
        { type: "uint256" },
        { type: "uint256" },
        { type: "bytes32" },
      ],
      [prevHead, batch.batchId, batch.root, batch.receiptCount, batch.totalCharged, batch.totalReward, batch.fileHash],
    ),
  );
}

/** Waits for `tx` and asserts it succeeded; returns its receipt. */
export async function mined(tx: Promise<Hash> | Hash) {
  const publicClient = await viem.getPublicClient();
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await tx });
  assert.equal(receipt.status, "success");
  return receipt;
}

/**
 * Runs `action` and asserts the credit-token balance of each listed address moved by exactly `amount`
 * (negative for outflows).
 */
export async function assertTokenDeltas(
  token: Basis["creditToken"],
  action: () => Promise<Hash>,
  changes: { address: Address; amount: bigint }[],
) {
  const before = await Promise.all(changes.map(({ address }) => token.read.balanceOf([address])));
  await mined(action());
  const after = await Promise.all(changes.map(({ address }) => token.read.balanceOf([address])));
  assert.deepEqual(
    changes.map(({ address }, i) => ({ address: getAddress(address), delta: (after[i] ?? 0n) - (before[i] ?? 0n) })),
    changes.map(({ address, amount }) => ({ address: getAddress(address), delta: amount })),
  );
}

/** `payer` approves the vault and deposits `amount` credited to `account`. */
export async function deposit(basis: Basis, payer: Wallet, account: Address, amount: bigint) {
  const { creditToken, creditVault } = basis;
  await mined(creditToken.write.approve([creditVault.address, amount], { account: payer.account }));
  await mined(creditVault.write.deposit([account, amount], { account: payer.account }));
}

/** A batch of `count` receipts with the given totals, ready for `postBatch`. */
export function makeBatch(batchId: bigint, totalCharged: bigint, totalReward: bigint, count = 3) {
  const tree = receiptTree(Array.from({ length: count }, (_, i) => h(`batch ${batchId} receipt ${i}`)));
  return {
    batchId,
    root: tree.root as Hex,
    receiptCount: BigInt(count),
    totalCharged,
    totalReward,
    fileHash: h(`batch ${batchId} file`),
    uri: `ipfs://batch-${batchId}`,
    tree,
  };
}

export type Batch = ReturnType<typeof makeBatch>;

/** The `postBatch` argument tuple of `batch`. */
export function postArgs(batch: Batch) {
  return [
    batch.batchId,
    batch.root,
    batch.receiptCount,
    batch.totalCharged,
    batch.totalReward,
    batch.fileHash,
    batch.uri,
  ] as const;
}

/** The settler posts `batch`. */
export async function postBatch(basis: Basis, batch: Batch) {
  return mined(basis.settlementRegistry.write.postBatch(postArgs(batch), { account: basis.settler.account }));
}

/**
 * Funds the reward distributor the way production does: alice deposits `reward` and a batch charging
 * exactly that with a reward share of all of it is settled.
 */
export async function fundRewards(basis: Basis, reward: bigint, batchId = 1n) {
  await deposit(basis, basis.alice, basis.alice.account.address, reward);
  await postBatch(basis, makeBatch(batchId, reward, reward));
}

/** Timestamp of the next block when it is pinned to `latest + seconds`. */
export async function pinNextTimestamp(secondsAfterLatest: number) {
  const next = BigInt((await networkHelpers.time.latest()) + secondsAfterLatest);
  await networkHelpers.time.setNextBlockTimestamp(next);
  return next;
}

/** The proposer proposes `root`; the timelock passes; someone else (carol) accepts it. */
export async function activateRoot(basis: Basis, root: Hex, fileHash: Hex = h(`file of ${root}`)) {
  const { rewardDistributor, proposer, carol } = basis;
  await mined(rewardDistributor.write.proposeRoot([root, fileHash], { account: proposer.account }));
  await pinNextTimestamp(Number(REWARD_TIMELOCK) + 1);
  await mined(rewardDistributor.write.acceptRoot({ account: carol.account }));
}
