import assert from "node:assert/strict";
import { describe, it } from "mocha";
import type { Address } from "viem";
import type { BackendJob } from "../../gateway/routing/backend.js";
import { MISMATCH_STREAK, usageDisagrees, WorkerLink } from "../../gateway/workers/link.js";
import { createWorkerRouter } from "../../gateway/workers/router.js";
import { ACK_EVERY, type GatewayFrame, JOB_WINDOW } from "../../protocol/worker.js";

function link(id: string, concurrency = 2, models: string[] = ["basis-default"]) {
  const sent: GatewayFrame[] = [];
  const violations: string[] = [];
  const suspicions: string[] = [];
  const l = new WorkerLink(
    id,
    `0x${"1".repeat(40)}` as Address,
    id,
    `tok-${id}`,
    concurrency,
    { firstTokenMs: 1_000, stallMs: 500 },
    {
      send: (f) => sent.push(f),
      violation: (r) => violations.push(r),
      suspect: (r) => suspicions.push(r),
      changed: () => {},
    },
  );
  l.setModels(models.map((m) => ({ id: m, state: "ready" as const })));
  return { l, sent, violations, suspicions };
}

const job = (jobId: string, signal = new AbortController().signal): BackendJob => ({
  jobId,
  model: "basis-default",
  endpoint: "chat",
  body: { messages: [] },
  signal,
});

describe("workers › the gateway's link to one worker (flow control, violations, suspicion)", () => {
  it("acknowledges relayed deltas in steps and treats more than the window in flight as a violation", async () => {
    const { l, sent, violations } = link("a");
    const it = l.generate(job("j1"))[Symbol.asyncIterator]();
    const first = it.next();
    l.receive({ t: "delta", id: "j1", d: Array.from({ length: ACK_EVERY }, () => ({ i: 0, text: "x" })) }, Date.now());
    await first;
    for (let k = 1; k < ACK_EVERY; k++) await it.next();
    const ackPending = it.next();
    l.receive({ t: "delta", id: "j1", d: [{ i: 0, text: "y" }] }, Date.now());
    await ackPending;
    assert.deepEqual(
      sent.filter((f) => f.t === "ack"),
      [{ t: "ack", id: "j1", n: ACK_EVERY }],
    );
    assert.deepEqual(violations, []);
    // Now 1 unacknowledged; a full window more overflows it.
    l.receive({ t: "delta", id: "j1", d: Array.from({ length: JOB_WINDOW }, () => ({ i: 0, text: "z" })) }, Date.now());
    assert.equal(violations.length, 1);
    assert.match(violations[0] ?? "", /unacknowledged/);
    await it.return?.(undefined);
  });

  it("drops late frames of a job it cancelled, but flags frames for jobs never given to it", async () => {
    const { l, sent, violations } = link("a");
    const gen = l.generate(job("j1"));
    const pending = gen.next();
    l.receive({ t: "delta", id: "j1", d: [{ i: 0, text: "hi" }] }, Date.now());
    await pending;
    await gen.return(undefined);
    assert.deepEqual(sent.at(-1), { t: "cancel", id: "j1" });
    l.receive({ t: "delta", id: "j1", d: [{ i: 0, text: "late" }] }, Date.now());
    l.receive({ t: "done", id: "j1" }, Date.now());
    assert.deepEqual(violations, []);
    l.receive({ t: "done", id: "never-given" }, Date.now());
    assert.equal(violations.length, 1);
  });

  it("a client abort or a timeout cancels the job on the worker and tolerates its frames still in flight", async () => {
    const { l, sent, violations } = link("a");
    const abort = new AbortController();
    const gen = l.generate(job("j2", abort.signal));
    const first = gen.next();
    l.receive({ t: "delta", id: "j2", d: [{ i: 0, text: "hi" }] }, Date.now());
    await first;
    const pending = gen.next();
    abort.abort();
    await assert.rejects(pending, /cancelled/);
    assert.deepEqual(sent.at(-1), { t: "cancel", id: "j2" });
    const quiet = l.generate(job("j3"));
    const quietNext = quiet.next();
    l.sweep(Date.now() + 1_001);
    await assert.rejects(quietNext);
    assert.deepEqual(sent.at(-1), { t: "cancel", id: "j3" });
    for (const id of ["j2", "j3"]) {
      l.receive({ t: "delta", id, d: [{ i: 0, text: "late" }] }, Date.now());
      l.receive({ t: "usage", id, promptTokens: 1, completionTokens: 1 }, Date.now());
      l.receive({ t: "done", id }, Date.now());
    }
    assert.deepEqual(violations, []);
  });

  it("fails a silent job before its first token as retryable, and a stalled one mid-stream as an error", async () => {
    const { l, suspicions } = link("a");
    const silent = l.generate(job("quiet"));
    const silentNext = silent.next();
    l.sweep(Date.now() + 1_001);
    await assert.rejects(silentNext, { name: "BackendUnavailableError" });
    assert.deepEqual(suspicions, []);

    const stalled = l.generate(job("stall"));
    const firstNext = stalled.next();
    l.receive({ t: "delta", id: "stall", d: [{ i: 0, text: "a" }] }, Date.now());
    await firstNext;
    const secondNext = stalled.next();
    l.sweep(Date.now() + 501);
    await assert.rejects(secondNext, (error: Error) => error.name === "Error" && /stalled/.test(error.message));
    assert.equal(suspicions.length, 1);
  });

  it("a closed connection fails its jobs, retryable only before their first token", async () => {
    const { l } = link("a");
    const fresh = l.generate(job("fresh")).next();
    const started = l.generate(job("started"));
    const startedFirst = started.next();
    l.receive({ t: "delta", id: "started", d: [{ i: 0, text: "a" }] }, Date.now());
    await startedFirst;
    const startedNext = started.next();
    l.close("gone");
    await assert.rejects(fresh, { name: "BackendUnavailableError" });
    await assert.rejects(startedNext, (error: Error) => error.name === "Error" && /gone/.test(error.message));
    assert.equal(l.health("basis-default"), "unavailable");
    assert.equal(l.inflight, 0);
  });

  it(`marks the worker suspect after ${MISMATCH_STREAK} disagreeing usage reports in a row, not after fewer`, () => {
    const { l, suspicions } = link("a");
    const counted = { promptTokens: 10, completionTokens: 100 };
    for (let k = 0; k < MISMATCH_STREAK - 1; k++) l.observeUsage(counted, { promptTokens: 10, completionTokens: 900 });
    l.observeUsage(counted, { promptTokens: 10, completionTokens: 120 }); // a tokenizer difference: fine, resets
    for (let k = 0; k < MISMATCH_STREAK - 1; k++) l.observeUsage(counted, { promptTokens: 10, completionTokens: 1 });
    l.observeUsage(counted, { promptTokens: 10, completionTokens: null }); // no report: not compared
    assert.equal(l.suspect, false);
    l.observeUsage(counted, { promptTokens: 10, completionTokens: 3 });
    assert.equal(l.suspect, true);
    assert.equal(suspicions.length, 1);
    assert.equal(usageDisagrees(0, 8), false);
    assert.equal(usageDisagrees(100, 40), true);
  });
});

