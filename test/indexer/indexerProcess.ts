import { join } from "node:path";
import { createIndexerClient } from "../../indexer/client.js";
import { type Child, freePort, hasExited, REPO_ROOT, startNodeScript, waitFor } from "./processes.js";

/**
 * A running indexer (`ponder start`, as `npm run indexer` runs it) and its HTTP origin. Stop it with
 * SIGINT: on SIGTERM, Vite (inside Ponder 0.17.7) exits the process before Ponder releases its lock
 * on the schema, and the next start then waits up to 25 s for the lock to expire.
 */
export type IndexerProcess = {
  url: string;
  child: Child;
  /** From spawning it to having indexed the chain head of the moment it was started. */
  startupMs: number;
};

/** Environment variables an indexer under test must not inherit from the shell running the tests. */
const INHERITED = /^(PORT|DATABASE_URL|DATABASE_PRIVATE_URL|DATABASE_SCHEMA|BASIS_.*|PONDER_.*)$/;

/**
 * Starts the indexer the way `npm run indexer` does (`ponder start` in indexer/) on a free port and
 * waits until /ready answers 200 and /status shows the block that was the chain head at the start.
 * (A chain shorter than Ponder's finality depth, 30 blocks on 31337, is all "live": /ready answers
 * 200 before its first block is indexed.)
 * @param env The indexer settings (BASIS_CHAIN_ID, PONDER_RPC_URL_31337, BASIS_DEPLOYMENT_FILE, …).
 * @param schema The database schema (`--schema`).
 * @param timeoutMs How long to wait for it (a long catch-up needs more than the default).
 */
export async function startIndexer(
  env: Record<string, string>,
  schema: string,
  headBlock: bigint,
  timeoutMs = 60_000,
): Promise<IndexerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !INHERITED.test(name)));
  const started = performance.now();
  // As `npm run indexer`: inside indexer/ (Ponder writes generated/schema.graphql under the working directory).
  const child = startNodeScript(
    join(REPO_ROOT, "node_modules/ponder/dist/esm/bin/ponder.js"),
    ["start", "--schema", schema, "--port", String(port), "--hostname", "127.0.0.1"],
    { env: { ...cleanEnv, ...env }, cwd: join(REPO_ROOT, "indexer") },
  );
  try {
    await waitFor(
      async () => {
        if ((await fetch(`${url}/ready`)).status !== 200) return undefined;
        const { chains } = await createIndexerClient(url).status();
        return chains.some((c) => c.indexedBlock.number >= headBlock) ? true : undefined;
      },
      {
        timeoutMs,
        intervalMs: 50,
        gaveUp: () => hasExited(child),
        describe: () => `the indexer did not become ready:\n${child.output()}`,
      },
    );
  } catch (error) {
    await child.stop("SIGINT");
    throw error;
  }
  return { url, child, startupMs: performance.now() - started };
}
