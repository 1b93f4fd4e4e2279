/**
 * A small typed reader of the Basis indexer for the gateway: confirmed deposits and how far the
 * indexer has got, both over Ponder's SQL over HTTP (@ponder/client), plus Ponder's /ready.
 *
 * Crediting every deposit exactly once:
 *   1. `const page = await indexer.deposits({ afterBlock: cursor, minConfirmations })`
 *   2. credit each `page.deposits[i]` idempotently by its `id` (e.g. a unique key in the ledger);
 *   3. store `page.nextAfterBlock` as the cursor.
 * `nextAfterBlock` never passes the indexer's finalized block, so the unfinalized tail is read again
 * on the next call: Ponder rolls unfinalized rows back when it restarts (and re-indexes them within
 * a second or so, while /status still reports the old block) and on reorgs, so a deposit missing
 * from one page shows up in a later one instead of being skipped. `minConfirmations` keeps
 * shallow-reorg deposits out: an id contains the log index, which a reorg can change.
 */
import { createClient, sql } from "@ponder/client";
import { type Address, getAddress, type Hex } from "viem";
import { z } from "zod";

/** A CreditVault deposit as the indexer stores it. */
export type IndexedDeposit = {
  /** `<chainId>:<transaction hash>:<log index>`. */
  id: string;
  chainId: number;
  payer: Address;
  account: Address;
  /** Base units of the credit token. */
  amount: bigint;
  blockNumber: bigint;
  blockHash: Hex;
  blockTimestamp: bigint;
  transactionHash: Hex;
  logIndex: number;
};

/** A voucher used on-chain (CreditVault `Withdrawn`) as the indexer stores it. */
export type IndexedWithdrawal = {
  /** `<chainId>:<transaction hash>:<log index>`. */
  id: string;
  chainId: number;
  account: Address;
  nonce: bigint;
  amount: bigint;
  caller: Address;
  blockNumber: bigint;
  blockTimestamp: bigint;
  transactionHash: Hex;
  logIndex: number;
};

/** A block as the indexer's progress refers to it. */
export type IndexedBlock = { number: bigint; timestamp: bigint };

/** How far the indexer has processed one chain. */
export type IndexedChain = {
  /** The chain's name in the indexer's config ("localhost", "baseSepolia", "base"). */
  name: string;
  chainId: number;
  /** The latest block whose events are indexed. Lag = the chain head (from an RPC) − this number. */
  indexedBlock: IndexedBlock;
  /** Rows at or below this block are never rolled back (Ponder's finality depth, 30 blocks on Base). */
  finalizedBlock: IndexedBlock;
};

/** The indexer's progress. */
export type IndexerStatus = {
  /** Ponder's /ready: the historical backfill is done and the indexer follows the chain head. */
  ready: boolean;
  /** One entry per chain that has a checkpoint (none before the first one). */
  chains: IndexedChain[];
};

/** Confirmed deposits in blocks `(afterBlock, throughBlock]`. */
export type DepositPage = {
  deposits: IndexedDeposit[];
  /** The newest block with enough confirmations; `afterBlock` when nothing new is confirmed. */
  throughBlock: bigint | undefined;
  /** The cursor to store: `throughBlock`, held back to the finalized block (never below `afterBlock`). */
  nextAfterBlock: bigint | undefined;
  indexedBlock: bigint | undefined;
  finalizedBlock: bigint | undefined;
};

/** Options of `deposits()`. */
export type DepositsQuery = {
  /** Only deposits in later blocks (exclusive); all when absent. */
  afterBlock?: bigint;
  /**
   * How deep in the indexed chain a deposit's block must be: 1 (default) is any indexed block, `n` is
   * at most `indexedBlock - n + 1`.
   */
  minConfirmations?: number;
  /** The chain to read; needed only when the indexer follows several. */
  chainId?: number;
};

