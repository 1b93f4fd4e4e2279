/**
 * `npm start`'s chain across restarts: Hardhat's node behind the journaling proxy, the real contracts
 * deployed through it with Ignition and a real deposit, then the node stopped and a new one started
 * from the journal. The chain must come back block for block (same hashes), its contracts' state with
 * it, and its clock at the current time; a journal that cannot be replayed must start a new chain.
 */
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "mocha";
import { createPublicClient, createWalletClient, type Hex, http, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { depositDemoCredits, type LocalChain, startLocalChain } from "../../scripts/start/chain.js";
import { deployBasisLocal } from "../indexer/localChain.js";

const CREDIT = 10n ** 18n;
/** Hardhat's account #5: signs locally (eth_sendRawTransaction). */
const KEY_5 = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";
const OTHER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";

describe("npm start › the local chain comes back from its journal after a restart", function () {
  this.timeout(240_000);
  let tmp: string;
  let journalFile: string;
  const broken: string[] = [];
  const open: LocalChain[] = [];

  const start = async () => {
    const chain = await startLocalChain({
      port: 0,
      journalFile,
      // A new chain begins a day ago, as if the last start had been yesterday.
      genesisDate: new Date(Math.floor(Date.now() / 1000 - 86_400) * 1000).toISOString(),
      progress: () => {},
      onBroken: (method) => broken.push(method),
    });
    open.push(chain);
    return chain;
  };
  const stop = async (chain: LocalChain) => {
    await chain.stop();
    open.splice(open.indexOf(chain), 1);
  };
  const client = (url: string) => createPublicClient({ chain: hardhat, transport: http(url) });
  const rpc = (url: string, method: string, params: unknown[] = []) =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    }).then((r) => r.json() as Promise<{ result?: unknown; error?: unknown }>);
  const hashes = async (url: string, through: bigint) => {
    const out: Hex[] = [];
    for (let n = 0n; n <= through; n++) out.push((await client(url).getBlock({ blockNumber: n })).hash);
    return out;
  };

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), "basis-chain-journal-"));
    journalFile = join(tmp, "journal.jsonl");
  });
  after(async () => {
    for (const chain of [...open]) await chain.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  let deployment: Awaited<ReturnType<typeof deployBasisLocal>>["deployment"];
  let first: { head: bigint; hashes: Hex[]; outstanding: bigint; balance: bigint; timestamp: bigint };

  it("journals the contracts deployed through Ignition, a deposit, transfers and node calls", async () => {
    const chain = await start();
    assert.equal(chain.resumed, null);
    assert.match(chain.startedOverBecause ?? "", /no chain journal/);
    const basis = await deployBasisLocal(chain.url, 10n, join(tmp, "deployment.json"));
    deployment = basis.deployment;
    assert.equal(await depositDemoCredits(chain.url, deployment, 1_000n * CREDIT), 1_000n * CREDIT);
    const wallet = createWalletClient({
      chain: hardhat,
      transport: http(chain.url),
      account: privateKeyToAccount(KEY_5),
    });
    const sent = await wallet.sendTransaction({ to: OTHER, value: parseEther("1.5") });
    await client(chain.url).waitForTransactionReceipt({ hash: sent });
    // Node calls that change state without a transaction, and the clock moved on by hand.
    assert.equal((await rpc(chain.url, "hardhat_setBalance", [OTHER, "0x3635c9adc5dea00000"])).error, undefined);
    assert.equal((await rpc(chain.url, "evm_increaseTime", [600])).error, undefined);
    assert.equal((await rpc(chain.url, "evm_mine")).error, undefined);

    const head = await client(chain.url).getBlockNumber();
    first = {
      head,
      hashes: await hashes(chain.url, head),
      outstanding: await basis.creditVault.read.outstandingCredit(),
      balance: await client(chain.url).getBalance({ address: OTHER }),
      timestamp: (await client(chain.url).getBlock()).timestamp,
    };
    assert.equal(first.outstanding, 1_000n * CREDIT);
    assert.equal(first.balance, 1_000n * CREDIT);
    await stop(chain);
    assert.deepEqual(broken, []);
  });

  it("replays it into a new node: the same blocks and state, and the clock brought to now", async () => {
    // A record the last run was writing when it died: cut short, never answered, so ignored.
    appendFileSync(journalFile, '{"m":"eth_sendRawTransaction","p":["0x02f8');
    const chain = await start();
    assert.equal(chain.resumed, Number(first.head));
    assert.equal(chain.startedOverBecause, null);
    assert.deepEqual(await hashes(chain.url, first.head), first.hashes);
    const vault = deployment.contracts.creditVault.address;
    const outstanding = await client(chain.url).readContract({
      address: vault,
      abi: [
        {
          type: "function",
          name: "outstandingCredit",
          inputs: [],
          outputs: [{ type: "uint256" }],
          stateMutability: "view",
        },
      ],
      functionName: "outstandingCredit",
    });
    assert.equal(outstanding, first.outstanding);
    assert.equal(await client(chain.url).getBalance({ address: OTHER }), first.balance);
    // The demo's deposit is found on the chain, not made twice.
    assert.equal(await depositDemoCredits(chain.url, deployment, 1_000n * CREDIT), 0n);
    // One empty block at the current time follows the replayed ones (which are from a day ago).
    assert.ok(Number(first.timestamp) < Date.now() / 1000 - 80_000);
    const latest = await client(chain.url).getBlock();
    assert.equal(latest.number, first.head + 1n);
    assert.ok(latest.timestamp > first.timestamp);
    assert.ok(Math.abs(Number(latest.timestamp) - Date.now() / 1000) < 30, "the clock is back at now");

    // It goes on journaling: a transfer now survives the next restart too.
    const wallet = createWalletClient({
      chain: hardhat,
      transport: http(chain.url),
      account: privateKeyToAccount(KEY_5),
    });
    await client(chain.url).waitForTransactionReceipt({
      hash: await wallet.sendTransaction({ to: OTHER, value: 1n }),
    });
    const head = await client(chain.url).getBlockNumber();
    const all = await hashes(chain.url, head);
    await stop(chain);

    const again = await start();
    assert.equal(again.resumed, Number(head));
    assert.deepEqual(await hashes(again.url, head), all);
    assert.equal(await client(again.url).getBalance({ address: OTHER }), first.balance + 1n);
    await stop(again);
  });

  it("starts a new chain when the journal no longer matches the chain it replays", async () => {
    const lines = readFileSync(journalFile, "utf8").trimEnd().split("\n");
    // A block recorded one second later than it was mined: every hash after it differs.
    const at = lines.findIndex((line) => line.includes('"eth_sendRawTransaction"'));
    const entry = JSON.parse(lines[at] as string) as { b: [number, string, number][] };
    (entry.b[0] as [number, string, number])[2] += 1;
    lines[at] = JSON.stringify(entry);
    writeFileSync(journalFile, `${lines.join("\n")}\n`);
    const chain = await start();
    assert.equal(chain.resumed, null);
    assert.match(chain.startedOverBecause ?? "", /did not replay to the same chain/);
    assert.equal(await client(chain.url).getBlockNumber(), 0n);
    // The new chain has a new journal: nothing of the old one is left in it.
    assert.equal(readFileSync(journalFile, "utf8").trimEnd().split("\n").length, 1);
    await stop(chain);
  });

  it("starts a new chain after a call the journal cannot replay (a revert to a snapshot)", async () => {
    const chain = await start();
    const wallet = createWalletClient({
      chain: hardhat,
      transport: http(chain.url),
      account: privateKeyToAccount(KEY_5),
    });
    const snapshot = (await rpc(chain.url, "evm_snapshot")).result;
    await client(chain.url).waitForTransactionReceipt({ hash: await wallet.sendTransaction({ to: OTHER, value: 1n }) });
    assert.equal((await rpc(chain.url, "evm_revert", [snapshot])).result, true);
    assert.deepEqual(broken, ["evm_revert"]);
    await stop(chain);

    const next = await start();
    assert.equal(next.resumed, null);
    assert.match(next.startedOverBecause ?? "", /evm_revert, which cannot be replayed/);
    await stop(next);
  });
});
