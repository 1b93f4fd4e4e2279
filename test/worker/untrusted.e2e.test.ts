// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
import assert from "node:assert/strict";
import { after, before, describe, it } from "mocha";
import OpenAI from "openai";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { getTokenizer } from "../../gateway/metering/tokenizer.js";
import { CLOSE, MAX_FRAME_BYTES } from "../../protocol/worker.js";
import { signIn } from "../../scripts/wallet/signIn.js";
import { startGateway } from "../gateway/support/startGateway.js";
import { rawWorker } from "./support/rawWorker.js";
import { contributor, spawnWorker } from "./support/workerProcess.js";

const tokenizer = getTokenizer("o200k_base");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
type Raw = Awaited<ReturnType<typeof rawWorker>>;

/** Serves every job it receives with `words`, its usage and `done`, as an honest worker would. */
async function serveHonestly(raw: Raw, words: string[], reportedTokens = words.length) {
  while (true) {
    const job = await raw.next("job", 120_000).catch(() => null);
    if (!job) return;
    raw.send({ t: "delta", id: job.id, d: words.map((w, k) => ({ i: 0, text: k === 0 ? w : ` ${w}` })) });
    raw.send({ t: "delta", id: job.id, d: [{ i: 0, text: "", finish: "stop" }] });
    raw.send({ t: "usage", id: job.id, promptTokens: 3, completionTokens: reportedTokens });
    raw.send({ t: "done", id: job.id });
  }
}

