/**
 * `npm start`: the local Basis network on this machine. It starts Hardhat's node on 127.0.0.1:8545,
 * deploys the contracts through Ignition, starts the gateway on 127.0.0.1:8787 (PGlite under
 * `.basis/gateway`) with a demo account and key, a contributor worker serving the generated tiny model
 * (embedded llama.cpp), the indexer, and the dashboard on 127.0.0.1:5173; writes `.basis/local.json` and keeps
 * running until Ctrl-C.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createPublicClient, http } from "viem";
import { hardhat } from "viem/chains";
import { loadDeployment } from "../protocol/deployments.js";
import { depositDemoCredits, LOCAL_SETTLER_KEY } from "./start/chain.js";
import { DEMO_ACCOUNT, GATEWAY_DATA_DIR, LOCAL_ATTESTER, prepareDemoAccount, startGateway } from "./start/gateway.js";
import { INDEXER_URL, startIndexer } from "./start/indexer.js";
import { startWeb, WEB_URL } from "./start/web.js";
import { ensureTinyModel, LOCAL_CONTRIBUTOR, LOCAL_MODELS, startWorker } from "./start/worker.js";

const RPC_URL = "http://127.0.0.1:8545";
const GATEWAY_PORT = 8787;
const GATEWAY_URL = `http://127.0.0.1:${GATEWAY_PORT}`;
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

/**
 * Stops every part: each runs in its own process group (npx → node), so the whole group is signalled
 * (SIGINT: Ponder releases its schema lock on it, not on SIGTERM).
 */