/** The indexer reader returned by `createIndexerClient`. */
export type IndexerClient = {
  /** The indexer's progress per chain and whether the backfill is done. */
  status(): Promise<IndexerStatus>;
  /** Confirmed deposits after a block, oldest first (block, then log index). */
  deposits(query?: DepositsQuery): Promise<DepositPage>;
  /**
   * One page of deposits in blocks `(afterBlock, throughBlock]` of one chain, oldest first, after the log
   * `after` (keyset pagination: pass the last row's block and log index back for the next page).
   */
  depositPage(query: {
    chainId: number;
    afterBlock: bigint;
    throughBlock: bigint;
    after?: { blockNumber: bigint; logIndex: number };
    limit: number;
  }): Promise<IndexedDeposit[]>;
  /** `Withdrawn` events in blocks `(afterBlock, throughBlock]` of one chain, oldest first. */
  withdrawals(query: { chainId: number; afterBlock: bigint; throughBlock: bigint }): Promise<IndexedWithdrawal[]>;
};

const hex = z.custom<Hex>((v) => typeof v === "string" && /^0x[0-9a-fA-F]*$/.test(v), "expected 0x-prefixed hex");
const address = z.string().transform((a) => getAddress(a));
const uint = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((v) => BigInt(v));

const depositRow = z
  .object({
    id: z.string(),
    chain_id: z.coerce.number().int(),
    payer: address,
    account: address,
    amount: uint,
    block_number: uint,
    block_hash: hex,
    block_timestamp: uint,
    transaction_hash: hex,
    log_index: z.coerce.number().int(),
  })
  .transform(
    (r): IndexedDeposit => ({
      id: r.id,
      chainId: r.chain_id,
      payer: r.payer,
      account: r.account,
      amount: r.amount,
      blockNumber: r.block_number,
      blockHash: r.block_hash,
      blockTimestamp: r.block_timestamp,
      transactionHash: r.transaction_hash,
      logIndex: r.log_index,
    }),
  );

const withdrawalRow = z
  .object({
    id: z.string(),
    chain_id: z.coerce.number().int(),
    account: address,
    nonce: uint,
    amount: uint,
    caller: address,
    block_number: uint,
    block_timestamp: uint,
    transaction_hash: hex,
    log_index: z.coerce.number().int(),
  })
  .transform(
    (r): IndexedWithdrawal => ({
      id: r.id,
      chainId: r.chain_id,
      account: r.account,
      nonce: r.nonce,
      amount: r.amount,
      caller: r.caller,
      blockNumber: r.block_number,
      blockTimestamp: r.block_timestamp,
      transactionHash: r.transaction_hash,
      logIndex: r.log_index,
    }),
  );

/**
 * A Ponder 0.17 checkpoint: 75 digits, the block timestamp (10) and, after the chain id (16), the
 * block number (16). Ponder's /status decodes the latest one the same way.
 */
const checkpoint = z
  .string()
  .regex(/^\d{75}$/, "expected a 75-digit Ponder checkpoint")
  .transform((c): IndexedBlock => ({ timestamp: BigInt(c.slice(0, 10)), number: BigInt(c.slice(26, 42)) }));

// Integer columns arrive as numbers from PGlite and as strings from Postgres (bigint there).
const checkpointRow = z.object({
  chain_name: z.string(),
  chain_id: z.coerce.number().int(),
  latest_checkpoint: checkpoint,
  finalized_checkpoint: checkpoint,
});

/**
 * Creates a reader of the indexer at `url` (its origin, e.g. http://127.0.0.1:42069).
 * @param options.timeoutMs Per-request timeout (default 5 s).
 */
