import type { Hex } from "viem";
import type { ReceiptCore } from "../../protocol/receipt.js";
import { type SettleRow, settleOutcome } from "../ledger/settle.js";
import type { Db } from "../store/db.js";
import { groupCommit } from "../store/groupCommit.js";

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

/** What ends a job: its receipt and its charge (see `settleAndRecord`). */
export type SettleAndRecordParameters = {
  hash: Hex;
  core: ReceiptCore;
  /** The core's JSON, when the caller has it already (its canonical JSON): stored as JSONB, spared a stringify. */
  json?: string;
  charged: bigint;
  reported: StoredReceipt["reportedUsage"];
  /** The worker (not only its payout address) that served the job. */
  workerId?: string | null;
};

/** Options of {@link createReceiptStore}. */
export type ReceiptStoreOptions = {
  /**
   * Group commit of job endings (default true): the settlements made while another is running go to the database
   * together, as one statement with one durable commit, when it ends (see `store/groupCommit.ts`).
   */
  groupCommit?: boolean;
};

/** One job's ending, one statement: `basis_settle` and the receipt insert (nothing recorded if the settle fails). */
async function settleAndRecordOne(db: Db, p: SettleAndRecordParameters): Promise<SettleRow | undefined> {
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
      p.json ?? JSON.stringify(core),
      p.reported.promptTokens,
      p.reported.completionTokens,
      p.workerId ?? null,
    ],
    { name: "basis_settle_and_record" },
  );
  return row;
}

/** Many jobs' endings, one statement, one transaction, one durable commit (`basis_settle_record_many`, migration 075). */
async function settleAndRecordMany(
  db: Db,
  calls: readonly SettleAndRecordParameters[],
): Promise<(SettleRow | undefined)[]> {
  const rows = await db.query<SettleRow & { k: number }>(
    `SELECT k, outcome, debited::text AS debited, released::text AS released
     FROM basis_settle_record_many($1::text[], $2::numeric[], $3::text[], $4::text[], $5::text[], $6::text[],
                                   $7::jsonb, $8::integer[], $9::integer[], $10::text[])
     ORDER BY k`,
    [
      calls.map((p) => p.core.jobId),
      calls.map((p) => p.charged.toString()),
      calls.map((p) => p.hash),
      calls.map((p) => p.core.account),
      calls.map((p) => p.core.worker),
      calls.map((p) => p.core.model),
      // One JSON array of the cores, their JSON spliced in as it is (an array parameter would escape every quote).
      `[${calls.map((p) => p.json ?? JSON.stringify(p.core)).join(",")}]`,
      calls.map((p) => p.reported.promptTokens),
      calls.map((p) => p.reported.completionTokens),
      calls.map((p) => p.workerId ?? null),
    ],
    { name: "basis_settle_record_many" },
  );
  return calls.map((_, i) => rows[i]);
}

