/**
 * What the audit reads from the chain, whichever way it is read (JSON-RPC or the indexer): the posted
 * batches, the attester's history and the reward roots, all as of one block.
 */
import type { Address, Hex } from "viem";

/** One `SettlementRegistry.BatchPosted` event. */
export type PostedBatch = {
  batchId: number;
  root: Hex;
  previousRoot: Hex;
  chainHead: Hex;
  receiptCount: bigint;
  totalCharged: bigint;
  totalReward: bigint;
  fileHash: Hex;
  uri: string;
  blockNumber: bigint;
  txHash: Hex;
};

/** A span during which `address` was the registry's attester (from one `AttesterRotated` to the next). */
export type AttesterPeriod = {
  address: Address;
  fromBlock: bigint;
  /** Unix seconds of `fromBlock`. */
  fromTime: bigint;
  /** The block that rotated it out, and its time; null while it is the attester. */
  toBlock: bigint | null;
  toTime: bigint | null;
};

/** What became of a proposed reward root. `superseded`: replaced by a newer proposal while pending. */
export type RewardRootStatus = "pending" | "accepted" | "revoked" | "superseded";

/** One `RewardDistributor.RootProposed`, numbered from 1 in the order proposed, and what became of it. */
export type ProposedRewardRoot = {
  index: number;
  root: Hex;
  fileHash: Hex;
  validAt: bigint;
  proposedBlock: bigint;
  status: RewardRootStatus;
};

/** The chain as of `atBlock`. */
export type ChainSnapshot = {
  source: "rpc" | "indexer";
  chainId: number;
  registry: Address;
  distributor: Address;
  atBlock: bigint;
  /** Batches posted, ordered by id (1, 2, …). */
  batches: PostedBatch[];
  /** The registry's own chain head (`chainHead()` over RPC; the last batch's head from the indexer). */
  chainHead: Hex;
  /** Oldest first; the last one is the current attester. */
  attesters: AttesterPeriod[];
  /** Oldest first. */
  rewardRoots: ProposedRewardRoot[];
  /** The distributor's claimable root and its file hash (null before the first acceptance). */
  acceptedRoot: { root: Hex; fileHash: Hex } | null;
  /** The root waiting for its timelock, if any. */
  pendingRoot: { root: Hex; fileHash: Hex; validAt: bigint } | null;
};

/** Reads the chain for the audit. */
export type ChainSource = {
  readonly kind: "rpc" | "indexer";
  /** The chain id the RPC (or the indexer) serves. */
  chainId(): Promise<number>;
  /** Everything the network audit needs, as of one block. */
  snapshot(): Promise<ChainSnapshot>;
  /** One posted batch (`txHint`: the transaction the gateway says posted it, a shortcut checked against the chain). */
  batch(batchId: number, txHint?: Hex | null): Promise<PostedBatch | null>;
  /** Whether the registry itself accepts `proof` for `receiptHash` in the batch (`verifyReceipt`); null where the source cannot call the contract. */
  verifyReceipt(batchId: number, receiptHash: Hex, proof: Hex[]): Promise<boolean | null>;
  /** The attester history, oldest first. */
  attesters(): Promise<AttesterPeriod[]>;
};

/** Thrown when the chain (or the indexer) cannot be read: the audit could not run, exit 3. */
export class SourceError extends Error {
  override name = "SourceError";
}

/** The attester period of `signer` that covers some instant between a job's completion and its batch's posting. */
export function attesterCovering(
  periods: readonly AttesterPeriod[],
  signer: Address,
  completedAtSeconds: bigint,
  postedBlock: bigint | null,
): AttesterPeriod | undefined {
  const who = signer.toLowerCase();
  return periods.find(
    (p) =>
      p.address.toLowerCase() === who &&
      (postedBlock === null || p.fromBlock <= postedBlock) &&
      (p.toTime === null || p.toTime > completedAtSeconds),
  );
}

/** The attester in office at `block` (the last rotation at or before it). */
export function attesterAt(periods: readonly AttesterPeriod[], block: bigint | null): AttesterPeriod | undefined {
  if (block === null) return periods.at(-1);
  return periods.filter((p) => p.fromBlock <= block).at(-1);
}
