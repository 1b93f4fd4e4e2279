/**
 * The local Basis network for the dashboard's end-to-end test, the parts `npm start` runs, each a real process on
 * a free port: Hardhat's node with the contracts deployed by Ignition, the indexer (Ponder), the gateway
 * (settling every second, proposing reward roots), the dashboard server; and, once a contributor has a worker
 * token, a worker on the generated tiny model.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTinyModel } from "../../../scripts/model/tinyModel.js";
import { exited, spawnGateway } from "../../gateway/support/gatewayProcess.js";
import { type IndexerProcess, startIndexer } from "../../indexer/indexerProcess.js";
import { deployBasisLocal, type LocalBasis, type LocalNode, startHardhatNode } from "../../indexer/localChain.js";
import { freePort, REPO_ROOT, waitFor } from "../../indexer/processes.js";

/** Hardhat's account #0: every role of the local deployment (settler, proposer, attester). */
export const HARDHAT_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/** Hardhat's account #2: the local contributor's payout wallet. */
export const HARDHAT_KEY_2 = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
/** Hardhat's account #3: the dashboard test's injected browser wallet (funded with ETH by the node, nothing else). */
export const HARDHAT_KEY_3 = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";

/** A process started here, with its output kept for failure messages. */
type Proc = { child: ChildProcess; output(): string };

function spawnTsx(script: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { child, output: () => output };
}

async function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = "SIGTERM") {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited(child);
  clearTimeout(timer);
}

export type LocalNetwork = Awaited<ReturnType<typeof startLocalNetwork>>;

/**
 * Starts the network.
 * @param p.rewardTimelock seconds a reward root waits before it can be accepted.
 */
export async function startLocalNetwork(p: { rewardTimelock: bigint }) {
  const tmp = mkdtempSync(join(tmpdir(), "basis-web-e2e-"));
  const deploymentFile = join(tmp, "deployment.json");
  let node: LocalNode | undefined;
  let indexer: IndexerProcess | undefined;
  let gateway: ChildProcess | undefined;
  let web: Proc | undefined;
  const workers: Proc[] = [];

  const close = async () => {
    for (const w of workers) await stop(w.child);
    await stop(web?.child);
    await stop(gateway);
    await indexer?.child.stop("SIGINT");
    await node?.child.stop();
    rmSync(tmp, { recursive: true, force: true });
  };

  try {
    node = await startHardhatNode();
    const basis: LocalBasis = await deployBasisLocal(node.url, p.rewardTimelock, deploymentFile);
    indexer = await startIndexer(
      {
        BASIS_CHAIN_ID: "31337",
        PONDER_RPC_URL_31337: node.url,
        BASIS_DEPLOYMENT_FILE: deploymentFile,
        BASIS_INDEXER_DATA_DIR: join(tmp, "indexer"),
        BASIS_INDEXER_POLLING_MS: "250",
      },
      "basis_web_e2e",
      await basis.publicClient.getBlockNumber(),
    );

    const gatewayPort = await freePort();
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    gateway = await spawnGateway(
      {
        BASIS_DATA_DIR: join(tmp, "gateway"),
        BASIS_KEY_PEPPER: randomBytes(32).toString("hex"),
        BASIS_ATTESTER_KEY: HARDHAT_KEY_0,
        BASIS_CHAIN_ID: "31337",
        BASIS_DEPLOYMENT_FILE: deploymentFile,
        BASIS_RPC_URL: node.url,
        BASIS_SETTLER_KEY: HARDHAT_KEY_0,
        BASIS_PROPOSER_KEY: HARDHAT_KEY_0,
        BASIS_INDEXER_URL: indexer.url,
        BASIS_SETTLE_INTERVAL_MS: "1000",
        BASIS_PUBLIC_URL: gatewayUrl,
      },
      gatewayPort,
      join(tmp, "gateway.log"),
    );

    const webPort = await freePort();
    const webUrl = `http://127.0.0.1:${webPort}`;
    web = spawnTsx("web/server/main.ts", [], {
      HOST: "127.0.0.1",
      PORT: String(webPort),
      BASIS_GATEWAY_URL: gatewayUrl,
      BASIS_RPC_URL: node.url,
      BASIS_CHAIN_ID: "31337",
      BASIS_DEPLOYMENT_FILE: deploymentFile,
    });
    const server = web;
    await waitFor(async () => ((await fetch(`${webUrl}/config.json`)).ok ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 200,
      gaveUp: () => server.child.exitCode !== null,
      describe: () => `the dashboard server did not start:\n${server.output()}`,
    });

    const modelPath = join(tmp, "tiny.gguf");
    await writeTinyModel(modelPath);

    return {
      basis,
      rpcUrl: node.url,
      gatewayUrl,
      webUrl,
      /** Starts a worker on the tiny model paying `walletKey`, and waits until the gateway lists it ready. */
      async startWorker(token: string, walletKey: string) {
        const worker = spawnTsx(
          "worker/main.ts",
          [
            "--gateway",
            gatewayUrl,
            "--gguf",
            modelPath,
            "--name",
            "rig-1",
            "--concurrency",
            "2",
            "--threads",
            "1",
          ].concat(["--model", "basis-default"]),
          { BASIS_WORKER_TOKEN: token, BASIS_WORKER_KEY: walletKey, LOG_LEVEL: "warn" },
        );
        workers.push(worker);
        await waitFor(
          async () => {
            const listed = (await (await fetch(`${gatewayUrl}/v1/workers`)).json()) as {
              models: { id: string; ready_workers: number }[];
            };
            return listed.models.some((m) => m.ready_workers > 0) ? true : undefined;
          },
          {
            timeoutMs: 60_000,
            intervalMs: 200,
            gaveUp: () => worker.child.exitCode !== null,
            describe: () => `the worker did not become ready:\n${worker.output()}`,
          },
        );
      },
      /** The tails of the processes' output, for a failure message. */
      logs: () =>
        [
          `--- dashboard server\n${web?.output() ?? ""}`,
          ...workers.map((w) => `--- worker\n${w.output()}`),
          `--- gateway\n${existsSync(join(tmp, "gateway.log")) ? readFileSync(join(tmp, "gateway.log"), "utf8").slice(-5_000) : ""}`,
        ].join("\n"),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
