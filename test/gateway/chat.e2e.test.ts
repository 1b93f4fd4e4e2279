// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
import assert from "node:assert/strict";
import { after, before, describe, it } from "mocha";
import OpenAI from "openai";
import { getTokenizer } from "../../gateway/metering/tokenizer.js";
import { chargeFor } from "../../protocol/pricing.js";
import { receiptHash, verifyReceiptSignature } from "../../protocol/receipt.js";
import { type OpenAIUpstream, startOpenAIUpstream } from "../../scripts/dev/openaiUpstream.js";
import { startGateway } from "./support/startGateway.js";

const CREDITS = 10n ** 18n;
const tokenizer = getTokenizer("o200k_base");

describe("gateway › /v1/chat/completions with the official openai SDK", () => {
  let upstream: OpenAIUpstream;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let client: OpenAI;

  before(async () => {
    upstream = await startOpenAIUpstream();
    gateway = await startGateway({ upstreamUrl: upstream.url, credits: CREDITS });
    client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.key, maxRetries: 0 });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  it("answers a non-streaming chat with the server's own token counts, the charge and a verifiable receipt", async () => {
    upstream.setBehavior({});
    const before = await gateway.ledger.balance(gateway.account);
    const { data, response } = await client.chat.completions
      .create({ model: "basis-default", messages: [{ role: "user", content: "Summarize this for an agent." }] })
      .withResponse();
    const content = data.choices[0]?.message.content ?? "";
    assert.match(content, /^\w+( \w+){11}$/);
    const promptTokens = tokenizer.countChat([{ role: "user", content: "Summarize this for an agent." }]);
    const completionTokens = tokenizer.count(content);
    assert.equal(data.usage?.prompt_tokens, promptTokens);
    assert.equal(data.usage?.completion_tokens, completionTokens);
    const price = gateway.catalog.priceOf(gateway.catalog.get("basis-default") as never);
    const charged = chargeFor({ promptTokens, completionTokens }, price);
    assert.equal((data.usage as unknown as { charged: string }).charged, charged.toString());

    const hash = response.headers.get("x-basis-receipt");
    assert.match(hash ?? "", /^0x[0-9a-f]{64}$/);
    const lookup = await fetch(`${gateway.url}/api/inference/receipts/${hash}`).then((r) => r.json() as Promise<any>);
    assert.equal(lookup.verified, true);
    assert.equal(receiptHash(lookup.receipt.core), hash);
    assert.equal(lookup.receipt.core.jobId, data.id);
    assert.equal(lookup.receipt.core.charged, charged.toString());
    assert.equal(lookup.receipt.core.worker, null);
    assert.equal(lookup.receipt.core.reward, "0");
    const byJob = await fetch(`${gateway.url}/api/inference/receipts/${data.id}`).then((r) => r.json() as Promise<any>);
    assert.equal(byJob.receipt.hash, hash);

    const after = await gateway.ledger.balance(gateway.account);
    assert.equal(before.available - after.available, charged);
    assert.equal(after.held, 0n);

    // The attester's signature arrives off the request path and recovers to the attester.
    await gateway.flushSignatures();
    const signed = await fetch(`${gateway.url}/api/inference/receipts/${hash}`).then((r) => r.json() as Promise<any>);
    assert.equal(await verifyReceiptSignature(hash as `0x${string}`, signed.receipt.signature), gateway.attester);
  });

  it("refuses at admission a key revoked elsewhere (another replica), even while this one caches it", async () => {
    const { key, record } = await gateway.keys.create({ account: gateway.account, name: "revoked elsewhere" });
    const other = new OpenAI({ baseURL: gateway.baseURL, apiKey: key, maxRetries: 0 });
    await other.chat.completions.create({
      model: "basis-small",
      messages: [{ role: "user", content: "a" }],
      max_tokens: 2,
    });
    await gateway.storeKeys.revoke(gateway.account, record.id);
    const error = await other.chat.completions
      .create({ model: "basis-small", messages: [{ role: "user", content: "b" }], max_tokens: 2 })
      .catch((e) => e);
    assert.ok(error instanceof OpenAI.AuthenticationError);
  });

  it("streams SSE chunks ending in [DONE], with usage and the receipt hash in the final chunk", async () => {
    const stream = await client.chat.completions.create({
      model: "basis-small",
      messages: [{ role: "user", content: "Write a one paragraph summary." }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let last: (typeof chunks)[number] | undefined;
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? "";
      last = chunk;
    }
    assert.ok(chunks.length > 12, "one chunk per token at least");
    assert.equal(last?.usage?.completion_tokens, tokenizer.count(text));
    const hash = (last as unknown as { receipt_hash: string }).receipt_hash;
    const lookup = await fetch(`${gateway.url}/api/inference/receipts/${hash}`).then((r) => r.json() as Promise<any>);
    assert.equal(lookup.verified, true);
    assert.equal(lookup.receipt.core.finishReason, "stop");
    assert.equal(lookup.receipt.core.completionTokens, tokenizer.count(text));
  });

  it("cuts the output at max_tokens and says finish_reason length", async () => {
    const data = await client.chat.completions.create({
      model: "basis-default",
      messages: [{ role: "user", content: "Count." }],
      max_tokens: 3,
    });
    assert.equal(data.choices[0]?.finish_reason, "length");
    assert.ok((data.usage?.completion_tokens ?? 99) <= 3);
  });

  it("charges a stream the client cuts only for what was relayed, and releases the rest", async () => {
    upstream.setBehavior({ tokenDelayMs: 30, words: 200 });
    const before = await gateway.ledger.balance(gateway.account);
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "basis-default", messages: [{ role: "user", content: "Go on." }], stream: true, max_tokens: 200 },
      { signal: controller.signal },
    );
    let received = 0;
    let id = "";
    try {
      for await (const chunk of stream) {
        id = chunk.id;
        if (chunk.choices[0]?.delta.content) received++;
        if (received === 3) {
          controller.abort();
          break;
        }
      }
    } catch {
      // The SDK may surface the abort as an error: either way the client is gone.
    }
    assert.equal(received, 3);
    upstream.setBehavior({});
    let receipt: { core: { finishReason: string; completionTokens: number; charged: string } } | undefined;
    for (let i = 0; i < 50 && !receipt; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const res = await fetch(`${gateway.url}/api/inference/receipts/${id}`);
      if (res.status === 200) receipt = ((await res.json()) as any).receipt;
    }
    assert.ok(receipt, "a receipt is written for the cut stream");
    assert.equal(receipt.core.finishReason, "cancelled");
    assert.ok(receipt.core.completionTokens >= 3 && receipt.core.completionTokens < 200);
    const after = await gateway.ledger.balance(gateway.account);
    assert.equal(after.held, 0n);
    assert.equal(before.available - after.available, BigInt(receipt.core.charged));
  });
});

