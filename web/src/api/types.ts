/**
 * The gateway's answers the dashboard reads (see the README's endpoint table). Amounts are base units of the
 * 18-decimal credit token as decimal strings; the dashboard turns them into `bigint` before any arithmetic.
 */
import type { Address, Hex } from "viem";

export type List<T> = { object: "list"; data: T[]; next_cursor?: string | null };

export type Credits = {
  account: Address;
  available: string;
  held: string;
  spent: string;
  deposited: string;
  granted: string;
  refunded: string;
  withdrawn: string;
  /** Present once the gateway issues withdrawal vouchers. */
  withdrawable?: string;
  withdrawing?: string;
};

export type LedgerEntry = {
  id: string;
  kind: string;
  amount: string;
  job_id: string | null;
  ref: string | null;
  created_at: string;
};

export type Budget = { limit: string | null; period: "day" | "month" | null; spent: string; held: string };

export type ApiKey = {
  id: string;
  name: string;
  prefix: string;
  last_four: string;
  created_at: string;
  revoked_at: string | null;
  budget: Budget | null;
};

export type WorkerToken = Omit<ApiKey, "budget">;

export type UsageLine = {
  job_id: string;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  charged: string;
  finish_reason: string;
  completed_at: string;
  receipt_hash: Hex;
};

export type ReceiptCore = {
  version: number;
  jobId: string;
  model: string;
  account: string;
  worker: string | null;
  tokenizer: string;
  promptTokens: number;
  completionTokens: number;
  promptPrice: string;
  completionPrice: string;
  multiplierBps: number;
  rewardBps: number;
  charged: string;
  reward: string;
  finishReason: string;
  promptDigest: Hex;
  outputDigest: Hex;
  startedAt: string;
  completedAt: string;
};

export type ReceiptSettlement = { batchId: number; leafIndex: number; proof: Hex[]; txHash: Hex };

export type PresentedReceipt = {
  receipt: {
    hash: Hex;
    core: ReceiptCore;
    status: "recorded" | "settled" | "refunded";
    signature: Hex | null;
    settlement: ReceiptSettlement | null;
    refund: { amount: string; reason: string; refundedAt: string } | null;
  };
  verified: boolean;
};

export type Batch = {
  batch_id: number;
  root: Hex;
  receipt_count: number;
  total_charged: string;
  total_reward: string;
  file_hash: Hex;
  status: "built" | "mined";
  tx_hash: Hex | null;
  created_at: string;
  mined_at: string | null;
};

export type Rewards = {
  account: Address;
  cumulative: string;
  claimed: string;
  claimable: string;
  proof: Hex[];
  root: Hex | null;
  pending: { root: Hex; status: string; cumulative: string; claimable_at: string | null } | null;
};

export type AccountWorker = {
  id: string;
  name: string;
  connected: boolean;
  models: { id: string; state: string }[];
  concurrency: number | null;
  in_flight: number;
  first_seen: string;
  last_seen: string;
  suspect: boolean;
  suspect_reason: string | null;
  served: { jobs: number; prompt_tokens: string; completion_tokens: string; rewards: string };
};

/** A withdrawal voucher signed by the gateway's attester, for `CreditVault.withdraw`. */
export type Withdrawal = {
  id: string;
  account: Address;
  amount: string;
  nonce: string;
  /** Unix seconds, inclusive. */
  deadline: number;
  signature: Hex;
  vault: Address;
  chain_id: number;
  status: "pending" | "withdrawn" | "expired";
  tx_hash?: Hex | null;
};

/** A job one of the account's workers served (`GET /api/account/served`). */
export type ServedJob = {
  job_id: string;
  receipt_hash: Hex;
  worker_id: string | null;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  charged: string;
  reward: string;
  status: "recorded" | "settled" | "refunded";
  completed_at: string;
};

type ServedSums = { jobs: number; completion_tokens: string; charged: string; rewards: string };

/** Every job the account's workers served, summed, and per time bucket (`GET /api/account/served/summary`). */
export type ServedSummary = {
  object: "served_summary";
  account: Address;
  totals: ServedSums & {
    prompt_tokens: string;
    first_completed_at: string | null;
    last_completed_at: string | null;
  };
  bucket_seconds: number;
  /** Oldest first, empty buckets included, the last one holding now. */
  series: (ServedSums & { start: string })[];
};