function stopAll() {
  for (const child of children) {
    if (child.exitCode !== null || child.pid === undefined) continue;
    try {
      process.kill(-child.pid, "SIGINT");
    } catch {
      child.kill("SIGINT");
    }
  }
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

/** Waits until the gateway's deposit sync has caught up with the indexer (every indexed deposit credited). */
async function waitForDeposits(timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await fetch(`${GATEWAY_URL}/api/launch-status`)
      .then((r) => r.json() as Promise<{ deposits?: { lagBlocks?: string | null } }>)
      .catch(() => null);
    if (status?.deposits?.lagBlocks === "0") return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
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
    detached: true,
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

  step(`depositing the demo wallet's 1,000 credits into the vault (mint, approve, deposit on ${RPC_URL})`);
  const funded = await depositDemoCredits(RPC_URL, deployment, 1_000n * 10n ** 18n).catch((error: Error) =>
    fail("deposit", error.message),
  );
  if (funded === 0n) step("the demo deposit is already on this chain");

  // Hardhat's node starts with an empty chain every time: the ledger, receipts and index of the previous
  // chain would not match it (batch ids, deposits), so they start over with it.
  for (const dir of [GATEWAY_DATA_DIR, ".basis/indexer"]) rmSync(dir, { recursive: true, force: true });

  step(`starting the indexer (Ponder, PGlite under .basis/indexer) on ${INDEXER_URL}`);
  const indexer = await startIndexer(RPC_URL).catch((error: Error) => fail("indexer", error.message));
  children.push(indexer);
  indexer.on("exit", (code: number | null) => {
    if (code !== 0 && code !== null) fail("indexer", `exited with ${code}`);
  });

  step(`preparing the gateway's store (${GATEWAY_DATA_DIR}) and the demo account ${DEMO_ACCOUNT}`);
  const demo = await prepareDemoAccount(LOCAL_CONTRIBUTOR);
  const upstreamUrl = process.env.BASIS_UPSTREAM_URL;
  step(`starting the gateway on ${GATEWAY_URL}${upstreamUrl ? ` (its own upstream: ${upstreamUrl})` : ""}`);
  const gateway = await startGateway({
    port: GATEWAY_PORT,
    pepper: demo.pepper,
    upstreamUrl,
    rpcUrl: RPC_URL,
    settlerKey: LOCAL_SETTLER_KEY,
    indexerUrl: INDEXER_URL,
  }).catch((error: Error) => fail("gateway", error.message));
  children.push(gateway);
  gateway.on("exit", (code: number | null) => {
    if (code !== 0 && code !== null) fail("gateway", `exited with ${code}`);
  });

  step("waiting for the demo deposit to reach the ledger through the indexer");
  const synced = await waitForDeposits(30_000);
  if (!synced) fail("deposits", "the gateway did not credit the demo deposit from the indexer within 30 s");

  const model = await ensureTinyModel().catch((error: Error) => fail("model", error.message));
  step(
    `${model.made ? "wrote" : "found"} the tiny model ${model.path}; starting a worker (contributor ${LOCAL_CONTRIBUTOR})`,
  );
  const worker = await startWorker({ gatewayUrl: GATEWAY_URL, token: demo.workerToken }).catch((error: Error) =>
    fail("worker", error.message),
  );
  children.push(worker);
  worker.on("exit", (code: number | null) => {
    if (code !== 0 && code !== null) fail("worker", `exited with ${code}`);
  });

  step(`starting the dashboard on ${WEB_URL} (built into web/dist when missing or stale)`);
  const web = await startWeb({ gatewayUrl: GATEWAY_URL, rpcUrl: RPC_URL }).catch((error: Error) =>
    fail("dashboard", error.message),
  );
  children.push(web);
  web.on("exit", (code: number | null) => {
    if (code !== 0 && code !== null) fail("dashboard", `exited with ${code}`);
  });

  mkdirSync(".basis", { recursive: true });
  const state = {
    chainId,
    rpcUrl: RPC_URL,
    gatewayUrl: GATEWAY_URL,
    baseUrl: `${GATEWAY_URL}/v1`,
    attester: LOCAL_ATTESTER,
    indexerUrl: INDEXER_URL,
    dashboardUrl: WEB_URL,
    demo: { account: DEMO_ACCOUNT, apiKey: demo.key },
    worker: { contributor: LOCAL_CONTRIBUTOR, models: LOCAL_MODELS, modelFile: model.path },
    contracts: deployment.contracts,
  };
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);

  console.log(`\nBasis local network is up. Everything below is also in ${STATE_FILE}.`);
  console.log(`  chain     ${RPC_URL} (chain id ${chainId})`);
  for (const [name, c] of Object.entries(deployment.contracts)) console.log(`  ${name.padEnd(18)} ${c.address}`);
  console.log(`  indexer   ${INDEXER_URL}   (GraphQL; SQL over HTTP at /sql)`);
  console.log(`  base URL  ${GATEWAY_URL}/v1   (API docs: ${GATEWAY_URL}/docs)`);
  console.log(
    `  dashboard ${WEB_URL}   (on the local chain: "Dev account #1" is the demo wallet, no extension needed)`,
  );
  console.log(`  demo key  ${demo.key}   (account ${DEMO_ACCOUNT}, 1000 local credits)`);
  console.log(`\n  curl ${GATEWAY_URL}/v1/chat/completions -H "Authorization: Bearer ${demo.key}" \\`);
  console.log(
    `    -H "Content-Type: application/json" -d '{"model":"basis-default","max_tokens":32,"messages":[{"role":"user","content":"Hello"}]}'`,
  );
  console.log(`\n  import OpenAI from "openai";`);
  console.log(`  const client = new OpenAI({ baseURL: "${GATEWAY_URL}/v1", apiKey: "${demo.key}" });`);
  console.log(
    `\n  The local worker serves ${LOCAL_MODELS.join(", ")} from the tiny generated model: readable words, not answers.`,
  );
  console.log("  Run a worker on a real GGUF (or any OpenAI-compatible server) to serve real output: see the README.");
  console.log("\nCtrl-C stops everything.");
}

main().catch((error: unknown) => fail("start", error instanceof Error ? error.message : String(error)));
