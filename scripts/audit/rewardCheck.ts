/**
 * Reward roots against the settled receipts. As the gateway defines it (gateway/settlement/rewards.ts),
 * a root commits to every contributor's cumulative reward through some batch n: the sum of `reward` over
 * the receipts of batches 1..n naming its wallet, contributors with a positive sum only, entries sorted by
 * wallet, in a `StandardMerkleTree` over `[account, cumulativeAmount]`; its fileHash is the SHA-256 of the
 * canonical reward file `{chainId, distributor, entries, root, throughBatch: n, version: 1}`. The chain
 * does not say which n a root is for, so each proposed root is matched against the cumulative trees of
 * the batches posted before it was proposed, newest first.
 */
import type { Address, Hex } from "viem";
import { buildRewardTree } from "../../protocol/merkle.js";
import { encodeRewardFile } from "../../protocol/rewardFile.js";
import type { ChainSnapshot, ProposedRewardRoot } from "./chain.js";
import type { Finding, RewardRootSummary } from "./report.js";

/** The cumulative reward tree through one batch. */
export type CumulativeTree = {
  throughBatch: number;
  root: Hex;
  entries: { account: Address; cumulativeAmount: bigint }[];
};

/** Cumulative rewards through any batch, from each batch's rewards per wallet. */
export function cumulativeRewards(perBatch: readonly Map<string, bigint>[]) {
  const current = new Map<string, bigint>();
  let at = 0;
  const roots = new Map<number, CumulativeTree | null>();
  /** `changedAt[n]`: the last batch ≤ n that paid any reward (the trees through both are the same tree). */
  const changedAt = [0];
  for (const [i, batch] of perBatch.entries()) changedAt.push(batch.size > 0 ? i + 1 : (changedAt[i] ?? 0));
  const lastChange = (n: number) => changedAt[n] ?? 0;
  const moveTo = (n: number) => {
    for (; at < n; at++) for (const [w, r] of perBatch[at] ?? []) current.set(w, (current.get(w) ?? 0n) + r);
    for (; at > n; at--) for (const [w, r] of perBatch[at - 1] ?? []) current.set(w, (current.get(w) ?? 0n) - r);
  };
  return {
    /** The tree through batch n; null when nobody had earned anything by then (the gateway proposes no root). */
    treeThrough(n: number): CumulativeTree | null {
      const key = lastChange(n);
      if (!roots.has(key)) {
        moveTo(key);
        const entries = [...current]
          .filter(([, amount]) => amount > 0n)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([account, cumulativeAmount]) => ({ account: account as Address, cumulativeAmount }));
        roots.set(
          key,
          entries.length === 0 ? null : { throughBatch: key, root: buildRewardTree(entries).root as Hex, entries },
        );
      }
      const tree = roots.get(key) ?? null;
      return tree && { ...tree, throughBatch: n };
    },
  };
}

/** SHA-256 of the reward file the gateway publishes for `tree`. */
export function rewardFileHash(tree: CumulativeTree, chainId: number, distributor: string): Hex {
  return encodeRewardFile({
    version: 1,
    chainId,
    distributor: distributor.toLowerCase(),
    throughBatch: tree.throughBatch,
    root: tree.root,
    entries: tree.entries.map((e) => ({ account: e.account, cumulativeAmount: e.cumulativeAmount.toString() })),
  }).fileHash;
}

/**
 * Matches every proposed reward root with the recomputed cumulative trees.
 * @param perBatch Rewards per wallet of batches 1..L, in order.
 * @returns A summary per root, the trees matched, and the findings: a root that was accepted or is pending
 * and matches no recomputed tree (or whose fileHash differs); revoked or superseded ones are only noted.
 */
export function checkRewardRoots(snapshot: ChainSnapshot, perBatch: readonly Map<string, bigint>[]) {
  const cumulative = cumulativeRewards(perBatch);
  const findings: Finding[] = [];
  const notes: string[] = [];
  const summaries: RewardRootSummary[] = [];
  const matched = new Map<number, CumulativeTree>();
  const postedBy = (block: bigint) => snapshot.batches.filter((b) => b.blockNumber <= block).length;

  for (const proposal of snapshot.rewardRoots) {
    const upTo = Math.min(postedBy(proposal.proposedBlock), perBatch.length);
    let rootMatch: CumulativeTree | null = null;
    let fileMatch: CumulativeTree | null = null;
    for (let n = upTo; n >= 1 && !fileMatch; n--) {
      const tree = cumulative.treeThrough(n);
      if (!tree || tree.root.toLowerCase() !== proposal.root.toLowerCase()) {
        if (rootMatch) break; // past the batches whose tree it is
        continue;
      }
      rootMatch ??= tree;
      if (rewardFileHash(tree, snapshot.chainId, snapshot.distributor) === proposal.fileHash.toLowerCase())
        fileMatch = tree;
    }
    const summary: RewardRootSummary = {
      index: proposal.index,
      root: proposal.root,
      fileHash: proposal.fileHash,
      status: proposal.status,
      throughBatch: (fileMatch ?? rootMatch)?.throughBatch ?? null,
      rootMatches: rootMatch !== null,
      fileHashMatches: fileMatch !== null,
    };
    summaries.push(summary);
    if (fileMatch) matched.set(proposal.index, fileMatch);
    const message = mismatchOf(proposal, rootMatch, fileMatch, upTo, cumulative.treeThrough(upTo), snapshot);
    if (!message) continue;
    if (proposal.status === "accepted" || proposal.status === "pending") {
      findings.push({
        code: rootMatch ? "reward_file_hash" : "reward_root",
        message,
        rewardRoot: proposal.index,
      });
    } else notes.push(`${message} (it was ${proposal.status}, never claimable)`);
  }

  // The distributor's views agree with the replayed events.
  const lastAccepted = snapshot.rewardRoots.filter((r) => r.status === "accepted").at(-1);
  const pending = snapshot.rewardRoots.find((r) => r.status === "pending");
  if ((snapshot.acceptedRoot?.root ?? null)?.toLowerCase() !== lastAccepted?.root.toLowerCase()) {
    findings.push({
      code: "reward_state",
      message: `reward roots: the distributor's root() ${snapshot.acceptedRoot?.root ?? "(none)"} is not the last accepted proposal's ${lastAccepted?.root ?? "(none)"}`,
    });
  }
  if ((snapshot.pendingRoot?.root ?? null)?.toLowerCase() !== pending?.root.toLowerCase()) {
    findings.push({
      code: "reward_state",
      message: `reward roots: the distributor's pendingRoot() ${snapshot.pendingRoot?.root ?? "(none)"} is not the pending proposal's ${pending?.root ?? "(none)"}`,
    });
  }
  return { summaries, findings, notes, matched, lastAccepted, pending };
}

function mismatchOf(
  proposal: ProposedRewardRoot,
  rootMatch: CumulativeTree | null,
  fileMatch: CumulativeTree | null,
  upTo: number,
  latest: CumulativeTree | null,
  snapshot: ChainSnapshot,
): string | null {
  const name = `reward root #${proposal.index} (${proposal.status}, ${proposal.root})`;
  if (!rootMatch) {
    return `${name}: differs from recomputed: no cumulative reward tree of batches 1..n (n ≤ ${upTo}, the batches posted before it) has this root; through batch ${upTo} it is ${latest?.root ?? "empty"}`;
  }
  if (!fileMatch) {
    const expected = rewardFileHash(rootMatch, snapshot.chainId, snapshot.distributor);
    return `${name}: fileHash ${proposal.fileHash} differs from the recomputed reward file's ${expected} (through batch ${rootMatch.throughBatch})`;
  }
  return null;
}
