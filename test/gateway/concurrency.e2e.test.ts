import assert from "node:assert/strict";
import { after, before, describe, it } from "mocha";
import { holdFor } from "../../protocol/pricing.js";
import { type OpenAIUpstream, startOpenAIUpstream } from "../../scripts/dev/openaiUpstream.js";
import { startGateway } from "./support/startGateway.js";

const body = (content: string) =>
  JSON.stringify({ model: "basis-default", messages: [{ role: "user", content }], max_tokens: 10 });

describe("gateway › admission and idempotency under concurrency", () => {
  let upstream: OpenAIUpstream;

  before(async () => {
    upstream = await startOpenAIUpstream();
  });
  after(() => upstream.close());

  it("admits at most 10 of 200 concurrent requests when the balance covers 10, never going below zero", async () => {
    const probe = await startGateway({ upstreamUrl: upstream.url });
    const model = probe.catalog.get("basis-default");
    assert.ok(model);
    // The worst case of one request: its prompt (counted as the gateway counts it) + 10 completion tokens.
    const { getTokenizer } = await import("../../gateway/metering/tokenizer.js");
    const promptTokens = getTokenizer("o200k_base").countChat([{ role: "user", content: "same" }]);
    const hold = holdFor(promptTokens, 10, probe.catalog.priceOf(model));
    await probe.close();

    const gateway = await startGateway({ upstreamUrl: upstream.url, credits: hold * 10n });
    try {
      upstream.setBehavior({ tokenDelayMs: 5 });
      const headers = { authorization: `Bearer ${gateway.key}`, "content-type": "application/json" };
      const statuses = await Promise.all(
        Array.from({ length: 200 }, () =>
          fetch(`${gateway.baseURL}/chat/completions`, { method: "POST", headers, body: body("same") }).then(
            async (r) => {
              await r.arrayBuffer();
              return r.status;
            },
          ),
        ),
      );
      upstream.setBehavior({});
      const ok = statuses.filter((s) => s === 200).length;
      assert.ok(ok >= 1 && ok <= 10, `${ok} admitted`);
      assert.equal(statuses.filter((s) => s !== 200 && s !== 402).length, 0);
      const balance = await gateway.ledger.balance(gateway.account);
      assert.ok(balance.available >= 0n);
      assert.equal(balance.held, 0n);
      assert.deepEqual(await gateway.ledger.recompute(gateway.account), balance);
    } finally {
      await gateway.close();
    }
  });

  it("charges once for 100 parallel retries with one Idempotency-Key, and replays the first answer", async () => {
    const gateway = await startGateway({ upstreamUrl: upstream.url, credits: 10n ** 18n });
    try {
      upstream.setBehavior({ tokenDelayMs: 2 });
      const headers = {
        authorization: `Bearer ${gateway.key}`,
        "content-type": "application/json",
        "idempotency-key": "retry-1",
      };
      const answers = await Promise.all(
        Array.from({ length: 100 }, () =>
          fetch(`${gateway.baseURL}/chat/completions`, { method: "POST", headers, body: body("once") }).then(
            async (r) => ({
              status: r.status,
              json: (await r.json()) as { id?: string },
            }),
          ),
        ),
      );
      upstream.setBehavior({});
      assert.ok(answers.every((a) => a.status === 200 || a.status === 409));
      const ids = new Set(answers.filter((a) => a.status === 200).map((a) => a.json.id));
      assert.equal(ids.size, 1, "every successful answer is the first one");

      // Once finished, a retry replays it without charging again.
      const spent = (await gateway.ledger.balance(gateway.account)).spent;
      const replay = await fetch(`${gateway.baseURL}/chat/completions`, {
        method: "POST",
        headers,
        body: body("once"),
      });
      assert.equal(replay.status, 200);
      assert.equal(replay.headers.get("idempotent-replayed"), "true");
      assert.equal(((await replay.json()) as { id: string }).id, [...ids][0]);
      assert.equal((await gateway.ledger.balance(gateway.account)).spent, spent);
      const receipts = await gateway.receipts.list({ account: gateway.account, limit: 10 });
      assert.equal(receipts.data.length, 1, "one job ran");

      const other = await fetch(`${gateway.baseURL}/chat/completions`, {
        method: "POST",
        headers,
        body: body("different"),
      });
      assert.equal(other.status, 409);
      assert.equal(((await other.json()) as { error: { code: string } }).error.code, "idempotency_key_reused");
    } finally {
      await gateway.close();
    }
  });
});
