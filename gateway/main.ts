/**
 * The gateway process: `npm run gateway`. Reads its settings once (gateway/env.ts), opens the store,
 * releases holds left by a crashed predecessor, and serves the app until SIGINT/SIGTERM.
 */
import { randomUUID } from "node:crypto";
import { serve } from "@hono/node-server";
import pino from "pino";
import { createIndexerClient } from "../indexer/client.js";
import { loadDeployment, loadDeploymentFile } from "../protocol/deployments.js";
import { createSessions } from "./account/sessions.js";
import { createWithdrawals } from "./account/withdrawals.js";
import { createApp } from "./app.js";
import { createApiKeys } from "./auth/apiKeys.js";
import { cachedKeys } from "./auth/keyCache.js";
import { createMemoryRateLimits } from "./auth/rateLimits.js";
import { createCatalog, DEFAULT_PRICES } from "./catalog.js";
import { indexerDepositSource } from "./deposits/indexerSource.js";
import { createDepositSync } from "./deposits/sync.js";
import { parseGatewayEnv } from "./env.js";
import { EarlyStarts } from "./jobs/earlyStart.js";
import { createJobIds } from "./jobs/ids.js";
import { createIdempotency } from "./ledger/idempotency.js";
import { heartbeat, registerInstance, retireInstance } from "./ledger/instances.js";
import { createLedger } from "./ledger/ledger.js";
import { getTokenizer } from "./metering/tokenizer.js";
import { createMetrics } from "./observability/metrics.js";
import { createSignatureWriter } from "./receipts/signatureWriter.js";
import { createReceiptSigner } from "./receipts/signer.js";
import { createReceiptStore } from "./receipts/store.js";
import type { Backend } from "./routing/backend.js";
import { createUpstreamBackend } from "./routing/upstream.js";
import { createBatchStore } from "./settlement/batches.js";
import { createRewarder, createRewardStore, type Rewarder } from "./settlement/rewards.js";
import { createSettler, type Settler } from "./settlement/settler.js";
import { openDb } from "./store/db.js";
import { createWorkerHub } from "./workers/hub.js";
import { createWorkerRecords } from "./workers/records.js";
import { createWorkerRouter } from "./workers/router.js";
import { createWorkerTokens } from "./workers/tokens.js";

const env = parseGatewayEnv();
const log = pino({ level: env.LOG_LEVEL, redact: ["authorization", "*.authorization", "key", "*.key"] });

const db = await openDb(
  env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL, schema: env.DATABASE_SCHEMA } : { dataDir: env.BASIS_DATA_DIR },
);
const instanceId = randomUUID();
const node = `${env.HOST}:${env.PORT}`;
await registerInstance(db, { instanceId, node });
const ledger = createLedger(db);
const reconciled = await ledger.reconcile({ instanceId });
if (reconciled.released > 0) log.warn({ released: reconciled.released }, "released holds left by a stopped gateway");

const catalog = createCatalog(
  {
    promptPrice: env.BASIS_PROMPT_PRICE ?? DEFAULT_PRICES.promptPrice,
    completionPrice: env.BASIS_COMPLETION_PRICE ?? DEFAULT_PRICES.completionPrice,
  },
  BigInt(env.BASIS_REWARD_BPS),
);
const backends: Backend[] = [];
if (env.BASIS_UPSTREAM_URL) {
  backends.push(
    createUpstreamBackend({
      url: env.BASIS_UPSTREAM_URL,
      apiKey: env.BASIS_UPSTREAM_API_KEY,
      models: env.BASIS_UPSTREAM_MODELS,
      serves: catalog.models.map((m) => m.id),
      timeoutMs: env.BASIS_UPSTREAM_TIMEOUT_MS,
    }),
  );
}
const receipts = createReceiptStore(db);
const signer = createReceiptSigner(env.BASIS_ATTESTER_KEY as `0x${string}`);
const signatures = createSignatureWriter(signer, receipts, {
  onError: (error) => log.error({ err: (error as Error).message }, "receipt signature not stored"),
});
const deployment = env.BASIS_DEPLOYMENT_FILE
  ? loadDeploymentFile(env.BASIS_DEPLOYMENT_FILE)
  : loadDeployment(env.BASIS_CHAIN_ID);
