import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, it } from "mocha";
import type { Hex } from "viem";
import { createCatalog } from "../../gateway/catalog.js";
import { ApiError } from "../../gateway/errors.js";
import type { JobDeps } from "../../gateway/jobs/deps.js";
import { EarlyStarts } from "../../gateway/jobs/earlyStart.js";
import { admitGeneration, type GenerationRequest } from "../../gateway/jobs/runGeneration.js";
import { createLedger } from "../../gateway/ledger/ledger.js";
import type { Ledger } from "../../gateway/ledger/types.js";
import { getTokenizer } from "../../gateway/metering/tokenizer.js";
import { createReceiptStore } from "../../gateway/receipts/store.js";
import { type Backend, BackendUnavailableError, type OutputDelta } from "../../gateway/routing/backend.js";
import type { Db } from "../../gateway/store/db.js";
import { testDbs } from "./dbs.js";

describe("gateway › EarlyStarts (which admissions may call the backend before their reserve is granted)", () => {
  const a = "0x00000000000000000000000000000000000000aa";
  const b = "0x00000000000000000000000000000000000000bb";

  it("never for an account's first admission; then one at a time while its admissions are granted", () => {
    const gate = new EarlyStarts();
    assert.equal(gate.begin(a), false, "an account never admitted here goes the usual way");
    gate.end(a, false, true);
    assert.equal(gate.begin(a), true);
    assert.equal(gate.begin(a), false, "a second one waits while the first awaits its reserve");
    assert.equal(gate.begin(b), false, "accounts are apart");
    gate.end(a, true, true);
    assert.equal(gate.begin(a), true);
  });

  it("a refusal stops it until an admission is granted again; an unknown outcome changes nothing", () => {
    const gate = new EarlyStarts();
    gate.end(a, false, true);
    assert.equal(gate.begin(a), true);
    gate.end(a, true, null);
    assert.equal(gate.begin(a), true, "a failed statement is no refusal");
    gate.end(a, true, false);
    assert.equal(gate.begin(a), false, "refused: the next goes the usual way");
    gate.end(a, false, true);
    assert.equal(gate.begin(a), true);
  });

  it("bounds its memory: past the bound it forgets, and the forgotten are admitted the usual way once", () => {
    const gate = new EarlyStarts(2);
    gate.end(a, false, true);
    gate.end(b, false, true);
    gate.end("0x00000000000000000000000000000000000000cc", false, true);
    assert.equal(gate.begin(a), false);
    assert.equal(gate.begin("0x00000000000000000000000000000000000000cc"), true);
  });
});

/** A backend (injected on purpose) that records its calls and streams `words` once `release` is called. */
function heldBackend(id: string, words: string[], failFirst = false) {
  const calls: { jobId: string; signal: AbortSignal }[] = [];
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const backend: Backend = {
    id,
    worker: null,
    health: () => "ready",
    async *generate(job) {
      calls.push({ jobId: job.jobId, signal: job.signal });
      const aborted = new Promise<never>((_, reject) =>
        job.signal.addEventListener("abort", () => reject(new Error("cancelled")), { once: true }),
      );
      aborted.catch(() => {});
      await Promise.race([released, aborted]);
      if (failFirst) throw new BackendUnavailableError(`${id} refused the job`);
      for (const [i, text] of words.entries())
        yield { index: 0, text, finishReason: i === words.length - 1 ? "stop" : null } satisfies OutputDelta;
    },
    embed: () => Promise.reject(new Error("no embeddings")),
  };
  return { backend, calls, release };
}

