/** The indexer part of `npm start`: Ponder on PGlite under `.basis/indexer`, following the local chain. */
import { type ChildProcess, spawn } from "node:child_process";

export const INDEXER_PORT = 42069;
export const INDEXER_URL = `http://127.0.0.1:${INDEXER_PORT}`;

/** Starts the indexer and resolves once it is ready (it has caught up with the chain). */
export async function startIndexer(rpcUrl: string): Promise<ChildProcess> {
  const child = spawn("npm", ["run", "--silent", "indexer", "--", "--port", String(INDEXER_PORT)], {
    env: {
      ...(process.env as Record<string, string>),
      BASIS_CHAIN_ID: "31337",
      BASIS_RPC_URL: rpcUrl,
      PONDER_LOG_LEVEL: process.env.PONDER_LOG_LEVEL ?? "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
    // Its own process group: Ctrl-C (SIGINT) reaches Ponder, which then releases its schema lock.
    detached: true,
  });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the indexer exited with ${child.exitCode}`);
    const ready = await fetch(`${INDEXER_URL}/ready`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) return child;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (child.pid !== undefined) process.kill(-child.pid, "SIGINT");
  throw new Error(`the indexer did not become ready on ${INDEXER_URL} within 120 s`);
}
