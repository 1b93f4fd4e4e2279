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

  // With Postgres (TEST_DATABASE_URL, as in CI) the database outlives the killed gateway, as in production,
  // so the hold it left must be released by the restart. With embedded PGlite the database dies with the
  // process: the admission (committed without waiting for its WAL flush) may or may not have survived.
  const postgres = process.env.TEST_DATABASE_URL;
  const store = () =>
    postgres ? { databaseUrl: postgres, schema: `crash_${randomBytes(5).toString("hex")}` } : { dataDir };

  it("leaves no hold after the restart and keeps the ledger conserved", async function () {
    this.timeout(120_000);
    const pepper = randomBytes(32).toString("hex");
    const account = `0x${randomBytes(20).toString("hex")}` as const;
    const where = store();
    let db = await openDb(where);
    await createLedger(db).credit({ account, amount: 10n ** 18n, kind: "operator", ref: "crash-test" });
    const { key } = await createApiKeys(db, { pepper }).create({ account, name: "crash" });
    await db.close();

    const port = await freePort();
    const env: Record<string, string> = {
      BASIS_KEY_PEPPER: pepper,
      BASIS_ATTESTER_KEY: generatePrivateKey(),
      BASIS_UPSTREAM_URL: upstream.url,
    };
    if ("databaseUrl" in where) Object.assign(env, { DATABASE_URL: where.databaseUrl, DATABASE_SCHEMA: where.schema });
    else env.BASIS_DATA_DIR = dataDir;
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

    if (postgres) {
      db = await openDb(where);
      assert.ok((await createLedger(db).balance(account)).held > 0n, "the killed gateway left its hold");
      await db.close();
    }

    const restarted = await spawnGateway(env, port);
    restarted.kill("SIGTERM");
    await exited(restarted);

    db = await openDb(where);
    try {
      const ledger = createLedger(db);
      const balance = await ledger.balance(account);
      assert.equal(balance.held, 0n);
      assert.deepEqual(await ledger.recompute(account), balance);
      assert.equal(balance.available + balance.spent - balance.refunded, 10n ** 18n);
    } finally {
      if ("schema" in where) await db.query(`DROP SCHEMA ${where.schema} CASCADE`);
      await db.close();
    }
  });
});
