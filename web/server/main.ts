/**
 * The dashboard process: `npm run web`. Reads its settings once (web/server/env.ts), builds the dashboard when
 * `web/dist` is missing or stale, and serves it with its runtime config and the proxies until SIGINT/SIGTERM.
 */
import { serve } from "@hono/node-server";
import { loadIndexerDeployment } from "../../indexer/deployment.js";
import { createWebApp } from "./app.js";
import { DIST_DIR, ensureBuilt } from "./build.js";
import { parseWebEnv, type WebEnv } from "./env.js";

function settings(): WebEnv {
  try {
    return parseWebEnv(process.env);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
}

const env = settings();
let deployment: ReturnType<typeof loadIndexerDeployment>;
try {
  deployment = loadIndexerDeployment(env.chainId, env.deploymentFile);
} catch (error) {
  console.error(`Invalid dashboard settings:\n  BASIS_DEPLOYMENT_FILE: ${(error as Error).message}`);
  process.exit(2);
}

const started = Date.now();
if (await ensureBuilt(env.build)) console.log(`built the dashboard into ${DIST_DIR} in ${Date.now() - started} ms`);

const { creditToken, creditVault, settlementRegistry, rewardDistributor } = deployment.contracts;
const app = createWebApp({
  distDir: DIST_DIR,
  gatewayUrl: env.gatewayUrl,
  rpcUrl: env.rpcUrl,
  config: {
    chainId: env.chainId,
    rpcUrl: "/rpc",
    gatewayUrl: env.publicGatewayUrl,
    contracts: {
      creditToken: creditToken.address,
      creditVault: creditVault.address,
      settlementRegistry: settlementRegistry.address,
      rewardDistributor: rewardDistributor.address,
    },
    // Ignition's BasisLocal deploys the dev token (anyone may mint) only on the local chain.
    devToken: env.chainId === 31337,
  },
});

const server = serve({ fetch: app.fetch, hostname: env.host, port: env.port }, (info) => {
  console.log(`dashboard http://${env.host}:${info.port} (gateway ${env.gatewayUrl}, chain ${env.chainId})`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2_000).unref();
  });
}
