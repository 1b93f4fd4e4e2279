/**
 * Deposits from the chain into the ledger. The indexer reports `Deposited` events; a deposit is
 * credited once it has `confirmations` blocks on top of it (its own block counts as one), exactly once:
 * the ledger credit is idempotent by the ref `<chainId>:<txHash>:<logIndex>`, and a cursor (the last
 * block whose confirmed deposits are all credited) moves only after they are. A deposit removed by a
 * reorg before it was confirmed is never credited; one removed after (a reorg deeper than the
 * configured depth) stays credited — pick the depth so that does not happen (Base: finality).
 *
 * The same pass follows withdrawal vouchers (gateway/ledger/withdrawals.ts): each confirmed
 * `Withdrawn` event turns its held amount into `withdrawn`, once; then every voucher whose deadline is
 * before the time of a block the pass has fully read is released (the vault would refuse it there).
 */
import type { Address } from "viem";
import type { Ledger } from "../ledger/types.js";
import { type CompleteOutcome, completeWithdrawal, expireVouchers, type Withdrawal } from "../ledger/withdrawals.js";
import type { Db } from "../store/db.js";

/** One `Deposited` event as the indexer reports it. */
export type ChainDeposit = {
  chainId: number;
  txHash: string;
  logIndex: number;
  account: Address;
  amount: bigint;
  blockNumber: bigint;
};

/** One `Withdrawn` event (a voucher used on-chain) as the indexer reports it. */
export type ChainWithdrawal = {
  chainId: number;
  txHash: string;
  logIndex: number;
  account: Address;
  nonce: bigint;
  amount: bigint;
  blockNumber: bigint;
};

/** Where deposits come from: the indexer (GraphQL/SQL over HTTP) in production. */
export interface DepositSource {
  /** The highest block the source has indexed. */
  head(): Promise<bigint>;
  /** Deposits with `fromBlock < blockNumber <= toBlock`, in chain order. */
  deposits(p: { fromBlock: bigint; toBlock: bigint }): Promise<ChainDeposit[]>;
  /**
   * The block below which the source never rolls rows back (the indexer's finalized block). The cursor
   * never passes it, so rows the source re-indexes after a restart or reorg are read again (and credited
   * at most once, by their ref) rather than skipped. Null or absent: no such limit.
   */
  finalized?(): Promise<bigint | null>;
  /** `Withdrawn` events with `fromBlock < blockNumber <= toBlock`, in chain order (absent: vouchers are not followed). */
  withdrawals?(p: { fromBlock: bigint; toBlock: bigint }): Promise<ChainWithdrawal[]>;
  /** The newest block at or below `block` whose timestamp the source knows (unix seconds), or null. */
  blockAtOrBelow?(block: bigint): Promise<{ number: bigint; timestamp: bigint } | null>;
}

export type DepositSyncStatus = {
  chainId: number;
  /** Every confirmed deposit up to this block is credited. */
  syncedBlock: bigint;
  /** The highest block the indexer has seen. */
  indexedBlock: bigint | null;
  /** Blocks between the indexer's head and the synced block (confirmations included). */
  lagBlocks: bigint | null;
  lastError: string | null;
};

export type DepositSync = {
  /** One pass: credits what is newly confirmed. Returns how many deposits were newly credited. */
  tick(): Promise<number>;
  status(): Promise<DepositSyncStatus>;
  /** Runs `tick` every `intervalMs` until `stop()`; errors are reported, never thrown. */
  start(intervalMs: number, onError?: (error: Error) => void): void;
  stop(): void;
};

export const depositRef = (d: Pick<ChainDeposit, "chainId" | "txHash" | "logIndex">) =>
  `${d.chainId}:${d.txHash.toLowerCase()}:${d.logIndex}`;

