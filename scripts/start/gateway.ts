/** The gateway part of `npm start`: local secrets, a demo account with credits and a key, the process. */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { privateKeyToAddress } from "viem/accounts";
import { createApiKeys } from "../../gateway/auth/apiKeys.js";
import { openDb } from "../../gateway/store/db.js";
import { createWorkerTokens } from "../../gateway/workers/tokens.js";
import { DEMO_KEY, LOCAL_SETTLER_KEY } from "./chain.js";

/** Hardhat's dev account #0, the local deployer, is registered as attester (and settler); #1 is the demo wallet. */
const LOCAL_ATTESTER_KEY = LOCAL_SETTLER_KEY;
export const DEMO_ACCOUNT = privateKeyToAddress(DEMO_KEY);

/** Where the gateway keeps its embedded database; all local state lives under `.basis/`. */
export const GATEWAY_DATA_DIR = ".basis/gateway";
const SECRETS_FILE = ".basis/secrets.json";

type LocalSecrets = { pepper: string; demoKey?: string; workerToken?: string };

/** The local pepper, made once and kept (API keys stay valid across restarts), and the demo's key and token. */
function localSecrets(): LocalSecrets {
  if (existsSync(SECRETS_FILE)) return JSON.parse(readFileSync(SECRETS_FILE, "utf8")) as LocalSecrets;
  const secrets = { pepper: randomBytes(32).toString("hex") };
  saveSecrets(secrets);
  return secrets;
}

function saveSecrets(secrets: LocalSecrets) {
  mkdirSync(".basis", { recursive: true });
  writeFileSync(SECRETS_FILE, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
}

/**
 * The demo API key and the local contributor's worker token: those of the last start while the gateway's
 * store still knows them (it was kept with the chain), new ones otherwise. Runs before the gateway starts:
 * embedded PGlite has one owner at a time.
 */
export async function prepareDemoAccount(
  contributor: string,
): Promise<{ key: string; pepper: string; workerToken: string; reused: boolean }> {
  const secrets = localSecrets();
  const { pepper } = secrets;
  const db = await openDb({ dataDir: GATEWAY_DATA_DIR });
  try {
    const keys = createApiKeys(db, { pepper });
    const tokens = createWorkerTokens(db, { pepper });
    const kept = secrets.demoKey ? await keys.verify(secrets.demoKey) : null;
    const keptToken = secrets.workerToken ? await tokens.verify(secrets.workerToken) : null;
    if (kept && keptToken && secrets.demoKey && secrets.workerToken) {
      return { key: secrets.demoKey, pepper, workerToken: secrets.workerToken, reused: true };
    }
    const name = `npm start ${new Date().toISOString()}`;
    const { key } = await keys.create({ account: DEMO_ACCOUNT, name });
    const { token } = await tokens.create({ account: contributor as `0x${string}`, name });
    saveSecrets({ pepper, demoKey: key, workerToken: token });
    return { key, pepper, workerToken: token, reused: false };
  } finally {
    await db.close();
  }
}

/** Starts the gateway process on `port` and resolves once it is ready. */
export async function startGateway(p: {
  port: number;
  pepper: string;
  upstreamUrl?: string;
  /** The local chain: the gateway settles receipts there every few seconds (the deployer settles and proposes). */
  rpcUrl: string;
  settlerKey: string;
  /** The indexer: the demo's on-chain deposit reaches the ledger through it. */
  indexerUrl: string;
}): Promise<ChildProcess> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: String(p.port),
    HOST: "127.0.0.1",
    BASIS_DATA_DIR: GATEWAY_DATA_DIR,
    BASIS_KEY_PEPPER: p.pepper,
    BASIS_ATTESTER_KEY: LOCAL_ATTESTER_KEY,
    BASIS_CHAIN_ID: "31337",
    BASIS_RPC_URL: p.rpcUrl,
    BASIS_SETTLER_KEY: p.settlerKey,
    BASIS_PROPOSER_KEY: p.settlerKey,
    BASIS_INDEXER_URL: p.indexerUrl,
    BASIS_SETTLE_INTERVAL_MS: process.env.BASIS_SETTLE_INTERVAL_MS ?? "5000",
    BASIS_PUBLIC_URL: `http://127.0.0.1:${p.port}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
  };
  if (p.upstreamUrl) env.BASIS_UPSTREAM_URL = p.upstreamUrl;
  // Its own process group, so that stopping it stops npx's child too.
  const child = spawn("npx", ["tsx", "gateway/main.ts"], {
    env,
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}`);
    const ready = await fetch(`http://127.0.0.1:${p.port}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) return child;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
  throw new Error(`the gateway did not answer on port ${p.port} within 60 s`);
}

/** The local attester's address (what the local SettlementRegistry registers). */
export const LOCAL_ATTESTER = privateKeyToAddress(LOCAL_ATTESTER_KEY);
