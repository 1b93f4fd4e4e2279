/**
 * The chain as the Basis indexer has it (Ponder's SQL over HTTP): the `batch`, `attester_change` and
 * `reward_root` tables, as of the indexer's latest checkpoint. The indexer replays the contracts' events,
 * so everything the RPC audit compares is there, except what only a contract call gives: the registry's
 * own `chainHead()` (the last batch's head stands for it) and `verifyReceipt` (the proof is folded here
 * instead).
 */
import { createClient, sql } from "@ponder/client";
import { getAddress, type Hex } from "viem";
import { z } from "zod";
import { createIndexerClient } from "../../indexer/client.js";
import type { Deployment } from "../../protocol/deployments.js";
import {
  type AttesterPeriod,
  type ChainSource,
  type PostedBatch,
  type RewardRootStatus,
  SourceError,
} from "./chain.js";

const TIMEOUT_MS = 30_000;
const hex = z.string().regex(/^0x[0-9a-fA-F]*$/) as unknown as z.ZodType<Hex>;
const uint = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((v) => BigInt(v));

const batchRow = z
  .object({
    batch_id: uint,
    root: hex,
    previous_root: hex,
    chain_head: hex,
    receipt_count: uint,
    total_charged: uint,
    total_reward: uint,
    file_hash: hex,
    uri: z.string(),
    block_number: uint,
    transaction_hash: hex,
  })
  .transform(
    (r): PostedBatch => ({
      batchId: Number(r.batch_id),
      root: r.root,
      previousRoot: r.previous_root,
      chainHead: r.chain_head,
      receiptCount: r.receipt_count,
      totalCharged: r.total_charged,
      totalReward: r.total_reward,
      fileHash: r.file_hash,
      uri: r.uri,
      blockNumber: r.block_number,
      txHash: r.transaction_hash,
    }),
  );
const attesterRow = z.object({ current: hex, block_number: uint, block_timestamp: uint });
const rewardRootRow = z.object({
  root: hex,
  file_hash: hex,
  status: z.enum(["pending", "accepted", "revoked", "superseded"]),
  valid_at: uint,
  proposed_block: uint,
});

/**
 * Reads the deployment's contracts through the indexer at `url`.
 * @example await createIndexerSource("http://127.0.0.1:42069", deployment).snapshot()
 */
export function createIndexerSource(url: string, deployment: Deployment): ChainSource {
  const origin = new URL(url).origin;
  const { db } = createClient(`${origin}/sql`);
  const progress = createIndexerClient(origin, { timeoutMs: TIMEOUT_MS });

  async function select<T>(what: string, query: ReturnType<typeof sql>, row: z.ZodType<T>): Promise<T[]> {
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      });
      const rows = await Promise.race([db.execute(query), timeout]).finally(() => clearTimeout(timer));
      return z.array(row).parse(rows as unknown);
    } catch (error) {
      throw new SourceError(`could not read ${what} from the indexer at ${origin}: ${(error as Error).message}`);
    }
  }

  const chain = async () => {
    const status = await progress.status().catch((error: Error) => {
      throw new SourceError(`could not read the indexer's progress at ${origin}: ${error.message}`);
    });
    const found = status.chains.find((c) => c.chainId === deployment.chainId) ?? status.chains[0];
    if (!found) throw new SourceError(`the indexer at ${origin} has indexed no chain yet`);
    return found;
  };

  const batches = () =>
    select(
      "batches",
      sql`select batch_id, root, previous_root, chain_head, receipt_count, total_charged, total_reward, file_hash, uri, block_number, transaction_hash from batch order by batch_id`,
      batchRow,
    );

  async function attesters(): Promise<AttesterPeriod[]> {
    const rows = await select(
      "attester rotations",
      sql`select current, block_number, block_timestamp from attester_change order by block_number, log_index`,
      attesterRow,
    );
    const periods: AttesterPeriod[] = [];
    for (const r of rows) {
      const last = periods.at(-1);
      if (last) {
        last.toBlock = r.block_number;
        last.toTime = r.block_timestamp;
      }
      periods.push({
        address: getAddress(r.current),
        fromBlock: r.block_number,
        fromTime: r.block_timestamp,
        toBlock: null,
        toTime: null,
      });
    }
    return periods;
  }

  return {
    kind: "indexer",

    chainId: async () => (await chain()).chainId,

    async snapshot() {
      const indexed = await chain();
      const posted = await batches();
      const roots = await select(
        "reward roots",
        sql`select root, file_hash, status, valid_at, proposed_block from reward_root order by proposed_block, id`,
        rewardRootRow,
      );
      const rewardRoots = roots.map((r, i) => ({
        index: i + 1,
        root: r.root,
        fileHash: r.file_hash,
        validAt: r.valid_at,
        proposedBlock: r.proposed_block,
        status: r.status as RewardRootStatus,
      }));
      const accepted = rewardRoots.filter((r) => r.status === "accepted").at(-1);
      const pending = rewardRoots.find((r) => r.status === "pending");
      return {
        source: "indexer" as const,
        chainId: indexed.chainId,
        registry: deployment.contracts.settlementRegistry.address,
        distributor: deployment.contracts.rewardDistributor.address,
        atBlock: indexed.indexedBlock.number,
        batches: posted,
        chainHead: posted.at(-1)?.chainHead ?? (`0x${"0".repeat(64)}` as Hex),
        attesters: await attesters(),
        rewardRoots,
        acceptedRoot: accepted ? { root: accepted.root, fileHash: accepted.fileHash } : null,
        pendingRoot: pending ? { root: pending.root, fileHash: pending.fileHash, validAt: pending.validAt } : null,
      };
    },

    async batch(batchId) {
      const rows = await select(
        `batch ${batchId}`,
        sql`select batch_id, root, previous_root, chain_head, receipt_count, total_charged, total_reward, file_hash, uri, block_number, transaction_hash from batch where batch_id = ${batchId}`,
        batchRow,
      );
      return rows[0] ?? null;
    },

    verifyReceipt: async () => null,

    attesters,
  };
}