/** Receipts in the gateway's database. */
export function createReceiptStore(db: Db, options: ReceiptStoreOptions = {}) {
  const run =
    options.groupCommit === false
      ? (p: SettleAndRecordParameters) => settleAndRecordOne(db, p)
      : groupCommit<SettleAndRecordParameters, SettleRow | undefined>({
          one: (p) => settleAndRecordOne(db, p),
          many: (calls) => settleAndRecordMany(db, calls),
          // Account rows are locked in one order by every batch.
          order: (a, b) => (a.core.account < b.core.account ? -1 : a.core.account > b.core.account ? 1 : 0),
        });
  return {
    /**
     * Ends a job in one statement: `basis_settle` debits `charged` and releases the rest of the hold,
     * and the receipt is inserted in the same statement (nothing is recorded if the settle fails). Under load the
     * statement carries the endings of other jobs too (group commit: one durable commit for all).
     * @throws LedgerError as `settle` does.
     */
    async settleAndRecord(p: SettleAndRecordParameters) {
      return settleOutcome(await run(p), p.core.jobId, p.charged);
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

    /** The receipts of jobs served by the workers of one payout address, and their sums (see createServedReceipts). */
    served: createServedReceipts(db),
  };
}

/** The receipt store's interface. */
export type ReceiptStore = ReturnType<typeof createReceiptStore>;

/** A receipt of a job a contributor's worker served, with the worker (not only its payout address). */
export type ServedReceipt = StoredReceipt & { workerId: string | null; createdAt: Date };

/** Totals of the jobs served by the workers paying one address. */
export type ServedTotals = {
  jobs: number;
  promptTokens: bigint;
  completionTokens: bigint;
  charged: bigint;
  rewards: bigint;
  /** The earliest and latest `completedAt` of those jobs; null when there are none. */
  firstCompletedAt: Date | null;
  lastCompletedAt: Date | null;
};

/** One bucket of {@link ServedTotals} over time: the jobs completed in `[start, start + width)`. */
export type ServedBucket = { start: Date; jobs: number; completionTokens: bigint; charged: bigint; rewards: bigint };

type ServedTotalsRow = {
  jobs: string;
  prompt_tokens: string;
  completion_tokens: string;
  charged: string;
  rewards: string;
  first: Date | string | null;
  last: Date | string | null;
};

const orNull = (value: Date | string | null) => (value === null ? null : new Date(value));

/**
 * The receipts of the jobs served by the workers paying `worker` (a payout address, which is the account owning
 * their worker tokens), from the `receipts_served` index (migration 076): a page newest first, and sums.
 */
export function createServedReceipts(db: Db) {
  const sums = `count(*)::text AS jobs,
    COALESCE(sum((core->>'completionTokens')::numeric), 0)::text AS completion_tokens,
    COALESCE(sum((core->>'charged')::numeric), 0)::text AS charged,
    COALESCE(sum((core->>'reward')::numeric), 0)::text AS rewards`;
  return {
    /** Newest first; `cursor` is the `nextCursor` of the previous page. */
    async list(p: { worker: string; cursor?: string; limit: number }) {
      const params: unknown[] = [p.worker.toLowerCase(), p.limit + 1];
      const before = p.cursor ? `AND seq < $${params.push(p.cursor)}::bigint` : "";
      const rows = await db.query<Row & { worker_id: string | null; created_at: Date | string }>(
        `SELECT * FROM receipts WHERE worker = $1 ${before} ORDER BY seq DESC LIMIT $2`,
        params,
      );
      const page = rows.slice(0, p.limit);
      return {
        data: page.map(
          (row): ServedReceipt => ({ ...toReceipt(row), workerId: row.worker_id, createdAt: new Date(row.created_at) }),
        ),
        nextCursor: rows.length > p.limit ? (page.at(-1)?.seq ?? null) : null,
      };
    },

    /** Every job served, summed (jobs, tokens, credits charged, rewards), with the first and last completion. */
    async totals(worker: string): Promise<ServedTotals> {
      const [row] = await db.query<ServedTotalsRow>(
        `SELECT ${sums}, COALESCE(sum((core->>'promptTokens')::numeric), 0)::text AS prompt_tokens,
                min((core->>'completedAt')::timestamptz) AS first, max((core->>'completedAt')::timestamptz) AS last
         FROM receipts WHERE worker = $1`,
        [worker.toLowerCase()],
      );
      if (!row) throw new Error("no totals row");
      return {
        jobs: Number(row.jobs),
        promptTokens: BigInt(row.prompt_tokens),
        completionTokens: BigInt(row.completion_tokens),
        charged: BigInt(row.charged),
        rewards: BigInt(row.rewards),
        firstCompletedAt: orNull(row.first),
        lastCompletedAt: orNull(row.last),
      };
    },

    /**
     * The jobs completed from `from` on, summed per bucket of `widthSeconds` aligned to the Unix epoch (days start
     * at 00:00 UTC); only buckets with jobs, oldest first.
     */
    async buckets(p: { worker: string; widthSeconds: number; from: Date }): Promise<ServedBucket[]> {
      const rows = await db.query<Omit<ServedTotalsRow, "prompt_tokens" | "first" | "last"> & { bucket: string }>(
        `SELECT floor(extract(epoch FROM (core->>'completedAt')::timestamptz) / $2)::bigint::text AS bucket, ${sums}
         FROM receipts WHERE worker = $1 AND (core->>'completedAt')::timestamptz >= $3::timestamptz
         GROUP BY 1 ORDER BY 1`,
        [p.worker.toLowerCase(), p.widthSeconds, p.from.toISOString()],
      );
      return rows.map((r) => ({
        start: new Date(Number(r.bucket) * p.widthSeconds * 1000),
        jobs: Number(r.jobs),
        completionTokens: BigInt(r.completion_tokens),
        charged: BigInt(r.charged),
        rewards: BigInt(r.rewards),
      }));
    },
  };
}

/** The served receipts' interface. */
export type ServedReceipts = ReturnType<typeof createServedReceipts>;
