/**
 * The on-chain part of `npm start`: Hardhat's node behind the journaling proxy, resumed from its journal
 * when it can be, and the demo wallet's credits deposited into the vault, for real.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createPublicClient, createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import type { Deployment } from "../../protocol/deployments.js";
import { creditVaultAbi, devCreditTokenAbi } from "../../protocol/generated/abis.js";
import { freePort } from "../lib/freePort.js";
import { JOURNAL_FILE, type JournalContents, JournalWriter, readJournal } from "./chainJournal.js";
import { type ChainProxy, type NodeRpc, nodeRpc, startChainProxy } from "./chainProxy.js";
import { replayJournal } from "./chainReplay.js";

/** Hardhat's well-known dev account #1: the demo wallet (DEMO_ACCOUNT). */
export const DEMO_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" as const;
/** Hardhat's account #0: the local deployer, which holds the settler role. */
export const LOCAL_SETTLER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" as const;

/**
 * Mints dev credit tokens to the demo wallet and deposits them into the vault for the demo account
 * (approve + deposit), once per chain: skipped when the vault already holds the demo's deposit.
 * @returns the amount deposited now (0 when it was already there).
 */
export async function depositDemoCredits(rpcUrl: string, deployment: Deployment, amount: bigint): Promise<bigint> {
  const transport = http(rpcUrl);
  const account = privateKeyToAccount(DEMO_KEY);
  const publicClient = createPublicClient({ chain: hardhat, transport });
  const wallet = createWalletClient({ chain: hardhat, transport, account });
  const vault = deployment.contracts.creditVault.address;
  const token = deployment.contracts.creditToken.address;
  const deposited = await publicClient.getContractEvents({
    address: vault,
    abi: creditVaultAbi,
    eventName: "Deposited",
    args: { account: account.address },
    fromBlock: 0n,
  });
  if (deposited.length > 0) return 0n;
  for (const request of [
    { address: token, abi: devCreditTokenAbi, functionName: "mint", args: [account.address, amount] },
    { address: token, abi: devCreditTokenAbi, functionName: "approve", args: [vault, amount] },
    { address: vault, abi: creditVaultAbi, functionName: "deposit", args: [account.address, amount] },
  ] as const) {
    const hash = await wallet.writeContract(request as never);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${request.functionName} reverted (${hash})`);
  }
  return amount;
}

export type LocalChain = {
  /** The proxy's URL: what every part uses. */
  url: string;
  /** Blocks brought back from the journal, or null when the chain started empty. */
  resumed: number | null;
  /** Why the chain started empty (null when it was resumed). */
  startedOverBecause: string | null;
  /** Stops the proxy and then the node. */
  stop(): Promise<void>;
  /** Called when the node exits on its own, with its last error output. */
  onExit(listener: (code: number | null, errors: string) => void): void;
};

/** A digest of what decides the deployed contracts: a journal of other contracts is not replayed. */
export function contractsDigest(): string {
  const hash = createHash("sha256");
  for (const dir of ["contracts", "ignition/modules"]) {
    const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => /\.(sol|ts)$/.test(f));
    for (const file of files.sort())
      hash
        .update(`${dir}/${file}\0`)
        .update(readFileSync(join(dir, file)))
        .update("\0");
  }
  return hash.digest("hex");
}

/** The genesis time of a new chain: now, to the second (the block header keeps seconds). */
const genesisNow = () => new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();

/** Starts `hardhat node` on a private port with the given genesis time; resolves once it answers. */
async function startNode(genesisDate: string): Promise<{ child: ChildProcess; rpc: NodeRpc; errors: () => string }> {
  const port = await freePort();
  const child = spawn("npx", ["hardhat", "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    env: { ...process.env, BASIS_CHAIN_GENESIS_DATE: genesisDate },
    stdio: ["ignore", "ignore", "pipe"],
    // Its own process group: stopping it stops npx's child too.
    detached: true,
  });
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-4000);
  });
  const rpc = nodeRpc(`http://127.0.0.1:${port}`);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited with ${child.exitCode}: ${errors.trim()}`);
    const chainId = await rpc.call<string>("eth_chainId").catch(() => undefined);
    if (chainId !== undefined) {
      if (Number(chainId) !== hardhat.id) throw new Error(`expected chain id ${hardhat.id}, got ${Number(chainId)}`);
      return { child, rpc, errors: () => errors };
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  stopGroup(child);
  throw new Error("hardhat node did not answer within 60 s");
}

function stopGroup(child: ChildProcess) {
  if (child.exitCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGINT");
  } catch {
    child.kill("SIGINT");
  }
}

/**
 * Starts the local chain behind the journaling proxy on 127.0.0.1:`port`. When `.basis/chain/journal.jsonl`
 * holds a chain of these contracts, it is replayed first, and the clock is brought to now with one empty
 * block; otherwise the chain starts empty with a new journal.
 */
export async function startLocalChain(p: {
  /** The proxy's port (0: any free one). */
  port: number;
  progress: (message: string) => void;
  onBroken: (method: string) => void;
  journalFile?: string;
  /** The genesis time of a new chain (ISO 8601; default now). */
  genesisDate?: string;
}): Promise<LocalChain> {
  const journalFile = p.journalFile ?? JOURNAL_FILE;
  const digest = contractsDigest();
  const journal = readJournal(journalFile);
  let startedOverBecause: string | null = null;
  if (!journal) startedOverBecause = "there is no chain journal yet";
  else if (journal.broken) startedOverBecause = `the last chain received ${journal.broken}, which cannot be replayed`;
  else if (journal.header.chainId !== hardhat.id) startedOverBecause = "the journal is of another chain";
  else if (journal.header.contracts !== digest) startedOverBecause = "the contracts changed since the last chain";

  let node = await startNode(
    journal && !startedOverBecause ? journal.header.genesisDate : (p.genesisDate ?? genesisNow()),
  );
  let resumed: JournalContents | null = null;
  if (journal && !startedOverBecause) {
    p.progress(`replaying the chain journal (${journal.entries.length} calls)`);
    const result = await replayJournal(node.rpc, journal, (done, total) => p.progress(`replayed ${done}/${total}`));
    if (result.ok) resumed = journal;
    else {
      startedOverBecause = `the journal did not replay to the same chain (${result.reason})`;
      stopGroup(node.child);
      await node.rpc.close();
      node = await startNode(p.genesisDate ?? genesisNow());
    }
  }

  let writer: JournalWriter;
  if (resumed) writer = JournalWriter.reopen(resumed, journalFile);
  else {
    rmSync(journalFile, { force: true });
    const genesis = await node.rpc.call<{ hash: string; timestamp: string }>("eth_getBlockByNumber", ["0x0", false]);
    writer = JournalWriter.create(
      {
        basisChainJournal: 1,
        chainId: hardhat.id,
        genesisDate: new Date(Number(genesis.timestamp) * 1000).toISOString(),
        genesisHash: genesis.hash,
        contracts: digest,
      },
      journalFile,
    );
  }
  const proxy: ChainProxy = await startChainProxy({
    port: p.port,
    nodeUrl: node.rpc.url,
    journal: writer,
    onBroken: p.onBroken,
  });
  const head = await node.rpc.head();
  if (resumed) {
    // The replayed blocks carry their old times and the node's clock follows the last one: one empty block
    // at the current time brings it back to now (journaled like any other).
    const last = await node.rpc.call<{ timestamp: string }>("eth_getBlockByNumber", ["latest", false]);
    const now = Math.max(Math.floor(Date.now() / 1000), Number(last.timestamp) + 1);
    await fetch(proxy.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "evm_mine", params: [now] }),
    });
  }
  const exitListeners: ((code: number | null, errors: string) => void)[] = [];
  let stopping = false;
  node.child.on("exit", (code) => {
    if (!stopping) for (const listener of exitListeners) listener(code, node.errors());
  });
  return {
    url: proxy.url,
    resumed: resumed ? head : null,
    startedOverBecause,
    onExit: (listener) => exitListeners.push(listener),
    async stop() {
      stopping = true;
      await proxy.close();
      writer.close();
      await node.rpc.close();
      stopGroup(node.child);
    },
  };
}
