/**
 * Deploys the Basis contracts through Hardhat Ignition and writes `deployments/<chainId>.json`
 * (addresses and start blocks) for the indexer, gateway, scripts and web app.
 *
 *   npm run deploy                                  # local node on 127.0.0.1:8545 (npm run chain)
 *   BASIS_NETWORK=baseSepolia BASIS_CREDIT_TOKEN=0x… npm run deploy
 *
 * Settings come from the environment, validated below; a bad setting exits naming it.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, http } from "viem";
import { type Deployment, deploymentPath, loadDeployment } from "../protocol/deployments.js";
import { type DeployEnv, parseDeployEnv } from "./deploy/env.js";
import { readIgnitionJournal } from "./deploy/journal.js";

const CHAIN_IDS = { localhost: 31337, baseSepolia: 84532, base: 8453 } as const;

async function main() {
  const env = parseDeployEnv(process.env);
  const chainId = CHAIN_IDS[env.BASIS_NETWORK];
  const local = env.BASIS_NETWORK === "localhost";

  if (local && (await isDeployedOnLocalNode(chainId))) {
    console.log(`Basis is already deployed on the local node: ${deploymentPath(chainId)}`);
    return;
  }

  const moduleName = local ? "BasisLocal" : "Basis";
  const parametersFile = writeParameters(moduleName, env);
  const args = [
    "hardhat",
    "ignition",
    "deploy",
    `ignition/modules/${moduleName}.ts`,
    "--network",
    env.BASIS_NETWORK,
    "--parameters",
    parametersFile,
  ];
  // A local node starts empty on every run, so an old journal for it describes a chain that is gone.
  if (local) args.push("--reset");
  if (!local && process.env.BASESCAN_API_KEY) args.push("--verify");

  console.log(`Deploying ${moduleName} to ${env.BASIS_NETWORK} (chain ${chainId}) through Ignition…`);
  const run = spawnSync("npx", args, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, CI: "true" } });
  if (run.status !== 0) {
    console.error(`ignition deploy failed (exit ${run.status ?? run.signal})`);
    process.exit(1);
  }

  const futures = readIgnitionJournal(chainId);
  const entry = (name: string) => {
    const future = futures.get(`${moduleName}#${name}`);
    if (!future) throw new Error(`the Ignition journal for chain ${chainId} has no ${moduleName}#${name}`);
    return future;
  };
  const deployment: Deployment = {
    chainId,
    network: env.BASIS_NETWORK,
    deployedAt: new Date().toISOString(),
    contracts: {
      creditToken: local
        ? entry("DevCreditToken")
        : { address: env.BASIS_CREDIT_TOKEN as `0x${string}`, startBlock: null },
      creditVault: entry("CreditVault"),
      settlementRegistry: entry("SettlementRegistry"),
      rewardDistributor: entry("RewardDistributor"),
    },
  };
  mkdirSync(join(deploymentPath(chainId), ".."), { recursive: true });
  writeFileSync(deploymentPath(chainId), `${JSON.stringify(deployment, null, 2)}\n`);
  console.log(`Wrote ${deploymentPath(chainId)}`);
  for (const [name, c] of Object.entries(deployment.contracts)) {
    console.log(`  ${name.padEnd(20)} ${c.address}  from block ${c.startBlock ?? "-"}`);
  }
}

/** Ignition parameters for the module, from the validated env; unset roles default to the deployer. */
function writeParameters(moduleName: string, env: DeployEnv): string {
  const params: Record<string, string | number> = { rewardTimelock: env.BASIS_REWARD_TIMELOCK };
  const roles = {
    admin: env.BASIS_ADMIN,
    settler: env.BASIS_SETTLER,
    attester: env.BASIS_ATTESTER,
    proposer: env.BASIS_PROPOSER,
    treasury: env.BASIS_TREASURY,
  };
  for (const [role, value] of Object.entries(roles)) if (value) params[role] = value;
  if (env.BASIS_CREDIT_TOKEN) params.creditToken = env.BASIS_CREDIT_TOKEN;
  const file = join(mkdtempSync(join(tmpdir(), "basis-deploy-")), "parameters.json");
  writeFileSync(file, JSON.stringify({ [moduleName]: params }, null, 2));
  return file;
}

/** True when the recorded local deployment still has code on the running node. */
async function isDeployedOnLocalNode(chainId: number): Promise<boolean> {
  const recorded = loadDeployment(chainId);
  if (!recorded) return false;
  const client = createPublicClient({ transport: http("http://127.0.0.1:8545", { timeout: 5_000 }) });
  const code = await client.getCode({ address: recorded.contracts.settlementRegistry.address }).catch(() => undefined);
  return code !== undefined && code !== "0x";
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
