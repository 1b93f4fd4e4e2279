import { useReadContracts } from "wagmi";
import { Card } from "../../components/Card";
import { Hash } from "../../components/Hash";
import { Stat } from "../../components/Stat";
import { useRuntimeConfig } from "../../config/RuntimeConfigContext";
import { creditVaultAbi, rewardDistributorAbi, settlementRegistryAbi } from "../../lib/contracts";
import { formatCredits } from "../../lib/format";

/** The contracts as the chain reports them: the batch chain's head, the attester, the reward roots, the vault. */
export function ChainSection() {
  const { contracts, chain } = useRuntimeConfig();
  const registry = { address: contracts.settlementRegistry, abi: settlementRegistryAbi } as const;
  const distributor = { address: contracts.rewardDistributor, abi: rewardDistributorAbi } as const;
  const reads = useReadContracts({
    contracts: [
      { ...registry, functionName: "latestBatchId" },
      { ...registry, functionName: "chainHead" },
      { ...registry, functionName: "attester" },
      { ...distributor, functionName: "root" },
      { ...distributor, functionName: "timelock" },
      { address: contracts.creditVault, abi: creditVaultAbi, functionName: "outstandingCredit" },
    ],
    query: { refetchInterval: 3_000 },
  });
  const [latest, head, attester, root, timelock, outstanding] = reads.data ?? [];
  const value = (read: { status: string; result?: unknown } | undefined) =>
    read?.status === "success" ? read.result : undefined;
  const hex = (read: { status: string; result?: unknown } | undefined) => {
    const v = value(read);
    if (typeof v !== "string") return "…";
    return /^0x0+$/.test(v) ? "none yet" : <Hash value={v} />;
  };
  return (
    <Card title="On-chain state" subtitle={`Read from ${chain.name} (chain ${chain.id}) through the dashboard's RPC.`}>
      <div className="stats">
        <Stat label="Latest batch" value={String(value(latest) ?? "…")} testId="chain-latest-batch" />
        <Stat label="Batch chain head" value={hex(head)} />
        <Stat label="Attester (signs receipts)" value={hex(attester)} />
        <Stat label="Reward root" value={hex(root)} />
        <Stat label="Reward timelock" value={value(timelock) === undefined ? "…" : `${value(timelock)} s`} />
        <Stat
          label="Vault's outstanding credit"
          value={value(outstanding) === undefined ? "…" : formatCredits(value(outstanding) as bigint)}
        />
      </div>
      <dl className="addresses">
        {Object.entries(contracts).map(([name, address]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>
              <code>{address}</code>
            </dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}
