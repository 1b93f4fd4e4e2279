/**
 * The whole-network audit: every posted batch against its published file (fetched a few ahead of the
 * check), the batch chain up to the registry's head, every reward root against the settled receipts, and
 * what the gateway tells contributors. Findings keep the order they were found in: batch by batch, then
 * the chain head, the reward roots and the contributors.
 */
import { type Hex, zeroHash } from "viem";
import { checkBatch } from "./batchCheck.js";
import type { ChainSource } from "./chain.js";
import { type CheckedRoot, checkContributors } from "./contributors.js";
import type { FetchedFile, GatewayClient } from "./gatewayClient.js";
import type { AuditOptions } from "./options.js";
import type { Progress } from "./progress.js";
import { type AuditReport, type BatchSummary, type Finding, MAX_LISTED_FINDINGS } from "./report.js";
import { checkRewardRoots } from "./rewardCheck.js";

/** Batch files fetched ahead of the one being checked. */
const LOOKAHEAD = 4;

export async function auditNetwork(p: {
  options: Pick<AuditOptions, "fromBatch" | "gateway">;
  source: ChainSource;
  gateway: GatewayClient;
  progress: Progress;
}): Promise<AuditReport> {
  const started = performance.now();
  const { source, gateway, progress } = p;
  progress.phase(`reading the chain (${source.kind})…`);
  const snapshot = await source.snapshot();
  const findings: Finding[] = [];
  const notes: string[] = [];
  const { batches } = snapshot;

  for (const [i, b] of batches.entries()) {
    if (b.batchId !== i + 1) {
      findings.push({
        code: "batch_missing",
        batchId: i + 1,
        message: `batch ${i + 1}: no BatchPosted event on-chain (the next posted is batch ${b.batchId})`,
      });
      break;
    }
  }

  const from = p.options.fromBatch;
  const toCheck = batches.filter((b) => b.batchId >= from);
  const before = batches.find((b) => b.batchId === from - 1);
  let previous = { root: before?.root ?? zeroHash, chainHead: before?.chainHead ?? zeroHash };
  if (from > 1)
    notes.push(`batches before ${from} not checked (--from-batch): their receipts are not checked for repeats`);
  const ctx = {
    chainId: snapshot.chainId,
    registry: snapshot.registry,
    attesters: snapshot.attesters,
    seen: new Map(),
  };
  const files = new Map<number, Promise<FetchedFile>>();
  const prefetch = (i: number) => {
    const batch = toCheck[i];
    if (!batch || files.has(i)) return;
    const file = gateway.batchFile(batch.batchId);
    file.catch(() => {}); // awaited in turn below; a failure ends the audit there
    files.set(i, file);
  };
  const perBatch: Map<string, bigint>[] = [];
  const summaries: BatchSummary[] = [];
  let receipts = 0;
  let totalCharged = 0n;
  let totalReward = 0n;
  let unreadable = false;
  for (const [i, posted] of toCheck.entries()) {
    for (let j = i; j < i + LOOKAHEAD; j++) prefetch(j);
    const file = await (files.get(i) as Promise<FetchedFile>);
    files.delete(i);
    const result = await checkBatch(posted, file, previous, ctx);
    findings.push(...result.findings);
    summaries.push({
      batchId: posted.batchId,
      receiptCount: result.receiptCount,
      root: posted.root,
      fileHash: posted.fileHash,
      ok: result.findings.length === 0,
    });
    receipts += result.receiptCount;
    totalCharged += result.totalCharged;
    totalReward += result.totalReward;
    perBatch[posted.batchId - 1] = result.rewards ?? new Map();
    if (!result.rewards) unreadable = true;
    previous = { root: posted.root, chainHead: posted.chainHead };
    progress.batch(i + 1, toCheck.length, receipts);
  }

  const lastHead: Hex | null = batches.at(-1)?.chainHead ?? null;
  const headOk = (lastHead ?? zeroHash).toLowerCase() === snapshot.chainHead.toLowerCase();
  if (!headOk) {
    findings.push({
      code: "chain_head",
      message: `chain head: the registry's chainHead() ${snapshot.chainHead} is not the last batch's head ${lastHead ?? zeroHash}`,
    });
  }

  let rewardRoots: AuditReport["rewardRoots"] = { checked: false, roots: [] };
  let contributors: AuditReport["contributors"] = null;
  if (from > 1) notes.push("reward roots not checked: they sum every batch from 1, and --from-batch skipped some");
  else if (unreadable) notes.push("reward roots not checked: a batch file could not be read");
  else {
    progress.phase("checking reward roots…");
    const rewards = checkRewardRoots(snapshot, perBatch);
    findings.push(...rewards.findings);
    notes.push(...rewards.notes);
    rewardRoots = { checked: true, roots: rewards.summaries };
    const matched = (proposal: { index: number; root: Hex } | undefined): CheckedRoot | null => {
      const tree = proposal && rewards.matched.get(proposal.index);
      return proposal && tree ? { index: proposal.index, root: proposal.root, tree } : null;
    };
    const accepted = matched(rewards.lastAccepted);
    const pending = matched(rewards.pending);
    if (accepted || pending) {
      progress.phase("checking what the gateway tells contributors…");
      const checked = await checkContributors(gateway, accepted, pending);
      findings.push(...checked.findings);
      notes.push(...checked.notes);
      contributors = { checked: checked.checked, ok: checked.findings.length === 0 };
    }
  }
  progress.done();

  return {
    ok: findings.length === 0,
    firstMismatch: findings[0]?.message ?? null,
    mismatchCount: findings.length,
    mismatches: findings.slice(0, MAX_LISTED_FINDINGS),
    notes,
    source: snapshot.source,
    gateway: gateway.origin,
    chainId: snapshot.chainId,
    registry: snapshot.registry,
    distributor: snapshot.distributor,
    atBlock: snapshot.atBlock.toString(),
    batches: {
      onChain: batches.length,
      checked: toCheck.length,
      from: toCheck[0]?.batchId ?? from,
      through: toCheck.at(-1)?.batchId ?? from - 1,
      list: summaries,
    },
    receipts: { checked: receipts, totalCharged: totalCharged.toString(), totalReward: totalReward.toString() },
    chainHead: { onChain: snapshot.chainHead, lastBatch: lastHead, ok: headOk },
    attesters: snapshot.attesters.map((a) => ({
      address: a.address,
      fromBlock: a.fromBlock.toString(),
      toBlock: a.toBlock?.toString() ?? null,
    })),
    rewardRoots,
    contributors,
    durationMs: Math.round(performance.now() - started),
  };
}
