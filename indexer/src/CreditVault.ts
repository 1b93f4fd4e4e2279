/** CreditVault events: deposits, withdrawals, batch payouts and the vault's wiring. */
import { ponder } from "ponder:registry";
import { batchPayment, deposit, settingChange, withdrawal } from "ponder:schema";
import type { Hex } from "viem";
import { eventFields, eventId } from "../rows.js";
import { addToAccount, updateProtocol } from "../totals.js";

ponder.on("CreditVault:Deposited", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { payer, account, amount } = event.args;
  await context.db.insert(deposit).values({
    id: eventId(chainId, event),
    payer: payer,
    account: account,
    amount,
    ...eventFields(chainId, event),
  });
  await addToAccount(context.db, account, event.block.number, { deposited: amount, depositCount: 1 });
  await addToAccount(context.db, payer, event.block.number, { paid: amount });
  await updateProtocol(context.db, chainId, event.block.number, (row) => ({
    totalDeposited: row.totalDeposited + amount,
    depositCount: row.depositCount + 1,
  }));
});

ponder.on("CreditVault:Withdrawn", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { account, nonce, amount, caller } = event.args;
  await context.db.insert(withdrawal).values({
    id: eventId(chainId, event),
    account: account,
    nonce,
    amount,
    caller: caller,
    ...eventFields(chainId, event),
  });
  await addToAccount(context.db, account, event.block.number, { withdrawn: amount, withdrawalCount: 1 });
  await updateProtocol(context.db, chainId, event.block.number, (row) => ({
    totalWithdrawn: row.totalWithdrawn + amount,
  }));
});

ponder.on("CreditVault:BatchPaid", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { batchId, charged, reward, treasuryShare } = event.args;
  await context.db
    .insert(batchPayment)
    .values({ batchId, charged, reward, treasuryShare, ...eventFields(chainId, event) });
  await updateProtocol(context.db, chainId, event.block.number, (row) => ({
    totalCharged: row.totalCharged + charged,
    totalReward: row.totalReward + reward,
    totalTreasury: row.totalTreasury + treasuryShare,
  }));
});

ponder.on("CreditVault:SettlementRegistrySet", async ({ event, context }) => {
  const chainId = context.chain.id;
  const registry = event.args.registry.toLowerCase() as Hex;
  await context.db.insert(settingChange).values({
    id: eventId(chainId, event),
    contract: "CreditVault",
    setting: "settlementRegistry",
    previous: null,
    current: registry,
    ...eventFields(chainId, event),
  });
  await updateProtocol(context.db, chainId, event.block.number, () => ({ settlementRegistry: registry }));
});

ponder.on("CreditVault:RewardDistributorSet", async ({ event, context }) => {
  const chainId = context.chain.id;
  const current = event.args.current.toLowerCase() as Hex;
  await context.db.insert(settingChange).values({
    id: eventId(chainId, event),
    contract: "CreditVault",
    setting: "rewardDistributor",
    previous: event.args.previous.toLowerCase(),
    current,
    ...eventFields(chainId, event),
  });
  await updateProtocol(context.db, chainId, event.block.number, () => ({ rewardDistributor: current }));
});

ponder.on("CreditVault:TreasurySet", async ({ event, context }) => {
  const chainId = context.chain.id;
  const current = event.args.current.toLowerCase() as Hex;
  await context.db.insert(settingChange).values({
    id: eventId(chainId, event),
    contract: "CreditVault",
    setting: "treasury",
    previous: event.args.previous.toLowerCase(),
    current,
    ...eventFields(chainId, event),
  });
  await updateProtocol(context.db, chainId, event.block.number, () => ({ treasury: current }));
});