export function createDepositSync(p: {
  db: Db;
  ledger: Ledger;
  source: DepositSource;
  chainId: number;
  /** Blocks a deposit needs, its own included (1: credited as soon as it is indexed). */
  confirmations: number;
  /** The first block to look at (the vault's deployment block). */
  startBlock: bigint;
  /** Told of each voucher used on-chain (`withdrawn`) or released (`expired`), and of anomalies. */
  onWithdrawal?: (event: {
    outcome: CompleteOutcome | "expired";
    withdrawal?: Withdrawal;
    chain?: ChainWithdrawal;
  }) => void;
}): DepositSync {
  let indexed: bigint | null = null;
  let lastError: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  /** The newest block whose confirmed deposits are credited (the stored cursor may stay at the finalized block). */
  let creditedThrough: bigint | null = null;

  async function cursor(): Promise<bigint> {
    const [row] = await p.db.query<{ last_block: string }>(
      "SELECT last_block::text AS last_block FROM deposit_sync WHERE chain_id = $1",
      [p.chainId],
    );
    return row ? BigInt(row.last_block) : p.startBlock - 1n;
  }

  async function pass(): Promise<number> {
    const head = await p.source.head();
    indexed = head;
    const from = await cursor();
    const to = head - BigInt(p.confirmations - 1);
    if (to <= from) return 0;
    let credited = 0;
    for (const d of await p.source.deposits({ fromBlock: from, toBlock: to })) {
      if (d.blockNumber <= from || d.blockNumber > to) continue;
      const r = await p.ledger.credit({ account: d.account, amount: d.amount, kind: "deposit", ref: depositRef(d) });
      if (r.credited) credited += 1;
    }
    await followVouchers(from, to);
    creditedThrough = to;
    const finalized = (await p.source.finalized?.()) ?? null;
    const next = finalized !== null && finalized < to ? finalized : to;
    await p.db.query(
      `INSERT INTO deposit_sync (chain_id, last_block) VALUES ($1, $2)
       ON CONFLICT (chain_id) DO UPDATE SET last_block = GREATEST(deposit_sync.last_block, EXCLUDED.last_block), updated_at = now()`,
      [p.chainId, next.toString()],
    );
    return credited;
  }

  /** Records confirmed voucher uses in `(from, to]`, then releases vouchers that expired by then. */
  async function followVouchers(from: bigint, to: bigint): Promise<void> {
    if (p.source.withdrawals) {
      for (const w of await p.source.withdrawals({ fromBlock: from, toBlock: to })) {
        if (w.blockNumber <= from || w.blockNumber > to) continue;
        const outcome = await completeWithdrawal(p.db, {
          account: w.account,
          nonce: w.nonce,
          amount: w.amount,
          chainRef: depositRef(w),
        });
        if (outcome !== "recorded") p.onWithdrawal?.({ outcome, chain: w });
      }
    }
    const block = await p.source.blockAtOrBelow?.(to);
    if (!block) return;
    for (const withdrawal of await expireVouchers(p.db, { chainTime: block.timestamp })) {
      p.onWithdrawal?.({ outcome: "expired", withdrawal });
    }
  }

  const sync: DepositSync = {
    tick() {
      // One pass at a time; a tick during a pass waits for it.
      running ??= pass().finally(() => {
        running = null;
      });
      return running;
    },
    async status() {
      const stored = await cursor();
      const synced = creditedThrough !== null && creditedThrough > stored ? creditedThrough : stored;
      return {
        chainId: p.chainId,
        syncedBlock: synced,
        indexedBlock: indexed,
        lagBlocks: indexed === null ? null : indexed - synced,
        lastError,
      };
    },
    start(intervalMs, onError) {
      const loop = () => {
        sync
          .tick()
          .then(() => {
            lastError = null;
          })
          .catch((error: Error) => {
            lastError = error.message;
            onError?.(error);
          })
          .finally(() => {
            if (timer) timer = setTimeout(loop, intervalMs);
          });
      };
      timer = setTimeout(loop, 0);
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
  return sync;
}
