/**
 * The settler: every `intervalMs` (or as soon as `maxReceipts` wait), builds the next batch of signed
 * receipts, posts it to the SettlementRegistry and, once mined, fills the receipts' envelopes with their
 * proofs. Exactly once: a batch is written before it is posted, and before (re-)posting the settler
 * reads the registry — a batch already there with the same root is only marked mined, never posted
 * twice. RPC failures back off and retry; serving never waits for any of it.
 */
import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from "viem";
import { settlementRegistryAbi } from "../../protocol/generated/abis.js";
import type { BatchStore, StoredBatch } from "./batches.js";

export type SettlerOptions = {
  batches: BatchStore;
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain, Account>;
  registry: Address;
  /** Where batches are published: the posted `uri` is `${batchesUrl}/${batchId}/file`. */
  batchesUrl: string;
  maxReceipts: number;
  intervalMs: number;
  onError?(error: Error): void;
  onSettled?(batch: StoredBatch): void;
};

export type Settler = {
  /** One round: post what is built, or build and post the next batch. Returns the batch mined, if any. */
  settleOnce(): Promise<StoredBatch | null>;
  start(): void;
  stop(): Promise<void>;
};

export function createSettler(opts: SettlerOptions): Settler {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<StoredBatch | null> | null = null;
  let failures = 0;
  const registry = { address: opts.registry, abi: settlementRegistryAbi } as const;

  async function post(batch: StoredBatch): Promise<StoredBatch> {
    const latest = await opts.publicClient.readContract({ ...registry, functionName: "latestBatchId" });
    if (latest >= BigInt(batch.batchId)) {
      // Posted before a crash (or by another replica): mark it mined if it is ours, never post again.
      const root = await opts.publicClient.readContract({
        ...registry,
        functionName: "batchRoot",
        args: [BigInt(batch.batchId)],
      });
      if (root.toLowerCase() !== batch.root.toLowerCase())
        throw new Error(`batch ${batch.batchId} on-chain has root ${root}, ours is ${batch.root}`);
      await opts.batches.markMined(batch, batch.txHash);
      return batch;
    }
    if (latest !== BigInt(batch.batchId - 1))
      throw new Error(`the registry's latest batch is ${latest}; batch ${batch.batchId} cannot follow it`);
    const hash = await opts.walletClient.writeContract({
      ...registry,
      functionName: "postBatch",
      args: [
        BigInt(batch.batchId),
        batch.root,
        BigInt(batch.receiptCount),
        batch.totalCharged,
        batch.totalReward,
        batch.fileHash,
        `${opts.batchesUrl}/${batch.batchId}/file`,
      ],
    });
    await opts.batches.setTxHash(batch.batchId, hash);
    const receipt = await opts.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`postBatch ${batch.batchId} reverted in ${hash}`);
    await opts.batches.markMined(batch, hash);
    return { ...batch, status: "mined", txHash: hash };
  }

  async function round(): Promise<StoredBatch | null> {
    const batch = await opts.batches.buildNext(opts.maxReceipts);
    if (!batch) return null;
    const mined = await post(batch);
    opts.onSettled?.(mined);
    return mined;
  }

  const settler: Settler = {
    settleOnce() {
      running ??= round().finally(() => {
        running = null;
      });
      return running;
    },
    start() {
      const loop = async () => {
        let delay = opts.intervalMs;
        try {
          // Drain: while full batches wait, settle them back to back.
          while (timer && (await settler.settleOnce())?.receiptCount === opts.maxReceipts);
          failures = 0;
        } catch (error) {
          failures += 1;
          delay = Math.min(60_000, opts.intervalMs * 2 ** Math.min(failures, 6));
          opts.onError?.(error as Error);
        }
        if (timer) timer = setTimeout(loop, delay);
      };
      timer = setTimeout(loop, opts.intervalMs);
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      await running?.catch(() => {});
    },
  };
  return settler;
}
