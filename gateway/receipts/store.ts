import type { Hex } from "viem";
import type { ReceiptCore } from "../../protocol/receipt.js";
import { type SettleRow, settleOutcome } from "../ledger/settle.js";
import type { Db } from "../store/db.js";

/** A stored receipt: the core anyone can rehash, and the envelope around it. */
export type StoredReceipt = {
  hash: Hex;
  core: ReceiptCore;
  status: "recorded" | "settled" | "refunded";
  signature: Hex | null;
  settlement: unknown;
  refund: unknown;
  reportedUsage: { promptTokens: number | null; completionTokens: number | null };
};

type Row = {
  seq: string;
  hash: Hex;
  core: ReceiptCore;
  status: StoredReceipt["status"];
  signature: Hex | null;
  settlement: unknown;
  refund: unknown;
  reported_prompt_tokens: number | null;
  reported_completion_tokens: number | null;
};

const toReceipt = (row: Row): StoredReceipt => ({
  hash: row.hash,
  core: row.core,
  status: row.status,
  signature: row.signature,
  settlement: row.settlement,
  refund: row.refund,
  reportedUsage: { promptTokens: row.reported_prompt_tokens, completionTokens: row.reported_completion_tokens },
});

/** Receipts in the gateway's database. */
export function createReceiptStore(db: Db) {
  return {
    /**
     * Ends a job in one statement: `basis_settle` debits `charged` and releases the rest of the hold,
     * and the receipt is inserted in the same statement (nothing is recorded if the settle fails).
     * @throws LedgerError as `settle` does.
     */
    async settleAndRecord(p: {
      hash: Hex;
      core: ReceiptCore;
      charged: bigint;
      reported: StoredReceipt["reportedUsage"];
      /** The worker (not only its payout address) that served the job. */
      workerId?: string | null;
    }) {
      const { core } = p;
      const [row] = await db.query<SettleRow>(
        `WITH s AS (SELECT * FROM basis_settle($1, $2::numeric, NULL)),
         r AS (
           INSERT INTO receipts (hash, job_id, account, worker, model, core, reported_prompt_tokens, reported_completion_tokens, worker_id)
           SELECT $3, $1, $4, $5, $6, $7::jsonb, $8, $9, $10 FROM s WHERE s.outcome IN ('ok', 'recorded')
           ON CONFLICT (job_id) DO NOTHING
         )
         SELECT outcome, debited::text AS debited, released::text AS released FROM s`,
        [
          core.jobId,
          p.charged.toString(),
          p.hash,
          core.account,
          core.worker,
          core.model,
          JSON.stringify(core),
          p.reported.promptTokens,
          p.reported.completionTokens,
          p.workerId ?? null,
        ],
      );
      return settleOutcome(row, core.jobId, p.charged);
    },

    /** Stores the attester's signatures over receipt hashes, many in one statement. */
    async setSignatures(pairs: readonly { hash: Hex; signature: Hex }[]): Promise<void> {
      if (pairs.length === 0) return;
      await db.query(
        `UPDATE receipts r SET signature = v.signature
         FROM (SELECT unnest($1::text[]) AS hash, unnest($2::text[]) AS signature) v WHERE r.hash = v.hash`,
        [pairs.map((p) => p.hash), pairs.map((p) => p.signature)],
      );
    },

    async byHash(hash: string): Promise<StoredReceipt | null> {
      const [row] = await db.query<Row>("SELECT * FROM receipts WHERE hash = $1", [hash.toLowerCase()]);
      return row ? toReceipt(row) : null;
    },

    async byJobId(jobId: string): Promise<StoredReceipt | null> {
      const [row] = await db.query<Row>("SELECT * FROM receipts WHERE job_id = $1", [jobId]);
      return row ? toReceipt(row) : null;
    },

    /** Newest receipts first, across all accounts (the public feed), or of one account. */
    async list(p: { account?: string; cursor?: string; limit: number }) {
      const params: unknown[] = [p.limit + 1];
      const where: string[] = [];
      if (p.account) where.push(`account = $${params.push(p.account.toLowerCase())}`);
      if (p.cursor) where.push(`seq < $${params.push(p.cursor)}::bigint`);
      const rows = await db.query<Row>(
        `SELECT * FROM receipts ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT $1`,
        params,
      );
      const page = rows.slice(0, p.limit);
      const more = rows.length > p.limit;
      return { data: page.map(toReceipt), nextCursor: more ? (page.at(-1)?.seq ?? null) : null };
    },
  };
}

/** The receipt store's interface. */
export type ReceiptStore = ReturnType<typeof createReceiptStore>;
