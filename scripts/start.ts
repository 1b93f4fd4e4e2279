/**
 * `npm start`: the local Basis network on this machine. Today it starts Hardhat's node on
 * 127.0.0.1:8545, deploys the contracts through Ignition, writes `.basis/local.json` and keeps running
 * until Ctrl-C. The indexer, gateway, worker and dashboard join it as they land.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createPublicClient, http } from "viem";
import { hardhat } from "viem/chains";
import { loadDeployment } from "../protocol/deployments.js";

const RPC_URL = "http://127.0.0.1:8545";
const STATE_FILE = ".basis/local.json";
const children: ChildProcess[] = [];

function step(message: string) {
  console.log(`▸ ${message}`);
}

function fail(part: string, reason: string): never {
  console.error(`✗ ${part} failed: ${reason}`);
  stopAll();
  process.exit(1);
}

function stopAll() {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
}

/** Polls the RPC until it answers, or fails after `timeoutMs`. */
async function waitForChain(timeoutMs: number): Promise<number> {
  const client = createPublicClient({ transport: http(RPC_URL, { timeout: 1_000, retryCount: 0 }) });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const chainId = await client.getChainId().catch(() => undefined);
    if (chainId !== undefined) return chainId;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return fail("chain", `no answer on ${RPC_URL} within ${timeoutMs / 1000} s (is the port taken?)`);
}

async function main() {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      console.log("\nStopping…");
      stopAll();
      process.exit(0);
    });
  }

  step(`starting the local chain (Hardhat node) on ${RPC_URL}`);
  const chain = spawn("npx", ["hardhat", "node", "--hostname", "127.0.0.1", "--port", "8545"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.push(chain);
  let chainErrors = "";
  chain.stderr?.on("data", (chunk: Buffer) => {
    chainErrors += chunk.toString();
  });
  chain.on("exit", (code) => {
    if (code !== 0 && code !== null) fail("chain", `exited with ${code}: ${chainErrors.trim().slice(-500)}`);
  });
  const chainId = await waitForChain(60_000);
  if (chainId !== hardhat.id) fail("chain", `expected chain id ${hardhat.id}, got ${chainId}`);

  step("deploying the contracts through Ignition");
  const deploy = spawnSync("npx", ["tsx", "scripts/deploy.ts"], { stdio: "inherit" });
  if (deploy.status !== 0) fail("deploy", `exit ${deploy.status ?? deploy.signal}`);
  const deployment = loadDeployment(chainId);
  if (!deployment) fail("deploy", "no deployments/31337.json was written");

  mkdirSync(".basis", { recursive: true });
  const state = { chainId, rpcUrl: RPC_URL, contracts: deployment.contracts };
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);

  console.log(`\nBasis local network is up (chain ${chainId}, ${RPC_URL}). Endpoints and addresses: ${STATE_FILE}`);
  for (const [name, c] of Object.entries(deployment.contracts)) console.log(`  ${name.padEnd(20)} ${c.address}`);
  console.log("Ctrl-C stops everything.");
}

main().catch((error: unknown) => fail("start", error instanceof Error ? error.message : String(error)));
