// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "mocha";
import OpenAI from "openai";
import { getTokenizer } from "../../gateway/metering/tokenizer.js";
import { type OpenAIUpstream, startOpenAIUpstream } from "../../scripts/dev/openaiUpstream.js";
import { startGateway } from "../gateway/support/startGateway.js";
import { contributor, spawnWorker, type WorkerProcess } from "./support/workerProcess.js";

const CREDITS = 10n ** 20n;
const tokenizer = getTokenizer("o200k_base");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Real worker processes with the OpenAI-compatible engine (pointed at a small OpenAI-compatible
 * server whose latency the tests set), a real gateway, the official SDK: routing, failover, cancellation.
 */
describe("workers › routing and failover (OpenAI-compatible engine, real processes)", function () {
  this.timeout(120_000);
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let client: OpenAI;
  const engines: OpenAIUpstream[] = [];
  let workers: WorkerProcess[] = [];

  async function engine() {
    const e = await startOpenAIUpstream();
    engines.push(e);
    return e;
  }
  async function worker(who: Awaited<ReturnType<typeof contributor>>, e: OpenAIUpstream, name?: string) {
    const w = await spawnWorker(
      gateway,
      who,
      ["--engine", "openai", "--engine-url", e.url, "--model", "basis-default", "--concurrency", "8"],
      { name },
    );
    workers.push(w);
    return w;
  }

  before(async () => {
    gateway = await startGateway({ credits: CREDITS, workerTimeouts: { stallMs: 1_000, firstTokenMs: 20_000 } });
    client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.key, maxRetries: 0 });
  });
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    workers = [];
    await until("workers to leave", () => gateway.hub.links().length === 0);
  });
  after(async () => {
    await gateway.close();
    await Promise.all(engines.map((e) => e.close()));
  });

  it("with no worker and no upstream, chat answers 503 runtime_pending; a worker connecting makes the model ready", async () => {
    await assert.rejects(
      client.chat.completions.create({ model: "basis-default", messages: [{ role: "user", content: "hi" }] }),
      (error: any) => error.status === 503 && error.code === "runtime_pending",
    );
    const health = () => fetch(`${gateway.baseURL}/models/basis-default/health`).then((r) => r.json() as Promise<any>);
    assert.equal((await health()).status, "unavailable");
    const who = await contributor(gateway);
    await worker(who, await engine());
    assert.equal((await health()).status, "ready");
    const listed = await fetch(`${gateway.baseURL}/workers`).then((r) => r.json() as Promise<any>);
    assert.equal(listed.connected, 1);
    assert.deepEqual(listed.models, [{ id: "basis-default", ready_workers: 1, loading_workers: 0 }]);
    const models = await client.models.list();
    assert.equal((models.data.find((m) => m.id === "basis-default") as any).available, true);
  });

  it("serves a chat through a worker: the receipt names the worker's wallet and carries its reward share", async () => {
    const who = await contributor(gateway);
    await worker(who, await engine(), "alpha");
    const { data, response } = await client.chat.completions
      .create({ model: "basis-default", messages: [{ role: "user", content: "route me" }] })
      .withResponse();
    const content = data.choices[0]?.message.content ?? "";
    assert.match(content, /^\w+( \w+){11}$/);
    assert.equal(data.usage?.completion_tokens, tokenizer.count(content));
    const hash = response.headers.get("x-basis-receipt");
    const lookup = await fetch(`${gateway.url}/api/inference/receipts/${hash}`).then((r) => r.json() as Promise<any>);
    const core = lookup.receipt.core;
    assert.equal(core.worker, who.address);
    assert.equal(core.rewardBps, Number(gateway.catalog.rewardBps));
    assert.equal(BigInt(core.reward), (BigInt(core.charged) * gateway.catalog.rewardBps) / 10_000n);
    assert.ok(BigInt(core.reward) > 0n);

    const [record] = await gateway.workerRecords.ofAccount(who.address);
    assert.equal(record?.name, "alpha");
    assert.equal(record?.jobs, 1);
    assert.equal(record?.completionTokens, BigInt(core.completionTokens));
    assert.equal(record?.rewards, BigInt(core.reward));
    assert.equal(record?.suspectReason, null);
  });

  it("streams through a worker with [DONE], include_usage and the receipt hash in the last chunk", async () => {
    const who = await contributor(gateway);
    await worker(who, await engine());
    const stream = await client.chat.completions.create({
      model: "basis-default",
      messages: [{ role: "user", content: "stream me" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let last: any = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      last = chunk;
    }
    assert.match(text, /^\w+( \w+){11}$/);
    assert.equal(last.usage.completion_tokens, tokenizer.count(text));
    assert.match(last.receipt_hash ?? "", /^0x[0-9a-f]{64}$/);
  });

  it("two workers share the load: concurrent jobs go to both, least loaded first", async () => {
    const e = await engine();
    e.setBehavior({ tokenDelayMs: 20 });
    const a = await contributor(gateway);
    const b = await contributor(gateway);
    await worker(a, e, "left");
    await worker(b, e, "right");
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        client.chat.completions.create({
          model: "basis-default",
          max_tokens: 32,
          messages: [{ role: "user", content: `job ${i}` }],
        }),
      ),
    );
    const [left] = await gateway.workerRecords.ofAccount(a.address);
    const [right] = await gateway.workerRecords.ofAccount(b.address);
    assert.equal((left?.jobs ?? 0) + (right?.jobs ?? 0), 12);
    assert.ok((left?.jobs ?? 0) >= 4 && (right?.jobs ?? 0) >= 4, `split ${left?.jobs}/${right?.jobs}`);
  });

  it("a worker killed before its first token: another worker serves the job, invisibly to the client", async () => {
    const slow = await engine();
    slow.setBehavior({ firstTokenDelayMs: 30_000 });
    const a = await contributor(gateway);
    const dying = await worker(a, slow, "dying");
    const answer = client.chat.completions.create({
      model: "basis-default",
      messages: [{ role: "user", content: "fail over" }],
    });
    await until("the job to reach the first worker", () => gateway.hub.links().some((l) => l.inflight === 1));
    const b = await contributor(gateway);
    await worker(b, await engine(), "survivor");
    dying.child.kill("SIGKILL");
    const data = await answer;
    assert.match(data.choices[0]?.message.content ?? "", /^\w+( \w+){11}$/);
    const lookup = await fetch(`${gateway.url}/api/inference/receipts/${data.id}`).then(
      (r) => r.json() as Promise<any>,
    );
    assert.equal(lookup.receipt.core.worker, b.address);
    const balance = await gateway.ledger.balance(gateway.account);
    assert.equal(balance.held, 0n);
  });

  it("a worker killed after its first token: the stream ends with an error event and the client pays for what was relayed", async () => {
    const e = await engine();
    e.setBehavior({ tokenDelayMs: 100, words: 200 });
    const who = await contributor(gateway);
    const dying = await worker(who, e);
    const before = await gateway.ledger.balance(gateway.account);
    const stream = await client.chat.completions.create({
      model: "basis-default",
      messages: [{ role: "user", content: "die mid-stream" }],
      stream: true,
    });
    let text = "";
    let failure: any = null;
    try {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? "";
        if (text.split(" ").length >= 3) dying.child.kill("SIGKILL");
      }
    } catch (error) {
      failure = error;
    }
    assert.ok(failure, "the stream must end with an error");
    assert.match(String(failure.message), /mid-stream|disconnected/);
    await until("the charge", async () => (await gateway.ledger.balance(gateway.account)).held === 0n);
    const after = await gateway.ledger.balance(gateway.account);
    const [receipt] = (await gateway.receipts.list({ account: gateway.account, limit: 1 })).data;
    assert.equal(receipt?.core.finishReason, "failed");
    assert.equal(receipt?.core.completionTokens, tokenizer.count(text));
    assert.equal(before.available - after.available, BigInt(receipt?.core.charged ?? -1));
  });

  it("a client that disconnects mid-stream cancels the job on the worker within a second", async () => {
    const e = await engine();
    e.setBehavior({ tokenDelayMs: 50, words: 400 });
    const who = await contributor(gateway);
    await worker(who, e);
    const abort = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "basis-default", messages: [{ role: "user", content: "leave early" }], stream: true },
      { signal: abort.signal },
    );
    let n = 0;
    try {
      for await (const _ of stream) {
        if (++n === 3) {
          abort.abort();
          break;
        }
      }
    } catch {
      // The SDK may surface the abort as an error: either way the client is gone.
    }
    assert.equal(n, 3);
    const left = Date.now();
    await until("the engine stream to close", () => e.streaming() === 0, 1_000);
    assert.ok(Date.now() - left < 1_000);
    await until("the gateway to release the job", () => gateway.hub.links().every((l) => l.inflight === 0), 1_000);
  });
});