export function createIndexerClient(url: string, options: { timeoutMs?: number } = {}): IndexerClient {
  const origin = new URL(url).origin;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const { db } = createClient(`${origin}/sql`);

  /**
   * Runs a read over SQL over HTTP and validates the rows (a raw `execute` resolves to row objects). A read whose
   * connection failed before any answer (a keep-alive socket the indexer closed while it sat idle, e.g. while the
   * gateway credited a long page) runs once more: reads are safe to repeat.
   */
  const select = async <T>(query: ReturnType<typeof sql>, row: z.ZodType<T>): Promise<T[]> => {
    const run = () => withTimeout(db.execute(query), timeoutMs);
    let rows: unknown;
    try {
      rows = await run();
    } catch (error) {
      if (!(error instanceof TypeError && /fetch failed/.test(error.message))) throw error;
      rows = await run();
    }
    return z.array(row).parse(rows);
  };

  /** Progress per chain, from Ponder's checkpoint table (what /status reads, plus the finalized block). */
  const chains = async (): Promise<IndexedChain[]> => {
    const rows = await select(
      sql`select chain_name, chain_id, latest_checkpoint, finalized_checkpoint from _ponder_checkpoint order by chain_id`,
      checkpointRow,
    );
    return rows.map((r) => ({
      name: r.chain_name,
      chainId: r.chain_id,
      indexedBlock: r.latest_checkpoint,
      finalizedBlock: r.finalized_checkpoint,
    }));
  };

  const status = async (): Promise<IndexerStatus> => {
    const [ready, progress] = await Promise.all([
      fetch(`${origin}/ready`, { signal: AbortSignal.timeout(timeoutMs) }).then(async (r) => {
        await r.body?.cancel();
        return r.status === 200;
      }),
      chains(),
    ]);
    return { ready, chains: progress };
  };

  const deposits = async (query: DepositsQuery = {}): Promise<DepositPage> => {
    const { afterBlock } = query;
    const minConfirmations = query.minConfirmations ?? 1;
    if (!Number.isInteger(minConfirmations) || minConfirmations < 1) {
      throw new Error(`minConfirmations must be a positive integer, got ${minConfirmations}`);
    }
    // Progress first: a block's rows are written in the transaction that moves the checkpoint past it.
    const chain = pickChain(await chains(), query.chainId);
    if (!chain) {
      return {
        deposits: [],
        throughBlock: afterBlock,
        nextAfterBlock: afterBlock,
        indexedBlock: undefined,
        finalizedBlock: undefined,
      };
    }
    const indexed = chain.indexedBlock.number;
    const finalized = chain.finalizedBlock.number;
    const confirmed = indexed - BigInt(minConfirmations - 1);
    const throughBlock = afterBlock !== undefined && confirmed < afterBlock ? afterBlock : confirmed;
    const held = throughBlock < finalized ? throughBlock : finalized;
    const nextAfterBlock = afterBlock !== undefined && held < afterBlock ? afterBlock : held;
    const page = { throughBlock, nextAfterBlock, indexedBlock: indexed, finalizedBlock: finalized };
    if (afterBlock !== undefined && throughBlock <= afterBlock) return { deposits: [], ...page };

    const after = afterBlock === undefined ? sql`` : sql` and block_number > ${afterBlock.toString()}`;
    const rows = await select(
      sql`select id, chain_id, payer, account, amount, block_number, block_hash, block_timestamp, transaction_hash, log_index from deposit where chain_id = ${chain.chainId} and block_number <= ${throughBlock.toString()}${after} order by block_number, log_index`,
      depositRow,
    );
    return { deposits: rows, ...page };
  };

  const withdrawals: IndexerClient["withdrawals"] = async ({ chainId, afterBlock, throughBlock }) => {
    if (throughBlock <= afterBlock) return [];
    return select(
      sql`select id, chain_id, account, nonce, amount, caller, block_number, block_timestamp, transaction_hash, log_index from withdrawal where chain_id = ${chainId} and block_number > ${afterBlock.toString()} and block_number <= ${throughBlock.toString()} order by block_number, log_index`,
      withdrawalRow,
    );
  };

  const depositPage: IndexerClient["depositPage"] = async ({ chainId, afterBlock, throughBlock, after, limit }) => {
    if (throughBlock <= afterBlock) return [];
    const from = after
      ? sql` and (block_number > ${after.blockNumber.toString()} or (block_number = ${after.blockNumber.toString()} and log_index > ${after.logIndex}))`
      : sql``;
    return select(
      sql`select id, chain_id, payer, account, amount, block_number, block_hash, block_timestamp, transaction_hash, log_index from deposit where chain_id = ${chainId} and block_number > ${afterBlock.toString()} and block_number <= ${throughBlock.toString()}${from} order by block_number, log_index limit ${limit}`,
      depositRow,
    );
  };

  return { status, deposits, depositPage, withdrawals };
}

function pickChain(chains: IndexedChain[], chainId: number | undefined): IndexedChain | undefined {
  if (chainId !== undefined) return chains.find((c) => c.chainId === chainId);
  if (chains.length > 1) {
    throw new Error(`the indexer follows chains ${chains.map((c) => c.chainId).join(", ")}: pass chainId`);
  }
  return chains[0];
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`indexer query timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
