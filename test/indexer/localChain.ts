import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DeploymentResultType, deploy } from "@nomicfoundation/ignition-core";
import { artifacts, network } from "hardhat";
import { type Address, getAddress } from "viem";
import BasisLocal from "../../ignition/modules/BasisLocal.js";
import type { Deployment } from "../../protocol/deployments.js";
import { type Child, freePort, hasExited, REPO_ROOT, startNodeScript, waitFor } from "./processes.js";

/** A `hardhat node` child process and its JSON-RPC URL. */
export type LocalNode = { url: string; child: Child };

/** Starts `hardhat node` on a free port of 127.0.0.1 and waits until it answers JSON-RPC. */
export async function startHardhatNode(): Promise<LocalNode> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startNodeScript(
    join(REPO_ROOT, "node_modules/hardhat/dist/src/cli.js"),
    ["node", "--hostname", "127.0.0.1", "--port", String(port)],
    { env: process.env },
  );
  await waitFor(
    async () => {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      return response.ok ? true : undefined;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 100,
      gaveUp: () => hasExited(child),
      describe: () => `hardhat node did not start:\n${child.output()}`,
    },
  );
  return { url, child };
}

/**
 * Deploys the local Basis stack (BasisLocal: dev credit token and the three contracts) to the node at
 * `url` through Ignition, the same module `npm run deploy` uses, keeping Ignition's journal in memory
 * so that nothing under ignition/ or deployments/ changes. Every role is account #0.
 * @param rewardTimelock Seconds a proposed reward root waits.
 * @param deploymentFile Where to write the deployment file the indexer reads.
 */
export async function deployBasisLocal(url: string, rewardTimelock: bigint, deploymentFile: string) {
  const connection = await network.create({ network: "localhost", override: { url } });
  const publicClient = await connection.viem.getPublicClient();
  const accounts = (await connection.provider.request({ method: "eth_accounts" })) as string[];
  // Ignition's journal is in memory, so the contracts' creation blocks are bounded from below.
  const startBlock = Number(await publicClient.getBlockNumber()) + 1;
  const result = await deploy({
    config: { requiredConfirmations: 1 },
    artifactResolver: {
      loadArtifact: (name) => artifacts.readArtifact(name),
      getBuildInfo: async () => undefined,
    },
    provider: connection.provider,
    ignitionModule: BasisLocal,
    deploymentParameters: { BasisLocal: { rewardTimelock } },
    accounts,
  });
  if (result.type !== DeploymentResultType.SUCCESSFUL_DEPLOYMENT) {
    throw new Error(`Ignition deployment failed: ${JSON.stringify(result, null, 2)}`);
  }
  const address = (name: string): Address => {
    const contract = result.contracts[`BasisLocal#${name}`];
    if (!contract) throw new Error(`the deployment has no BasisLocal#${name}`);
    return getAddress(contract.address);
  };
  const deployment: Deployment = {
    chainId: await publicClient.getChainId(),
    network: "localhost",
    deployedAt: new Date().toISOString(),
    contracts: {
      creditToken: { address: address("DevCreditToken"), startBlock },
      creditVault: { address: address("CreditVault"), startBlock },
      settlementRegistry: { address: address("SettlementRegistry"), startBlock },
      rewardDistributor: { address: address("RewardDistributor"), startBlock },
    },
  };
  writeFileSync(deploymentFile, `${JSON.stringify(deployment, null, 2)}\n`);
  const { viem } = connection;
  return {
    connection,
    deployment,
    publicClient,
    wallets: await viem.getWalletClients(),
    creditToken: await viem.getContractAt("DevCreditToken", deployment.contracts.creditToken.address),
    creditVault: await viem.getContractAt("CreditVault", deployment.contracts.creditVault.address),
    settlementRegistry: await viem.getContractAt("SettlementRegistry", deployment.contracts.settlementRegistry.address),
    rewardDistributor: await viem.getContractAt("RewardDistributor", deployment.contracts.rewardDistributor.address),
  };
}

/** What `deployBasisLocal` returns: the connection, the deployment and typed contracts. */
export type LocalBasis = Awaited<ReturnType<typeof deployBasisLocal>>;
