/**
 * The batches in the gateway's database: choosing the receipts of the next batch and writing its file
 * (one transaction), marking it mined, and filling each receipt's envelope with its proof.
 */
import type { Hex } from "viem";
import { type BatchFile, encodeBatchFile } from "../../protocol/batchFile.js";
import { buildReceiptTree } from "../../protocol/merkle.js";
import type { ReceiptCore } from "../../protocol/receipt.js";
import type { Db } from "../store/db.js";

/** `pg_advisory_xact_lock` key of batch building: one builder at a time across replicas. */
export const BATCH_LOCK_KEY = 0x6261_7369_735f_6274n; // "basis_bt"

export type StoredBatch = {
  batchId: number;
  root: Hex;
  receiptCount: number;
  totalCharged: bigint;
  totalReward: bigint;
  file: string;
  fileHash: Hex;
  status: "built" | "mined";
  txHash: Hex | null;
  createdAt: Date;
  minedAt: Date | null;
};

type Row = {
  batch_id: string;
  root: Hex;
  receipt_count: number;
  total_charged: string;
  total_reward: string;
  file: string;
  file_hash: Hex;
  status: "built" | "mined";
  tx_hash: Hex | null;
  created_at: Date;
  mined_at: Date | null;
};

const COLUMNS = `batch_id::text AS batch_id, root, receipt_count, total_charged::text AS total_charged,
  total_reward::text AS total_reward, file, file_hash, status, tx_hash, created_at, mined_at`;

const toBatch = (r: Row): StoredBatch => ({
  batchId: Number(r.batch_id),
  root: r.root,
  receiptCount: r.receipt_count,
  totalCharged: BigInt(r.total_charged),
  totalReward: BigInt(r.total_reward),
  file: r.file,
  fileHash: r.file_hash,
  status: r.status,
  txHash: r.tx_hash,
  createdAt: new Date(r.created_at),
  minedAt: r.mined_at === null ? null : new Date(r.mined_at),
});

export function createBatchStore(db: Db, chain: { chainId: number; registry: string }) {
  /**
   * The tree of the batch built last, by its file hash (the file fixes the receipts and their order), so that
   * `markMined` fills the proofs without building it again. One entry: a million receipts' tree holds ~64 MB.
   */
  let lastTree: { fileHash: Hex; tree: ReturnType<typeof buildReceiptTree> } | null = null;
  return {
    /**
     * Builds the next batch from up to `max` signed receipts not yet in a batch, oldest first, unless a
     * built batch still waits to be mined (then that one is returned: batches go on-chain in order).
     * @returns the batch to post, or null when there is nothing to settle.
     */
    async buildNext(max: number): Promise<StoredBatch | null> {
      return db.transaction(async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [BATCH_LOCK_KEY.toString()]);
        const [waiting] = await tx.query<Row>(
          `SELECT ${COLUMNS} FROM batches WHERE status = 'built' ORDER BY batches.batch_id LIMIT 1`,
        );
        if (waiting) return toBatch(waiting);
        const receipts = await tx.query<{ hash: Hex; core: ReceiptCore; signature: Hex }>(
          `SELECT hash, core, signature FROM receipts
           WHERE batch_id IS NULL AND signature IS NOT NULL ORDER BY seq LIMIT $1`,
          [max],
        );
        if (receipts.length === 0) return null;
        const [last] = await tx.query<{ id: string | null }>("SELECT max(batch_id)::text AS id FROM batches");
        const batchId = Number(last?.id ?? 0) + 1;
        const tree = buildReceiptTree(receipts.map((r) => r.hash));
        const totalCharged = receipts.reduce((sum, r) => sum + BigInt(r.core.charged), 0n);
        const totalReward = receipts.reduce((sum, r) => sum + BigInt(r.core.reward), 0n);
        const file: BatchFile = {
          version: 1,
          chainId: chain.chainId,
          registry: chain.registry.toLowerCase(),
          batchId,
          root: tree.root as Hex,
          receiptCount: receipts.length,
          totalCharged: totalCharged.toString(),
          totalReward: totalReward.toString(),
          receipts: receipts.map((r) => ({ hash: r.hash, core: r.core, signature: r.signature })),
        };
        const { text, fileHash } = encodeBatchFile(file);
        lastTree = { fileHash, tree };
        await tx.query("UPDATE receipts SET batch_id = $1 WHERE hash = ANY($2::text[])", [
          batchId,
          receipts.map((r) => r.hash),
        ]);
        const [row] = await tx.query<Row>(
          `INSERT INTO batches (batch_id, root, receipt_count, total_charged, total_reward, file, file_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
          [batchId, tree.root, receipts.length, totalCharged.toString(), totalReward.toString(), text, fileHash],
        );
        return toBatch(row as Row);
      });
    },

    /**
     * Marks the batch mined and fills every receipt's envelope: status `settled`, and `settlement` with
     * the batch id, root, leaf index, proof and transaction.
     */
    async markMined(batch: StoredBatch, txHash: Hex | null): Promise<void> {
      const file = JSON.parse(batch.file) as BatchFile;
      const tree =
        lastTree?.fileHash === batch.fileHash ? lastTree.tree : buildReceiptTree(file.receipts.map((r) => r.hash));
      lastTree = null;
      const settlements = file.receipts.map((_receipt, i) =>
        JSON.stringify({
          batchId: batch.batchId,
          root: batch.root,
          leafIndex: i,
          proof: tree.getProof(i),
          txHash,
          chainId: file.chainId,
          registry: file.registry,
        }),
      );
      await db.transaction(async (tx) => {
        await tx.query(
          // A receipt refunded before its batch was mined stays `refunded`, with its settlement pointers too.
          `UPDATE receipts r SET status = CASE WHEN r.status = 'recorded' THEN 'settled' ELSE r.status END,
             settlement = v.settlement::jsonb
           FROM (SELECT unnest($1::text[]) AS hash, unnest($2::text[]) AS settlement) v
           WHERE r.hash = v.hash AND r.settlement IS NULL`,
          [file.receipts.map((r) => r.hash), settlements],
        );
        await tx.query(
          "UPDATE batches SET status = 'mined', tx_hash = COALESCE($2, tx_hash), mined_at = now() WHERE batch_id = $1",
          [batch.batchId, txHash],
        );
      });
    },

    async setTxHash(batchId: number, txHash: Hex): Promise<void> {
      await db.query("UPDATE batches SET tx_hash = $2 WHERE batch_id = $1", [batchId, txHash]);
    },

    async get(batchId: number): Promise<StoredBatch | null> {
      const [row] = await db.query<Row>(`SELECT ${COLUMNS} FROM batches WHERE batch_id = $1`, [batchId]);
      return row ? toBatch(row) : null;
    },

    /** Newest first. */
    async list(p: { before?: number; limit: number }): Promise<StoredBatch[]> {
      const rows = await db.query<Row>(
        `SELECT ${COLUMNS} FROM batches WHERE ($1::bigint IS NULL OR batches.batch_id < $1) ORDER BY batches.batch_id DESC LIMIT $2`,
        [p.before ?? null, p.limit],
      );
      return rows.map(toBatch);
    },
  };
}

export type BatchStore = ReturnType<typeof createBatchStore>;
