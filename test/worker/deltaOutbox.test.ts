import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { parseWorkerFrame } from "../../gateway/workers/frames.js";
import { MAX_FRAME_BYTES, type WorkerFrame } from "../../protocol/worker.js";
import { DeltaOutbox, type WireDelta } from "../../worker/deltaOutbox.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** An outbox whose frames are recorded with the time each went out. */
function outbox(intervalMs: number) {
  const frames: { at: number; d: WireDelta[] }[] = [];
  const box = new DeltaOutbox(
    "job",
    (frame: WorkerFrame) => {
      assert.equal(frame.t, "delta");
      if (frame.t === "delta") frames.push({ at: performance.now(), d: frame.d });
    },
    intervalMs,
  );
  return { box, frames, texts: () => frames.flatMap((f) => f.d.map((d) => d.text)) };
}

describe("worker › delta frames (the first token at once, a fast stream's deltas gathered)", () => {
  it("sends the first token at once, and the deltas the engine produced in one turn as one frame", async () => {
    const { box, frames, texts } = outbox(20);
    box.add({ i: 0, text: "" }); // an empty delta (a role chunk) is not the first token: it does not start the pacing
    box.add({ i: 0, text: "Once" });
    assert.equal(frames.length, 2, "the first token is not held back");
    box.add({ i: 0, text: " upon" });
    box.add({ i: 0, text: " a" });
    box.add({ i: 0, text: " time", finish: "length" });
    assert.equal(frames.length, 2);
    await sleep(40);
    assert.equal(frames.length, 3, "what came within the interval goes in one frame");
    assert.deepEqual(frames[2]?.d, [
      { i: 0, text: " upon" },
      { i: 0, text: " a" },
      { i: 0, text: " time", finish: "length" },
    ]);
    assert.deepEqual(texts(), ["", "Once", " upon", " a", " time"]);
  });

  it("sends a slow stream token by token without waiting, and a fast one at most a frame per interval", async () => {
    const slow = outbox(10);
    slow.box.add({ i: 0, text: "a" });
    for (let k = 0; k < 3; k++) {
      await sleep(25);
      slow.box.add({ i: 0, text: ` ${k}` });
      await turn();
      assert.equal(slow.frames.length, k + 2, "a delta after a quiet interval goes out in the same turn");
    }

    const fast = outbox(30);
    const started = performance.now();
    let added = 0;
    while (performance.now() - started < 300) {
      fast.box.add({ i: 0, text: ` ${added++}` });
      await sleep(1);
    }
    fast.box.flush();
    const elapsed = performance.now() - started;
    assert.equal(fast.texts().length, added, "every delta is sent once");
    assert.deepEqual(
      fast.texts(),
      Array.from({ length: added }, (_, k) => ` ${k}`),
    );
    // The first token alone, then at most one frame per 30 ms, however fast the deltas came.
    assert.ok(fast.frames.length <= Math.ceil(elapsed / 30) + 2, `${fast.frames.length} frames in ${elapsed} ms`);
  });

  it("sends what is pending at once on flush, drops it on discard, and never sends after discard", async () => {
    const { box, frames, texts } = outbox(10);
    box.add({ i: 0, text: "a" });
    box.add({ i: 0, text: " b" });
    box.flush(); // before a usage, done or fail frame
    assert.deepEqual(texts(), ["a", " b"]);
    box.add({ i: 0, text: " c" });
    box.discard(); // the job was cancelled
    await sleep(30);
    assert.equal(frames.length, 2);
  });

  it("keeps frames far below the gateway's limit: at most 64 deltas and bounded text per frame", async () => {
    const { box, frames, texts } = outbox(5);
    box.add({ i: 0, text: "first" });
    for (let k = 0; k < 200; k++) box.add({ i: k % 3, text: "\u0001".repeat(k % 7 === 0 ? 30_000 : 10) });
    await sleep(30);
    assert.equal(texts().length, 201);
    for (const frame of frames) {
      assert.ok(frame.d.length <= 64);
      const wire = JSON.stringify({ t: "delta", id: "job", d: frame.d });
      assert.ok(Buffer.byteLength(wire) < MAX_FRAME_BYTES, `${Buffer.byteLength(wire)} bytes`);
      assert.ok("frame" in parseWorkerFrame(wire, false), "the gateway accepts it");
    }
  });
});