for (const testDb of testDbs) {
  describe(`gateway › admission with an early start (${testDb.name})`, () => {
    let db: Db;
    let ledger: Ledger;
    /** While set, reserves wait for it before they reach the database. */
    let reserveGate: Promise<void> | null;
    let openGate: () => void;
    const account = `0x${randomBytes(20).toString("hex")}` as Hex;
    const catalog = createCatalog();
    const model = catalog.get("basis-default");
    assert.ok(model);

    function holdReserves() {
      reserveGate = new Promise((resolve) => {
        openGate = resolve;
      });
    }

    function deps(backends: Backend[], earlyStarts: EarlyStarts): JobDeps {
      return {
        catalog,
        router: {
          pick: (_m, exclude) => backends.find((b) => !exclude?.has(b.id)) ?? null,
          health: () => "ready",
          mode: () => "proxy",
        },
        ledger: {
          ...ledger,
          reserve: async (p) => {
            await reserveGate;
            return ledger.reserve(p);
          },
        },
        receipts: createReceiptStore(db),
        tokenizer: () => getTokenizer("o200k_base"),
        signLater: () => {},
        clock: () => new Date(),
        instanceId: "test",
        earlyStarts,
      };
    }

    function request(maxTokens = 8): GenerationRequest {
      return {
        jobId: `chatcmpl-${randomBytes(8).toString("hex")}`,
        account,
        apiKeyId: null,
        model: model as NonNullable<typeof model>,
        endpoint: "chat",
        body: {},
        promptText: "hello",
        promptTokens: 5,
        maxTokens,
        choices: 1,
        signal: new AbortController().signal,
      };
    }

    beforeEach(async () => {
      db = await testDb.open();
      ledger = createLedger(db);
      reserveGate = null;
      await ledger.credit({
        account,
        amount: 10n ** 15n,
        kind: "operator",
        ref: `t-${randomBytes(4).toString("hex")}`,
      });
    });
    afterEach(async () => {
      await db.close();
    });

    /** One admission granted with no early start, so that the account's next may start early. */
    async function grantOnce(d: JobDeps, backend: ReturnType<typeof heldBackend>) {
      const admitted = await admitGeneration(d, request());
      backend.release();
      await admitted.run(() => {});
    }

    it("calls the backend while the reserve runs, and relays nothing until it is granted", async () => {
      const first = heldBackend("one", ["never", "mind"]);
      const earlyStarts = new EarlyStarts();
      await grantOnce(deps([first.backend], earlyStarts), first);

      const next = heldBackend("two", ["hello", " there"]);
      const d = deps([next.backend], earlyStarts);
      holdReserves();
      const req = request();
      const admission = admitGeneration(d, req);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(next.calls.length, 1, "the backend call went out before the reserve was granted");
      assert.equal(next.calls[0]?.jobId, req.jobId);
      next.release();
      const relayed: string[] = [];
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(relayed.length, 0, "nothing is relayed before the grant");
      assert.equal((await ledger.balance(account)).held, 0n, "not admitted yet");
      openGate();
      const admitted = await admission;
      const result = await admitted.run((delta) => {
        relayed.push(delta.text);
      });
      assert.deepEqual(relayed, ["hello", " there"]);
      assert.equal(result.completionTokens, getTokenizer("o200k_base").count("hello there"));
      const balance = await ledger.balance(account);
      assert.equal(balance.held, 0n);
      assert.ok(balance.spent > 0n);
    });

    it("a refused reserve cancels the call started early, charges nothing, and the next admission waits for its grant", async () => {
      const first = heldBackend("one", ["ok"]);
      const earlyStarts = new EarlyStarts();
      await grantOnce(deps([first.backend], earlyStarts), first);
      const spent = (await ledger.balance(account)).spent;

      const refused = heldBackend("two", ["not", "paid"]);
      const d = deps([refused.backend], earlyStarts);
      const error = await admitGeneration(d, request(10_000_000)).catch((e: unknown) => e);
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 402);
      assert.equal(refused.calls.length, 1, "it had been started early");
      assert.equal(refused.calls[0]?.signal.aborted, true, "and was cancelled by the refusal");
      const balance = await ledger.balance(account);
      assert.equal(balance.held, 0n);
      assert.equal(balance.spent, spent);

      // After a refusal the account's next admission calls the backend only once granted.
      const after = heldBackend("three", ["fine"]);
      holdReserves();
      const admission = admitGeneration(deps([after.backend], earlyStarts), request());
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(after.calls.length, 0);
      openGate();
      const admitted = await admission;
      after.release();
      await admitted.run(() => {});
      assert.equal(after.calls.length, 1);
    });

    it("a reserve that fails cancels the call started early and passes the error on", async () => {
      const first = heldBackend("one", ["ok"]);
      const earlyStarts = new EarlyStarts();
      await grantOnce(deps([first.backend], earlyStarts), first);
      const broken = heldBackend("two", ["x"]);
      const d = deps([broken.backend], earlyStarts);
      d.ledger = { ...d.ledger, reserve: () => Promise.reject(new Error("the database went away")) };
      await assert.rejects(admitGeneration(d, request()), /the database went away/);
      assert.equal(broken.calls[0]?.signal.aborted, true);
    });

    it("an early call that fails before its first token is retried on another backend, as any call", async () => {
      const first = heldBackend("one", ["ok"]);
      const earlyStarts = new EarlyStarts();
      await grantOnce(deps([first.backend], earlyStarts), first);
      const failing = heldBackend("failing", ["x"], true);
      const healthy = heldBackend("healthy", ["served", " elsewhere"]);
      healthy.release();
      const admitted = await admitGeneration(deps([failing.backend, healthy.backend], earlyStarts), request());
      failing.release();
      const relayed: string[] = [];
      await admitted.run((delta) => {
        relayed.push(delta.text);
      });
      assert.equal(failing.calls.length, 1);
      assert.deepEqual(relayed, ["served", " elsewhere"]);
    });
  });
}
