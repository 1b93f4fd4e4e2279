/**
 * The chain side, end to end on this machine: a real `hardhat node`, the contracts deployed through
 * Ignition, the real indexer (`ponder start`, PGlite) and the real gateway process.
 * 1. Deposit → spendable credit: a deposit is mined; how long until the depositor's `available` (read
 *    through the gateway's API, signed in with the wallet) has it, at one confirmation.
 * 2. Indexer catch-up: `BENCH_EVENTS` (default 100,000) vault deposits on the chain, then a fresh
 *    indexer from the deployment block to the head: events per second; then the gateway's deposit
 *    sync crediting all of them into an empty ledger (PGlite): credits per second.
 * Writes the "Chain" section of docs/benchmarks.md. Run: npm run bench:chain
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, encodeFunctionData, getAddress, type Hash } from "viem";
import { indexerDepositSource } from "../../gateway/deposits/indexerSource.js";
import { createDepositSync } from "../../gateway/deposits/sync.js";
import { createLedger } from "../../gateway/ledger/ledger.js";
import { openDb } from "../../gateway/store/db.js";
import { createIndexerClient } from "../../indexer/client.js";
import { exited, freePort, spawnGateway } from "../../test/gateway/support/gatewayProcess.js";
import { graphql } from "../../test/indexer/graphql.js";
import { type IndexerProcess, startIndexer } from "../../test/indexer/indexerProcess.js";
import { deployBasisLocal, startHardhatNode } from "../../test/indexer/localChain.js";
import { signIn } from "../wallet/signIn.js";
import { percentile, replaceSection } from "./tools.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const LATENCY_SAMPLES = Number(process.env.BENCH_DEPOSITS ?? 20);
const KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const CHAIN_ID = 31337;
const tmp = mkdtempSync(join(tmpdir(), "basis-bench-chain-"));
const deploymentFile = join(tmp, "deployment.json");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const node = await startHardhatNode();
let indexer: IndexerProcess | undefined;
let gateway: Awaited<ReturnType<typeof spawnGateway>> | undefined;
try {
  const basis = await deployBasisLocal(node.url, 10n, deploymentFile);
  const [, alice, depositor] = basis.wallets;
  if (!alice || !depositor) throw new Error("the node has too few accounts");
  const rpc = (method: string, params: unknown[] = []) => basis.connection.provider.request({ method, params });
  const mined = async (hash: Promise<Hash>) =>
    basis.publicClient.waitForTransactionReceipt({ hash: await hash, pollingInterval: 5 });
  await mined(basis.creditToken.write.mint([alice.account.address, 10n ** 30n], { account: alice.account }));
  await mined(basis.creditToken.write.approve([basis.creditVault.address, 2n ** 255n], { account: alice.account }));
  const indexerEnv = (dir: string) => ({
    BASIS_CHAIN_ID: String(CHAIN_ID),
    [`PONDER_RPC_URL_${CHAIN_ID}`]: node.url,
    BASIS_DEPLOYMENT_FILE: deploymentFile,
    BASIS_INDEXER_DATA_DIR: join(tmp, dir),
  });

  // 1. Deposit → spendable credit.
  console.log("▸ deposit → spendable credit");
  indexer = await startIndexer(indexerEnv("pglite-live"), "bench", await basis.publicClient.getBlockNumber());
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  gateway = await spawnGateway(
    {
      BASIS_CHAIN_ID: String(CHAIN_ID),
      BASIS_DEPLOYMENT_FILE: deploymentFile,
      BASIS_INDEXER_URL: indexer.url,
      BASIS_DATA_DIR: join(tmp, "gateway"),
      BASIS_KEY_PEPPER: "b".repeat(32),
      BASIS_ATTESTER_KEY: KEY_0,
    },
    port,
  );
  const token = await signIn({
    gatewayUrl: url,
    chainId: CHAIN_ID,
    address: depositor.account.address,
    sign: (message) => depositor.signMessage({ account: depositor.account, message }),
  });
  const available = async () => {
    const res = await fetch(`${url}/api/account/credits`, { headers: { authorization: `Bearer ${token}` } });
    return BigInt(((await res.json()) as { available: string }).available);
  };
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const before = await available();
    const amount = BigInt(i + 1) * 10n ** 18n;
    await mined(basis.creditVault.write.deposit([depositor.account.address, amount], { account: alice.account }));
    const minedAt = performance.now();
    while ((await available()) < before + amount) await sleep(5);
    latencies.push(performance.now() - minedAt);
    await sleep(Math.random() * 1_000); // land at a random point of the indexer's and the sync's cycles
  }
  gateway.kill("SIGINT");
  await exited(gateway);
  gateway = undefined;
  await indexer.child.stop("SIGINT");
  indexer = undefined;
  const ms = (v: number) => `${Math.round(v).toLocaleString("en-US")} ms`;
  console.log(
    `  p50 ${ms(percentile(latencies, 50))}, p90 ${ms(percentile(latencies, 90))}, max ${ms(Math.max(...latencies))}`,
  );

  // 2. Many events, then a fresh indexer over all of them.
  console.log(`▸ writing ${EVENTS.toLocaleString("en-US")} deposits to the chain`);
  const generated = performance.now();
  await rpc("evm_setAutomine", [false]);
  const perBlock = 500;
  const accounts = Array.from({ length: 1_000 }, (_, i) => getAddress(`0x${(i + 1).toString(16).padStart(40, "0")}`));
  let id = 0;
  for (let sent = 0; sent < EVENTS; sent += perBlock) {
    const batch = Array.from({ length: Math.min(perBlock, EVENTS - sent) }, (_, j) => ({
      jsonrpc: "2.0",
      id: id++,
      method: "eth_sendTransaction",
      params: [
        {
          from: alice.account.address,
          to: basis.creditVault.address,
          gas: "0x186a0",
          data: encodeFunctionData({
            abi: basis.creditVault.abi,
            functionName: "deposit",
            args: [accounts[(sent + j) % accounts.length] as Address, 1n],
          }),
        },
      ],
    }));
    const answers = (await (
      await fetch(node.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(batch),
      })
    ).json()) as { error?: { message: string } }[];
    const failed = answers.find((a) => a.error);
    if (failed) throw new Error(`eth_sendTransaction: ${failed.error?.message}`);
    await rpc("evm_mine");
    if ((sent / perBlock) % 20 === 0) process.stdout.write(`\r  ${(sent + batch.length).toLocaleString("en-US")} sent`);
  }
  await rpc("evm_setAutomine", [true]);
  const head = await basis.publicClient.getBlockNumber();
  const pending = Number(await rpc("eth_getBlockTransactionCountByNumber", ["pending"]).catch(() => 0));
  const generateSeconds = (performance.now() - generated) / 1000;
  console.log(
    `\r  ${EVENTS.toLocaleString("en-US")} deposits in ${generateSeconds.toFixed(0)} s, head block ${head}, ${pending} pending`,
  );

  console.log("▸ a fresh indexer from the deployment block to the head");
  const started = performance.now();
  indexer = await startIndexer(indexerEnv("pglite-catchup"), "catchup", head, 30 * 60_000);
  const indexSeconds = (performance.now() - started) / 1000;
  const { deposits } = await graphql<{ deposits: { totalCount: number } }>(indexer.url, "{ deposits { totalCount } }");
  const expected = EVENTS + LATENCY_SAMPLES;
  if (deposits.totalCount !== expected)
    throw new Error(`indexed ${deposits.totalCount} deposits, expected ${expected}`);
  console.log(
    `  ${deposits.totalCount.toLocaleString("en-US")} deposits indexed in ${indexSeconds.toFixed(1)} s (startup included)`,
  );

  console.log("▸ the gateway's deposit sync crediting all of them into an empty ledger");
  const db = await openDb({ dataDir: join(tmp, "sync-ledger") });
  const sync = createDepositSync({
    db,
    ledger: createLedger(db),
    source: indexerDepositSource(createIndexerClient(indexer.url, { timeoutMs: 120_000 }), CHAIN_ID),
    chainId: CHAIN_ID,
    confirmations: 1,
    startBlock: BigInt(basis.deployment.contracts.creditVault.startBlock),
  });
  const syncStarted = performance.now();
  // As the gateway's own loop does: a pass that fails (the indexer dropped a connection) is simply run again;
  // what it credited stays credited, once.
  let credited = 0;
  let retries = 0;
  while (credited < expected) {
    try {
      credited += await sync.tick();
      if (credited < expected) await sleep(100);
    } catch (error) {
      if (++retries > 20) throw error;
      console.log(`  a pass failed (${(error as Error).message}); retrying`);
    }
  }
  const syncSeconds = (performance.now() - syncStarted) / 1000;
  await db.close();
  if (credited !== expected) throw new Error(`credited ${credited}, expected ${expected}`);
  console.log(`  ${credited.toLocaleString("en-US")} credited in ${syncSeconds.toFixed(1)} s`);
  await indexer.child.stop("SIGINT");
  indexer = undefined;

  const rate = (n: number, s: number) => Math.round(n / s).toLocaleString("en-US");
  const section = [
    "<!-- chain:start -->",
    "## Chain: deposits, indexer, deposit sync",
    "",
    `Measured by \`npm run bench:chain\` (scripts/bench/chain.ts) on a real \`hardhat node\` with the contracts deployed through`,
    "Ignition, the real indexer (`ponder start`, PGlite) and the real gateway process (PGlite), all on this machine:",
    `${cpus().length} × ${cpus()[0]?.model.trim() ?? "CPU"}, Node ${process.versions.node}.`,
    "",
    "| what | figure | how |",
    "| --- | ---: | --- |",
    `| deposit mined → spendable credit, p50 | ${ms(percentile(latencies, 50))} | ${LATENCY_SAMPLES} deposits at one confirmation; \`available\` polled through \`/api/account/credits\` every 5 ms |`,
    `| deposit mined → spendable credit, p90 / max | ${ms(percentile(latencies, 90))} / ${ms(Math.max(...latencies))} | the indexer polls the node every 250 ms, the gateway's sync runs every 1 s |`,
    `| indexer catch-up | ${rate(expected, indexSeconds)} events/s | ${expected.toLocaleString("en-US")} \`Deposited\` events in ${head} blocks, a fresh indexer from the deployment block to the head in ${indexSeconds.toFixed(1)} s (its ~10 s startup included) |`,
    `| deposit sync catch-up | ${rate(credited, syncSeconds)} credits/s | all ${credited.toLocaleString("en-US")} deposits read from the indexer (pages of 5,000) and credited once each into an empty PGlite ledger in ${syncSeconds.toFixed(1)} s${retries ? ` (${retries} pass${retries > 1 ? "es" : ""} retried after the indexer dropped a connection)` : ""} |`,
    `| writing the events | ${rate(EVENTS, generateSeconds)} tx/s | \`eth_sendTransaction\` in JSON-RPC batches of ${perBlock}, one block each (setup, not a product figure) |`,
    "",
    "<!-- chain:end -->",
  ].join("\n");
  writeFileSync("docs/benchmarks.md", replaceSection(readFileSync("docs/benchmarks.md", "utf8"), "chain", section));
  console.log("wrote the Chain section of docs/benchmarks.md");
} finally {
  if (gateway) {
    gateway.kill("SIGINT");
    await exited(gateway);
  }
  await indexer?.child.stop("SIGINT");
  await node.child.stop();
  rmSync(tmp, { recursive: true, force: true });
}
