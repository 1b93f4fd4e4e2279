import type { Address, Hex } from "viem";
import { FastStandardMerkleTree } from "./merkleTree.js";

/**
 * Leaf encoding of a settlement batch: one leaf per receipt, `[receiptHash]` typed `["bytes32"]`.
 * On-chain leaf: `keccak256(bytes.concat(keccak256(abi.encode(receiptHash))))`.
 */
export const RECEIPT_LEAF_ENCODING = ["bytes32"] as const;

/**
 * Leaf encoding of a reward root: one leaf per contributor, `[account, cumulativeAmount]` typed
 * `["address","uint256"]`. On-chain leaf: `keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))))`.
 */
export const REWARD_LEAF_ENCODING = ["address", "uint256"] as const;

/** One contributor's cumulative earned reward, in base units of the credit token. */
export type RewardEntry = { account: Address; cumulativeAmount: bigint };

/**
 * Builds the settlement tree of a batch over its receipt hashes, in the given order.
 * @param receiptHashes `0x`-prefixed 32-byte receipt hashes.
 * @returns The OpenZeppelin `StandardMerkleTree` (sorted leaves), built by protocol/merkleTree.ts: `.root`,
 *   `.getProof(i)` (O(log n)), `.leafHash`, `.verify`, `.dump()` as the library's.
 * @example buildReceiptTree([hashA, hashB]).root
 */
export function buildReceiptTree(receiptHashes: readonly Hex[]) {
  return FastStandardMerkleTree.of(
    receiptHashes.map((hash): [Hex] => [hash]),
    [...RECEIPT_LEAF_ENCODING],
    { sortLeaves: true },
  );
}

/**
 * Builds the reward tree over every contributor's cumulative reward.
 * @param entries One entry per account; amounts are bigint base units.
 * @returns The OpenZeppelin `StandardMerkleTree` (sorted leaves), built by protocol/merkleTree.ts; leaf values are
 *   `[account, amount as decimal string]`.
 * @example buildRewardTree([{ account, cumulativeAmount: 10n ** 18n }]).root
 */
export function buildRewardTree(entries: readonly RewardEntry[]) {
  return FastStandardMerkleTree.of(
    entries.map((e): [Address, string] => [e.account, e.cumulativeAmount.toString()]),
    [...REWARD_LEAF_ENCODING],
    { sortLeaves: true },
  );
}
