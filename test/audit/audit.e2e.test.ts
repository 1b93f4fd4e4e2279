// biome-ignore-all lint/suspicious/noExplicitAny: JSON reports are read field by field in assertions
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import canonicalize from "canonicalize";
import { after, before, describe, it } from "mocha";
import OpenAI from "openai";
import { createPublicClient, createWalletClient, getAddress, type Hex, http } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { createSettler } from "../../gateway/settlement/settler.js";
import type { BatchFile } from "../../protocol/batchFile.js";
import { type OpenAIUpstream, startOpenAIUpstream } from "../../scripts/dev/openaiUpstream.js";
import { startGateway } from "../gateway/support/startGateway.js";
import { startIndexer } from "../indexer/indexerProcess.js";
import { deployBasisLocal, type LocalBasis, type LocalNode, startHardhatNode } from "../indexer/localChain.js";
import { REPO_ROOT } from "../indexer/processes.js";
import { rawWorker } from "../worker/support/rawWorker.js";
import { contributor } from "../worker/support/workerProcess.js";

const CREDIT = 10n ** 18n;
/** Hardhat's account #0: every role of the local deployment (admin, settler, proposer, first attester). */
const HARDHAT_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs `npm run audit -- …` as the auditor would (scripts/audit.ts on the tests' Node, through tsx). */
function audit(args: string[]): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("BASIS_")));
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/audit.ts", ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) =>
    child.once("close", (code) => {
      if (process.env.BASIS_TEST_VERBOSE) console.log(`$ audit ${args.join(" ")} → ${code}\n${stderr}${stdout}`);
      resolve({ code, stdout, stderr });
    }),
  );
}

/**
 * The gateway as a dishonest host would serve it: every request passed through, batch files rewritten
 * by `tamper` (keyed by batch id) and re-encoded as canonical JSON.
 */
