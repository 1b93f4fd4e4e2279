import type { Context } from "ponder:registry";
import { account, protocol } from "ponder:schema";
import type { Hex } from "viem";

type Db = Context["db"];

/** Changes to one address's running totals; counts and amounts are added, zero when absent. */
export type AccountDelta = Partial<{
  deposited: bigint;
  paid: bigint;
  withdrawn: bigint;
  claimed: bigint;
  depositCount: number;
  withdrawalCount: number;
  claimCount: number;
}>;

/** Adds `delta` to the totals of `address`, creating its row on first sight. */
export async function addToAccount(db: Db, address: Hex, block: bigint, delta: AccountDelta) {
  const add = {
    deposited: delta.deposited ?? 0n,
    paid: delta.paid ?? 0n,
    withdrawn: delta.withdrawn ?? 0n,
    claimed: delta.claimed ?? 0n,
    depositCount: delta.depositCount ?? 0,
    withdrawalCount: delta.withdrawalCount ?? 0,
    claimCount: delta.claimCount ?? 0,
  };
  await db
    .insert(account)
    .values({ address, ...add, firstBlock: block, lastBlock: block })
    .onConflictDoUpdate((row) => ({
      deposited: row.deposited + add.deposited,
      paid: row.paid + add.paid,
      withdrawn: row.withdrawn + add.withdrawn,
      claimed: row.claimed + add.claimed,
      depositCount: row.depositCount + add.depositCount,
      withdrawalCount: row.withdrawalCount + add.withdrawalCount,
      claimCount: row.claimCount + add.claimCount,
      lastBlock: block,
    }));
}

type ProtocolRow = typeof protocol.$inferSelect;

/**
 * Updates the protocol row of `chainId` (created empty on first use) with what `change` returns.
 * @param change Gets the current row; returns the columns to set.
 * @returns The row as it was before the change.
 */
export async function updateProtocol(
  db: Db,
  chainId: number,
  block: bigint,
  change: (row: ProtocolRow) => Partial<Omit<ProtocolRow, "chainId">>,
): Promise<ProtocolRow> {
  const row =
    (await db.find(protocol, { chainId })) ??
    (await db.insert(protocol).values({
      chainId,
      latestBatchId: 0n,
      totalDeposited: 0n,
      totalWithdrawn: 0n,
      totalCharged: 0n,
      totalReward: 0n,
      totalTreasury: 0n,
      totalClaimed: 0n,
      depositCount: 0,
      batchCount: 0,
      claimCount: 0,
      lastBlock: block,
    }));
  await db.update(protocol, { chainId }).set({ ...change(row), lastBlock: block });
  return row;
}
