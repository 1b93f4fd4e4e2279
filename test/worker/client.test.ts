import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "mocha";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { type WebSocket, WebSocketServer } from "ws";
import { JOB_WINDOW, type WorkerFrame } from "../../protocol/worker.js";
import { type RunningWorker, startWorker } from "../../worker/client.js";
import type { Engine, OutputDelta, ReportedUsage } from "../../worker/engines/engine.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An engine that streams `count` one-word deltas, each in its own turn of the event loop (as llama.cpp's do);
 * `seen.stopped` counts the jobs it stopped before their end (an abort, or its consumer gave up).
 */
function fastEngine(count: number, seen: { stopped: number }): Engine {
  return {
    models: () => [{ id: "m", state: "ready" }],
    onStateChange: () => {},
    start: async () => {},
    async *generate(job): AsyncGenerator<OutputDelta | { usage: ReportedUsage }> {
      let ended = false;
      try {
        for (let k = 0; k < count; k++) {
          await new Promise((resolve) => setImmediate(resolve));
          if (job.signal.aborted) return;
          yield { index: 0, text: ` w${k}`, finishReason: k === count - 1 ? "length" : null };
        }
        yield { usage: { promptTokens: 1, completionTokens: count } };
        ended = true;
      } finally {
        if (!ended) seen.stopped++;
      }
    },
    embed: async () => {
      throw new Error("unused");
    },
    close: async () => {},
  };
}

/** A gateway written by hand: it welcomes the worker and records every frame it sends. */
describe("worker › serving jobs over the connection (coalesced deltas, flow control, cancel)", function () {
  this.timeout(20_000);
  let wss: WebSocketServer;
  let socket: WebSocket;
  const frames: WorkerFrame[] = [];
  let worker: RunningWorker;
  const seen = { stopped: 0 };

  before(async () => {
    wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await new Promise((resolve) => wss.once("listening", resolve));
    const connected = new Promise<void>((resolve) =>
      wss.on("connection", (ws) => {
        socket = ws;
        ws.on("message", (data) => {
          const frame = JSON.parse(String(data)) as WorkerFrame;
          if (frame.t === "hello") {
            ws.send(JSON.stringify({ t: "welcome", workerId: "wkr_1", address: frame.address }));
            resolve();
          } else frames.push(frame);
        });
        ws.send(JSON.stringify({ t: "challenge", nonce: "0".repeat(32), protocol: 1 }));
      }),
    );
    worker = startWorker({
      gatewayUrl: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`,
      token: "wk-basis-test",
      wallet: privateKeyToAccount(generatePrivateKey()),
      name: "t",
      concurrency: 4,
      engine: fastEngine(1_000, seen),
      deltaFrameIntervalMs: 5,
    });
    await connected;
  });
  after(async () => {
    await worker?.stop();
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(resolve));
  });

  const job = (id: string) =>
    socket.send(JSON.stringify({ t: "job", id, model: "m", endpoint: "completion", body: { prompt: "x" } }));
  const of = (id: string) => frames.filter((f) => "id" in f && f.id === id);
  const deltas = (id: string) =>
    of(id).flatMap((f) => (f.t === "delta" ? f.d : [])) as { i: number; text: string; finish?: string }[];
  async function until(what: () => boolean, ms = 10_000) {
    const deadline = Date.now() + ms;
    while (!what()) {
      if (Date.now() > deadline) throw new Error("timed out");
      await sleep(5);
    }
  }

  it("sends the first token in a frame of its own, gathers the rest, and holds the window without holding back", async () => {
    job("a");
    await until(() => deltas("a").length >= JOB_WINDOW);
    await sleep(100);
    // Nothing is acknowledged: exactly the window is out, every delta of it sent (none left pending in the worker).
    assert.equal(deltas("a").length, JOB_WINDOW);
    const first = of("a")[0];
    assert.deepEqual(first, { t: "delta", id: "a", d: [{ i: 0, text: " w0" }] });
    assert.ok(of("a").length < JOB_WINDOW / 4, `${JOB_WINDOW} deltas in ${of("a").length} frames`);
    // Each acknowledgement lets exactly that many more through, and the job runs to its end in order.
    socket.send(JSON.stringify({ t: "ack", id: "a", n: 64 }));
    await until(() => deltas("a").length >= JOB_WINDOW + 64);
    await sleep(100);
    assert.equal(deltas("a").length, JOB_WINDOW + 64);
    for (let acked = 64; acked < 1_000; acked += 64) socket.send(JSON.stringify({ t: "ack", id: "a", n: 64 }));
    await until(() => of("a").some((f) => f.t === "done"));
    const texts = deltas("a").map((d) => d.text);
    assert.deepEqual(
      texts,
      Array.from({ length: 1_000 }, (_, k) => ` w${k}`),
    );
    assert.equal(deltas("a").at(-1)?.finish, "length");
    assert.deepEqual(
      of("a")
        .slice(-2)
        .map((f) => f.t),
      ["usage", "done"],
      "usage and done come after every delta",
    );
  });

  it("a cancel stops the engine: no usage or done follows, nothing more is sent and the slot is free", async () => {
    job("b");
    await until(() => deltas("b").length >= 10);
    socket.send(JSON.stringify({ t: "cancel", id: "b" }));
    await until(() => seen.stopped === 1);
    await sleep(50); // frames already on the wire
    const count = of("b").length;
    await sleep(150);
    assert.equal(of("b").length, count, "no frame after the cancel took effect");
    assert.ok(!of("b").some((f) => f.t === "done" || f.t === "usage"));
    assert.equal(worker.inflight(), 0);
  });
});
