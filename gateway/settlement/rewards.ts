/**
 * Reward roots. After batches settle, each contributor's cumulative reward (the sum of `reward` over the
 * receipts of mined batches naming its wallet) goes into a new reward tree, proposed to the
 * RewardDistributor and accepted once its timelock has passed; contributors then claim the difference
 * with a proof. One proposal at a time: a new root is proposed only after the previous one was
 * accepted (proposing replaces a pending root and restarts its timelock, so proposing on every batch
 * would keep rewards from ever becoming claimable).
 */
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import { rewardDistributorAbi } from "../../protocol/generated/abis.js";
import { buildRewardTree } from "../../protocol/merkle.js";
import { encodeRewardFile, type RewardFile } from "../../protocol/rewardFile.js";
import type { Db } from "../store/db.js";

export type StoredRewardRoot = {
  id: number;
  root: Hex;
  throughBatch: number;
  file: string;
  fileHash: Hex;
  /** `dropped`: left the pending slot unaccepted (revoked by the guardian, or superseded by another proposer). */
  status: "built" | "proposed" | "accepted" | "dropped";
  validAt: Date | null;
};

type Row = {
  id: string;
  root: Hex;
  through_batch: string;
  file: string;
  file_hash: Hex;
  status: StoredRewardRoot["status"];
  valid_at: Date | null;
};

const toRoot = (r: Row): StoredRewardRoot => ({
  id: Number(r.id),
  root: r.root,
  throughBatch: Number(r.through_batch),
  file: r.file,
  fileHash: r.file_hash,
  status: r.status,
  validAt: r.valid_at === null ? null : new Date(r.valid_at),
});

const COLUMNS = "id::text AS id, root, through_batch::text AS through_batch, file, file_hash, status, valid_at";

export function createRewardStore(db: Db, chain: { chainId: number; distributor: string }) {
  return {
    /** The newest root, whatever its status. */
    async latest(): Promise<StoredRewardRoot | null> {
      const [row] = await db.query<Row>(`SELECT ${COLUMNS} FROM reward_roots ORDER BY reward_roots.id DESC LIMIT 1`);
      return row ? toRoot(row) : null;
    },
    /** The newest accepted (claimable) root. */
    async accepted(): Promise<StoredRewardRoot | null> {
      const [row] = await db.query<Row>(
        `SELECT ${COLUMNS} FROM reward_roots WHERE status = 'accepted' ORDER BY reward_roots.id DESC LIMIT 1`,
      );
      return row ? toRoot(row) : null;
    },
    /** Builds the tree of cumulative rewards through the newest mined batch, unless nothing new was mined. */
    async build(after: number): Promise<StoredRewardRoot | null> {
      const [last] = await db.query<{ id: string | null }>(
        "SELECT max(batch_id)::text AS id FROM batches WHERE status = 'mined'",
      );
      const through = Number(last?.id ?? 0);
      if (through <= after) return null;
      const rows = await db.query<{ worker: string; amount: string }>(
        `SELECT worker, sum((core->>'reward')::numeric)::text AS amount FROM receipts
         WHERE worker IS NOT NULL AND batch_id IS NOT NULL AND batch_id <= $1
         GROUP BY worker HAVING sum((core->>'reward')::numeric) > 0 ORDER BY worker`,
        [through],
      );
      if (rows.length === 0) return null;
      const entries = rows.map((r) => ({ account: r.worker as Address, cumulativeAmount: BigInt(r.amount) }));
      const tree = buildRewardTree(entries);
      const file: RewardFile = {
        version: 1,
        chainId: chain.chainId,
        distributor: chain.distributor.toLowerCase(),
        throughBatch: through,
        root: tree.root as Hex,
        entries: entries.map((e) => ({ account: e.account, cumulativeAmount: e.cumulativeAmount.toString() })),
      };
      const { text, fileHash } = encodeRewardFile(file);
      const [row] = await db.query<Row>(
        `INSERT INTO reward_roots (root, through_batch, file, file_hash) VALUES ($1, $2, $3, $4)
         ON CONFLICT (through_batch) DO UPDATE SET through_batch = EXCLUDED.through_batch RETURNING ${COLUMNS}`,
        [tree.root, through, text, fileHash],
      );
      return toRoot(row as Row);
    },
    async mark(id: number, status: "proposed" | "accepted" | "dropped", p: { tx?: Hex | null; validAt?: Date }) {
      await db.query(
        `UPDATE reward_roots SET status = $2, valid_at = COALESCE($3, valid_at),
           propose_tx = CASE WHEN $2 = 'proposed' THEN $4 ELSE propose_tx END,
           accept_tx = CASE WHEN $2 = 'accepted' THEN $4 ELSE accept_tx END
         WHERE id = $1`,
        [id, status, p.validAt?.toISOString() ?? null, p.tx ?? null],
      );
    },
  };
}

export type RewardStore = ReturnType<typeof createRewardStore>;

/** A contributor's rewards, from the newest accepted root and the chain. */
export type RewardStatus = {
  account: Address;
  /** Cumulative reward in the claimable root. */
  cumulative: bigint;
  claimed: bigint;
  claimable: bigint;
  proof: Hex[];
  root: Hex | null;
  /** The newest root not yet claimable (proposed or built), and this account's cumulative in it. */
  pending: { root: Hex; status: string; cumulative: bigint; validAt: Date | null } | null;
};

