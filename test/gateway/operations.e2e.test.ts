import assert from "node:assert/strict";
import { after, before, describe, it } from "mocha";
import OpenAI from "openai";
import { type OpenAIUpstream, startOpenAIUpstream } from "../../scripts/dev/openaiUpstream.js";
import { startGateway } from "./support/startGateway.js";

describe("gateway › operations", () => {
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

  it("serves liveness and readiness", async () => {
    assert.equal((await fetch(`${gateway.url}/livez`)).status, 200);
    assert.equal((await fetch(`${gateway.url}/readyz`)).status, 200);
  });

  it("exports Prometheus metrics counting requests, jobs and tokens", async () => {
    const client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.key, maxRetries: 0 });
    const data = await client.chat.completions.create({
      model: "basis-small",
      messages: [{ role: "user", content: "m" }],
    });
    const text = await fetch(`${gateway.url}/metrics`).then((r) => r.text());
    assert.match(text, /basis_http_requests_total\{route="\/v1\/chat\/completions",method="POST",status="200"\} 1/);
    assert.match(text, /basis_jobs_total\{model="basis-small",finish_reason="stop",served_by="gateway"\} 1/);
    assert.match(
      text,
      new RegExp(`basis_tokens_total\\{model="basis-small",kind="completion"\\} ${data.usage?.completion_tokens}`),
    );
  });

  it("publishes an OpenAPI document generated from the request schemas, and interactive docs", async () => {
    const doc = (await fetch(`${gateway.url}/openapi.json`).then((r) => r.json())) as {
      openapi: string;
      paths: Record<
        string,
        {
          post?: {
            requestBody: {
              content: { "application/json": { schema: { required: string[]; additionalProperties: boolean } } };
            };
          };
        }
      >;
    };
    assert.equal(doc.openapi, "3.1.0");
    const chat = doc.paths["/v1/chat/completions"]?.post?.requestBody.content["application/json"].schema;
    assert.deepEqual(chat?.required.sort(), ["messages", "model"]);
    assert.equal(chat?.additionalProperties, false);
    const docs = await fetch(`${gateway.url}/docs`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /openapi\.json/);
  });

  it("answers unknown routes with the error envelope", async () => {
    const res = await fetch(`${gateway.url}/v1/nope`);
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: { type: string; code: string } };
    assert.equal(body.error.code, "not_found");
  });
});

describe("gateway › rate limits per key", () => {
  it("answers 429 with Retry-After and x-ratelimit-* headers past the requests per minute", async () => {
    const upstream = await startOpenAIUpstream();
    const gateway = await startGateway({
      upstreamUrl: upstream.url,
      credits: 10n ** 18n,
      rateLimits: { requestsPerMinute: 2, tokensPerMinute: 1_000_000 },
    });
    try {
      const client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.key, maxRetries: 0 });
      const ask = () =>
        client.chat.completions
          .create({ model: "basis-small", messages: [{ role: "user", content: "r" }], max_tokens: 2 })
          .withResponse();
      const first = await ask();
      assert.equal(first.response.headers.get("x-ratelimit-limit-requests"), "2");
      assert.equal(first.response.headers.get("x-ratelimit-remaining-requests"), "1");
      await ask();
      const error = await ask().catch((e) => e);
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.ok(Number(error.headers.get("retry-after")) >= 1);
      assert.equal(error.headers.get("x-ratelimit-remaining-requests"), "0");
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });

  it("answers 429 when a request's tokens exceed the tokens per minute", async () => {
    const upstream = await startOpenAIUpstream();
    const gateway = await startGateway({
      upstreamUrl: upstream.url,
      credits: 10n ** 18n,
      rateLimits: { requestsPerMinute: 100, tokensPerMinute: 50 },
    });
    try {
      const client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.key, maxRetries: 0 });
      const error = await client.chat.completions
        .create({ model: "basis-small", messages: [{ role: "user", content: "t" }], max_tokens: 100 })
        .catch((e) => e);
      assert.equal(error.status, 429);
      assert.equal((await gateway.ledger.balance(gateway.account)).held, 0n);
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });
});
