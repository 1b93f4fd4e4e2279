/**
 * Ponder configuration of the Basis indexer (schema, handlers and API live in `indexer/`; Ponder loads
 * this file through the one-line `indexer/ponder.config.ts`).
 *
 * `npm run indexer` runs `ponder start` inside indexer/ on 127.0.0.1:42069 with database schema "basis";
 * override with `npm run indexer -- --port 42070 --schema basis_v2`. It serves GraphQL at / and
 * /graphql, SQL over HTTP at /sql/* (read it with indexer/client.ts), and Ponder's /health, /ready,
 * /status and /metrics. Stop it with SIGINT (Ctrl-C): on SIGTERM, Vite inside Ponder 0.17.7 exits the
 * process before Ponder releases its schema lock, and the next start waits up to 25 s for it (under a
 * process manager, set the stop signal to SIGINT).
 *
 * Environment (validated in indexer/env.ts; a bad value stops the indexer naming the variable):
 *   BASIS_CHAIN_ID            31337 (local node, default) | 84532 (Base Sepolia) | 8453 (Base)
 *   PONDER_RPC_URL_<chainId>  JSON-RPC URL of that chain; falls back to BASIS_RPC_URL, then, for 31337
 *   BASIS_RPC_URL             only, to http://127.0.0.1:8545. Required for Base and Base Sepolia.
 *   BASIS_DEPLOYMENT_FILE     addresses and start blocks (default deployments/<chainId>.json, which
 *                             `npm run deploy` writes)
 *   DATABASE_URL              Postgres connection string; unset: embedded PGlite. With Postgres, pick the
 *                             schema with --schema (npm run indexer -- --schema <name>). Ponder's RPC cache
 *                             (schema ponder_sync) is shared per database and keyed by chain id: give a
 *                             local chain, which restarts empty as 31337 every time, a database of its own.
 *   BASIS_INDEXER_DATA_DIR    PGlite directory (default .basis/indexer/<chainId>-<deployment id>: one
 *                             database per deployment, so a redeployed local chain starts a fresh index)
 *   BASIS_INDEXER_POLLING_MS  how often to poll for new blocks (default 250 locally, 1000 on Base)
 * Read by Ponder itself: PORT (wins over --port), DATABASE_SCHEMA (when --schema is absent),
 * PONDER_LOG_LEVEL.
 */
import { join } from "node:path";
import { createConfig } from "ponder";
import { deploymentFingerprint, loadIndexerDeployment } from "./indexer/deployment.js";
import { parseIndexerEnv, REPO_ROOT } from "./indexer/env.js";
import { creditVaultAbi, rewardDistributorAbi, settlementRegistryAbi } from "./protocol/generated/abis.js";

const env = parseIndexerEnv(process.env);
const deployment = loadIndexerDeployment(env.chainId, env.deploymentFile);
const { creditVault, settlementRegistry, rewardDistributor } = deployment.contracts;
const chain = env.chainName;

export default createConfig({
  database: env.databaseUrl
    ? { kind: "postgres", connectionString: env.databaseUrl }
    : {
        kind: "pglite",
        directory:
          env.dataDir ?? join(REPO_ROOT, ".basis", "indexer", `${env.chainId}-${deploymentFingerprint(deployment)}`),
      },
  chains: {
    [chain]: { id: env.chainId, rpc: env.rpcUrl, pollingInterval: env.pollingIntervalMs },
  },
  contracts: {
    CreditVault: { chain, abi: creditVaultAbi, address: creditVault.address, startBlock: creditVault.startBlock },
    SettlementRegistry: {
      chain,
      abi: settlementRegistryAbi,
      address: settlementRegistry.address,
      startBlock: settlementRegistry.startBlock,
    },
    RewardDistributor: {
      chain,
      abi: rewardDistributorAbi,
      address: rewardDistributor.address,
      startBlock: rewardDistributor.startBlock,
    },
  },
});
