/**
 * The lasting record of each worker (payout address + name) across its connections, and what it has
 * served, summed from the receipts that name it.
 */
import { createHash } from "node:crypto";
import type { Address } from "viem";
import type { Db } from "../store/db.js";

/** A worker's stable id: the same payout address and name always give the same id. */
export function workerIdOf(account: string, name: string): string {
  return `wkr_${createHash("sha256").update(`${account.toLowerCase()}\n${name}`).digest("hex").slice(0, 20)}`;
}

/** A worker as its owner sees it. */
export type WorkerRecord = {
  id: string;
  account: Address;
  name: string;
  firstSeen: Date;
  lastSeen: Date;
  suspectReason: string | null;
  jobs: number;
  promptTokens: bigint;
  completionTokens: bigint;
  /** Base units earned: the sum of `reward` over the receipts of jobs it served. */
  rewards: bigint;
};

export interface WorkerRecords {
  /** Records a connection of the worker (creates the row on its first); returns its id. */
  seen(account: Address, name: string): Promise<string>;
  /** Marks the worker suspect, keeping the first reason. */
  flag(id: string, reason: string): Promise<void>;
  /** The account's workers with what they served, oldest first. */
  ofAccount(account: Address): Promise<WorkerRecord[]>;
}

type Row = {
  id: string;
  account: Address;
  name: string;
  first_seen: Date;
  last_seen: Date;
  suspect_reason: string | null;
  jobs: string;
  prompt_tokens: string;
  completion_tokens: string;
  rewards: string;
};

export function createWorkerRecords(db: Db): WorkerRecords {
  return {
    async seen(account, name) {
      const id = workerIdOf(account, name);
      await db.query(
        `INSERT INTO workers (id, account, name) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET last_seen = now()`,
        [id, account.toLowerCase(), name],
      );
      return id;
    },
    async flag(id, reason) {
      await db.query("UPDATE workers SET suspect_reason = COALESCE(suspect_reason, $2) WHERE id = $1", [
        id,
        reason.slice(0, 500),
      ]);
    },
    async ofAccount(account) {
      const rows = await db.query<Row>(
        `SELECT w.id, w.account, w.name, w.first_seen, w.last_seen, w.suspect_reason,
                count(r.seq)::text AS jobs,
                COALESCE(sum((r.core->>'promptTokens')::numeric), 0)::text AS prompt_tokens,
                COALESCE(sum((r.core->>'completionTokens')::numeric), 0)::text AS completion_tokens,
                COALESCE(sum((r.core->>'reward')::numeric), 0)::text AS rewards
         FROM workers w LEFT JOIN receipts r ON r.worker = w.account AND r.worker_id = w.id
         WHERE w.account = $1
         GROUP BY w.id ORDER BY w.first_seen, w.id`,
        [account.toLowerCase()],
      );
      return rows.map((r) => ({
        id: r.id,
        account: r.account,
        name: r.name,
        firstSeen: new Date(r.first_seen),
        lastSeen: new Date(r.last_seen),
        suspectReason: r.suspect_reason,
        jobs: Number(r.jobs),
        promptTokens: BigInt(r.prompt_tokens),
        completionTokens: BigInt(r.completion_tokens),
        rewards: BigInt(r.rewards),
      }));
    },
  };
}
