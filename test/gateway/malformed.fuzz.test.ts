import assert from "node:assert/strict";
import fc from "fast-check";
import { after, before, describe, it } from "mocha";
import { type OpenAIUpstream, startOpenAIUpstream } from "../../scripts/dev/openaiUpstream.js";
import { startGateway } from "./support/startGateway.js";

const endpoints = ["/chat/completions", "/completions", "/embeddings", "/messages"] as const;

/** A valid body per endpoint, to mutate one field at a time. */
const valid: Record<(typeof endpoints)[number], Record<string, unknown>> = {
  "/chat/completions": { model: "basis-small", messages: [{ role: "user", content: "hi" }], max_tokens: 3 },
  "/completions": { model: "basis-small", prompt: "hi", max_tokens: 3 },
  "/embeddings": { model: "basis-embed", input: "hi" },
  "/messages": { model: "basis-small", max_tokens: 3, messages: [{ role: "user", content: "hi" }] },
};

const anyJson = fc.jsonValue({ maxDepth: 3 });
const fieldNames = fc.constantFrom(
  "model",
  "messages",
  "prompt",
  "input",
  "max_tokens",
  "n",
  "stream",
  "temperature",
  "stop",
  "seed",
  "logprobs",
  "echo",
  "stream_options",
  "system",
  "dimensions",
  "encoding_format",
  "top_p",
  "user",
  "tools",
);

const request = fc.oneof(
  // A valid body with one field replaced by anything, or one unknown field added.
  fc
    .record({
      endpoint: fc.constantFrom(...endpoints),
      field: fieldNames,
      value: anyJson,
    })
    .map(({ endpoint, field, value }) => ({ endpoint, body: JSON.stringify({ ...valid[endpoint], [field]: value }) })),
  // Any JSON at all.
  fc.record({ endpoint: fc.constantFrom(...endpoints), value: anyJson }).map(({ endpoint, value }) => ({
    endpoint,
    body: JSON.stringify(value),
  })),
  // Not JSON.
  fc
    .record({ endpoint: fc.constantFrom(...endpoints), text: fc.string({ maxLength: 200 }) })
    .map(({ endpoint, text }) => ({
      endpoint,
      body: text,
    })),
);

describe("gateway › thousands of generated malformed requests", () => {
  let upstream: OpenAIUpstream;
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  before(async () => {
    upstream = await startOpenAIUpstream();
    gateway = await startGateway({ upstreamUrl: upstream.url, credits: 10n ** 18n });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  it("never answers 5xx, always in the error envelope, and the gateway keeps serving", async function () {
    this.timeout(300_000);
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async ({ endpoint, body }) => {
        const res = await fetch(`${gateway.baseURL}${endpoint}`, {
          method: "POST",
          headers: { authorization: `Bearer ${gateway.key}`, "content-type": "application/json" },
          body,
        });
        const text = await res.text();
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        assert.ok(res.status < 500, `${res.status} for ${endpoint} ${body}: ${text}`);
        if (res.status >= 400) {
          const parsed = JSON.parse(text) as { error?: { message?: unknown; type?: unknown } };
          assert.equal(typeof parsed.error?.message, "string");
          assert.equal(typeof parsed.error?.type, "string");
        }
      }),
      { numRuns: 3_000 },
    );
    assert.ok((seen.get(400) ?? 0) > 1_000, `mostly 400s: ${JSON.stringify([...seen])}`);
    const health = await fetch(`${gateway.url}/livez`);
    assert.equal(health.status, 200);
    assert.equal((await gateway.ledger.balance(gateway.account)).held, 0n);
  });
});
