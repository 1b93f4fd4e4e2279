/** What the benchmark scripts set up: the dev upstream as a process, a funded store, latency probes. */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { createApiKeys } from "../../gateway/auth/apiKeys.js";
import { createLedger } from "../../gateway/ledger/ledger.js";
import { openDb } from "../../gateway/store/db.js";
import { createWorkerTokens } from "../../gateway/workers/tokens.js";

const PG_ADMIN = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const tmp = mkdtempSync(join(tmpdir(), "basis-bench-"));

/** The dev upstream (scripts/dev/openaiUpstream.ts) as its own process on `port`. */
export async function startUpstream(port: number, tokenDelayMs = 0, words = 2_000): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/dev/openaiUpstream.ts"], {
    // Answers are 2,000 words unless max_tokens is lower (12 for the non-streamed rows).
    env: {
      ...process.env,
      PORT: String(port),
      DEV_UPSTREAM_WORDS: String(words),
      DEV_UPSTREAM_TOKEN_DELAY_MS: String(tokenDelayMs),
    },
    stdio: "ignore",
  });
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/v1/models`)
      .then(() => true)
      .catch(() => false);
    if (up) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("upstream did not start");
}

/**
 * Sequential request latencies (ms), one keep-alive connection. With `firstChunk`, the time until the first content
 * arrives; the rest of the stream is still read to its end before the next request (as a client would), so that one
 * request's tail (its settlement, or a cancellation) never overlaps the next one's start.
 */
export async function latencies(
  url: string,
  headers: Record<string, string>,
  body: string,
  n: number,
  firstChunk = false,
) {
  const out: number[] = [];
  const decoder = new TextDecoder();
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const res = await fetch(url, { method: "POST", headers, body });
    if (firstChunk) {
      const reader = res.body?.getReader();
      let seen = "";
      let first = 0;
      while (reader) {
        const { done, value } = await reader.read();
        if (done) break;
        seen += decoder.decode(value, { stream: true });
        if (!first && seen.includes('"content":"')) first = performance.now() - start;
      }
      if (!first) throw new Error(`${url} answered ${res.status} without content: ${seen.slice(0, 300)}`);
      out.push(first);
    } else {
      await res.arrayBuffer();
      out.push(performance.now() - start);
    }
  }
  return out;
}

/**
 * A fresh gateway database (a new Postgres database, or a PGlite directory) with a funded account, its
 * API key and, for `workers`, worker tokens of fresh wallets; returns the gateway's env for it.
 */
export async function prepareStore(kind: "postgres" | "pglite", workers = 0) {
  let databaseUrl: string | undefined;
  const dataDir = join(tmp, `pglite-${randomBytes(4).toString("hex")}`);
  if (kind === "postgres") {
    const admin = new pg.Client({ connectionString: PG_ADMIN });
    await admin.connect();
    await admin.query("DROP DATABASE IF EXISTS basis_bench");
    await admin.query("CREATE DATABASE basis_bench");
    await admin.end();
    databaseUrl = PG_ADMIN.replace(/\/[^/]*$/, "/basis_bench");
  }
  const db = await openDb(databaseUrl ? { databaseUrl } : { dataDir });
  const pepper = randomBytes(32).toString("hex");
  const account = `0x${randomBytes(20).toString("hex")}` as const;
  await createLedger(db).credit({ account, amount: 10n ** 30n, kind: "operator", ref: "bench" });
  const { key } = await createApiKeys(db, { pepper }).create({ account, name: "bench" });
  const contributors = [];
  for (let i = 0; i < workers; i++) {
    const walletKey = generatePrivateKey();
    const { token } = await createWorkerTokens(db, { pepper }).create({
      account: privateKeyToAddress(walletKey),
      name: `bench-${i}`,
    });
    contributors.push({ key: walletKey, token });
  }
  await db.close();
  const env: Record<string, string> = {
    BASIS_KEY_PEPPER: pepper,
    BASIS_ATTESTER_KEY: generatePrivateKey(),
    BASIS_RATE_LIMIT_RPM: "100000000",
    BASIS_RATE_LIMIT_TPM: "1000000000000",
  };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else env.BASIS_DATA_DIR = dataDir;
  return { env, key, contributors };
}