if (env.BASIS_DEPLOYMENT_FILE && !deployment) {
  console.error(`Invalid gateway settings:\n  BASIS_DEPLOYMENT_FILE: no such file ${env.BASIS_DEPLOYMENT_FILE}`);
  process.exit(1);
}
if (deployment && deployment.chainId !== env.BASIS_CHAIN_ID) {
  console.error(
    `Invalid gateway settings:\n  BASIS_CHAIN_ID: ${env.BASIS_CHAIN_ID}, but the deployment is on chain ${deployment.chainId}`,
  );
  process.exit(1);
}

const workerTokens = createWorkerTokens(db, { pepper: env.BASIS_KEY_PEPPER });
const workerRecords = createWorkerRecords(db);
const hub = createWorkerHub({
  tokens: workerTokens,
  records: workerRecords,
  logger: log,
  timeouts: { firstTokenMs: env.BASIS_WORKER_FIRST_TOKEN_TIMEOUT_MS, stallMs: env.BASIS_WORKER_STALL_TIMEOUT_MS },
});

// Settlement: on when the chain, the settler key and the deployment are all known.
const batches = deployment
  ? createBatchStore(db, { chainId: env.BASIS_CHAIN_ID, registry: deployment.contracts.settlementRegistry.address })
  : undefined;
