/**
 * The wallet commands a depositor or contributor runs without the web app (`npm run deposit`,
 * `withdraw`, `claim`), each run as its own process against a real `hardhat node` with the contracts
 * deployed through Ignition and a real gateway on a port (settling, proposing reward roots, issuing
 * withdrawal vouchers signed by the registry's attester). The gateway's deposit sync reads the vault's
 * events straight from the node here (the indexer's part is covered by test/indexer).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "mocha";
import OpenAI from "openai";
import { type Address, getAddress } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { createDepositSync, type DepositSource } from "../../gateway/deposits/sync.js";
import { createSettler } from "../../gateway/settlement/settler.js";
import { startGateway } from "../gateway/support/startGateway.js";
import { deployBasisLocal, type LocalBasis, type LocalNode, startHardhatNode } from "../indexer/localChain.js";
import { rawWorker } from "../worker/support/rawWorker.js";
import { contributor } from "../worker/support/workerProcess.js";

const CREDIT = 10n ** 18n;
const REWARD_TIMELOCK = 10n;
/** Hardhat's account #0 (every role of the local deployment, the attester included) and #5 (a depositor). */
const KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const KEY_5 = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";
const DEPOSITOR = privateKeyToAddress(KEY_5);

type Run = { code: number; stdout: string; stderr: string };

