import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { after, before, describe, it } from "mocha";
import { createWebApp } from "../../web/server/app.js";
import { parseWebEnv } from "../../web/server/env.js";
import type { RuntimeConfig } from "../../web/src/config/runtimeConfig.js";

const config: RuntimeConfig = {
  chainId: 31337,
  rpcUrl: "/rpc",
  gatewayUrl: "http://127.0.0.1:8787",
  contracts: {
    creditToken: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    creditVault: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    settlementRegistry: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
    rewardDistributor: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  },
  devToken: true,
};

/** An upstream that answers what it received: method, path, Host and body. */
async function echoServer() {
  const app = new Hono();
  app.all("*", async (c) =>
    c.json({
      method: c.req.method,
      path: c.req.path,
      query: c.req.query(),
      host: c.req.header("host"),
      cookie: c.req.header("cookie"),
      authorization: c.req.header("authorization"),
      body: await c.req.text(),
    }),
  );
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("dashboard › server", () => {
  let dist: string;
  let gateway: Awaited<ReturnType<typeof echoServer>>;
  let rpc: Awaited<ReturnType<typeof echoServer>>;
  let app: ReturnType<typeof createWebApp>;

  before(async () => {
    dist = mkdtempSync(join(tmpdir(), "basis-web-dist-"));
    mkdirSync(join(dist, "assets"));
    writeFileSync(join(dist, "index.html"), "<!doctype html><title>Basis</title>");
    writeFileSync(join(dist, "assets", "app-abc123.js"), "console.log(1)");
    gateway = await echoServer();
    rpc = await echoServer();
    app = createWebApp({ config, distDir: dist, gatewayUrl: gateway.url, rpcUrl: `${rpc.url}/v2/secret-key` });
  });
  after(async () => {
    await gateway.close();
    await rpc.close();
    rmSync(dist, { recursive: true, force: true });
  });

  describe("GET /config.json", () => {
    it("answers the runtime config, never cached", async () => {
      const res = await app.request("http://dash.example/config.json");
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.deepEqual(await res.json(), config);
    });
  });

  describe("the app", () => {
    it("serves hashed assets as immutable", async () => {
      const res = await app.request("http://dash.example/assets/app-abc123.js");
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "console.log(1)");
      assert.match(res.headers.get("cache-control") ?? "", /immutable/);
    });
    it("answers index.html for any other path (a single-page app)", async () => {
      for (const path of ["/", "/credits", "/some/deep/link"]) {
        const res = await app.request(`http://dash.example${path}`);
        assert.equal(res.status, 200, path);
        assert.match(await res.text(), /<title>Basis<\/title>/);
      }
    });
  });

  describe("the gateway proxy", () => {
    it("relays /api and /v1 with their path, query and body, keeping the dashboard's Host for sign-in", async () => {
      const res = await app.request("http://dash.example:5173/api/auth/verify?x=1", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "m", signature: "0x" }),
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        method: "POST",
        path: "/api/auth/verify",
        query: { x: "1" },
        host: "dash.example:5173",
        body: '{"message":"m","signature":"0x"}',
      });
      const models = (await (await app.request("http://dash.example/v1/models")).json()) as { path: string };
      assert.equal(models.path, "/v1/models");
    });
    it("answers 502 in the OpenAI error envelope when the gateway is unreachable", async () => {
      const down = createWebApp({ config, distDir: dist, gatewayUrl: "http://127.0.0.1:1", rpcUrl: rpc.url });
      const res = await down.request("http://dash.example/api/settlement/batches");
      assert.equal(res.status, 502);
      const body = (await res.json()) as { error: { code: string; type: string } };
      assert.equal(body.error.code, "upstream_unreachable");
      assert.equal(body.error.type, "server_error");
    });
  });

  describe("POST /rpc", () => {
    it("relays JSON-RPC to the configured URL itself (its path and key stay on the server), with the RPC's Host", async () => {
      const call = '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}';
      const res = await app.request("http://dash.example/rpc", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: call,
      });
      const echoed = (await res.json()) as { path: string; host: string; body: string };
      assert.equal(echoed.path, "/v2/secret-key");
      assert.equal(echoed.host, new URL(rpc.url).host);
      assert.equal(echoed.body, call);
    });
    it("relays only reads on a public chain (the RPC key is no open relay), everything on the local chain", async () => {
      const base = createWebApp({
        config: { ...config, chainId: 8453 },
        distDir: dist,
        gatewayUrl: gateway.url,
        rpcUrl: rpc.url,
      });
      const post = (target: ReturnType<typeof createWebApp>, body: unknown) =>
        target.request("http://dash.example/rpc", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const read = { jsonrpc: "2.0", id: 1, method: "eth_call", params: [] };
      const send = { jsonrpc: "2.0", id: 7, method: "eth_sendTransaction", params: [] };
      assert.equal(((await (await post(base, [read, read])).json()) as { path: string }).path, "/");
      const refused = (await (await post(base, [read, send])).json()) as { id: number; error: { code: number } };
      assert.equal(refused.id, 7);
      assert.equal(refused.error.code, -32601);
      assert.equal(((await (await post(app, send)).json()) as { path: string }).path, "/v2/secret-key");
      const garbage = await base.request("http://dash.example/rpc", { method: "POST", body: "{not json" });
      assert.equal(((await garbage.json()) as { error: { code: number } }).error.code, -32700);
    });
    it("does not pass the page's cookies or credentials to the RPC", async () => {
      const res = await app.request("http://dash.example/rpc", {
        method: "POST",
        headers: { "content-type": "application/json", cookie: "session=1", authorization: "Bearer x" },
        body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}',
      });
      const echoed = (await res.json()) as { cookie?: string; authorization?: string };
      assert.equal(echoed.cookie, undefined);
      assert.equal(echoed.authorization, undefined);
    });
    it("refuses a body over 256 KiB", async () => {
      const res = await app.request("http://dash.example/rpc", {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(300 * 1024) },
        body: "x".repeat(300 * 1024),
      });
      assert.equal(res.status, 413);
    });
  });

  describe("#parseWebEnv", () => {
    it("defaults to the local network", () => {
      const env = parseWebEnv({});
      assert.equal(env.port, 5173);
      assert.equal(env.host, "127.0.0.1");
      assert.equal(env.chainId, 31337);
      assert.equal(env.gatewayUrl, "http://127.0.0.1:8787");
      assert.equal(env.publicGatewayUrl, "http://127.0.0.1:8787");
      assert.equal(env.rpcUrl, "http://127.0.0.1:8545");
      assert.equal(env.deploymentFile, undefined);
    });
    it("takes Base and Base Sepolia", () => {
      assert.equal(parseWebEnv({ BASIS_CHAIN_ID: "8453" }).chainId, 8453);
      assert.equal(parseWebEnv({ BASIS_CHAIN_ID: "84532" }).chainId, 84532);
    });
    it("names every bad variable, never its value", () => {
      assert.throws(
        () => parseWebEnv({ BASIS_CHAIN_ID: "1", BASIS_RPC_URL: "ftp://secret-key@x", PORT: "99999" }),
        (error: Error) =>
          /BASIS_CHAIN_ID/.test(error.message) &&
          /BASIS_RPC_URL/.test(error.message) &&
          /PORT/.test(error.message) &&
          !error.message.includes("secret-key"),
      );
    });
    it("resolves a relative deployment file from where npm was run", () => {
      assert.equal(
        parseWebEnv({ BASIS_DEPLOYMENT_FILE: "d/1.json", INIT_CWD: "/srv/basis" }).deploymentFile,
        "/srv/basis/d/1.json",
      );
    });
  });
});
