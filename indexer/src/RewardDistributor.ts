/** RewardDistributor events: the reward-root lifecycle, the timelock and claims. */
import { type Context, ponder } from "ponder:registry";
import { claim, contributor, rewardRoot, settingChange } from "ponder:schema";
import type { Hex } from "viem";
import { eventFields, eventId } from "../rows.js";
import { addToAccount, updateProtocol } from "../totals.js";

ponder.on("RewardDistributor:RootProposed", async ({ event, context }) => {
  const chainId = context.chain.id;
  const id = eventId(chainId, event);
  const { root, fileHash, validAt } = event.args;
  await context.db.insert(rewardRoot).values({
    id,
    chainId,
    root,
    fileHash,
    status: "pending",
    validAt,
    proposedBlock: event.block.number,
    proposedAt: event.block.timestamp,
    proposedTx: event.transaction.hash,
  });
  const before = await updateProtocol(context.db, chainId, event.block.number, () => ({ pendingRootId: id }));
  // proposeRoot replaces a pending root without an event of its own.
  if (before.pendingRootId) {
    await context.db.update(rewardRoot, { id: before.pendingRootId }).set({ status: "superseded", supersededBy: id });
  }
});

ponder.on("RewardDistributor:RootAccepted", async ({ event, context }) => {
  const chainId = context.chain.id;
  const pending = await takePendingRoot(context.db, chainId, event.args.root, event.block.number);
  await context.db.update(rewardRoot, { id: pending }).set({
    status: "accepted",
    acceptedBlock: event.block.number,
    acceptedAt: event.block.timestamp,
    acceptedTx: event.transaction.hash,
  });
  await updateProtocol(context.db, chainId, event.block.number, () => ({ currentRoot: event.args.root }));
});

ponder.on("RewardDistributor:PendingRootRevoked", async ({ event, context }) => {
  const chainId = context.chain.id;
  const pending = await takePendingRoot(context.db, chainId, event.args.root, event.block.number);
  await context.db.update(rewardRoot, { id: pending }).set({
    status: "revoked",
    revokedBy: event.args.guardian,
    revokedTx: event.transaction.hash,
  });
});

ponder.on("RewardDistributor:TimelockSet", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { previous, current } = event.args;
  await context.db.insert(settingChange).values({
    id: eventId(chainId, event),
    contract: "RewardDistributor",
    setting: "timelock",
    previous: previous.toString(),
    current: current.toString(),
    ...eventFields(chainId, event),
  });
  await updateProtocol(context.db, chainId, event.block.number, () => ({ rewardTimelock: current }));
});

ponder.on("RewardDistributor:Claimed", async ({ event, context }) => {
  const chainId = context.chain.id;
  const address = event.args.account;
  const { amount } = event.args;
  const block = event.block.number;
  await context.db.insert(claim).values({
    id: eventId(chainId, event),
    account: address,
    amount,
    ...eventFields(chainId, event),
  });
  await context.db
    .insert(contributor)
    .values({
      address,
      claimed: amount,
      claimCount: 1,
      firstClaimBlock: block,
      lastClaimBlock: block,
      lastClaimAt: event.block.timestamp,
    })
    .onConflictDoUpdate((row) => ({
      claimed: row.claimed + amount,
      claimCount: row.claimCount + 1,
      lastClaimBlock: block,
      lastClaimAt: event.block.timestamp,
    }));
  await addToAccount(context.db, address, block, { claimed: amount, claimCount: 1 });
  await updateProtocol(context.db, chainId, block, (row) => ({
    totalClaimed: row.totalClaimed + amount,
    claimCount: row.claimCount + 1,
  }));
});

/**
 * Clears the pending proposal (accepted or revoked) and returns its `reward_root` id. The contract has
 * one pending slot, so the event's root must be the one last proposed.
 */
async function takePendingRoot(db: Context["db"], chainId: number, root: Hex, block: bigint): Promise<string> {
  const before = await updateProtocol(db, chainId, block, () => ({ pendingRootId: null }));
  const pending = before.pendingRootId ? await db.find(rewardRoot, { id: before.pendingRootId }) : null;
  if (!pending || pending.root !== root) {
    throw new Error(
      `reward root ${root} left the pending slot at block ${block}, but the indexed pending root is ${pending?.root ?? "none"}`,
    );
  }
  return pending.id;
}
