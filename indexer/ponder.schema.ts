/**
 * Tables of the Basis indexer. Ponder names the database tables after the first argument and the
 * GraphQL fields after the export (`deposit` / `deposits`, `batch` / `batchs`: Ponder appends "s").
 * Database columns are the snake_case of the keys (`blockNumber` → `block_number`).
 *
 * One indexer follows one chain (BASIS_CHAIN_ID), so batches, accounts and contributors are keyed
 * without the chain; event rows carry `chainId` and are keyed `<chainId>:<transaction hash>:<log index>`. Amounts are uint256 base units
 * (`numeric(78)`; strings in GraphQL and SQL-over-HTTP JSON). Hex columns (addresses, hashes) hold
 * lowercase hex: Ponder lowercases them on write and in lookups. Addresses in `setting_change` (text)
 * are lowercased the same way.
 */
import { index, onchainEnum, onchainTable, type PgColumnsBuilders } from "ponder";

/** Where an event row came from: block, transaction and position of its log. */
const eventColumns = (t: PgColumnsBuilders) => ({
  chainId: t.integer().notNull(),
  blockNumber: t.bigint().notNull(),
  blockHash: t.hex().notNull(),
  blockTimestamp: t.bigint().notNull(),
  transactionHash: t.hex().notNull(),
  logIndex: t.integer().notNull(),
});

/** CreditVault.Deposited: `payer` paid `amount` credited to `account`. */
export const deposit = onchainTable(
  "deposit",
  (t) => ({
    id: t.text().primaryKey(),
    payer: t.hex().notNull(),
    account: t.hex().notNull(),
    amount: t.bigint().notNull(),
    ...eventColumns(t),
  }),
  (table) => ({
    accountIdx: index().on(table.account),
    blockIdx: index().on(table.blockNumber, table.logIndex),
  }),
);

/** CreditVault.Withdrawn: `account` took back `amount` with voucher `nonce`, submitted by `caller`. */
export const withdrawal = onchainTable(
  "withdrawal",
  (t) => ({
    id: t.text().primaryKey(),
    account: t.hex().notNull(),
    nonce: t.bigint().notNull(),
    amount: t.bigint().notNull(),
    caller: t.hex().notNull(),
    ...eventColumns(t),
  }),
  (table) => ({ accountIdx: index().on(table.account) }),
);

/** SettlementRegistry.BatchPosted: one settled batch of receipts. */
export const batch = onchainTable("batch", (t) => ({
  batchId: t.bigint().primaryKey(),
  root: t.hex().notNull(),
  previousRoot: t.hex().notNull(),
  chainHead: t.hex().notNull(),
  receiptCount: t.bigint().notNull(),
  totalCharged: t.bigint().notNull(),
  totalReward: t.bigint().notNull(),
  fileHash: t.hex().notNull(),
  uri: t.text().notNull(),
  ...eventColumns(t),
}));

/** CreditVault.BatchPaid: how a batch's charge was split between rewards and the treasury. */
export const batchPayment = onchainTable("batch_payment", (t) => ({
  batchId: t.bigint().primaryKey(),
  charged: t.bigint().notNull(),
  reward: t.bigint().notNull(),
  treasuryShare: t.bigint().notNull(),
  ...eventColumns(t),
}));

/** SettlementRegistry.AttesterRotated (the first row is the deploy: previous = zero address). */
export const attesterChange = onchainTable("attester_change", (t) => ({
  id: t.text().primaryKey(),
  previous: t.hex().notNull(),
  current: t.hex().notNull(),
  ...eventColumns(t),
}));

/** Lifecycle of a proposed reward root. `superseded`: replaced by a newer proposal while pending. */
export const rewardRootStatus = onchainEnum("reward_root_status", ["pending", "accepted", "revoked", "superseded"]);

/** One RewardDistributor.RootProposed and what became of it (RootAccepted / PendingRootRevoked). */
export const rewardRoot = onchainTable(
  "reward_root",
  (t) => ({
    /** The RootProposed event: `<chainId>:<tx>:<logIndex>`. */
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    root: t.hex().notNull(),
    fileHash: t.hex().notNull(),
    status: rewardRootStatus().notNull(),
    /** Unix time from which it could be accepted. */
    validAt: t.bigint().notNull(),
    proposedBlock: t.bigint().notNull(),
    proposedAt: t.bigint().notNull(),
    proposedTx: t.hex().notNull(),
    acceptedBlock: t.bigint(),
    acceptedAt: t.bigint(),
    acceptedTx: t.hex(),
    revokedBy: t.hex(),
    revokedTx: t.hex(),
    supersededBy: t.text(),
  }),
  (table) => ({ rootIdx: index().on(table.root) }),
);

/** RewardDistributor.Claimed: `amount` paid to `account`. */
export const claim = onchainTable(
  "claim",
  (t) => ({
    id: t.text().primaryKey(),
    account: t.hex().notNull(),
    amount: t.bigint().notNull(),
    ...eventColumns(t),
  }),
  (table) => ({ accountIdx: index().on(table.account) }),
);

/** Running totals of one address across the vault and the distributor. */
export const account = onchainTable("account", (t) => ({
  address: t.hex().primaryKey(),
  /** Credited to this account by deposits (whoever paid). */
  deposited: t.bigint().notNull(),
  /** Paid by this address as a depositor (for any account). */
  paid: t.bigint().notNull(),
  withdrawn: t.bigint().notNull(),
  claimed: t.bigint().notNull(),
  depositCount: t.integer().notNull(),
  withdrawalCount: t.integer().notNull(),
  claimCount: t.integer().notNull(),
  firstBlock: t.bigint().notNull(),
  lastBlock: t.bigint().notNull(),
}));

/**
 * Reward totals of one contributor. On-chain only the claims are visible: what a contributor earned
 * lives in the published reward trees (their cumulative amounts), not in events.
 */
export const contributor = onchainTable("contributor", (t) => ({
  address: t.hex().primaryKey(),
  claimed: t.bigint().notNull(),
  claimCount: t.integer().notNull(),
  firstClaimBlock: t.bigint().notNull(),
  lastClaimBlock: t.bigint().notNull(),
  lastClaimAt: t.bigint().notNull(),
}));

/** Role and parameter changes: vault registry/distributor/treasury, distributor timelock. */
export const settingChange = onchainTable("setting_change", (t) => ({
  id: t.text().primaryKey(),
  contract: t.text().notNull(),
  setting: t.text().notNull(),
  previous: t.text(),
  current: t.text().notNull(),
  ...eventColumns(t),
}));

/** The protocol on one chain: current settings, roots and totals (one row per chain). */
export const protocol = onchainTable("protocol", (t) => ({
  chainId: t.integer().primaryKey(),
  attester: t.hex(),
  settlementRegistry: t.hex(),
  rewardDistributor: t.hex(),
  treasury: t.hex(),
  rewardTimelock: t.bigint(),
  /** The claimable reward root, if one was accepted. */
  currentRoot: t.hex(),
  /** `reward_root.id` of the pending proposal, if any. */
  pendingRootId: t.text(),
  latestBatchId: t.bigint().notNull(),
  chainHead: t.hex(),
  totalDeposited: t.bigint().notNull(),
  totalWithdrawn: t.bigint().notNull(),
  totalCharged: t.bigint().notNull(),
  totalReward: t.bigint().notNull(),
  totalTreasury: t.bigint().notNull(),
  totalClaimed: t.bigint().notNull(),
  depositCount: t.integer().notNull(),
  batchCount: t.integer().notNull(),
  claimCount: t.integer().notNull(),
  lastBlock: t.bigint().notNull(),
}));