/** The parsed tree of each root, built once: `GET /rewards/:address` would otherwise rebuild it per request. */
const trees = new Map<
  string,
  { tree: ReturnType<typeof buildRewardTree>; index: Map<string, number>; amounts: bigint[] }
>();

const amountIn = (root: StoredRewardRoot | null, account: string) => {
  if (!root) return { amount: 0n, proof: [] as Hex[] };
  let parsed = trees.get(root.root);
  if (!parsed) {
    const entries = (JSON.parse(root.file) as RewardFile).entries.map((e) => ({
      account: e.account as Address,
      cumulativeAmount: BigInt(e.cumulativeAmount),
    }));
    parsed = {
      tree: buildRewardTree(entries),
      index: new Map(entries.map((e, i) => [e.account.toLowerCase(), i])),
      amounts: entries.map((e) => e.cumulativeAmount),
    };
    if (trees.size >= 8) trees.clear();
    trees.set(root.root, parsed);
  }
  const i = parsed.index.get(account.toLowerCase());
  if (i === undefined) return { amount: 0n, proof: [] as Hex[] };
  return { amount: parsed.amounts[i] ?? 0n, proof: parsed.tree.getProof(i) as Hex[] };
};

export function createRewarder(opts: {
  rewards: RewardStore;
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain, Account>;
  distributor: Address;
  /** Told when a proposed root left the pending slot unaccepted (`pending`: what is there now, zero when revoked). */
  onDropped?: (root: StoredRewardRoot, pending: Hex) => void;
}) {
  const distributor = { address: opts.distributor, abi: rewardDistributorAbi } as const;
  const send = async (request: Parameters<typeof opts.walletClient.writeContract>[0]) => {
    const hash = await opts.walletClient.writeContract(request);
    const receipt = await opts.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${request.functionName} reverted (${hash})`);
    return hash;
  };

  return {
    /**
     * One step: accept the proposed root once its timelock passed; else, with no root pending, propose
     * one over everything mined since the last. Safe to repeat after a crash: the chain is read first.
     */
    async round(): Promise<StoredRewardRoot | null> {
      let latest = await opts.rewards.latest();
      if (latest?.status === "built") {
        const [pendingRoot] = await opts.publicClient.readContract({ ...distributor, functionName: "pendingRoot" });
        if (pendingRoot.toLowerCase() === latest.root.toLowerCase()) {
          await opts.rewards.mark(latest.id, "proposed", {});
        } else {
          const tx = await send({ ...distributor, functionName: "proposeRoot", args: [latest.root, latest.fileHash] });
          const [, , validAt] = await opts.publicClient.readContract({ ...distributor, functionName: "pendingRoot" });
          await opts.rewards.mark(latest.id, "proposed", { tx, validAt: new Date(Number(validAt) * 1000) });
        }
        return opts.rewards.latest();
      }
      if (latest?.status === "proposed") {
        const current = await opts.publicClient.readContract({ ...distributor, functionName: "root" });
        if (current.toLowerCase() === latest.root.toLowerCase()) {
          await opts.rewards.mark(latest.id, "accepted", {});
          return opts.rewards.latest();
        }
        const [pendingRoot, , validAt] = await opts.publicClient.readContract({
          ...distributor,
          functionName: "pendingRoot",
        });
        // Never accept a root this gateway did not propose: ours was revoked (the slot is empty) or
        // superseded by another proposer's. It is dropped; the next root, after the next mined batch,
        // is cumulative and carries the same rewards.
        if (pendingRoot.toLowerCase() !== latest.root.toLowerCase()) {
          await opts.rewards.mark(latest.id, "dropped", {});
          opts.onDropped?.(latest, pendingRoot);
          return opts.rewards.latest();
        }
        // The next block's time: the latest block's, or the clock's when the chain has been idle since.
        const block = await opts.publicClient.getBlock();
        const now = BigInt(Math.floor(Date.now() / 1000));
        if ((block.timestamp > now ? block.timestamp : now) < validAt) return null;
        const tx = await send({ ...distributor, functionName: "acceptRoot" });
        await opts.rewards.mark(latest.id, "accepted", { tx });
        return opts.rewards.latest();
      }
      latest = await opts.rewards.build(latest?.throughBatch ?? 0);
      return latest ? this.round() : null;
    },

    async status(account: Address): Promise<RewardStatus> {
      const accepted = await opts.rewards.accepted();
      const latest = await opts.rewards.latest();
      const claimed = await opts.publicClient.readContract({
        ...distributor,
        functionName: "claimed",
        args: [account],
      });
      const { amount, proof } = amountIn(accepted, account);
      const pending = latest && (latest.status === "built" || latest.status === "proposed") ? latest : null;
      return {
        account,
        cumulative: amount,
        claimed,
        claimable: amount > claimed ? amount - claimed : 0n,
        proof,
        root: accepted?.root ?? null,
        pending: pending
          ? {
              root: pending.root,
              status: pending.status,
              cumulative: amountIn(pending, account).amount,
              validAt: pending.validAt,
            }
          : null,
      };
    },
  };
}

export type Rewarder = ReturnType<typeof createRewarder>;
