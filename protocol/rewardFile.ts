/**
 * The reward tree file: every contributor's cumulative reward through a batch, published by the gateway
 * so that anyone can rebuild the reward root (`StandardMerkleTree`, leaf encoding
 * `["address","uint256"]`) and check it against the RewardDistributor. The distributor stores the
 * SHA-256 of the file's exact bytes (RFC 8785 canonical JSON).
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import type { Hex } from "viem";

export type RewardFile = {
  version: 1;
  chainId: number;
  distributor: string;
  /** Rewards of the receipts in batches 1..throughBatch. */
  throughBatch: number;
  root: Hex;
  /** Sorted by account; amounts are decimal base units. */
  entries: { account: string; cumulativeAmount: string }[];
};

export function encodeRewardFile(file: RewardFile): { text: string; fileHash: Hex } {
  const text = canonicalize(file) as string;
  return { text, fileHash: `0x${createHash("sha256").update(text, "utf8").digest("hex")}` };
}
