// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "mocha";
import OpenAI from "openai";
import { getTokenizer } from "../../gateway/metering/tokenizer.js";
import { writeTinyModel } from "../../scripts/model/tinyModel.js";
import { startGateway } from "../gateway/support/startGateway.js";
import { contributor, spawnWorker, type WorkerProcess } from "./support/workerProcess.js";

const tokenizer = getTokenizer("o200k_base");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The whole path on real parts: the official SDK → the gateway → two worker processes running the
 * embedded llama.cpp engine on the tiny model the project generates.
 */
describe("workers › embedded llama.cpp on the generated tiny model (real processes)", function () {
  this.timeout(120_000);
  let dir: string;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let client: OpenAI;
  let a: Awaited<ReturnType<typeof contributor>>;
  let b: Awaited<ReturnType<typeof contributor>>;
  const workers: WorkerProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "basis-llama-e2e-"));
    const modelPath = join(dir, "tiny.gguf");
    await writeTinyModel(modelPath);
    gateway = await startGateway({ credits: 10n ** 20n });
    client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.key, maxRetries: 0 });
    a = await contributor(gateway);
    b = await contributor(gateway);
    const args = ["--gguf", modelPath, "--model", "basis-default", "--concurrency", "2", "--threads", "1"];
    workers.push(...(await Promise.all([spawnWorker(gateway, a, args), spawnWorker(gateway, b, args)])));
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers a non-streaming chat with the model's words, counted by the gateway, receipted to the worker's wallet", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "basis-default", max_tokens: 24, messages: [{ role: "user", content: "Tell me a story." }] })
      .withResponse();
    const content = data.choices[0]?.message.content ?? "";
    assert.match(content, /[a-z]+( [a-z]+){5,}/, content);
    assert.equal(data.usage?.completion_tokens, tokenizer.count(content));
    assert.ok((data.usage?.completion_tokens ?? 0) <= 24);
    const lookup = await fetch(`${gateway.url}/api/inference/receipts/${response.headers.get("x-basis-receipt")}`).then(
      (r) => r.json() as Promise<any>,
    );
    assert.equal(lookup.verified, true);
    assert.ok([a.address, b.address].includes(lookup.receipt.core.worker));
    assert.ok(BigInt(lookup.receipt.core.reward) > 0n);
  });

  it("streams a completion token by token and ends with usage, the receipt hash and [DONE]", async () => {
    const stream = await client.completions.create({
      model: "basis-default",
      prompt: "Once upon a time",
      max_tokens: 64,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let chunks = 0;
    let last: any = null;
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.text ?? "";
      if (piece) chunks += 1;
      text += piece;
      last = chunk;
    }
    assert.ok(chunks >= 16, `streamed in ${chunks} pieces`);
    assert.equal(last.usage.completion_tokens, tokenizer.count(text));
    assert.match(last.receipt_hash, /^0x[0-9a-f]{64}$/);
  });

  it("greedy decoding gives the same answer twice, whichever worker serves it", async () => {
    const ask = () =>
      client.completions.create({ model: "basis-default", prompt: "The gateway", max_tokens: 20, temperature: 0 });
    const [first, second] = [await ask(), await ask()];
    assert.ok((first.choices[0]?.text ?? "").length > 0);
    assert.equal(first.choices[0]?.text, second.choices[0]?.text);
  });

  it("two workers share concurrent jobs", async () => {
    const before = new Map(
      (await Promise.all([a, b].map((w) => gateway.workerRecords.ofAccount(w.address)))).map((r) => [
        r[0]?.id,
        r[0]?.jobs ?? 0,
      ]),
    );
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client.chat.completions.create({
          model: "basis-default",
          max_tokens: 32,
          messages: [{ role: "user", content: `job ${i}` }],
        }),
      ),
    );
    const after = (await Promise.all([a, b].map((w) => gateway.workerRecords.ofAccount(w.address)))).map(
      (r) => (r[0]?.jobs ?? 0) - (before.get(r[0]?.id) ?? 0),
    );
    assert.equal((after[0] ?? 0) + (after[1] ?? 0), 8);
    assert.ok((after[0] ?? 0) >= 2 && (after[1] ?? 0) >= 2, `split ${after.join("/")}`);
  });

  it("a client that disconnects mid-stream stops generation on the worker within a second", async () => {
    const abort = new AbortController();
    const stream = await client.completions.create(
      { model: "basis-default", prompt: "Go on and on", max_tokens: 1_500, stream: true },
      { signal: abort.signal },
    );
    let n = 0;
    let jobId = "";
    try {
      for await (const chunk of stream) {
        jobId = chunk.id;
        if (++n === 5) {
          abort.abort();
          break;
        }
      }
    } catch {
      // The SDK may surface the abort as an error.
    }
    const deadline = Date.now() + 3_000;
    let stopped: { afterMs: number } | null = null;
    while (!stopped && Date.now() < deadline) {
      const line = workers
        .flatMap((w) => w.output().split("\n"))
        .find((l) => l.includes('"msg":"job stopped after cancel"'));
      if (line) stopped = JSON.parse(line);
      else await sleep(20);
    }
    assert.ok(stopped, "the worker reports the cancelled job stopped");
    assert.ok(stopped.afterMs < 1_000, `stopped ${stopped.afterMs} ms after the cancel`);
    let receipt: any = null;
    while (!receipt && Date.now() < deadline + 2_000) {
      receipt = await gateway.receipts.byJobId(jobId);
      if (!receipt) await sleep(20);
    }
    assert.equal(receipt?.core.finishReason, "cancelled");
    assert.ok((receipt?.core.completionTokens ?? 0) < 1_500);
  });
});
