import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "mocha";
import { BackendUnavailableError, type OutputDelta, type ReportedUsage } from "../../gateway/routing/backend.js";
import { createUpstreamBackend } from "../../gateway/routing/upstream.js";
import { type OpenAIUpstream, startOpenAIUpstream } from "../../scripts/dev/openaiUpstream.js";
import { freePort } from "./support/gatewayProcess.js";

type Item = OutputDelta | { usage: ReportedUsage };
const job = (signal = new AbortController().signal, max_tokens = 12) => ({
  jobId: "job-upstream-test",
  model: "basis-default",
  endpoint: "chat" as const,
  body: { messages: [{ role: "user", content: "Hi" }], max_tokens },
  signal,
});
const texts = (items: Item[]) => items.map((i) => ("text" in i ? i.text : "")).join("");

/** Reads a generation to its end, or until `stopAfter` deltas; what it yielded, and what it threw. */
async function read(generation: AsyncIterable<Item>, stopAfter = Number.POSITIVE_INFINITY) {
  const items: Item[] = [];
  let deltas = 0;
  try {
    for await (const item of generation) {
      items.push(item);
      if ("text" in item && ++deltas >= stopAfter) break;
    }
    return { items, error: null };
  } catch (error) {
    return { items, error: error as Error };
  }
}

/** A raw HTTP server that answers every request by writing `pieces` (delayed a turn each) as an event stream. */
async function rawServer(pieces: (string | Buffer)[]): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    for await (const _ of req);
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (const piece of pieces) {
      res.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}

describe("gateway › routing › the upstream backend", () => {
  let upstream: OpenAIUpstream;
  let connections = 0;
  before(async () => {
    upstream = await startOpenAIUpstream();
    upstream.server.on("connection", () => connections++);
  });
  after(async () => {
    await upstream.close();
  });
  const backend = () => createUpstreamBackend({ url: upstream.url, serves: ["basis-default"], timeoutMs: 5_000 });

  it("streams the deltas, finish reason and usage of an answer, and reuses its connection for the next", async () => {
    upstream.setBehavior({});
    const b = backend();
    connections = 0;
    for (let i = 0; i < 3; i++) {
      const { items, error } = await read(b.generate(job()));
      // The generation ends at `[DONE]`; the response's last bytes follow in a moment, then the connection is free.
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(error, null);
      const deltas = items.filter((x): x is OutputDelta => "text" in x);
      assert.equal(deltas.filter((d) => d.text !== "").length, 12);
      assert.equal(deltas.at(-1)?.finishReason, "stop");
      assert.deepEqual(items.at(-1), { usage: { promptTokens: 1, completionTokens: 12 } });
    }
    assert.equal(connections, 1);
    await b.close();
  });

  it("keeps the connection of a call the relay stops reading just before its end (cut at the cap)", async () => {
    // The finish chunk, the usage and `[DONE]` come 2 ms after the last delta, when the relay has stopped reading.
    upstream.setBehavior({ tokenDelayMs: 2 });
    const b = backend();
    connections = 0;
    for (let i = 0; i < 3; i++) {
      const { items } = await read(b.generate(job()), 12);
      assert.equal(items.length, 12);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const { error } = await read(b.generate(job()));
    assert.equal(error, null);
    assert.equal(connections, 1);
    upstream.setBehavior({});
    await b.close();
  });

  it("cuts a call the relay stops reading long before its end, and one whose job is aborted, at once", async () => {
    upstream.setBehavior({ words: 2_000, tokenDelayMs: 1 });
    const b = backend();
    const { items } = await read(b.generate(job(undefined, 2_000)), 3);
    assert.equal(items.length, 3);
    const abort = new AbortController();
    const reading = read(b.generate(job(abort.signal, 2_000)));
    await new Promise((resolve) => setTimeout(resolve, 30));
    abort.abort();
    const aborted = await reading;
    assert.equal(aborted.error?.name, "AbortError");
    for (let i = 0; i < 100 && upstream.streaming() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(upstream.streaming(), 0, "the upstream still streams to a call nobody reads");
    upstream.setBehavior({});
    await b.close();
  });

  it("answers an error status as BackendUnavailableError with the status and the body, yielding nothing", async () => {
    upstream.setBehavior({ failStatus: 503 });
    const b = backend();
    const { items, error } = await read(b.generate(job()));
    assert.equal(items.length, 0);
    assert.ok(error instanceof BackendUnavailableError);
    assert.equal(error.status, 503);
    assert.match(error.upstreamBody ?? "", /injected failure/);
    upstream.setBehavior({});
    await b.close();
  });

  it("answers an unreachable upstream as BackendUnavailableError", async () => {
    const b = createUpstreamBackend({
      url: `http://127.0.0.1:${await freePort()}/v1`,
      serves: ["basis-default"],
      timeoutMs: 1_000,
    });
    const { error } = await read(b.generate(job()));
    assert.ok(error instanceof BackendUnavailableError);
    assert.match(error.message, /^upstream unreachable/);
    await b.close();
  });

  it("yields what came before a connection lost mid-stream, then throws (not BackendUnavailableError)", async () => {
    upstream.setBehavior({ dropAfterTokens: 3, tokenDelayMs: 5 });
    const b = backend();
    const { items, error } = await read(b.generate(job()));
    // The upstream destroys its socket right after writing the third: that one may or may not have left it.
    const words = texts(items).split(" ").length;
    assert.ok(words >= 2 && words <= 3, `${words} words`);
    assert.ok(error);
    assert.ok(!(error instanceof BackendUnavailableError));
    upstream.setBehavior({});
    await b.close();
  });

  it("parses events split anywhere, CRLF lines, comments and characters cut between reads", async () => {
    const event = (text: string) =>
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\r\n\r\n`;
    const bytes = Buffer.from(`: comment\n\n${event("héllo ")}${event("wörld 😀")}data: [DONE]\n\n`);
    const cuts = [3, 20, 41, 42, bytes.indexOf(Buffer.from("😀")) + 1, bytes.length - 3];
    const pieces = cuts.map((cut, i) => bytes.subarray(i === 0 ? 0 : (cuts[i - 1] as number), cut));
    pieces.push(bytes.subarray(cuts.at(-1) as number));
    const raw = await rawServer(pieces);
    const b = createUpstreamBackend({ url: raw.url, serves: ["basis-default"], timeoutMs: 5_000 });
    const { items, error } = await read(b.generate(job()));
    assert.equal(error, null);
    assert.equal(texts(items), "héllo wörld 😀");
    await b.close();
    raw.server.close();
  });

  it("fails on a malformed event, yielding the events of earlier reads only", async () => {
    const event = (text: string) =>
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;
    const raw = await rawServer([event("one "), `${event("two ")}data: {nope\n\n`, event("three")]);
    const b = createUpstreamBackend({ url: raw.url, serves: ["basis-default"], timeoutMs: 5_000 });
    const { items, error } = await read(b.generate(job()));
    assert.equal(texts(items), "one ");
    assert.ok(error instanceof SyntaxError);
    await b.close();
    raw.server.close();
  });
});
