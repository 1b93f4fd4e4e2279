import type { Hex } from "viem";
import type { Sessions } from "../account/sessions.js";
import type { Withdrawals } from "../account/withdrawals.js";
import type { ApiKeys } from "../auth/apiKeys.js";
import type { DepositSync } from "../deposits/sync.js";
import type { JobDeps } from "../jobs/deps.js";
import type { Idempotency } from "../ledger/idempotency.js";
import type { BatchStore } from "../settlement/batches.js";
import type { Rewarder } from "../settlement/rewards.js";
import type { WorkersDeps } from "./workers.js";

/** Per-request variables set by the middlewares. */
export type AppEnv = {
  Variables: {
    requestId: string;
    /** The authenticated account (lowercase address). */
    account: Hex;
    apiKeyId: string | null;
  };
};

/** What the HTTP layer needs beyond a job's dependencies. */
export type HttpDeps = JobDeps & {
  keys: ApiKeys;
  idempotency: Idempotency;
  sessions: Sessions;
  /** The domain SIWE messages must name; the request's host when unset. */
  siweDomain?: string;
  newJobId(): string;
  bodyLimitBytes: number;
  /** Contributor workers (tokens, connections, records); absent: this gateway takes no workers. */
  workers?: WorkersDeps;
  /** Settlement batches (absent: this gateway does not settle). */
  settlement?: { batches: BatchStore };
  /** The chain → ledger deposit sync, for its status (absent: deposits are not synced). */
  deposits?: Pick<DepositSync, "status">;
  /** Contributors' reward status (absent: this gateway does not propose reward roots). */
  rewards?: Pick<Rewarder, "status">;
  /** Withdrawal vouchers (absent: no CreditVault deployment; the endpoints answer 503 contracts_pending). */
  withdrawals?: Withdrawals;
  /** What `/api/launch-status` reports about the contracts. */
  launch: { chainId: number; contracts: Record<string, string> | null };
};
