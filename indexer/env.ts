import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** The chains the indexer knows, by id: the Hardhat/anvil dev node, Base Sepolia, Base. */
export const INDEXER_CHAINS = {
  31337: { name: "localhost", defaultRpc: "http://127.0.0.1:8545", pollingIntervalMs: 250 },
  84532: { name: "baseSepolia", defaultRpc: undefined, pollingIntervalMs: 1_000 },
  8453: { name: "base", defaultRpc: undefined, pollingIntervalMs: 1_000 },
} as const;

/** Id of a chain the indexer supports. */
export type IndexerChainId = keyof typeof INDEXER_CHAINS;

/** Name of a supported chain, as Ponder reports it in `/status`. */
export type IndexerChainName = (typeof INDEXER_CHAINS)[IndexerChainId]["name"];

/** Repository root (this file lives in `indexer/`). */
export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

const chainId = z.coerce
  .number()
  .int()
  .refine((id): id is IndexerChainId => id in INDEXER_CHAINS, {
    message: `expected one of ${Object.keys(INDEXER_CHAINS).join(", ")}`,
  });

const url = z.url({ protocol: /^(https?|wss?)$/, error: "expected an http(s):// or ws(s):// URL" });
const postgresUrl = z.url({ protocol: /^postgres(ql)?$/, error: "expected a postgres:// or postgresql:// URL" });
const emptyAsUndefined = (value: unknown) => (value === "" ? undefined : value);

/** What ponder.config.ts reads from the environment (see the list at the top of ponder.config.ts). */
const indexerEnvSchema = z.object({
  BASIS_CHAIN_ID: z.preprocess(emptyAsUndefined, chainId.default(31337)),
  BASIS_RPC_URL: z.preprocess(emptyAsUndefined, url.optional()),
  BASIS_DEPLOYMENT_FILE: z.preprocess(emptyAsUndefined, z.string().optional()),
  DATABASE_URL: z.preprocess(emptyAsUndefined, postgresUrl.optional()),
  BASIS_INDEXER_DATA_DIR: z.preprocess(emptyAsUndefined, z.string().optional()),
  BASIS_INDEXER_POLLING_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(50).optional()),
});

/** Validated indexer settings. */
export type IndexerEnv = {
  chainId: IndexerChainId;
  chainName: IndexerChainName;
  /** JSON-RPC endpoint of the chain. */
  rpcUrl: string;
  pollingIntervalMs: number;
  /** Explicit deployment file (absolute; a relative one is taken from where npm was run), or undefined for `deployments/<chainId>.json`. */
  deploymentFile: string | undefined;
  /** Postgres connection string, or undefined for embedded PGlite. */
  databaseUrl: string | undefined;
  /** Explicit PGlite directory (absolute), or undefined for the per-deployment default. */
  dataDir: string | undefined;
};

/**
 * Parses the indexer settings.
 * @param source Usually `process.env`.
 * @throws An error naming every bad or missing variable.
 */
export function parseIndexerEnv(source: Record<string, string | undefined>): IndexerEnv {
  const parsed = indexerEnvSchema.safeParse(source);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new Error(`Invalid indexer settings:\n${issues}`);
  }
  const env = parsed.data;
  const chain = INDEXER_CHAINS[env.BASIS_CHAIN_ID];
  const perChainVar = `PONDER_RPC_URL_${env.BASIS_CHAIN_ID}`;
  const perChain = url.optional().safeParse(emptyAsUndefined(source[perChainVar]));
  if (!perChain.success)
    throw new Error(`Invalid indexer settings:\n  ${perChainVar}: ${perChain.error.issues[0]?.message}`);
  const rpcUrl = perChain.data ?? env.BASIS_RPC_URL ?? chain.defaultRpc;
  if (!rpcUrl) {
    throw new Error(
      `Invalid indexer settings:\n  ${perChainVar} or BASIS_RPC_URL: required for chain ${env.BASIS_CHAIN_ID} (${chain.name})`,
    );
  }
  // `npm run indexer` runs Ponder inside indexer/; relative paths mean where npm was started.
  const base = source.INIT_CWD ?? process.cwd();
  const absolute = (path: string | undefined) => (path === undefined ? undefined : resolve(base, path));
  return {
    chainId: env.BASIS_CHAIN_ID,
    chainName: chain.name,
    rpcUrl,
    pollingIntervalMs: env.BASIS_INDEXER_POLLING_MS ?? chain.pollingIntervalMs,
    deploymentFile: absolute(env.BASIS_DEPLOYMENT_FILE),
    databaseUrl: env.DATABASE_URL,
    dataDir: absolute(env.BASIS_INDEXER_DATA_DIR),
  };
}
