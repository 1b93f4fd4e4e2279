/**
 * The audit's findings and its report: one JSON object (`--json`) or a few lines for a person. Amounts
 * are decimal strings of base units, block numbers decimal strings.
 */
import { formatEther, type Hex } from "viem";
import type { RewardRootStatus } from "./chain.js";

/** What kind of mismatch a finding is. */
export type FindingCode =
  | "batch_missing"
  | "file_missing"
  | "file_invalid"
  | "file_header"
  | "receipt_invalid"
  | "receipt_hash"
  | "receipt_duplicate"
  | "signature"
  | "root"
  | "totals"
  | "file_hash"
  | "previous_root"
  | "chain_head"
  | "reward_root"
  | "reward_file_hash"
  | "reward_state"
  | "contributor";

/** One mismatch between what was published and what the chain holds. `message` names it fully. */
export type Finding = {
  code: FindingCode;
  message: string;
  batchId?: number;
  receipt?: Hex;
  rewardRoot?: number;
  contributor?: string;
};

/** One batch as checked. */
export type BatchSummary = { batchId: number; receiptCount: number; root: Hex; fileHash: Hex; ok: boolean };

/** One proposed reward root as checked. */
export type RewardRootSummary = {
  index: number;
  root: Hex;
  fileHash: Hex;
  status: RewardRootStatus;
  /** The batch whose cumulative rewards it matches (null: none). */
  throughBatch: number | null;
  rootMatches: boolean;
  fileHashMatches: boolean;
};

/** The network audit's report (`--json` prints exactly this). */
export type AuditReport = {
  ok: boolean;
  /** The first mismatch, as the exit message names it; null when everything matches. */
  firstMismatch: string | null;
  mismatchCount: number;
  /** The first 1,000 mismatches. */
  mismatches: Finding[];
  /** What was not checked, and why. */
  notes: string[];
  source: "rpc" | "indexer";
  gateway: string;
  chainId: number;
  registry: string;
  distributor: string;
  atBlock: string;
  batches: { onChain: number; checked: number; from: number; through: number; list: BatchSummary[] };
  receipts: { checked: number; totalCharged: string; totalReward: string };
  chainHead: { onChain: Hex; lastBatch: Hex | null; ok: boolean };
  attesters: { address: string; fromBlock: string; toBlock: string | null }[];
  rewardRoots: { checked: boolean; roots: RewardRootSummary[] };
  contributors: { checked: number; ok: boolean } | null;
  durationMs: number;
};

/** The most findings a report lists (all are counted). */
export const MAX_LISTED_FINDINGS = 1_000;

/** The report as a person reads it. */
export function formatReport(r: AuditReport): string {
  const lines = [
    `Basis audit of chain ${r.chainId} at block ${r.atBlock} (via ${r.source}), gateway ${r.gateway}`,
    `  registry     ${r.registry}`,
    `  distributor  ${r.distributor}`,
    `  batches      ${r.batches.checked} checked of ${r.batches.onChain} on-chain${r.batches.checked > 0 ? ` (${r.batches.from}–${r.batches.through})` : ""}`,
    `  receipts     ${r.receipts.checked.toLocaleString("en-US")} checked: hash from core, attester signature, merkle root`,
    `  charged      ${formatEther(BigInt(r.receipts.totalCharged))} credits (reward ${formatEther(BigInt(r.receipts.totalReward))})`,
    `  chain head   ${r.chainHead.onChain} ${r.chainHead.ok ? "matches" : "DOES NOT MATCH"}`,
    `  attesters    ${r.attesters.map((a) => `${a.address} (blocks ${a.fromBlock}–${a.toBlock ?? ""})`).join(", ") || "none"}`,
  ];
  if (r.rewardRoots.checked) {
    const roots = r.rewardRoots.roots.map(
      (x) =>
        `#${x.index} ${x.status}${x.throughBatch === null ? "" : ` through batch ${x.throughBatch}`} ${x.rootMatches && x.fileHashMatches ? "ok" : "MISMATCH"}`,
    );
    lines.push(`  reward roots ${roots.join("; ") || "none proposed"}`);
  }
  if (r.contributors) lines.push(`  contributors ${r.contributors.checked} checked against the gateway's /api/rewards`);
  for (const note of r.notes) lines.push(`  note: ${note}`);
  lines.push("");
  if (r.ok) {
    lines.push("OK: every batch file, receipt, batch root, the batch chain and every reward root match the chain.");
  } else {
    lines.push(`MISMATCH: ${r.mismatchCount} found; the first: ${r.firstMismatch}`);
    for (const f of r.mismatches.slice(0, 20)) lines.push(`  - ${f.message}`);
    if (r.mismatchCount > 20)
      lines.push(`  … and ${r.mismatchCount - 20} more (--json lists up to ${MAX_LISTED_FINDINGS})`);
  }
  return lines.join("\n");
}