let settler: Settler | null = null;
let rewarder: Rewarder | null = null;
if (batches && deployment && env.BASIS_RPC_URL && env.BASIS_SETTLER_KEY) {
  const { createPublicClient, createWalletClient, http, defineChain } = await import("viem");
  const { privateKeyToAccount } = await import("viem/accounts");
  const chain = defineChain({
    id: env.BASIS_CHAIN_ID,
    name: `chain ${env.BASIS_CHAIN_ID}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [env.BASIS_RPC_URL] } },
  });
  const transport = http(env.BASIS_RPC_URL, { retryCount: 2, timeout: 20_000 });
  const publicUrl = env.BASIS_PUBLIC_URL ?? `http://${env.HOST}:${env.PORT}`;
  settler = createSettler({
    batches,
    publicClient: createPublicClient({ chain, transport, pollingInterval: 250 }) as never,
    walletClient: createWalletClient({
      chain,
      transport,
      account: privateKeyToAccount(env.BASIS_SETTLER_KEY as `0x${string}`),
    }),
    registry: deployment.contracts.settlementRegistry.address,
    batchesUrl: `${publicUrl.replace(/\/$/, "")}/api/settlement/batches`,
    maxReceipts: env.BASIS_SETTLE_MAX_RECEIPTS,
    intervalMs: env.BASIS_SETTLE_INTERVAL_MS,
    onError: (error) => log.warn({ err: error.message }, "settlement round failed; retrying with backoff"),
    onSettled: (b) => log.info({ batchId: b.batchId, receipts: b.receiptCount, tx: b.txHash }, "batch settled"),
  });
  if (env.BASIS_PROPOSER_KEY) {
    rewarder = createRewarder({
      rewards: createRewardStore(db, {
        chainId: env.BASIS_CHAIN_ID,
        distributor: deployment.contracts.rewardDistributor.address,
      }),
      publicClient: createPublicClient({ chain, transport }) as never,
      walletClient: createWalletClient({
        chain,
        transport,
        account: privateKeyToAccount(env.BASIS_PROPOSER_KEY as `0x${string}`),
      }),
      distributor: deployment.contracts.rewardDistributor.address,
      onDropped: (root, pending) =>
        log.error(
          { throughBatch: root.throughBatch, root: root.root, pending },
          "reward root left the pending slot unaccepted (revoked or superseded); the next batch brings a new one",
        ),
    });
  }
}
/** Reward roots follow settlement: one step (propose, or accept after the timelock) per settle interval. */
let rewarding = false;
const rewardTimer = rewarder
  ? setInterval(() => {
      if (rewarding || !rewarder) return;
      rewarding = true;
      rewarder
        .round()
        .then((r) => r && log.info({ root: r.root, status: r.status, throughBatch: r.throughBatch }, "reward root"))
        .catch((error: Error) => log.warn({ err: error.message }, "reward root step failed; retrying"))
        .finally(() => {
          rewarding = false;
        });
    }, env.BASIS_SETTLE_INTERVAL_MS)
  : null;

// Deposits: on when the indexer and the deployment are known; credits each confirmed deposit once.
const deposits =
  env.BASIS_INDEXER_URL && deployment
    ? createDepositSync({
        db,
        ledger,
        source: indexerDepositSource(createIndexerClient(env.BASIS_INDEXER_URL), env.BASIS_CHAIN_ID),
        chainId: env.BASIS_CHAIN_ID,
        confirmations: env.BASIS_DEPOSIT_CONFIRMATIONS,
        startBlock: BigInt(deployment.contracts.creditVault.startBlock),
        onWithdrawal: ({ outcome, withdrawal, chain }) => {
          const fields = { outcome, id: withdrawal?.id, account: withdrawal?.account ?? chain?.account };
          if (outcome === "withdrawn" || outcome === "expired") log.info(fields, "withdrawal voucher closed");
          else
            log.error({ ...fields, nonce: chain?.nonce.toString(), tx: chain?.txHash }, "unexpected Withdrawn event");
        },
      })
    : null;
deposits?.start(1_000, (error) => log.warn({ err: error.message }, "deposit sync failed; retrying"));

const metrics = createMetrics();
const app = createApp({
  logger: log,
  metrics,
  observeJob: (core) => metrics.job(core),
  rateLimits: createMemoryRateLimits({
    requestsPerMinute: env.BASIS_RATE_LIMIT_RPM,
    tokensPerMinute: env.BASIS_RATE_LIMIT_TPM,
  }),
  ready: async () => (await db.query("SELECT 1 AS ok")).length === 1,
  catalog,
  router: createWorkerRouter(hub, backends, { queueTimeoutMs: env.BASIS_WORKER_QUEUE_TIMEOUT_MS }),
  workers: { hub, tokens: workerTokens, records: workerRecords },
  settlement: batches ? { batches } : undefined,
  rewards: rewarder ?? undefined,
  deposits: deposits ?? undefined,
  withdrawals: deployment
    ? createWithdrawals(db, {
        chainId: env.BASIS_CHAIN_ID,
        vault: deployment.contracts.creditVault.address,
        attesterKey: env.BASIS_ATTESTER_KEY as `0x${string}`,
        ttlSeconds: env.BASIS_VOUCHER_TTL_SECONDS,
      })
    : undefined,
  ledger,
  receipts,
  keys: cachedKeys(createApiKeys(db, { pepper: env.BASIS_KEY_PEPPER })),
  idempotency: createIdempotency(db, { instanceId }),
  sessions: createSessions(db),
  tokenizer: (name) => getTokenizer(name as "o200k_base"),
  signLater: signatures.signLater,
  clock: () => new Date(),
  instanceId,
  earlyStarts: env.BASIS_EARLY_START ? new EarlyStarts() : undefined,
  newJobId: createJobIds(),
  bodyLimitBytes: env.BASIS_BODY_LIMIT_BYTES,
  launch: {
    chainId: env.BASIS_CHAIN_ID,
    contracts: deployment
      ? Object.fromEntries(Object.entries(deployment.contracts).map(([name, c]) => [name, c.address]))
      : null,
  },
  onUnexpectedError: (error, requestId) => log.error({ requestId, err: (error as Error).stack }, "unexpected error"),
});

const beat = setInterval(() => {
  heartbeat(db, instanceId)
    .then(() => ledger.reconcile({ instanceId }))
    .catch((error: unknown) => log.error({ err: (error as Error).message }, "heartbeat failed"));
}, 5_000);
beat.unref();

const server = serve({ fetch: app.fetch, hostname: env.HOST, port: env.PORT }, (info) => {
  log.info(
    {
      url: `http://${info.address}:${info.port}`,
      mode: backends.length ? "proxy" : "pending",
      attester: signer.address,
    },
    "gateway listening",
  );
});

server.on("upgrade", hub.upgrade);
settler?.start();

async function shutdown(signal: string) {
  log.info({ signal }, "stopping");
  clearInterval(beat);
  // Stop accepting, let running requests finish (up to 10 s), then store the last signatures.
  const drained = new Promise<void>((resolve) => server.close(() => resolve()));
  (server as import("node:http").Server).closeIdleConnections();
  await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  await hub.close().catch(() => {});
  await settler?.stop();
  deposits?.stop();
  if (rewardTimer) clearInterval(rewardTimer);
  await signatures.flush().catch(() => {});
  await retireInstance(db, instanceId).catch(() => {});
  await db.close();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
