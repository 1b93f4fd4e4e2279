/** SettlementRegistry events: posted batches and attester rotations. */
import { ponder } from "ponder:registry";
import { attesterChange, batch } from "ponder:schema";
import { eventFields, eventId } from "../rows.js";
import { updateProtocol } from "../totals.js";

ponder.on("SettlementRegistry:BatchPosted", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { batchId, root, previousRoot, chainHead, receiptCount, totalCharged, totalReward, fileHash, uri } = event.args;
  await context.db.insert(batch).values({
    batchId,
    root,
    previousRoot,
    chainHead,
    receiptCount,
    totalCharged,
    totalReward,
    fileHash,
    uri,
    ...eventFields(chainId, event),
  });
  await updateProtocol(context.db, chainId, event.block.number, (row) => ({
    latestBatchId: batchId,
    chainHead,
    batchCount: row.batchCount + 1,
  }));
});

ponder.on("SettlementRegistry:AttesterRotated", async ({ event, context }) => {
  const chainId = context.chain.id;
  const current = event.args.current;
  await context.db.insert(attesterChange).values({
    id: eventId(chainId, event),
    previous: event.args.previous,
    current,
    ...eventFields(chainId, event),
  });
  await updateProtocol(context.db, chainId, event.block.number, () => ({ attester: current }));
});
