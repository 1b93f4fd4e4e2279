/**
 * The chain over JSON-RPC: the contracts' events from their deployment block (read in block ranges that
 * shrink when the node refuses a range) and their views, all pinned to the block the audit started at.
 */
import {
  type Address,
  createPublicClient,
  encodeEventTopics,
  getAddress,
  type Hex,
  http,
  parseEventLogs,
  zeroHash,
} from "viem";
import type { Deployment } from "../../protocol/deployments.js";
import { rewardDistributorAbi, settlementRegistryAbi } from "../../protocol/generated/abis.js";
import {
  type AttesterPeriod,
  type ChainSnapshot,
  type ChainSource,
  type PostedBatch,
  type ProposedRewardRoot,
  SourceError,
} from "./chain.js";

/** Blocks per `eth_getLogs` at first; halved (down to one block) whenever the node refuses a range. */
const INITIAL_RANGE = 50_000n;

/**
 * Reads the deployment's contracts through `rpcUrl`.
 * @example await createRpcSource("http://127.0.0.1:8545", loadDeployment(31337)).snapshot()
 */
export function createRpcSource(rpcUrl: string, deployment: Deployment): ChainSource {
  const client = createPublicClient({ transport: http(rpcUrl, { timeout: 30_000, retryCount: 3 }) });
  const registry = deployment.contracts.settlementRegistry;
  const distributor = deployment.contracts.rewardDistributor;
  const fromBlock = BigInt(Math.min(registry.startBlock, distributor.startBlock));
  const registryContract = { address: registry.address, abi: settlementRegistryAbi } as const;
  const distributorContract = { address: distributor.address, abi: rewardDistributorAbi } as const;

  const rpc = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      const detail = (error as { shortMessage?: string }).shortMessage ?? (error as Error).message;
      throw new SourceError(`could not read ${what} from ${rpcUrl}: ${detail}`);
    }
  };

  /** Every log of `address` in [fromBlock, toBlock], in ranges the node accepts. */
  async function logsOf(address: Address, toBlock: bigint, topics?: (Hex | null)[]) {
    const logs = [];
    let range = INITIAL_RANGE;
    for (let start = fromBlock; start <= toBlock; ) {
      const end = start + range - 1n < toBlock ? start + range - 1n : toBlock;
      try {
        logs.push(
          ...(await client.request({
            method: "eth_getLogs",
            params: [{ address, fromBlock: `0x${start.toString(16)}`, toBlock: `0x${end.toString(16)}`, topics }],
          })),
        );
        start = end + 1n;
      } catch (error) {
        // A node that refuses the range answers; one that cannot be reached will not do better with less.
        const name = (error as Error).name;
        const unreachable =
          name === "TimeoutError" || (name === "HttpRequestError" && !(error as { status?: number }).status);
        if (range === 1n || unreachable) throw error;
        range /= 2n;
      }
    }
    return logs;
  }

  const blockTime = async (blockNumber: bigint) =>
    (await rpc(`block ${blockNumber}`, () => client.getBlock({ blockNumber }))).timestamp;

  const toBatch = (e: {
    args: {
      batchId: bigint;
      root: Hex;
      previousRoot: Hex;
      chainHead: Hex;
      receiptCount: bigint;
      totalCharged: bigint;
      totalReward: bigint;
      fileHash: Hex;
      uri: string;
    };
    blockNumber: bigint;
    transactionHash: Hex;
  }): PostedBatch => ({
    batchId: Number(e.args.batchId),
    root: e.args.root,
    previousRoot: e.args.previousRoot,
    chainHead: e.args.chainHead,
    receiptCount: e.args.receiptCount,
    totalCharged: e.args.totalCharged,
    totalReward: e.args.totalReward,
    fileHash: e.args.fileHash,
    uri: e.args.uri,
    blockNumber: e.blockNumber,
    txHash: e.transactionHash,
  });

  async function attesterPeriods(logs: Parameters<typeof parseEventLogs>[0]["logs"]): Promise<AttesterPeriod[]> {
    const rotations = parseEventLogs({ abi: settlementRegistryAbi, logs, eventName: "AttesterRotated" });
    const periods: AttesterPeriod[] = [];
    for (const r of rotations) {
      const time = await blockTime(r.blockNumber);
      const last = periods.at(-1);
      if (last) {
        last.toBlock = r.blockNumber;
        last.toTime = time;
      }
      periods.push({
        address: getAddress(r.args.current),
        fromBlock: r.blockNumber,
        fromTime: time,
        toBlock: null,
        toTime: null,
      });
    }
    return periods;
  }

  return {
    kind: "rpc",

    chainId: () => rpc("the chain id", () => client.getChainId()),

    async snapshot(): Promise<ChainSnapshot> {
      const atBlock = await rpc("the latest block", () => client.getBlockNumber());
      const [registryLogs, distributorLogs] = await rpc("the contracts' events", () =>
        Promise.all([logsOf(registry.address, atBlock), logsOf(distributor.address, atBlock)]),
      );
      const batches = parseEventLogs({ abi: settlementRegistryAbi, logs: registryLogs, eventName: "BatchPosted" })
        .map(toBatch)
        .sort((a, b) => a.batchId - b.batchId);
      const read = { blockNumber: atBlock } as const;
      const [chainHead, root, rootFileHash, pending] = await rpc("the contracts' views", () =>
        Promise.all([
          client.readContract({ ...registryContract, functionName: "chainHead", ...read }),
          client.readContract({ ...distributorContract, functionName: "root", ...read }),
          client.readContract({ ...distributorContract, functionName: "rootFileHash", ...read }),
          client.readContract({ ...distributorContract, functionName: "pendingRoot", ...read }),
        ]),
      );
      const chainId = await this.chainId();
      return {
        source: "rpc",
        chainId,
        registry: registry.address,
        distributor: distributor.address,
        atBlock,
        batches,
        chainHead,
        attesters: await attesterPeriods(registryLogs),
        rewardRoots: rewardRootHistory(distributorLogs),
        acceptedRoot: root === zeroHash ? null : { root, fileHash: rootFileHash },
        pendingRoot: pending[0] === zeroHash ? null : { root: pending[0], fileHash: pending[1], validAt: pending[2] },
      };
    },

    async batch(batchId, txHint) {
      if (txHint) {
        const receipt = await client.getTransactionReceipt({ hash: txHint }).catch(() => null);
        const logs = (receipt?.logs ?? []).filter((l) => l.address.toLowerCase() === registry.address.toLowerCase());
        const found = parseEventLogs({ abi: settlementRegistryAbi, logs, eventName: "BatchPosted" }).find(
          (e) => e.args.batchId === BigInt(batchId),
        );
        if (found) return toBatch(found);
      }
      const atBlock = await rpc("the latest block", () => client.getBlockNumber());
      const topic = `0x${BigInt(batchId).toString(16).padStart(64, "0")}` as Hex;
      const [eventTopic] = encodeEventTopics({ abi: settlementRegistryAbi, eventName: "BatchPosted" });
      const logs = await rpc(`batch ${batchId}'s event`, () =>
        logsOf(registry.address, atBlock, [eventTopic ?? null, topic]),
      );
      const [found] = parseEventLogs({ abi: settlementRegistryAbi, logs, eventName: "BatchPosted" });
      return found ? toBatch(found) : null;
    },

    verifyReceipt: (batchId, receiptHash, proof) =>
      rpc("SettlementRegistry.verifyReceipt", () =>
        client.readContract({
          ...registryContract,
          functionName: "verifyReceipt",
          args: [BigInt(batchId), receiptHash, proof],
        }),
      ),

    async attesters() {
      const atBlock = await rpc("the latest block", () => client.getBlockNumber());
      return attesterPeriods(await rpc("the registry's events", () => logsOf(registry.address, atBlock)));
    },
  };
}

/** Replays RootProposed / RootAccepted / PendingRootRevoked in log order into each proposal's fate. */
function rewardRootHistory(logs: Parameters<typeof parseEventLogs>[0]["logs"]): ProposedRewardRoot[] {
  const events = parseEventLogs({ abi: rewardDistributorAbi, logs }).sort((a, b) =>
    a.blockNumber === b.blockNumber ? (a.logIndex ?? 0) - (b.logIndex ?? 0) : a.blockNumber < b.blockNumber ? -1 : 1,
  );
  const roots: ProposedRewardRoot[] = [];
  let pending: ProposedRewardRoot | null = null;
  for (const e of events) {
    if (e.eventName === "RootProposed") {
      if (pending) pending.status = "superseded";
      pending = {
        index: roots.length + 1,
        root: e.args.root,
        fileHash: e.args.fileHash,
        validAt: e.args.validAt,
        proposedBlock: e.blockNumber ?? 0n,
        status: "pending",
      };
      roots.push(pending);
    } else if (e.eventName === "RootAccepted" && pending) {
      pending.status = "accepted";
      pending = null;
    } else if (e.eventName === "PendingRootRevoked" && pending) {
      pending.status = "revoked";
      pending = null;
    }
  }
  return roots;
}
