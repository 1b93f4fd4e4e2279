/**
 * What contributors are told: for each wallet in the recomputed cumulative reward trees, the gateway's
 * `GET /api/rewards/:address` must serve the accepted root's cumulative amount with a proof that leads
 * to the root on-chain, and the pending root's amount.
 */
import { getAddress, type Hex } from "viem";
import { z } from "zod";
import type { GatewayClient } from "./gatewayClient.js";
import { proves, rewardLeaf } from "./proofs.js";
import type { Finding } from "./report.js";
import type { CumulativeTree } from "./rewardCheck.js";

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/);
const statusSchema = z.object({
  cumulative: z.string().regex(/^\d+$/),
  proof: z.array(hex),
  root: hex.nullable(),
  pending: z.object({ root: hex, cumulative: z.string().regex(/^\d+$/) }).nullable(),
});

/** A root on-chain and the tree recomputed for it. */
export type CheckedRoot = { index: number; root: Hex; tree: CumulativeTree };

const CONCURRENCY = 8;

/**
 * @param accepted The distributor's claimable root, when it matched a recomputed tree.
 * @param pending The root waiting for its timelock, when it matched one.
 */
export async function checkContributors(
  gateway: GatewayClient,
  accepted: CheckedRoot | null,
  pending: CheckedRoot | null,
): Promise<{ checked: number; findings: Finding[]; notes: string[] }> {
  const findings: Finding[] = [];
  const amount = (root: CheckedRoot | null, account: string) =>
    root?.tree.entries.find((e) => e.account.toLowerCase() === account)?.cumulativeAmount ?? 0n;
  const accounts = [
    ...new Set(
      [...(accepted?.tree.entries ?? []), ...(pending?.tree.entries ?? [])].map((e) => e.account.toLowerCase()),
    ),
  ].sort();
  let served = true;
  let checked = 0;

  async function check(account: string) {
    const answer = served ? await gateway.rewards(account) : null;
    if (answer === null) {
      served = false;
      return;
    }
    const fail = (message: string) =>
      findings.push({ code: "contributor", message: `contributor ${account}: ${message}`, contributor: account });
    const parsed = statusSchema.safeParse(answer);
    if (!parsed.success) return fail("the gateway's /api/rewards answer is malformed");
    const status = parsed.data;
    checked++;
    if (accepted) {
      const expected = amount(accepted, account);
      if (status.root?.toLowerCase() !== accepted.root.toLowerCase()) {
        fail(
          `the gateway's claimable root ${status.root ?? "(none)"} is not the accepted reward root #${accepted.index} ${accepted.root}`,
        );
      } else if (BigInt(status.cumulative) !== expected) {
        fail(
          `the gateway serves cumulative ${status.cumulative}, the accepted reward root #${accepted.index} holds ${expected}`,
        );
      } else if (
        expected > 0n &&
        !proves(rewardLeaf(getAddress(account), expected), status.proof as Hex[], accepted.root)
      ) {
        fail(`the gateway's proof does not lead to the accepted reward root #${accepted.index}`);
      }
    }
    if (pending && status.pending?.root.toLowerCase() === pending.root.toLowerCase()) {
      const expected = amount(pending, account);
      if (BigInt(status.pending.cumulative) !== expected) {
        fail(
          `the gateway serves pending cumulative ${status.pending.cumulative}, the pending reward root #${pending.index} holds ${expected}`,
        );
      }
    }
  }

  for (let i = 0; i < accounts.length && served; i += CONCURRENCY) {
    await Promise.all(accounts.slice(i, i + CONCURRENCY).map(check));
  }
  const notes = served ? [] : ["the gateway serves no /api/rewards (404): what it tells contributors was not checked"];
  return { checked, findings: findings.sort((a, b) => a.message.localeCompare(b.message)), notes };
}
