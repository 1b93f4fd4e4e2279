import { useConfig, useConnection } from "wagmi";
import { waitForTransactionReceipt, writeContract } from "wagmi/actions";
import { ApiError } from "../../api/client";
import { usePublicQuery, useRefreshAll } from "../../api/queries";
import type { Rewards } from "../../api/types";
import { ActionStatus } from "../../components/ActionStatus";
import { Card } from "../../components/Card";
import { Stat } from "../../components/Stat";
import { useRuntimeConfig } from "../../config/RuntimeConfigContext";
import { useAction } from "../../hooks/useAction";
import { useTokenBalance } from "../../hooks/useTokenBalance";
import { rewardDistributorAbi } from "../../lib/contracts";
import { formatCredits, formatTime, shortHex } from "../../lib/format";

/**
 * The contributor's rewards: earned in the claimable root, claimed on-chain, claimable now (with its merkle proof
 * from the gateway), and what the next root, still in its timelock, adds. Claiming pays exactly the difference.
 */
export function RewardsSection() {
  const config = useConfig();
  const { address } = useConnection();
  const { contracts } = useRuntimeConfig();
  const refresh = useRefreshAll();
  const rewards = usePublicQuery<Rewards>(address ? `/api/rewards/${address}` : null);
  const balance = useTokenBalance(address);
  const action = useAction();
  const r = rewards.data;
  const claimable = r ? BigInt(r.claimable) : 0n;

  const claim = () =>
    action.run(async (progress) => {
      if (!address || !r) throw new Error("no rewards to claim");
      progress("Confirm the claim in your wallet…");
      const hash = await writeContract(config, {
        address: contracts.rewardDistributor,
        abi: rewardDistributorAbi,
        functionName: "claim",
        args: [address, BigInt(r.cumulative), r.proof],
      });
      progress("Waiting for the claim to be mined…");
      const receipt = await waitForTransactionReceipt(config, { hash });
      if (receipt.status !== "success") throw new Error(`the claim reverted (${hash})`);
      await refresh();
      return `Claimed ${formatCredits(claimable)} credits to your wallet (transaction ${shortHex(hash)}).`;
    });

  if (rewards.error instanceof ApiError && rewards.error.status === 404)
    return (
      <Card title="Rewards">
        <p className="muted">This gateway does not publish reward roots.</p>
      </Card>
    );

  const show = (value: string | bigint | undefined) => (value === undefined ? "…" : formatCredits(value));
  return (
    <Card
      title="Rewards"
      subtitle="Each job your workers serve earns a share of what it charged. Roots of everyone's cumulative rewards are posted on-chain and become claimable after a timelock."
      actions={
        <button type="button" onClick={claim} disabled={claimable === 0n || action.running} data-testid="claim">
          Claim {claimable > 0n ? formatCredits(claimable) : ""}
        </button>
      }
      testId="rewards"
    >
      <div className="stats">
        <Stat label="Claimable now" value={show(r?.claimable)} testId="rewards-claimable" />
        <Stat label="Earned (claimable root)" value={show(r?.cumulative)} />
        <Stat label="Claimed" value={show(r?.claimed)} testId="rewards-claimed" />
        <Stat
          label="Next root"
          value={r?.pending ? `+${formatCredits(BigInt(r.pending.cumulative) - BigInt(r.cumulative))}` : "—"}
          hint={r?.pending?.claimable_at ? `claimable from ${formatTime(r.pending.claimable_at)}` : undefined}
        />
        <Stat label="Credit tokens in wallet" value={show(balance.data)} testId="rewards-wallet" />
      </div>
      <ActionStatus state={action} testId="claim-status" />
    </Card>
  );
}
