import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { after, before, describe, it } from "mocha";
import { getTokenizer } from "../../gateway/metering/tokenizer.js";
import { type OpenAIUpstream, startOpenAIUpstream } from "../../scripts/dev/openaiUpstream.js";
import { startGateway } from "./support/startGateway.js";

const tokenizer = getTokenizer("o200k_base");

describe("gateway › /v1/messages with the official @anthropic-ai/sdk", () => {
  let upstream: OpenAIUpstream;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let client: Anthropic;

  before(async () => {
    upstream = await startOpenAIUpstream();
    gateway = await startGateway({ upstreamUrl: upstream.url, credits: 10n ** 18n });
    client = new Anthropic({ baseURL: gateway.url, apiKey: gateway.key, maxRetries: 0 });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  it("answers in Anthropic's message shape with the gateway's token counts", async () => {
    const message = await client.messages.create({
      model: "basis-default",
      max_tokens: 64,
      system: "Be brief.",
      messages: [{ role: "user", content: "Hello!" }],
    });
    assert.equal(message.type, "message");
    assert.equal(message.role, "assistant");
    const block = message.content[0];
    assert.ok(block && block.type === "text");
    assert.equal(message.stop_reason, "end_turn");
    assert.equal(message.usage.output_tokens, tokenizer.count(block.text));
    assert.equal(
      message.usage.input_tokens,
      tokenizer.countChat([
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello!" },
      ]),
    );
  });

  it("streams Anthropic's event sequence, which the SDK assembles into the final message", async () => {
    const stream = client.messages.stream({
      model: "basis-small",
      max_tokens: 5,
      messages: [{ role: "user", content: "Stream please" }],
    });
    const types: string[] = [];
    stream.on("streamEvent", (e) => types.push(e.type));
    const final = await stream.finalMessage();
    assert.deepEqual(types.slice(0, 3), ["message_start", "content_block_start", "content_block_delta"]);
    assert.deepEqual(types.slice(-3), ["content_block_stop", "message_delta", "message_stop"]);
    const block = final.content[0];
    assert.ok(block && block.type === "text");
    assert.equal(final.stop_reason, "max_tokens");
    assert.equal(final.usage.output_tokens, tokenizer.count(block.text));
    assert.ok(final.usage.output_tokens <= 5);
  });

  it("maps a missing max_tokens to a 400 the SDK raises as BadRequestError", async () => {
    const error = await client.messages
      .create({ model: "basis-default", messages: [{ role: "user", content: "x" }] } as never)
      .catch((e) => e);
    assert.ok(error instanceof Anthropic.BadRequestError);
  });
});
