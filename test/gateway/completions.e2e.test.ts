import assert from "node:assert/strict";
import { after, before, describe, it } from "mocha";
import OpenAI from "openai";
import { getTokenizer } from "../../gateway/metering/tokenizer.js";
import { type OpenAIUpstream, startOpenAIUpstream } from "../../scripts/dev/openaiUpstream.js";
import { startGateway } from "./support/startGateway.js";

const tokenizer = getTokenizer("o200k_base");

describe("gateway › /v1/completions (base models) with the official openai SDK", () => {
  let upstream: OpenAIUpstream;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let client: OpenAI;

  before(async () => {
    upstream = await startOpenAIUpstream();
    gateway = await startGateway({ upstreamUrl: upstream.url, credits: 10n ** 18n });
    client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.key, maxRetries: 0 });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  it("completes a prompt with max_tokens, counting prompt and output with the model's tokenizer", async () => {
    const data = await client.completions.create({
      model: "basis-default",
      prompt: "The capital of France is",
      max_tokens: 8,
    });
    const text = data.choices[0]?.text ?? "";
    assert.equal(data.usage?.prompt_tokens, tokenizer.count("The capital of France is"));
    assert.equal(data.usage?.completion_tokens, tokenizer.count(text));
    assert.ok((data.usage?.completion_tokens ?? 99) <= 8);
    assert.equal(data.choices[0]?.finish_reason, "length");
  });

  it("passes logprobs through from the backend", async () => {
    const data = await client.completions.create({
      model: "basis-default",
      prompt: "Hello",
      max_tokens: 40,
      logprobs: 2,
    });
    const logprobs = data.choices[0]?.logprobs;
    assert.equal(logprobs?.tokens?.length, 12);
    assert.equal(logprobs?.token_logprobs?.length, 12);
    assert.equal(logprobs?.tokens?.join(""), data.choices[0]?.text);
  });

  it("echoes the prompt without billing it as output", async () => {
    const prompt = "Once upon a time";
    const data = await client.completions.create({ model: "basis-default", prompt, max_tokens: 5, echo: true });
    const text = data.choices[0]?.text ?? "";
    assert.ok(text.startsWith(prompt));
    assert.equal(data.usage?.completion_tokens, tokenizer.count(text.slice(prompt.length)));
    assert.equal(data.usage?.prompt_tokens, tokenizer.count(prompt));
  });

  it("serves an array of prompts as one choice each", async () => {
    const data = await client.completions.create({ model: "basis-default", prompt: ["one", "two"], max_tokens: 3 });
    assert.deepEqual(
      data.choices.map((c) => c.index),
      [0, 1],
    );
    const out = data.choices.reduce((sum, c) => sum + tokenizer.count(c.text), 0);
    assert.equal(data.usage?.completion_tokens, out);
  });

  it("streams completions with the receipt hash in the usage chunk", async () => {
    const stream = await client.completions.create({
      model: "basis-small",
      prompt: "Stream me",
      max_tokens: 6,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.Completions.CompletionUsage | undefined;
    let hash = "";
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      if (chunk.usage) usage = chunk.usage;
      hash = (chunk as unknown as { receipt_hash?: string }).receipt_hash ?? hash;
    }
    assert.equal(usage?.completion_tokens, tokenizer.count(text));
    const lookup = (await fetch(`${gateway.url}/api/inference/receipts/${hash}`).then((r) => r.json())) as {
      verified: boolean;
    };
    assert.equal(lookup.verified, true);
  });

  it("rejects a mistyped parameter naming it", async () => {
    const error = await client.completions
      .create({ model: "basis-default", prompt: "x", max_tokns: 3 } as never)
      .catch((e) => e);
    assert.equal(error.status, 400);
    assert.equal(error.param, "max_tokns");
  });
});
