import { randomBytes, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { createSessions } from "../../../gateway/account/sessions.js";
import { createWithdrawals } from "../../../gateway/account/withdrawals.js";
import { createApp } from "../../../gateway/app.js";
import { createApiKeys } from "../../../gateway/auth/apiKeys.js";
import { cachedKeys } from "../../../gateway/auth/keyCache.js";
import { createMemoryRateLimits, type RateLimitSettings } from "../../../gateway/auth/rateLimits.js";
import { createCatalog } from "../../../gateway/catalog.js";
import { EarlyStarts } from "../../../gateway/jobs/earlyStart.js";
import { createIdempotency } from "../../../gateway/ledger/idempotency.js";
import { createLedger } from "../../../gateway/ledger/ledger.js";
import { getTokenizer, type TokenizerName } from "../../../gateway/metering/tokenizer.js";
import { createMetrics } from "../../../gateway/observability/metrics.js";
import { createSignatureWriter } from "../../../gateway/receipts/signatureWriter.js";
import { createReceiptSigner } from "../../../gateway/receipts/signer.js";
import { createReceiptStore } from "../../../gateway/receipts/store.js";
import type { Backend } from "../../../gateway/routing/backend.js";
import { createUpstreamBackend } from "../../../gateway/routing/upstream.js";
import { createBatchStore } from "../../../gateway/settlement/batches.js";
import { createRewarder, createRewardStore } from "../../../gateway/settlement/rewards.js";
import { openDb } from "../../../gateway/store/db.js";
import { createWorkerHub } from "../../../gateway/workers/hub.js";
import type { LinkTimeouts } from "../../../gateway/workers/link.js";
import { createWorkerRecords } from "../../../gateway/workers/records.js";
import { createWorkerRouter } from "../../../gateway/workers/router.js";
import { createWorkerTokens } from "../../../gateway/workers/tokens.js";

/** A real gateway on a loopback port, on an in-memory PGlite (or a fresh schema of `databaseUrl`), optionally proxying an upstream. */
export async function startGateway(
  p: {
    upstreamUrl?: string;
    credits?: bigint;
    rateLimits?: RateLimitSettings;
    databaseUrl?: string;
    queueTimeoutMs?: number;
    /** Settlement batches for this registry (the settler itself is started by the test). */
    settlement?: {
      chainId: number;
      registry: string;
      /** With these, reward roots too (the rewarder is returned; the test drives its rounds). */
      rewards?: { distributor: `0x${string}`; publicClient: unknown; proposer: unknown };
    };
    workerTimeouts?: Partial<LinkTimeouts & { helloMs: number; heartbeatMs: number; tokenCheckMs: number }>;
    /** The attester's key (default: a fresh one); a vault on a real chain trusts only its registry's attester. */
    attesterKey?: Hex;
    /** Withdrawal vouchers for this vault on chain 31337, signed by the gateway's attester. */
    withdrawals?: { vault: `0x${string}`; ttlSeconds?: number };
  } = {},
) {
  const schema = p.databaseUrl ? `gw_${randomBytes(6).toString("hex")}` : undefined;
  const db = await openDb({ databaseUrl: p.databaseUrl, schema });
  const ledger = createLedger(db);
  // `storeKeys` is the database itself (another replica's view); the app verifies through its cache.
  const pepper = randomBytes(32).toString("hex");
  const storeKeys = createApiKeys(db, { pepper });
  const keys = cachedKeys(storeKeys);
  const receipts = createReceiptStore(db);
  const attesterKey = p.attesterKey ?? generatePrivateKey();
  const signatures = createSignatureWriter(createReceiptSigner(attesterKey), receipts);
  const catalog = createCatalog();
  const backends: Backend[] = [];
  const instanceId = randomUUID();
  const upstream = p.upstreamUrl
    ? createUpstreamBackend({ url: p.upstreamUrl, serves: catalog.models.map((m) => m.id), timeoutMs: 10_000 })
    : null;
  if (upstream) backends.push(upstream);
  const workerTokens = createWorkerTokens(db, { pepper });
  const workerRecords = createWorkerRecords(db);
  const hub = createWorkerHub({ tokens: workerTokens, records: workerRecords, timeouts: p.workerTimeouts });
  const batches = p.settlement ? createBatchStore(db, p.settlement) : undefined;
  const r = p.settlement?.rewards;
  const rewarder =
    p.settlement && r
      ? createRewarder({
          rewards: createRewardStore(db, { chainId: p.settlement.chainId, distributor: r.distributor }),
          publicClient: r.publicClient as never,
          walletClient: r.proposer as never,
          distributor: r.distributor,
        })
      : undefined;
  const metrics = createMetrics();
  const app = createApp({
    metrics,
    observeJob: (core) => metrics.job(core),
    rateLimits: p.rateLimits ? createMemoryRateLimits(p.rateLimits) : undefined,
    catalog,
    router: createWorkerRouter(hub, backends, { queueTimeoutMs: p.queueTimeoutMs }),
    workers: { hub, tokens: workerTokens, records: workerRecords },
    settlement: batches ? { batches } : undefined,
    rewards: rewarder,
    withdrawals: p.withdrawals
      ? createWithdrawals(db, {
          chainId: 31337,
          vault: p.withdrawals.vault,
          attesterKey,
          ttlSeconds: p.withdrawals.ttlSeconds ?? 600,
        })
      : undefined,
    ledger,
    receipts,
    keys,
    idempotency: createIdempotency(db, { instanceId }),
    sessions: createSessions(db),
    tokenizer: (name) => getTokenizer(name as TokenizerName),
    signLater: signatures.signLater,
    clock: () => new Date(),
    instanceId,
    // As the gateway runs by default (BASIS_EARLY_START): every test goes through early starts once admitted.
    earlyStarts: new EarlyStarts(),
    newJobId: () => randomBytes(12).toString("base64url"),
    bodyLimitBytes: 64 * 1024,
    launch: { chainId: 31337, contracts: null },
  });
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  server.on("upgrade", hub.upgrade);
  const { port } = server.address() as AddressInfo;
  const account = `0x${randomBytes(20).toString("hex")}` as Hex;
  const { key } = await keys.create({ account, name: "test" });
  if (p.credits) await ledger.credit({ account, amount: p.credits, kind: "operator", ref: `test-${randomUUID()}` });
  return {
    url: `http://127.0.0.1:${port}`,
    baseURL: `http://127.0.0.1:${port}/v1`,
    key,
    account,
    ledger,
    receipts,
    keys,
    storeKeys,
    catalog,
    attester: privateKeyToAddress(attesterKey),
    flushSignatures: () => signatures.flush(),
    hub,
    batches,
    rewarder,
    workerTokens,
    workerRecords,
    backends,
    db,
    async close() {
      await signatures.flush();
      await hub.close();
      (server as import("node:http").Server).closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstream?.close();
      await db.close();
    },
  };
}
