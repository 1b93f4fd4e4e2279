import assert from "node:assert/strict";
import { after, before, describe, it } from "mocha";
import OpenAI from "openai";
import { getTokenizer } from "../../gateway/metering/tokenizer.js";
import { type OpenAIUpstream, startOpenAIUpstream } from "../../scripts/dev/openaiUpstream.js";
import { startGateway } from "./support/startGateway.js";

describe("gateway › /v1/embeddings with the official openai SDK", () => {
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

  it("returns one vector per input in order (the SDK's default base64 encoding decoded), metered on the input tokens", async () => {
    const input = ["first text", "second, longer text"];
    const data = await client.embeddings.create({ model: "basis-embed", input });
    assert.equal(data.data.length, 2);
    assert.deepEqual(
      data.data.map((d) => d.index),
      [0, 1],
    );
    assert.equal(data.data[0]?.embedding.length, 8);
    const direct = await client.embeddings.create({ model: "basis-embed", input, encoding_format: "float" });
    for (const [i, d] of data.data.entries()) {
      const floats = direct.data[i]?.embedding ?? [];
      assert.deepEqual(
        d.embedding,
        floats.map((x) => Math.fround(x)),
      );
    }
    const tokenizer = getTokenizer("cl100k_base");
    assert.equal(data.usage.prompt_tokens, tokenizer.count(input[0] ?? "") + tokenizer.count(input[1] ?? ""));
  });

  it("refuses a chat model with 404 model_not_found", async () => {
    const error = await client.embeddings.create({ model: "basis-default", input: "x" }).catch((e) => e);
    assert.equal(error.status, 404);
    assert.equal(error.code, "model_not_found");
  });
});