async function tamperingProxy(target: string, tamper: Map<number, (file: BatchFile) => void>) {
  const server: Server = createServer(async (req, res) => {
    const answer = await fetch(`${target}${req.url}`);
    let body = await answer.text();
    const id = /^\/api\/settlement\/batches\/(\d+)\/file$/.exec(req.url ?? "")?.[1];
    const edit = id ? tamper.get(Number(id)) : undefined;
    if (edit && answer.ok) {
      const file = JSON.parse(body) as BatchFile;
      edit(file);
      body = canonicalize(file) as string;
    }
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The auditor's tool against a real network: a Hardhat node with the contracts deployed by Ignition, a
 * gateway serving jobs (from its upstream and from a contributor's worker) that settles them in batches
 * and proposes reward roots, and `npm run audit` run as a process against it, honest and tampered.
 */
describe("audit › recomputes the published batches and reward roots and matches them with the chain", function () {
  this.timeout(120_000);
  let tmp: string;
  let node: LocalNode;
  let basis: LocalBasis;
  let upstream: OpenAIUpstream;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let worker: Awaited<ReturnType<typeof rawWorker>>;
  let client: OpenAI;
  let deploymentFile: string;
  let settle: () => Promise<void>;
  let round: () => Promise<unknown>;
  const served: string[] = [];

  const chain = () => ["--rpc", node.url, "--deployment", deploymentFile];
  const job = async (content: string) => {
    const answer = await client.chat.completions.create({
      model: "basis-default",
      max_tokens: 8,
      messages: [{ role: "user", content }],
    });
    const lookup = (await fetch(`${gateway.url}/api/inference/receipts/${answer.id}`).then((r) => r.json())) as any;
    served.push(lookup.receipt.hash);
    return lookup.receipt.hash as Hex;
  };
  const file = async (batchId: number) =>
    (await fetch(`${gateway.url}/api/settlement/batches/${batchId}/file`).then((r) => r.json())) as BatchFile;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "basis-audit-"));
    deploymentFile = join(tmp, "deployment.json");
    node = await startHardhatNode();
    // Timelock 0 for the first reward root (accepted at once); raised below for a root left pending.
    basis = await deployBasisLocal(node.url, 0n, deploymentFile);
    const roles = privateKeyToAccount(HARDHAT_KEY_0);
    const transport = http(node.url);
    const publicClient = createPublicClient({ chain: hardhat, transport, pollingInterval: 50 });
    const walletClient = createWalletClient({ chain: hardhat, transport, account: roles, pollingInterval: 50 });
    const registry = getAddress(basis.settlementRegistry.address);
    const distributor = getAddress(basis.rewardDistributor.address);
    upstream = await startOpenAIUpstream();
    gateway = await startGateway({
      upstreamUrl: upstream.url,
      credits: 100n * CREDIT,
      settlement: { chainId: 31337, registry, rewards: { distributor, publicClient, proposer: walletClient } },
    });
    client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.key, maxRetries: 0 });
    // The gateway signs with its own key: the admin registers it as the attester (a rotation the audit follows).
    await basis.settlementRegistry.write.setAttester([gateway.attester], { account: roles.address });
    // The charges a batch pays out must be backed by deposits in the vault.
    await basis.creditToken.write.mint([roles.address, 100n * CREDIT], { account: roles.address });
    await basis.creditToken.write.approve([basis.creditVault.address, 100n * CREDIT], { account: roles.address });
    await basis.creditVault.write.deposit([gateway.account, 100n * CREDIT], { account: roles.address });
    const settler = createSettler({
      batches: gateway.batches as NonNullable<typeof gateway.batches>,
      publicClient: publicClient as any,
      walletClient: walletClient as any,
      registry,
      batchesUrl: `${gateway.url}/api/settlement/batches`,
      maxReceipts: 2,
      intervalMs: 50,
    });
    settle = async () => {
      await gateway.flushSignatures();
      while (await settler.settleOnce());
    };
    const rewarder = gateway.rewarder as NonNullable<typeof gateway.rewarder>;
    round = () => rewarder.round();

    // Two jobs served by the gateway's upstream (reward 0), then two by a contributor's worker.
    await job("one");
    await job("two");
    const who = await contributor(gateway);
    worker = await rawWorker(gateway.url, { token: who.token, signer: who.key });
    await worker.next("welcome");
    void (async () => {
      while (true) {
        const next = await worker.next("job", 600_000).catch(() => null);
        if (!next) return;
        worker.send({ t: "delta", id: next.id, d: [{ i: 0, text: "three honest words", finish: "stop" }] });
        worker.send({ t: "usage", id: next.id, promptTokens: 5, completionTokens: 3 });
        worker.send({ t: "done", id: next.id });
      }
    })();
    await job("three");
    await job("four");
    await settle(); // batches 1 and 2
    assert.equal(((await round()) as any)?.status, "proposed", "reward root #1");
    assert.equal(((await round()) as any)?.status, "accepted", "reward root #1, its timelock 0");
    await basis.rewardDistributor.write.setTimelock([3_600n], { account: roles.address });
    await job("five");
    await job("six");
    await settle(); // batch 3
    await round(); // root #2 proposed, pending for an hour
    assert.equal(await basis.settlementRegistry.read.latestBatchId(), 3n);
  });

  after(async () => {
    worker?.close();
    await gateway?.close();
    await upstream?.close();
    await node?.child.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("passes on the honest network: every batch, receipt, the chain head and both reward roots (exit 0, JSON report)", async () => {
    const run = await audit(["--gateway", gateway.url, ...chain(), "--json"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const report = JSON.parse(run.stdout);
    assert.equal(report.ok, true);
    assert.equal(report.firstMismatch, null);
    assert.deepEqual(
      [report.batches.onChain, report.batches.checked, report.receipts.checked],
      [3, 3, 6],
      "3 batches of 2 receipts",
    );
    assert.equal(report.chainHead.ok, true);
    assert.equal(report.chainHead.onChain, await basis.settlementRegistry.read.chainHead());
    assert.equal(report.attesters.length, 2, "the deployer, then the gateway's key");
    assert.equal(report.attesters[1].address, gateway.attester);
    assert.deepEqual(
      report.rewardRoots.roots.map((r: any) => [r.index, r.status, r.throughBatch, r.rootMatches, r.fileHashMatches]),
      [
        [1, "accepted", 2, true, true],
        [2, "pending", 3, true, true],
      ],
    );
    assert.deepEqual(report.contributors, { checked: 1, ok: true });
    const charged = (await Promise.all([1, 2, 3].map(file))).reduce((s, f) => s + BigInt(f.totalCharged), 0n);
    assert.equal(report.receipts.totalCharged, charged.toString());
  });

  it("prints a human report, and with --from-batch checks only the later batches", async () => {
    const run = await audit(["--gateway", gateway.url, ...chain(), "--from-batch", "2"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /batches\s+2 checked of 3 on-chain \(2–3\)/);
    assert.match(run.stdout, /receipts\s+4 checked/);
    assert.match(run.stdout, /reward roots not checked/);
    assert.match(run.stdout, /^OK: /m);
  });

  it("fails naming the batch and the receipt when a published batch file's receipt was altered (exit 1)", async () => {
    const victim = (await file(2)).receipts[1]?.hash as Hex;
    const proxy = await tamperingProxy(
      gateway.url,
      new Map([
        [
          2,
          (f: BatchFile) => {
            const r = f.receipts[1];
            if (r) r.core = { ...r.core, jobId: `${r.core.jobId}-forged` };
          },
        ],
      ]),
    );
    try {
      const run = await audit(["--gateway", proxy.url, ...chain(), "--json"]);
      assert.equal(run.code, 1, run.stderr + run.stdout);
      const report = JSON.parse(run.stdout);
      assert.equal(report.ok, false);
      assert.match(
        report.firstMismatch,
        new RegExp(`^batch 2: receipt ${victim} hash mismatch: core hashes to 0x[0-9a-f]{64}$`),
      );
      assert.deepEqual([report.mismatches[0].batchId, report.mismatches[0].receipt], [2, victim]);
      assert.ok(report.mismatches.some((m: any) => m.code === "file_hash" && m.batchId === 2));
      assert.ok(
        report.mismatches.every((m: any) => m.batchId === 2 || m.code.startsWith("reward")),
        "only batch 2 is wrong",
      );
      assert.match(run.stderr, new RegExp(`audit: batch 2: receipt ${victim} hash mismatch`));
    } finally {
      await proxy.close();
    }
  });

  it("fails naming the receipt whose signature is not the attester's (exit 1)", async () => {
    const victim = (await file(3)).receipts[0]?.hash as Hex;
    const forger = privateKeyToAccount(generatePrivateKey());
    const forged = await forger.signMessage({ message: { raw: victim } });
    const proxy = await tamperingProxy(
      gateway.url,
      new Map([
        [
          3,
          (f: BatchFile) => {
            if (f.receipts[0]) f.receipts[0].signature = forged;
          },
        ],
      ]),
    );
    try {
      const run = await audit(["--gateway", proxy.url, ...chain()]);
      assert.equal(run.code, 1, run.stderr + run.stdout);
      assert.match(
        run.stderr,
        new RegExp(
          `audit: batch 3: receipt ${victim}: signer ${forger.address} is not the attester ${gateway.attester}`,
        ),
      );
      assert.match(run.stdout, /^MISMATCH: /m);
    } finally {
      await proxy.close();
    }
  });

  it("proves a settled receipt's inclusion against the on-chain root (exit 0)", async () => {
    const hash = served[3] as Hex;
    const run = await audit(["receipt", hash, "--gateway", gateway.url, ...chain(), "--json"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const report = JSON.parse(run.stdout);
    assert.equal(report.batchId, 2);
    assert.equal(report.root, await basis.settlementRegistry.read.batchRoot([2n]));
    assert.deepEqual([report.included, report.verifiedByRegistry, report.inBatchFile], [true, true, true]);
    assert.equal(report.signer, gateway.attester);
  });

  it("fails for an unknown receipt and for one not settled yet (exit 1)", async () => {
    const unknown = `0x${"ab".repeat(32)}`;
    const run = await audit(["receipt", unknown, "--gateway", gateway.url, ...chain()]);
    assert.equal(run.code, 1, run.stderr + run.stdout);
    assert.match(run.stderr, new RegExp(`receipt ${unknown}: unknown to the gateway`));
    const pending = await job("seven");
    await gateway.flushSignatures();
    const unsettled = await audit(["receipt", pending, "--gateway", gateway.url, ...chain()]);
    assert.equal(unsettled.code, 1, unsettled.stderr + unsettled.stdout);
    assert.match(unsettled.stderr, /not settled \(status recorded\)/);
  });

  it("exits 2 naming a bad flag, and 3 when the chain cannot be read", async () => {
    const run = await audit(["--gateway", "not a url", ...chain(), "--from-batch", "0"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--gateway \(BASIS_GATEWAY_URL\): expected/);
    assert.match(run.stderr, /--from-batch: /);
    const noDeployment = await audit([
      "--gateway",
      gateway.url,
      "--rpc",
      node.url,
      "--deployment",
      join(tmp, "none.json"),
    ]);
    assert.equal(noDeployment.code, 2);
    assert.match(noDeployment.stderr, /--deployment \(BASIS_DEPLOYMENT_FILE\): no /);
    const down = await audit(["--gateway", gateway.url, "--rpc", "http://127.0.0.1:9", "--deployment", deploymentFile]);
    assert.equal(down.code, 3, down.stderr);
    assert.match(down.stderr, /audit could not run: could not read the chain id from http:\/\/127\.0\.0\.1:9/);
  });

  it("reads the chain through the indexer instead of JSON-RPC, to the same verdict", async function () {
    this.timeout(90_000);
    const indexer = await startIndexer(
      {
        BASIS_CHAIN_ID: "31337",
        PONDER_RPC_URL_31337: node.url,
        BASIS_DEPLOYMENT_FILE: deploymentFile,
        BASIS_INDEXER_DATA_DIR: join(tmp, "indexer"),
      },
      "basis_audit",
      await basis.publicClient.getBlockNumber(),
    );
    try {
      const via = ["--gateway", gateway.url, "--indexer", indexer.url, "--deployment", deploymentFile, "--json"];
      const run = await audit(via);
      assert.equal(run.code, 0, run.stderr + run.stdout);
      const report = JSON.parse(run.stdout);
      assert.deepEqual(
        [report.source, report.batches.checked, report.receipts.checked, report.chainHead.ok],
        ["indexer", 3, 6, true],
      );
      assert.deepEqual(
        report.rewardRoots.roots.map((r: any) => [r.status, r.throughBatch]),
        [
          ["accepted", 2],
          ["pending", 3],
        ],
      );
      const receipt = await audit(["receipt", served[0] as Hex, ...via]);
      assert.equal(receipt.code, 0, receipt.stderr + receipt.stdout);
      const proven = JSON.parse(receipt.stdout);
      assert.deepEqual([proven.batchId, proven.included, proven.verifiedByRegistry], [1, true, null]);
    } finally {
      await indexer.child.stop("SIGINT");
    }
  });

  it("fails on a reward root that no settled receipts add up to (exit 1)", async () => {
    // The proposer posts a root of its own making: it replaces the pending one.
    const forged = `0x${"77".repeat(32)}` as Hex;
    await basis.rewardDistributor.write.proposeRoot([forged, `0x${"00".repeat(32)}`], {
      account: privateKeyToAccount(HARDHAT_KEY_0).address,
    });
    const run = await audit(["--gateway", gateway.url, ...chain(), "--json"]);
    assert.equal(run.code, 1, run.stderr + run.stdout);
    const report = JSON.parse(run.stdout);
    assert.match(report.firstMismatch, new RegExp(`^reward root #3 \\(pending, ${forged}\\): differs from recomputed`));
    assert.deepEqual(
      report.rewardRoots.roots.map((r: any) => r.status),
      ["accepted", "superseded", "pending"],
    );
  });
});
