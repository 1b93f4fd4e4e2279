import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, it } from "mocha";
import { isDeltaFrame, parseWorkerFrame } from "../../gateway/workers/frames.js";
import { JOB_WINDOW, workerFrameSchema } from "../../protocol/worker.js";

const RUNS = process.env.BASIS_DEEP ? 20_000 : 2_000;

const text = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom("", " word", '"', "\\", "\u2028", "😀", "\ud800", "x".repeat(65_536), "x".repeat(65_537)),
);
/** Values of every JSON type, near the bounds the schema draws. */
const anyValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 127, 128, -0, "", "stop", "length", "eos", [], {}, [0], { i: 0 }),
  fc.integer(),
  fc.string({ maxLength: 4 }),
);
const validEntry = fc.record(
  {
    i: fc.integer({ min: 0, max: 127 }),
    text: fc.string({ maxLength: 8 }),
    finish: fc.constantFrom("stop", "length"),
    logprobs: fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 2 })),
  },
  { requiredKeys: ["i", "text"] },
);
const validFrame = fc.record({
  t: fc.constant("delta"),
  id: fc.string({ minLength: 1, maxLength: 64 }),
  d: fc.array(validEntry, { minLength: 1, maxLength: 8 }),
});
/** A delta frame with one thing possibly wrong: a key's value, a key too many or missing, the bounds. */
const nearFrame = fc.oneof(
  validFrame,
  fc.tuple(validFrame, fc.constantFrom("t", "id", "d", "extra"), anyValue).map(([f, k, v]) => ({ ...f, [k]: v })),
  fc.tuple(validFrame, fc.constantFrom("t", "id", "d")).map(([f, k]) => {
    const { [k as "t"]: _, ...rest } = f;
    return rest;
  }),
  fc
    .tuple(validFrame, fc.nat(7), fc.constantFrom("i", "text", "finish", "logprobs", "extra"), anyValue)
    .map(([f, n, k, v]) => ({ ...f, d: f.d.map((e, j) => (j === n % f.d.length ? { ...e, [k]: v } : e)) })),
  fc.tuple(validFrame, text).map(([f, t]) => ({ ...f, d: [{ i: 0, text: t }] })),
  fc.tuple(validFrame, fc.constantFrom(0, 64, 65, JOB_WINDOW, JOB_WINDOW + 1)).map(([f, n]) => ({
    ...f,
    id: "j".repeat(n),
  })),
  fc.constantFrom(JOB_WINDOW, JOB_WINDOW + 1, 0).map((n) => ({
    t: "delta",
    id: "j",
    d: Array.from({ length: n }, () => ({ i: 0, text: "x" })),
  })),
  anyValue,
);

describe("workers › the gateway's check of delta frames", () => {
  it("accepts exactly the delta frames the protocol's schema accepts (the hand check never lets more through)", () => {
    let handAccepted = 0;
    fc.assert(
      fc.property(nearFrame, (frame) => {
        const bySchema = workerFrameSchema.safeParse(frame).success;
        const byHand = isDeltaFrame(frame);
        if (byHand) handAccepted++;
        // The hand check may only accept what the schema accepts (what it refuses goes to the schema).
        if (byHand) assert.ok(bySchema, `accepted by hand, refused by the schema: ${JSON.stringify(frame)}`);
        const parsed = parseWorkerFrame(JSON.stringify(frame), false);
        assert.equal("frame" in parsed, bySchema, JSON.stringify(frame).slice(0, 200));
        // And on every valid delta frame it is the fast path, not the schema.
        if (bySchema && (frame as { t?: unknown }).t === "delta") assert.ok(byHand, JSON.stringify(frame));
      }),
      { numRuns: RUNS },
    );
    assert.ok(handAccepted > RUNS / 10, `only ${handAccepted} frames took the fast path`);
  });

  it("hands back a coalesced frame whole, in order, and names what is wrong with a malformed one", () => {
    const d = Array.from({ length: JOB_WINDOW }, (_, k) => ({ i: k % 2, text: ` w${k}` }));
    const parsed = parseWorkerFrame(Buffer.from(JSON.stringify({ t: "delta", id: "job_1", d })), false);
    assert.deepEqual(parsed, { frame: { t: "delta", id: "job_1", d } });
    const tooMany = parseWorkerFrame(
      JSON.stringify({ t: "delta", id: "job_1", d: [...d, { i: 0, text: "x" }] }),
      false,
    );
    assert.match("error" in tooMany ? tooMany.error : "", /^a malformed frame \(d: /);
    const badChoice = parseWorkerFrame(
      JSON.stringify({ t: "delta", id: "j", d: [{ i: 0, text: "a" }, { i: 128 }] }),
      false,
    );
    assert.match("error" in badChoice ? badChoice.error : "", /^a malformed frame \(d\.1\./);
    assert.deepEqual(parseWorkerFrame("{ nope", false), { error: "a frame that is not JSON" });
    assert.deepEqual(parseWorkerFrame(Buffer.from("{}"), true), { error: "a binary frame" });
  });
});
