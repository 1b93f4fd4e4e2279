import assert from "node:assert/strict";
import { mkdtemp, rm, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "mocha";
import { readGgufFileInfo } from "node-llama-cpp";
import { BackendUnavailableError } from "../../gateway/routing/backend.js";
import { buildTinyModel, writeTinyModel } from "../../scripts/model/tinyModel.js";
import type { Engine, ModelHealth, OutputDelta, ReportedUsage } from "../../worker/engines/engine.js";
import { createLlamaEngine } from "../../worker/engines/llama.js";

const MODEL = "basis-tiny";

type Run = {
  /** Deltas of each choice before its last one. */
  tokens: Map<number, OutputDelta[]>;
  /** Each choice's last delta. */
  finals: Map<number, OutputDelta>;
  texts: Map<number, string>;
  usage: ReportedUsage | null;
};

/** Runs one job to the end and sorts what it yielded by choice. */
async function run(
  engine: Engine,
  body: Record<string, unknown>,
  options: { endpoint?: "chat" | "completion"; signal?: AbortSignal; onDelta?: (d: OutputDelta) => void } = {},
): Promise<Run> {
  const result: Run = { tokens: new Map(), finals: new Map(), texts: new Map(), usage: null };
  const job = {
    jobId: "job",
    model: MODEL,
    endpoint: options.endpoint ?? "completion",
    body,
    signal: options.signal ?? new AbortController().signal,
  };
  for await (const item of engine.generate(job)) {
    if ("usage" in item) {
      assert.equal(result.usage, null, "usage comes once");
      result.usage = item.usage;
      continue;
    }
    assert.equal(result.usage, null, "usage comes last");
    assert.ok(!result.finals.has(item.index), `choice ${item.index} yielded after its last delta`);
    options.onDelta?.(item);
    result.texts.set(item.index, (result.texts.get(item.index) ?? "") + item.text);
    if (item.finishReason) result.finals.set(item.index, item);
    // A choice cut at max_tokens finishes on its last token; one that stops gets a separate last delta.
    if (item.finishReason !== "stop") result.tokens.set(item.index, [...(result.tokens.get(item.index) ?? []), item]);
  }
  return result;
}

/** Words separated by single spaces, with punctuation: what the tiny model's vocabulary generates. */
const READABLE = /^( [A-Za-z0-9.,!?;:'-]+)+$/;

describe("worker › llama engine (node-llama-cpp) on a generated tiny model", function () {
  this.timeout(60_000);
  let dir: string;
  let modelPath: string;
  let engine: Engine;
  let statesBeforeStart: ModelHealth[];
  const transitions: ModelHealth[][] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "basis-llama-"));
    modelPath = join(dir, "tiny.gguf");
    await writeTinyModel(modelPath);
    engine = createLlamaEngine({ modelPath, models: [MODEL, "alias"], parallel: 2, threads: 1, contextSize: 1024 });
    statesBeforeStart = engine.models().map((m) => m.state);
    engine.onStateChange(() => transitions.push(engine.models().map((m) => m.state)));
    await engine.start();
  });
  after(async () => {
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe("the tiny model", () => {
    it("is deterministic: the same seed gives the same bytes, another seed other bytes", () => {
      const a = buildTinyModel({ seed: 7 }).file;
      const b = buildTinyModel({ seed: 7 }).file;
      const c = buildTinyModel({ seed: 8 }).file;
      assert.ok(Buffer.from(a).equals(Buffer.from(b)));
      assert.equal(a.length, c.length);
      assert.ok(!Buffer.from(a).equals(Buffer.from(c)));
    });

    it("is a GGUF v3 llama model that node-llama-cpp's own parser reads back", async () => {
      const info = await readGgufFileInfo(modelPath);
      const { info: built } = buildTinyModel();
      assert.equal(info.version, 3);
      assert.equal(info.metadata.general.architecture, "llama");
      assert.equal(info.metadata.tokenizer.ggml.model, "llama");
      assert.equal(info.metadata.tokenizer.ggml.tokens.length, built.vocabulary);
      assert.equal(info.tensorInfo?.length, 3 + 9 * built.blocks);
      assert.deepEqual(info.tensorInfo?.find((t) => t.name === "output.weight")?.dimensions, [
        built.embedding,
        built.vocabulary,
      ]);
      for (const tensor of info.tensorInfo ?? []) assert.equal(Number(tensor.offset) % 32, 0, tensor.name);
      assert.ok(built.parameters > 500_000 && built.parameters < 2_000_000, `${built.parameters} parameters`);
    });
  });

  describe("#start and #models", () => {
    it("reports every served id loading, then ready once the model and context are loaded", () => {
      assert.deepEqual(statesBeforeStart, ["loading", "loading"]);
      assert.deepEqual(transitions, [["ready", "ready"]]);
      assert.deepEqual(engine.models(), [
        { id: MODEL, state: "ready" },
        { id: "alias", state: "ready" },
      ]);
    });

    it("turns unavailable when the file is not a model, and refuses jobs before any delta", async () => {
      const path = join(dir, "broken.gguf");
      await writeTinyModel(path, { blocks: 1 });
      // Truncated: the header parses, the tensor data is missing.
      await truncate(path, 100_000);
      const broken = createLlamaEngine({ modelPath: path, models: [MODEL], logLevel: "disabled" });
      try {
        await assert.rejects(broken.start());
        assert.deepEqual(broken.models(), [{ id: MODEL, state: "unavailable" }]);
        await assert.rejects(run(broken, { prompt: "Hello", max_tokens: 4 }), BackendUnavailableError);
      } finally {
        await broken.close();
      }
    });

    it("refuses a model it does not serve with BackendUnavailableError", async () => {
      const job = {
        jobId: "j",
        model: "other",
        endpoint: "completion" as const,
        body: { prompt: "Hi", max_tokens: 2 },
      };
      const iterator = engine.generate({ ...job, signal: new AbortController().signal })[Symbol.asyncIterator]();
      await assert.rejects(iterator.next(), BackendUnavailableError);
      await assert.rejects(
        engine.embed({ jobId: "e", model: MODEL, inputs: ["x"], signal: new AbortController().signal }),
        BackendUnavailableError,
      );
    });
  });

  describe("#generate (completions)", () => {
    it("streams exactly max_tokens tokens of readable text, then finish 'length' and matching usage", async () => {
      const result = await run(engine, { prompt: "The capital of France is", max_tokens: 24 });
      assert.equal(result.tokens.get(0)?.length, 24);
      assert.equal(result.finals.get(0)?.finishReason, "length");
      assert.match(result.texts.get(0) ?? "", READABLE);
      assert.deepEqual(result.usage, { promptTokens: 6, completionTokens: 24 });
    });

    it("streams incrementally: the first token arrives long before the last", async () => {
      const start = performance.now();
      let first = 0;
      await run(
        engine,
        { prompt: "Once upon a time", max_tokens: 400, temperature: 0 },
        {
          onDelta: () => {
            first ||= performance.now() - start;
          },
        },
      );
      const total = performance.now() - start;
      assert.ok(first < total / 4, `first token after ${first.toFixed(0)} ms of ${total.toFixed(0)} ms`);
    });

    it("is deterministic with temperature 0, and with a seed when sampling", async () => {
      const greedy = { prompt: "Hello there", max_tokens: 40, temperature: 0 };
      const a = await run(engine, greedy);
      const b = await run(engine, greedy);
      assert.equal(a.texts.get(0), b.texts.get(0));
      assert.match(a.texts.get(0) ?? "", READABLE);
      const seeded = { prompt: "Hello there", max_tokens: 40, temperature: 1, seed: 42 };
      const c = await run(engine, seeded);
      const d = await run(engine, seeded);
      const e = await run(engine, { ...seeded, seed: 43 });
      assert.equal(c.texts.get(0), d.texts.get(0));
      assert.notEqual(c.texts.get(0), e.texts.get(0));
      assert.notEqual(c.texts.get(0), a.texts.get(0));
    });

    it("ends a choice before a stop sequence, even one that spans tokens", async () => {
      const body = { prompt: "One two three", max_tokens: 30, temperature: 0 };
      const full = (await run(engine, body)).texts.get(0) ?? "";
      const fifth = full.split(" ").slice(0, 5).join(" ").length;
      // The end of the fourth word, the space, and the start of the fifth.
      const stop = full.slice(fifth - 2, fifth + 3);
      const result = await run(engine, { ...body, stop: ["never seen", stop] });
      assert.equal(result.texts.get(0), full.slice(0, full.indexOf(stop)));
      assert.equal(result.finals.get(0)?.finishReason, "stop");
      assert.ok((result.usage?.completionTokens ?? 99) < 30);
    });

    it("serves n choices and prompt arrays as choices prompt * n + j, echoing prompts when asked", async () => {
      const result = await run(engine, { prompt: ["Hello", "The world"], n: 2, max_tokens: 5, echo: true });
      assert.deepEqual([...result.finals.keys()].sort(), [0, 1, 2, 3]);
      for (const [index, final] of result.finals) {
        assert.equal(final.finishReason, "length");
        const prompt = index < 2 ? "Hello" : "The world";
        assert.equal(result.tokens.get(index)?.[0]?.text, prompt);
        assert.equal(result.tokens.get(index)?.length, 1 + 5);
      }
      // Each prompt counted once: BOS + its tokens.
      assert.deepEqual(result.usage, { promptTokens: 2 + 3, completionTokens: 4 * 5 });
    });

    it("returns OpenAI legacy logprobs per token", async () => {
      const result = await run(engine, { prompt: "Hello", max_tokens: 8, logprobs: 3, temperature: 0 });
      let offset = 0;
      for (const delta of result.tokens.get(0) ?? []) {
        const lp = delta.logprobs as {
          tokens: string[];
          token_logprobs: number[];
          top_logprobs: Record<string, number>[];
          text_offset: number[];
        };
        assert.deepEqual(lp.tokens, [delta.text]);
        assert.deepEqual(lp.text_offset, [offset]);
        offset += delta.text.length;
        const top = lp.top_logprobs[0] ?? {};
        assert.equal(Object.keys(top).length, 3);
        // Greedy decoding picks the most likely token.
        assert.equal(lp.token_logprobs[0], Math.max(...Object.values(top)));
        assert.ok((lp.token_logprobs[0] ?? 1) <= 0);
      }
    });
  });

  describe("#generate (chat)", () => {
    it("renders messages with the model's chat wrapper and generates n choices", async () => {
      const messages = [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Say something." },
      ];
      const result = await run(engine, { messages, max_tokens: 12, n: 2 }, { endpoint: "chat" });
      assert.deepEqual([...result.finals.keys()].sort(), [0, 1]);
      for (const index of [0, 1]) {
        assert.equal(result.tokens.get(index)?.length, 12);
        assert.ok((result.texts.get(index) ?? "").trim().length > 0);
      }
      assert.equal(result.usage?.completionTokens, 24);
      assert.ok((result.usage?.promptTokens ?? 0) > 8);
    });

    it("constrains the output to JSON with response_format json_object", async () => {
      const messages = [{ role: "user", content: "Answer in JSON." }];
      const body = { messages, max_tokens: 48, temperature: 0, response_format: { type: "json_object" } };
      const result = await run(engine, body, { endpoint: "chat" });
      const text = result.texts.get(0) ?? "";
      assert.match(text, /^\s*[[{]/);
      if (result.finals.get(0)?.finishReason === "stop") JSON.parse(text);
    });
  });

  describe("concurrency and cancellation", () => {
    it("runs jobs on parallel sequences and queues the rest until one is free", async () => {
      const bodies = [0, 1, 2].map((i) => ({ prompt: `Job ${i}`, max_tokens: 30, temperature: 0 }));
      const results = await Promise.all(bodies.map((body) => run(engine, body)));
      for (const result of results) {
        assert.equal(result.tokens.get(0)?.length, 30);
        assert.equal(result.usage?.completionTokens, 30);
      }
    });

    it("stops within a second of an abort, mid-stream and while waiting for a sequence", async () => {
      const long = { prompt: "Once upon a time", max_tokens: 1000 };
      const streaming = new AbortController();
      let abortedAt = 0;
      let seen = 0;
      const busy = new AbortController();
      const blockers = [run(engine, long, { signal: busy.signal }), run(engine, long, { signal: busy.signal })];
      const queued = new AbortController();
      const waiting = run(engine, long, { signal: queued.signal });
      setTimeout(() => queued.abort(), 50);
      const waited = await waiting;
      assert.equal(waited.texts.size, 0, "a job aborted in the queue yields nothing");
      busy.abort();
      await Promise.all(blockers);

      const result = await run(engine, long, {
        signal: streaming.signal,
        onDelta: () => {
          if (++seen === 5) {
            streaming.abort();
            abortedAt = performance.now();
          }
        },
      });
      assert.ok(performance.now() - abortedAt < 1_000);
      assert.equal(result.tokens.get(0)?.length, 5);
      assert.equal(result.finals.size, 0);
      // The sequences are free again.
      const after = await run(engine, { prompt: "Hello", max_tokens: 3 });
      assert.equal(after.tokens.get(0)?.length, 3);
    });
  });

  describe("#close", () => {
    it("ends running jobs, marks the models unavailable and refuses new jobs", async () => {
      let seen = 0;
      const running = run(engine, { prompt: "Once upon a time", max_tokens: 1000 }, { onDelta: () => seen++ }).then(
        () => null,
        (error: Error) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      await engine.close();
      assert.match(String(await running), /closed during the job/);
      assert.ok(seen > 0 && seen < 1000);
      assert.deepEqual(engine.models(), [
        { id: MODEL, state: "unavailable" },
        { id: "alias", state: "unavailable" },
      ]);
      await assert.rejects(run(engine, { prompt: "Hello", max_tokens: 2 }), BackendUnavailableError);
    });
  });
});
