/**
 * `npm start`: the local Basis network on this machine. It starts Hardhat's node on 127.0.0.1:8545,
 * deploys the contracts through Ignition, starts the gateway on 127.0.0.1:8787 (PGlite under
 * `.basis/gateway`) with a demo account and key, a contributor worker serving the generated tiny model
 * (embedded llama.cpp), the indexer, and the dashboard on 127.0.0.1:5173; writes `.basis/local.json` and keeps
 * running until Ctrl-C.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { hardhat } from "viem/chains";
import { loadDeployment } from "../protocol/deployments.js";
import { depositDemoCredits, LOCAL_SETTLER_KEY, type LocalChain, startLocalChain } from "./start/chain.js";
import { JOURNAL_FILE } from "./start/chainJournal.js";
import { DEMO_ACCOUNT, GATEWAY_DATA_DIR, LOCAL_ATTESTER, prepareDemoAccount, startGateway } from "./start/gateway.js";
import { INDEXER_URL, startIndexer } from "./start/indexer.js";
import { startWeb, WEB_URL } from "./start/web.js";
import { ensureTinyModel, LOCAL_CONTRIBUTOR, LOCAL_MODELS, startWorker } from "./start/worker.js";

const RPC_PORT = 8545;
const RPC_URL = `http://127.0.0.1:${RPC_PORT}`;
const GATEWAY_PORT = 8787;
const GATEWAY_URL = `http://127.0.0.1:${GATEWAY_PORT}`;
const STATE_FILE = ".basis/local.json";
const children: ChildProcess[] = [];
let chain: LocalChain | undefined;
let stopping = false;

function step(message: string) {
  console.log(`▸ ${message}`);
}

function fail(part: string, reason: string): never {
  if (!stopping) {
    stopping = true;
    console.error(`✗ ${part} failed: ${reason}`);
    void stopAll().finally(() => process.exit(1));
  }
  // Nothing after the failure runs: the process ends once the parts have stopped.
  throw new Stopping();
}

/** Thrown by `fail` to end whatever called it while the parts stop; swallowed below. */
class Stopping extends Error {}

for (const event of ["uncaughtException", "unhandledRejection"] as const) {
  process.on(event, (error: unknown) => {
    if (error instanceof Stopping) return;
    try {
      fail("start", error instanceof Error ? error.message : String(error));
    } catch {}
  });
}

/**
 * Stops every part: each runs in its own process group (npx → node), so the whole group is signalled
 * (SIGINT: Ponder releases its schema lock on it, not on SIGTERM). The chain goes last, once the others
 * have exited (or 10 s passed), so that whatever they still send to it is journaled.
 */
async function stopAll() {
  const running = children.filter((child) => child.exitCode === null && child.pid !== undefined);
  const exited = running.map((child) => new Promise((resolve) => child.once("exit", resolve)));
  for (const child of running) {
    try {
      process.kill(-(child.pid as number), "SIGINT");
    } catch {
      child.kill("SIGINT");
    }
  }
  await Promise.race([Promise.all(exited), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  await chain?.stop();
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
      if (stopping) return;
      stopping = true;
      console.log("\nStopping…");
      void stopAll().finally(() => process.exit(0));
    });
  }

  step(`starting the local chain (Hardhat node) on ${RPC_URL}, journaled to ${JOURNAL_FILE}`);
  chain = await startLocalChain({
    port: RPC_PORT,
    progress: (message) => step(message),
    onBroken: (method) =>
      console.warn(`! ${method} reached the chain: it cannot be replayed, so the next npm start begins a new chain`),
  }).catch((error: Error) => fail("chain", error.message));
  chain.onExit((code, errors) => fail("chain", `exited with ${code}: ${errors.trim().slice(-500)}`));
  if (chain.resumed !== null)
    step(`the chain is back at block ${chain.resumed}; the gateway and the indexer keep their data`);
  else {
    step(`a new chain (${chain.startedOverBecause}); the gateway and the indexer start over with it`);
    // Their ledger, receipts and index describe the previous chain (batch ids, deposits): they start over with it.
    for (const dir of [GATEWAY_DATA_DIR, ".basis/indexer"]) rmSync(dir, { recursive: true, force: true });
  }
  const chainId = hardhat.id;

  step("deploying the contracts through Ignition");
  // Not spawnSync: the chain's proxy runs in this process and must go on answering.
  const deploy = spawn("npx", ["tsx", "scripts/deploy.ts"], { stdio: "inherit" });
  const deployed = await new Promise<number | string | null>((resolve) =>
    deploy.on("exit", (code, signal) => resolve(code ?? signal)),
  );
  if (deployed !== 0) fail("deploy", `exit ${deployed}`);
  const deployment = loadDeployment(chainId);
  if (!deployment) fail("deploy", "no deployments/31337.json was written");

  step(`depositing the demo wallet's 1,000 credits into the vault (mint, approve, deposit on ${RPC_URL})`);
  const funded = await depositDemoCredits(RPC_URL, deployment, 1_000n * 10n ** 18n).catch((error: Error) =>
    fail("deposit", error.message),
  );
  if (funded === 0n) step("the demo deposit is already on this chain");

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
  console.log(
    `  demo key  ${demo.key}   (account ${DEMO_ACCOUNT}${demo.reused ? ", the key of the last start" : ", 1000 local credits"})`,
  );
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

main().catch((error: unknown) => {
  if (error instanceof Stopping) return;
  try {
    fail("start", error instanceof Error ? error.message : String(error));
  } catch {}
});