describe("workers › the orchestrator (least loaded, fair ties, suspects last, upstream fallback)", () => {
  it("picks the least loaded worker, spreads ties over all workers, and never promises more slots than they have", async () => {
    const a = link("a", 50);
    const b = link("b", 50);
    const c = link("c", 50, ["basis-small"]);
    const router = createWorkerRouter({ links: () => [a.l, b.l, c.l] });
    const picks = new Map<string, number>();
    for (let k = 0; k < 100; k++) {
      const id = router.pick("basis-default")?.id ?? "none";
      picks.set(id, (picks.get(id) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(picks), { a: 50, b: 50 });
    // Every slot is promised to a job in admission: nothing more is picked until one starts or expires.
    assert.equal(router.pick("basis-default"), null);
    assert.equal(router.pick("basis-large"), null);

    const x = link("x", 2);
    const y = link("y", 2);
    const second = createWorkerRouter({ links: () => [x.l, y.l] });
    const first = second.pick("basis-default") as WorkerLink;
    void first.generate(job("busy")).next(); // takes its claim: load stays 1
    assert.notEqual(second.pick("basis-default")?.id, first.id, "the idle worker is less loaded");
    assert.equal(second.pick("basis-default", new Set(["x", "y"])), null);
  });

  it("uses a suspect worker only when no other can take the job, and the upstream only when no worker can", () => {
    const a = link("a", 1);
    const b = link("b", 1);
    b.l.suspect = true;
    const upstream = {
      id: "upstream",
      worker: null,
      health: () => "ready" as const,
      generate: () => {
        throw new Error("unused");
      },
      embed: () => {
        throw new Error("unused");
      },
    };
    const router = createWorkerRouter({ links: () => [a.l, b.l] }, [upstream]);
    assert.equal(router.pick("basis-default")?.id, "a");
    assert.equal(router.pick("basis-default", new Set(["a"]))?.id, "b");
    assert.equal(router.pick("basis-default", new Set(["a", "b"]))?.id, "upstream");
    a.l.close("gone");
    b.l.close("gone");
    assert.equal(router.pick("basis-default")?.id, "upstream");
    assert.equal(router.health("basis-default"), "ready");
    assert.equal(createWorkerRouter({ links: () => [] }).mode(), "pending");
  });

  it("queues a job while every worker is busy: the first slot to free up takes it; a timeout or an abort gives up", async () => {
    const listeners: (() => void)[] = [];
    const a = link("a", 1);
    const router = createWorkerRouter({ links: () => [a.l], onChange: (l) => void listeners.push(l) }, [], {
      queueTimeoutMs: 300,
    });
    const busy = a.l.generate(job("busy"));
    const busyFirst = busy.next();
    assert.equal(router.pick("basis-default"), null);
    const waiting = router.wait?.("basis-default", undefined, new AbortController().signal);
    a.l.receive({ t: "done", id: "busy" }, Date.now());
    await busyFirst;
    for (const l of listeners) l();
    assert.equal((await waiting)?.id, "a");

    void a.l.generate(job("busy-again")).next();
    const started = Date.now();
    assert.equal(await router.wait?.("basis-default", undefined, new AbortController().signal), null);
    assert.ok(Date.now() - started >= 290);
    const abort = new AbortController();
    const aborted = router.wait?.("basis-default", undefined, abort.signal);
    abort.abort();
    assert.equal(await aborted, null);
  });
});