describe("wallet commands › deposit, withdraw and claim as processes against a real chain and gateway", function () {
  this.timeout(180_000);
  let tmp: string;
  let node: LocalNode;
  let basis: LocalBasis;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let sync: ReturnType<typeof createDepositSync>;

  /** Runs `scripts/<name>.ts` with the chain's flags; resolves with its exit code and output. */
  const cli = (name: string, args: string[], env: Record<string, string> = {}) =>
    new Promise<Run>((resolve) => {
      execFile(
        process.execPath,
        ["--import", "tsx", `scripts/${name}.ts`, ...args],
        {
          env: { ...process.env, BASIS_RPC_URL: node.url, BASIS_DEPLOYMENT_FILE: join(tmp, "deployment.json"), ...env },
        },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });

  const rpc = (method: string, params: unknown[] = []) => basis.connection.provider.request({ method, params });
  const tokens = (who: Address) => basis.creditToken.read.balanceOf([who]);

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "basis-wallet-cli-"));
    node = await startHardhatNode();
    basis = await deployBasisLocal(node.url, REWARD_TIMELOCK, join(tmp, "deployment.json"));
    const [roles] = basis.wallets;
    assert.ok(roles);
    gateway = await startGateway({
      credits: 100n * CREDIT,
      attesterKey: KEY_0,
      withdrawals: { vault: basis.creditVault.address },
      settlement: {
        chainId: 31337,
        registry: basis.settlementRegistry.address,
        rewards: { distributor: basis.rewardDistributor.address, publicClient: basis.publicClient, proposer: roles },
      },
    });
    const vault = { address: basis.creditVault.address, abi: basis.creditVault.abi } as const;
    // The deposit sync on the vault's real events (what the indexer would report), confirmations 1.
    let known: { number: bigint; timestamp: bigint } | null = null;
    const source: DepositSource = {
      async head() {
        const block = await basis.publicClient.getBlock();
        known = { number: block.number, timestamp: block.timestamp };
        return block.number;
      },
      async deposits({ fromBlock, toBlock }) {
        const logs = await basis.publicClient.getContractEvents({
          ...vault,
          eventName: "Deposited",
          fromBlock: fromBlock + 1n,
          toBlock,
        });
        return logs.map((l) => ({
          chainId: 31337,
          txHash: l.transactionHash,
          logIndex: l.logIndex,
          account: l.args.account as Address,
          amount: l.args.amount as bigint,
          blockNumber: l.blockNumber,
        }));
      },
      async withdrawals({ fromBlock, toBlock }) {
        const logs = await basis.publicClient.getContractEvents({
          ...vault,
          eventName: "Withdrawn",
          fromBlock: fromBlock + 1n,
          toBlock,
        });
        return logs.map((l) => ({
          chainId: 31337,
          txHash: l.transactionHash,
          logIndex: l.logIndex,
          account: l.args.account as Address,
          nonce: l.args.nonce as bigint,
          amount: l.args.amount as bigint,
          blockNumber: l.blockNumber,
        }));
      },
      async blockAtOrBelow(block) {
        return known && known.number <= block ? known : null;
      },
    };
    sync = createDepositSync({
      db: gateway.db,
      ledger: gateway.ledger,
      source,
      chainId: 31337,
      confirmations: 1,
      startBlock: BigInt(basis.deployment.contracts.creditVault.startBlock),
    });
  });
  after(async () => {
    await gateway?.close();
    await node?.child.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("deposit: mints (local), approves and deposits; the gateway credits it once; bad input exits 2", async () => {
    const run = await cli("deposit", ["25", "--mint"], { BASIS_WALLET_KEY: KEY_5 });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`deposited 25\\.?0* credits for ${DEPOSITOR}`, "i"));
    assert.equal(await basis.creditVault.read.outstandingCredit(), 25n * CREDIT);
    assert.equal(await sync.tick(), 1);
    assert.equal(await sync.tick(), 0, "credited once");
    assert.equal((await gateway.ledger.balance(DEPOSITOR)).deposited, 25n * CREDIT);

    const bad = await cli("deposit", ["lots"], { BASIS_WALLET_KEY: KEY_5 });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /usage: npm run deposit/);
    const noKey = await cli("deposit", ["1"], { BASIS_WALLET_KEY: "" });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /--key \(BASIS_WALLET_KEY\)/);
    const poor = await cli("deposit", ["1000000"], { BASIS_WALLET_KEY: KEY_5 });
    assert.equal(poor.code, 1);
    assert.match(poor.stderr, /less than 1000000/);
  });

  it("withdraw: signs in, gets a voucher and the vault pays it; the ledger books it withdrawn; too much exits 1", async () => {
    const before = await tokens(DEPOSITOR);
    const run = await cli("withdraw", ["10", "--gateway", gateway.url], { BASIS_WALLET_KEY: KEY_5 });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /withdrew 10 credits/);
    assert.equal((await tokens(DEPOSITOR)) - before, 10n * CREDIT, "the wallet got the tokens back");
    assert.equal((await gateway.ledger.balance(DEPOSITOR)).withdrawing, 10n * CREDIT, "held until the chain says");
    await sync.tick();
    const b = await gateway.ledger.balance(DEPOSITOR);
    assert.deepEqual([b.available, b.withdrawing, b.withdrawn], [15n * CREDIT, 0n, 10n * CREDIT]);

    const tooMuch = await cli("withdraw", ["16", "--gateway", gateway.url], { BASIS_WALLET_KEY: KEY_5 });
    assert.equal(tooMuch.code, 1);
    assert.match(tooMuch.stderr, /402: Cannot withdraw .* 15000000000000000000 can be withdrawn/);
    const noGateway = await cli("withdraw", ["1"], { BASIS_WALLET_KEY: KEY_5 });
    assert.equal(noGateway.code, 2);
    assert.match(noGateway.stderr, /--gateway/);
  });

  it("claim: pays a contributor exactly what its accepted root adds, then finds nothing more", async () => {
    // The API account's usage must be backed in the vault: settled batches pay out of it.
    const [roles] = basis.wallets;
    assert.ok(roles);
    await basis.creditToken.write.mint([roles.account.address, 100n * CREDIT], { account: roles.account });
    await basis.creditToken.write.approve([basis.creditVault.address, 100n * CREDIT], { account: roles.account });
    await basis.creditVault.write.deposit([gateway.account, 100n * CREDIT], { account: roles.account });

    const who = await contributor(gateway);
    const worker = await rawWorker(gateway.url, { token: who.token, signer: who.key });
    await worker.next("welcome");
    void (async () => {
      while (true) {
        const job = await worker.next("job", 600_000).catch(() => null);
        if (!job) return;
        worker.send({ t: "delta", id: job.id, d: [{ i: 0, text: "three honest words", finish: "stop" }] });
        worker.send({ t: "usage", id: job.id, promptTokens: 5, completionTokens: 3 });
        worker.send({ t: "done", id: job.id });
      }
    })();
    try {
      const client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.key, maxRetries: 0 });
      for (let i = 0; i < 3; i++) {
        await client.chat.completions.create({
          model: "basis-default",
          max_tokens: 8,
          messages: [{ role: "user", content: `job ${i}` }],
        });
      }
      await gateway.flushSignatures();
      const settler = createSettler({
        batches: gateway.batches as NonNullable<typeof gateway.batches>,
        publicClient: basis.publicClient as never,
        walletClient: roles as never,
        registry: getAddress(basis.settlementRegistry.address),
        batchesUrl: `${gateway.url}/api/settlement/batches`,
        maxReceipts: 100,
        intervalMs: 50,
      });
      while (await settler.settleOnce());
      const rewarder = gateway.rewarder as NonNullable<typeof gateway.rewarder>;
      assert.equal((await rewarder.round())?.status, "proposed");
      await rpc("evm_increaseTime", [Number(REWARD_TIMELOCK) + 1]);
      await rpc("evm_mine");
      assert.equal((await rewarder.round())?.status, "accepted");
      const status = (await (await fetch(`${gateway.url}/api/rewards/${who.address}`)).json()) as { claimable: string };
      const claimable = BigInt(status.claimable);
      assert.ok(claimable > 0n);

      // Anyone may send the claim; the tokens go to the contributor.
      const before = await tokens(getAddress(who.address));
      const run = await cli("claim", ["--gateway", gateway.url, "--for", who.address], { BASIS_WALLET_KEY: KEY_5 });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /claimed .* credits for/);
      assert.equal((await tokens(getAddress(who.address))) - before, claimable, "exactly the claimable amount");
      const again = await cli("claim", ["--gateway", gateway.url, "--for", who.address], { BASIS_WALLET_KEY: KEY_5 });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /nothing to claim/);
      assert.equal((await tokens(getAddress(who.address))) - before, claimable, "a second run pays nothing");
      const badFor = await cli("claim", ["--gateway", gateway.url, "--for", "0x1234"], { BASIS_WALLET_KEY: KEY_5 });
      assert.equal(badFor.code, 2);
      assert.match(badFor.stderr, /--for: 0x1234 is not an address/);
    } finally {
      worker.close();
    }
  });

  it("refuses a deployment on another chain than --chain-id", async () => {
    const run = await cli("deposit", ["1", "--chain-id", "8453"], { BASIS_WALLET_KEY: KEY_5 });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /the deployment is on chain 31337, not 8453/i);
  });
});