describe("gateway › a client that leaves before the first token", () => {
  it("pays nothing, leaves no hold and no receipt", async () => {
    const upstream = await startOpenAIUpstream();
    const gateway = await startGateway({ upstreamUrl: upstream.url, credits: CREDITS });
    try {
      upstream.setBehavior({ firstTokenDelayMs: 400 });
      const client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.key, maxRetries: 0 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      await assert.rejects(
        client.chat.completions.create(
          { model: "basis-default", messages: [{ role: "user", content: "wait" }] },
          { signal: controller.signal },
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 600));
      const balance = await gateway.ledger.balance(gateway.account);
      assert.equal(balance.available, CREDITS);
      assert.equal(balance.held, 0n);
      assert.equal((await gateway.receipts.list({ account: gateway.account, limit: 5 })).data.length, 0);
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });
});

describe("gateway › errors in the OpenAI envelope, mapped by the SDK", () => {
  let upstream: OpenAIUpstream;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let client: OpenAI;

  before(async () => {
    upstream = await startOpenAIUpstream();
    gateway = await startGateway({ upstreamUrl: upstream.url, credits: 10n ** 15n });
    client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.key, maxRetries: 0 });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  const messages = [{ role: "user" as const, content: "hi" }];

  it("401 AuthenticationError without a valid key, never echoing it", async () => {
    const anonymous = new OpenAI({ baseURL: gateway.baseURL, apiKey: "sk-basis-not-a-real-key", maxRetries: 0 });
    const error = await anonymous.chat.completions.create({ model: "basis-default", messages }).catch((e) => e);
    assert.ok(error instanceof OpenAI.AuthenticationError);
    assert.doesNotMatch(JSON.stringify(error.error), /not-a-real-key/);
  });

  it("404 NotFoundError model_not_found for an unknown model", async () => {
    const error = await client.chat.completions.create({ model: "gpt-9", messages }).catch((e) => e);
    assert.ok(error instanceof OpenAI.NotFoundError);
    assert.equal(error.code, "model_not_found");
    assert.equal(error.param, "model");
  });

  it("400 BadRequestError naming an unknown parameter", async () => {
    const error = await client.chat.completions
      .create({ model: "basis-default", messages, temprature: 0.2 } as never)
      .catch((e) => e);
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.equal(error.param, "temprature");
    assert.equal(error.code, "unknown_parameter");
  });

  it("400 for max_tokens beyond the context window, empty messages and a huge n", async () => {
    const tooLong = await client.chat.completions
      .create({ model: "basis-small", messages, max_tokens: 20_000 })
      .catch((e) => e);
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.param, "max_tokens");
    const empty = await client.chat.completions.create({ model: "basis-small", messages: [] }).catch((e) => e);
    assert.equal(empty.status, 400);
    assert.equal(empty.param, "messages");
    const huge = await client.chat.completions.create({ model: "basis-small", messages, n: 1000 }).catch((e) => e);
    assert.equal(huge.param, "n");
  });

  it("400 for malformed JSON and 413 for a body over the limit", async () => {
    const headers = { authorization: `Bearer ${gateway.key}`, "content-type": "application/json" };
    const malformed = await fetch(`${gateway.baseURL}/chat/completions`, { method: "POST", headers, body: "{nope" });
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as any).error.code, "invalid_json");
    const big = await fetch(`${gateway.baseURL}/chat/completions`, {
      method: "POST",
      headers,
      body: "x".repeat(70_000),
    });
    assert.equal(big.status, 413);
  });

  it("402 insufficient_credits when the balance cannot cover the worst case, charging nothing", async () => {
    const error = await client.chat.completions
      .create({ model: "basis-large", messages, max_tokens: 100_000 })
      .catch((e) => e);
    assert.equal(error.status, 402);
    assert.equal(error.code, "insufficient_credits");
    assert.equal((await gateway.ledger.balance(gateway.account)).available, 10n ** 15n);
  });

  it("502 when the only backend fails before the first token, charging nothing", async () => {
    upstream.setBehavior({ failStatus: 500 });
    const error = await client.chat.completions
      .create({ model: "basis-small", messages, max_tokens: 5 })
      .catch((e) => e);
    upstream.setBehavior({});
    assert.equal(error.status, 502);
    const balance = await gateway.ledger.balance(gateway.account);
    assert.equal(balance.available, 10n ** 15n);
    assert.equal(balance.held, 0n);
  });
});

describe("gateway › no backend configured", () => {
  it("answers 503 runtime_pending with Retry-After, and launch-status says pending", async () => {
    const gateway = await startGateway({ credits: CREDITS });
    try {
      const res = await fetch(`${gateway.baseURL}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${gateway.key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "basis-default", messages: [{ role: "user", content: "ping" }] }),
      });
      assert.equal(res.status, 503);
      assert.ok(Number(res.headers.get("retry-after")) > 0);
      assert.equal(((await res.json()) as any).error.code, "runtime_pending");
      const status = await fetch(`${gateway.url}/api/launch-status`).then((r) => r.json() as Promise<any>);
      assert.equal(status.inferenceRuntime, "pending");
      const models = await fetch(`${gateway.url}/api/v1/models`).then((r) => r.json() as Promise<any>);
      assert.ok(models.data.every((m: { available: boolean }) => m.available === false));
    } finally {
      await gateway.close();
    }
  });
});
