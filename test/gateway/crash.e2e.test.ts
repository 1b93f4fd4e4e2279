import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "mocha";
import { generatePrivateKey } from "viem/accounts";
import { createApiKeys } from "../../gateway/auth/apiKeys.js";
import { createLedger } from "../../gateway/ledger/ledger.js";
import { openDb } from "../../gateway/store/db.js";
import { type OpenAIUpstream, startOpenAIUpstream } from "../../scripts/dev/openaiUpstream.js";
import { exited, freePort, spawnGateway } from "./support/gatewayProcess.js";

describe("gateway › kill -9 mid-stream, then restart", () => {
  let upstream: OpenAIUpstream;
  let dataDir: string;

  before(async () => {
    upstream = await startOpenAIUpstream();
    dataDir = mkdtempSync(join(tmpdir(), "basis-crash-"));
  });
  after(async () => {
    await upstream.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("leaves no hold after the restart and keeps the ledger conserved", async function () {
    this.timeout(120_000);
    const pepper = randomBytes(32).toString("hex");
    const account = `0x${randomBytes(20).toString("hex")}` as const;
    let db = await openDb({ dataDir });
    await createLedger(db).credit({ account, amount: 10n ** 18n, kind: "operator", ref: "crash-test" });
    const { key } = await createApiKeys(db, { pepper }).create({ account, name: "crash" });
    await db.close();

    const port = await freePort();
    const env = {
      BASIS_DATA_DIR: dataDir,
      BASIS_KEY_PEPPER: pepper,
      BASIS_ATTESTER_KEY: generatePrivateKey(),
      BASIS_UPSTREAM_URL: upstream.url,
    };
    const gateway = await spawnGateway(env, port);
    upstream.setBehavior({ tokenDelayMs: 50, words: 400 });
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "basis-default",
        messages: [{ role: "user", content: "long" }],
        stream: true,
        max_tokens: 400,
      }),
    });
    const reader = res.body?.getReader();
    assert.ok(reader);
    let received = "";
    while (!received.includes('"content":" ')) received += new TextDecoder().decode((await reader.read()).value);
    gateway.kill("SIGKILL");
    await exited(gateway);
    await reader.cancel().catch(() => {});
    upstream.setBehavior({});

    db = await openDb({ dataDir });
    assert.ok((await createLedger(db).balance(account)).held > 0n, "the killed gateway left its hold");
    await db.close();

    const restarted = await spawnGateway(env, port);
    restarted.kill("SIGTERM");
    await exited(restarted);

    db = await openDb({ dataDir });
    try {
      const ledger = createLedger(db);
      const balance = await ledger.balance(account);
      assert.equal(balance.held, 0n);
      assert.deepEqual(await ledger.recompute(account), balance);
      assert.equal(balance.available + balance.spent - balance.refunded, 10n ** 18n);
    } finally {
      await db.close();
    }
  });
});