describe("workers › untrusted workers and the wallet proof", function () {
  this.timeout(60_000);
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let client: OpenAI;

  before(async () => {
    gateway = await startGateway({ credits: 10n ** 20n, workerTimeouts: { stallMs: 800, firstTokenMs: 5_000 } });
    client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.key, maxRetries: 0 });
  });
  after(() => gateway.close());

  const chat = (content: string, extra: Record<string, unknown> = {}) =>
    client.chat.completions.create({
      model: "basis-default",
      max_tokens: 64,
      messages: [{ role: "user", content }],
      ...extra,
    } as any) as Promise<any>;

  it("refuses a token of another wallet, a signature by another key and an unknown token", async () => {
    const a = await contributor(gateway);
    const otherKey = generatePrivateKey();
    const wrongWallet = await rawWorker(gateway.url, { token: a.token, signer: otherKey });
    assert.equal((await wrongWallet.next("refused"))?.code, "wallet_mismatch");
    assert.equal((await wrongWallet.waitClosed()).code, CLOSE.refused);

    const forged = await rawWorker(gateway.url, { token: a.token, signer: otherKey, address: a.address });
    assert.equal((await forged.next("refused"))?.code, "invalid_signature");

    const unknown = await rawWorker(gateway.url, { token: `wk-basis-${"A".repeat(43)}`, signer: a.key });
    assert.equal((await unknown.next("refused"))?.code, "invalid_token");
    assert.equal(gateway.hub.links().length, 0);
  });

  it("a worker process given another wallet's key stops with the gateway's reason", async () => {
    const a = await contributor(gateway);
    const w = await spawnWorker(
      gateway,
      { token: a.token, key: generatePrivateKey() },
      ["--engine", "openai", "--engine-url", "http://127.0.0.1:9/v1", "--model", "basis-default"],
      { waitReady: false },
    );
    const code = await new Promise<number | null>((resolve) => w.child.once("exit", (c) => resolve(c)));
    assert.equal(code, 1);
    assert.match(w.output(), /wallet_mismatch/);
    assert.doesNotMatch(w.output(), /wk-basis-/, "the token never appears in the worker's output");
  });

  it("a worker token made through the account endpoints connects a worker; revoking it drops the worker at once", async () => {
    const walletKey = generatePrivateKey();
    const wallet = privateKeyToAccount(walletKey);
    const api = async (path: string, init: RequestInit & { session?: string } = {}) => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (init.session) headers.authorization = `Bearer ${init.session}`;
      const res = await fetch(`${gateway.url}/api${path}`, { ...init, headers });
      return { status: res.status, body: (await res.json()) as any };
    };
    const session = {
      token: await signIn({
        gatewayUrl: gateway.url,
        chainId: 31337,
        address: wallet.address,
        sign: (message) => wallet.signMessage({ message }),
      }),
    };
    const created = await api("/account/worker-tokens", {
      method: "POST",
      session: session.token,
      body: JSON.stringify({ name: "rig-1" }),
    });
    assert.equal(created.status, 201);
    assert.match(created.body.token, /^wk-basis-[A-Za-z0-9_-]{43}$/);
    const listed = await api("/account/worker-tokens", { session: session.token });
    assert.equal(listed.body.data.length, 1);
    assert.equal(listed.body.data[0].token, undefined, "a token is shown once, at creation");
    assert.equal(listed.body.data[0].last_four, created.body.token.slice(-4));

    const raw = await rawWorker(gateway.url, { token: created.body.token, signer: walletKey, name: "rig-1" });
    const welcome = await raw.next("welcome");
    const workers = await api("/account/workers", { session: session.token });
    assert.equal(workers.body.data.length, 1);
    assert.equal(workers.body.data[0].id, welcome?.workerId);
    assert.equal(workers.body.data[0].connected, true);
    assert.deepEqual(workers.body.data[0].models, [{ id: "basis-default", state: "ready" }]);
    assert.deepEqual(workers.body.data[0].served, {
      jobs: 0,
      prompt_tokens: "0",
      completion_tokens: "0",
      rewards: "0",
    });

    const revoked = await api(`/account/worker-tokens/${created.body.id}`, {
      method: "DELETE",
      session: session.token,
    });
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revoked_at);
    const started = Date.now();
    assert.equal((await raw.waitClosed(1_000)).code, CLOSE.tokenRevoked);
    assert.ok(Date.now() - started < 1_000);
    const again = await rawWorker(gateway.url, { token: created.body.token, signer: walletKey });
    assert.equal((await again.next("refused"))?.code, "invalid_token");
    const other = await api("/account/worker-tokens/wkt_nope", { method: "DELETE", session: session.token });
    assert.equal(other.status, 404);
  });

  it("garbage from a worker drops only that worker and flags it; its job in flight is served by another", async () => {
    const bad = await contributor(gateway);
    const hostile = await rawWorker(gateway.url, { token: bad.token, signer: bad.key, name: "hostile" });
    await hostile.next("welcome");
    const answer = chat("survive garbage");
    const job = await hostile.next("job");
    assert.ok(job);
    const good = await contributor(gateway);
    const honest = await rawWorker(gateway.url, { token: good.token, signer: good.key, name: "honest" });
    await honest.next("welcome");
    void serveHonestly(honest, ["still", "served"]);
    hostile.send("{ this is not json");
    assert.equal((await hostile.waitClosed()).code, CLOSE.protocolViolation);
    const data = await answer;
    assert.equal(data.choices[0].message.content, "still served");
    const lookup = await fetch(`${gateway.url}/api/inference/receipts/${data.id}`).then((r) => r.json() as any);
    assert.equal(lookup.receipt.core.worker, good.address);
    const [record] = await gateway.workerRecords.ofAccount(bad.address);
    assert.match(record?.suspectReason ?? "", /protocol violation: a frame that is not JSON/);
    honest.close();
  });

  it("an oversized frame closes the worker's connection (1009) and flags it", async () => {
    const who = await contributor(gateway);
    const raw = await rawWorker(gateway.url, { token: who.token, signer: who.key });
    await raw.next("welcome");
    raw.send(JSON.stringify({ t: "models", models: [], pad: "x".repeat(MAX_FRAME_BYTES) }));
    assert.equal((await raw.waitClosed()).code, 1009);
    await sleep(100);
    const [record] = await gateway.workerRecords.ofAccount(who.address);
    assert.match(record?.suspectReason ?? "", /protocol violation/);
  });

  it("an oversized coalesced delta frame drops the worker (1009) before any of it is relayed; another serves the job", async () => {
    const bad = await contributor(gateway);
    const hostile = await rawWorker(gateway.url, { token: bad.token, signer: bad.key, name: "bloated" });
    await hostile.next("welcome");
    const answer = chat("survive a bloated frame");
    const job = await hostile.next("job");
    assert.ok(job);
    const good = await contributor(gateway);
    const honest = await rawWorker(gateway.url, { token: good.token, signer: good.key, name: "lean" });
    await honest.next("welcome");
    void serveHonestly(honest, ["lean", "answer"]);
    // Every piece is valid on its own; together they are over the 1 MiB a frame may carry.
    const d = Array.from({ length: 200 }, () => ({ i: 0, text: "x".repeat(6_000) }));
    hostile.send({ t: "delta", id: job.id, d });
    assert.equal((await hostile.waitClosed()).code, 1009);
    const data = await answer;
    assert.equal(data.choices[0].message.content, "lean answer");
    assert.equal(data.usage.completion_tokens, tokenizer.count("lean answer"));
    const [record] = await gateway.workerRecords.ofAccount(bad.address);
    assert.match(record?.suspectReason ?? "", /protocol violation/);
    honest.close();
  });

  it("coalesced frames of many pieces stream one event per piece, counted exactly and cut at max_tokens", async () => {
    const who = await contributor(gateway);
    const raw = await rawWorker(gateway.url, { token: who.token, signer: who.key });
    await raw.next("welcome");
    const streaming = client.chat.completions.create({
      model: "basis-default",
      max_tokens: 7,
      messages: [{ role: "user", content: "coalesced" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const job = await raw.next("job");
    assert.ok(job);
    raw.send({ t: "delta", id: job.id, d: [{ i: 0, text: "One" }] });
    raw.send({ t: "delta", id: job.id, d: [" two", " three", " four"].map((text) => ({ i: 0, text })) });
    raw.send({
      t: "delta",
      id: job.id,
      d: [" five", " six", " seven", " eight", " nine"].map((text) => ({ i: 0, text })),
    });
    const pieces: string[] = [];
    let usage: any = null;
    let finish: string | null = null;
    for await (const chunk of await streaming) {
      const piece = chunk.choices[0]?.delta?.content;
      if (piece) pieces.push(piece);
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.deepEqual(pieces, ["One", " two", " three", " four", " five", " six", " seven"]);
    assert.equal(finish, "length");
    assert.equal(usage.completion_tokens, 7);
    assert.equal((await raw.next("cancel"))?.id, job.id, "the job is cancelled on the worker at the cap");
    raw.close();
  });

  it("a frame for a job the worker does not hold is a protocol violation", async () => {
    const who = await contributor(gateway);
    const raw = await rawWorker(gateway.url, { token: who.token, signer: who.key });
    await raw.next("welcome");
    raw.send({ t: "delta", id: "someone-elses-job", d: [{ i: 0, text: "hijack" }] });
    assert.equal((await raw.waitClosed()).code, CLOSE.protocolViolation);
  });

  it("output beyond max_tokens is cut at the cap, billed at the cap, and the job is cancelled on the worker", async () => {
    const who = await contributor(gateway);
    const raw = await rawWorker(gateway.url, { token: who.token, signer: who.key });
    await raw.next("welcome");
    const answer = chat("too long", { max_tokens: 5 });
    const job = await raw.next("job");
    assert.ok(job);
    raw.send({ t: "delta", id: job.id, d: Array.from({ length: 40 }, () => ({ i: 0, text: " word" })) });
    const data = await answer;
    assert.equal(data.usage.completion_tokens, 5);
    assert.equal(data.choices[0].finish_reason, "length");
    assert.equal(data.choices[0].message.content, " word word word word word");
    assert.equal((await raw.next("cancel"))?.id, job.id);
    // Frames already in flight for the cancelled job are tolerated, not a violation.
    raw.send({ t: "done", id: job.id });
    await sleep(100);
    assert.equal(raw.closed(), null);
    raw.close();
  });

  it("a stall mid-stream ends the stream with an error event, charges what was relayed and flags the worker", async () => {
    const who = await contributor(gateway);
    const raw = await rawWorker(gateway.url, { token: who.token, signer: who.key });
    await raw.next("welcome");
    const before = await gateway.ledger.balance(gateway.account);
    // The event stream (and the SDK's answer) starts with the first delta.
    const streaming = client.chat.completions.create({
      model: "basis-default",
      max_tokens: 64,
      messages: [{ role: "user", content: "stall" }],
      stream: true,
    });
    const job = await raw.next("job");
    assert.ok(job);
    raw.send({
      t: "delta",
      id: job.id,
      d: [
        { i: 0, text: "two" },
        { i: 0, text: " words" },
      ],
    });
    const stream = await streaming;
    let text = "";
    const started = Date.now();
    await assert.rejects(async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    }, /stalled/);
    assert.equal(text, "two words");
    assert.ok(Date.now() - started < 3_000);
    const after = await gateway.ledger.balance(gateway.account);
    const [receipt] = (await gateway.receipts.list({ account: gateway.account, limit: 1 })).data;
    assert.equal(receipt?.core.finishReason, "failed");
    assert.equal(receipt?.core.completionTokens, tokenizer.count("two words"));
    assert.equal(before.available - after.available, BigInt(receipt?.core.charged ?? -1));
    const [record] = await gateway.workerRecords.ofAccount(who.address);
    assert.match(record?.suspectReason ?? "", /stalled/);
    raw.close();
  });

  it("usage reports that keep disagreeing with the gateway's count mark the worker suspect; the client is billed the gateway's count", async () => {
    const who = await contributor(gateway);
    const raw = await rawWorker(gateway.url, { token: who.token, signer: who.key });
    await raw.next("welcome");
    void serveHonestly(raw, ["three", "little", "words"], 1_000);
    for (let i = 0; i < 5; i++) {
      const data = await chat(`overclaim ${i}`);
      assert.equal(data.usage.completion_tokens, 3);
    }
    await sleep(100);
    const [record] = await gateway.workerRecords.ofAccount(who.address);
    assert.match(record?.suspectReason ?? "", /usage reports disagreed/);
    const [receipt] = (await gateway.receipts.list({ account: gateway.account, limit: 1 })).data;
    assert.equal(receipt?.reportedUsage.completionTokens, 1_000);
    raw.close();
  });
});
