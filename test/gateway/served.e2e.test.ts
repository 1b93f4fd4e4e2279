// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "mocha";
import OpenAI from "openai";
import pg from "pg";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { signIn as signInWith } from "../../scripts/wallet/signIn.js";
import { rawWorker } from "../worker/support/rawWorker.js";
import { contributor } from "../worker/support/workerProcess.js";
import { startGateway } from "./support/startGateway.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * `GET /api/account/served` and `/served/summary`: the jobs a contributor's own workers served, paged newest first
 * and summed over time, behind its Sign-In with Ethereum session. Two contributors' workers (two of A, one of B) serve
 * real jobs through the gateway; the answers are checked against the public receipts of those jobs. On an in-memory
 * PGlite, and on Postgres too when `TEST_DATABASE_URL` is set (a fresh schema, dropped after).
 */
const postgres = process.env.TEST_DATABASE_URL;
for (const databaseUrl of [undefined, ...(postgres ? [postgres] : [])])
  describe(`gateway › the jobs an account's workers served (GET /api/account/served, /served/summary) on ${databaseUrl ? "Postgres" : "PGlite"}`, function () {
    this.timeout(60_000);
    let gateway: Awaited<ReturnType<typeof startGateway>>;
    let a: Awaited<ReturnType<typeof contributor>>;
    let b: Awaited<ReturnType<typeof contributor>>;
    const workers: Awaited<ReturnType<typeof rawWorker>>[] = [];
    /** The public receipt core of every job served, by job id. */
    const served = new Map<string, any>();
    const sessions = new Map<string, string>();

    const get = async (path: string, token?: string) => {
      const res = await fetch(`${gateway.url}/api${path}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      return { status: res.status, body: (await res.json()) as any };
    };

    async function signIn(key: Hex): Promise<string> {
      const wallet = privateKeyToAccount(key);
      return signInWith({
        gatewayUrl: gateway.url,
        chainId: 31337,
        address: wallet.address,
        sign: (message) => wallet.signMessage({ message }),
      });
    }

    /** An honest worker of `who`: three words per job, its usage, done. */
    async function serve(who: typeof a, name: string) {
      const worker = await rawWorker(gateway.url, { token: who.token, signer: who.key, name });
      await worker.next("welcome");
      workers.push(worker);
      void (async () => {
        for (;;) {
          const job = await worker.next("job", 600_000).catch(() => null);
          if (!job) return;
          worker.send({ t: "delta", id: job.id, d: [{ i: 0, text: "three honest words", finish: "stop" }] });
          worker.send({ t: "usage", id: job.id, promptTokens: 5, completionTokens: 3 });
          worker.send({ t: "done", id: job.id });
        }
      })();
    }

    const sum = (cores: any[], field: string) => cores.reduce((s, c) => s + BigInt(c[field]), 0n).toString();
    const coresOf = (who: typeof a) => [...served.values()].filter((c) => c.worker === who.address);

    before(async () => {
      gateway = await startGateway({ credits: 10n ** 20n, databaseUrl });
      a = await contributor(gateway, "a");
      b = await contributor(gateway, "b");
      await serve(a, "a-1");
      await serve(a, "a-2");
      await serve(b, "b-1");
      const client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.key, maxRetries: 0 });
      for (let i = 0; i < 10; i++) {
        const answer = await client.chat.completions.create({
          model: "basis-default",
          max_tokens: 8 + i,
          messages: [{ role: "user", content: `job ${i}` }],
        });
        const lookup = await fetch(`${gateway.url}/api/inference/receipts/${answer.id}`);
        const { receipt } = (await lookup.json()) as any;
        served.set(receipt.core.jobId, receipt.core);
      }
      sessions.set(a.address, await signIn(a.key));
      sessions.set(b.address, await signIn(b.key));
    });

    after(async () => {
      for (const w of workers) w.close();
      const [schema] = databaseUrl ? await gateway.db.query<{ s: string }>("SELECT current_schema() AS s") : [];
      await gateway?.close();
      if (!databaseUrl || !schema) return;
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema.s} CASCADE`).finally(() => admin.end());
    });

    it("answers 401 without a session, and 400 naming a bad parameter", async () => {
      assert.equal((await get("/account/served")).status, 401);
      assert.equal((await get("/account/served/summary", "basis-session-nope")).status, 401);
      const token = sessions.get(a.address);
      for (const [query, param] of [
        ["/account/served?limit=0", "limit"],
        ["/account/served?limit=101", "limit"],
        ["/account/served?cursor=abc", "cursor"],
        ["/account/served/summary?bucket=7", "bucket"],
        ["/account/served/summary?buckets=0", "buckets"],
      ]) {
        const res = await get(query as string, token);
        assert.equal(res.status, 400, query);
        assert.equal(res.body.error.param, param, query);
      }
    });

    it("pages through exactly the caller's workers' jobs, newest first, each naming its worker", async () => {
      assert.ok(coresOf(a).length >= 2 && coresOf(b).length >= 1, "both contributors served jobs");
      for (const who of [a, b]) {
        const token = sessions.get(who.address);
        const seen: any[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const res = await get(`/account/served?limit=2${cursor ? `&cursor=${cursor}` : ""}`, token);
          assert.equal(res.status, 200);
          assert.ok(res.body.data.length <= 2);
          seen.push(...res.body.data);
          cursor = res.body.next_cursor;
          pages += 1;
        } while (cursor);
        const mine = coresOf(who);
        assert.equal(pages, Math.max(1, Math.ceil(mine.length / 2)));
        assert.deepEqual(seen.map((j) => j.job_id).sort(), mine.map((c) => c.jobId).sort(), "only its own jobs, once");
        const times = seen.map((j) => Date.parse(j.completed_at));
        assert.deepEqual(
          times,
          [...times].sort((x, y) => y - x),
          "newest first",
        );
        for (const job of seen) {
          const core = served.get(job.job_id);
          assert.equal(job.reward, core.reward);
          assert.equal(job.charged, core.charged);
          assert.equal(job.completion_tokens, core.completionTokens);
          assert.match(job.receipt_hash, /^0x[0-9a-f]{64}$/);
        }
        // Each job names which of the account's workers served it; A's jobs went to both of its workers.
        const listed = (await get("/account/workers", token)).body.data as any[];
        const ids = new Set(listed.map((w) => w.id));
        assert.ok(seen.every((j) => ids.has(j.worker_id)));
        for (const w of listed) assert.equal(seen.filter((j) => j.worker_id === w.id).length, w.served.jobs);
      }
      const signedInNobody = await signIn(generatePrivateKey());
      const none = await get("/account/served", signedInNobody);
      assert.deepEqual([none.body.data, none.body.next_cursor], [[], null]);
    });

    it("sums every job served, and the series adds up to the totals", async () => {
      for (const who of [a, b]) {
        const mine = coresOf(who);
        const { status, body } = await get("/account/served/summary", sessions.get(who.address));
        assert.equal(status, 200);
        assert.equal(body.object, "served_summary");
        assert.equal(body.account, who.address);
        assert.equal(body.totals.jobs, mine.length);
        assert.equal(body.totals.rewards, sum(mine, "reward"));
        assert.equal(body.totals.charged, sum(mine, "charged"));
        assert.equal(body.totals.completion_tokens, sum(mine, "completionTokens"));
        assert.equal(body.totals.prompt_tokens, sum(mine, "promptTokens"));
        const completed = mine.map((c) => Date.parse(c.completedAt));
        assert.equal(Date.parse(body.totals.first_completed_at), Math.min(...completed));
        assert.equal(Date.parse(body.totals.last_completed_at), Math.max(...completed));
        // Everything is a few seconds old: `auto` picks one-minute buckets, 24 of them, the last holding now.
        assert.equal(body.bucket_seconds, 60);
        assert.equal(body.series.length, 24);
        const starts = body.series.map((p: any) => Date.parse(p.start));
        assert.ok(starts.every((s: number, i: number) => i === 0 || s - (starts[i - 1] as number) === 60_000));
        assert.ok((starts.at(-1) as number) <= Date.now() && Date.now() < (starts.at(-1) as number) + 60_000);
        assert.equal(sum(body.series, "rewards"), body.totals.rewards);
        assert.equal(
          body.series.reduce((n: number, p: any) => n + p.jobs, 0),
          mine.length,
        );
      }
      const nobody = await get("/account/served/summary", await signIn(generatePrivateKey()));
      assert.equal(nobody.body.totals.jobs, 0);
      assert.equal(nobody.body.totals.rewards, "0");
      assert.equal(nobody.body.totals.first_completed_at, null);
      assert.ok(nobody.body.series.every((p: any) => p.jobs === 0 && p.rewards === "0"));
    });

    it("buckets older jobs by day (UTC) and widens `auto` to reach back to the first one", async () => {
      // Two of A's jobs from earlier days, stored as the gateway stores receipts (a copy of a real core, backdated).
      const template = coresOf(a)[0];
      const now = Date.now();
      const today = Math.floor(now / DAY) * DAY;
      const old = [
        { at: today - 2 * DAY + 5 * HOUR, reward: "7000000000000000" },
        { at: today - DAY + 23 * HOUR, reward: "11000000000000000" },
      ];
      for (const o of old) {
        const core = { ...template, jobId: `old-${randomBytes(6).toString("hex")}`, reward: o.reward };
        core.completedAt = new Date(o.at).toISOString();
        await gateway.db.query(
          `INSERT INTO receipts (hash, job_id, account, worker, model, core) VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
          [
            `0x${randomBytes(32).toString("hex")}`,
            core.jobId,
            core.account,
            core.worker,
            core.model,
            JSON.stringify(core),
          ],
        );
        served.set(core.jobId, core);
      }
      const token = sessions.get(a.address);
      const mine = coresOf(a);
      const daily = (await get("/account/served/summary?bucket=86400&buckets=3", token)).body;
      assert.equal(daily.bucket_seconds, 86_400);
      assert.deepEqual(
        daily.series.map((p: any) => p.start),
        [today - 2 * DAY, today - DAY, today].map((t) => new Date(t).toISOString()),
      );
      const inDay = (start: number) =>
        mine.filter((c) => Date.parse(c.completedAt) >= start && Date.parse(c.completedAt) < start + DAY);
      assert.deepEqual(
        daily.series.map((p: any) => [p.jobs, p.rewards]),
        [today - 2 * DAY, today - DAY, today].map((start) => [inDay(start).length, sum(inDay(start), "reward")]),
      );
      assert.equal(daily.series[0].rewards, old[0]?.reward, "the job of two days ago, alone in its day");
      assert.equal(daily.totals.jobs, mine.length);
      assert.equal(daily.totals.rewards, sum(mine, "reward"));

      // A window that leaves the oldest job out: the series lacks it, the totals keep it.
      const two = (await get("/account/served/summary?bucket=86400&buckets=2", token)).body;
      assert.equal(sum(two.series, "rewards"), (BigInt(sum(mine, "reward")) - BigInt(old[0]?.reward ?? 0)).toString());
      assert.equal(two.totals.rewards, daily.totals.rewards);

      // `auto` over 24 buckets: 2–3 days back needs six-hour buckets, which hold every job.
      const auto = (await get("/account/served/summary", token)).body;
      assert.equal(auto.bucket_seconds, 21_600);
      assert.equal(sum(auto.series, "rewards"), auto.totals.rewards);

      // B's answers did not change.
      assert.equal((await get("/account/served/summary", sessions.get(b.address))).body.totals.jobs, coresOf(b).length);
    });

    it("is in the OpenAPI document, behind the session", async () => {
      const doc = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as any;
      for (const path of ["/api/account/served", "/api/account/served/summary"]) {
        assert.deepEqual(doc.paths[path].get.security, [{ session: [] }], path);
      }
      const names = doc.paths["/api/account/served"].get.parameters.map((p: any) => p.name);
      assert.deepEqual(names, ["limit", "cursor"]);
      assert.ok(doc.components.securitySchemes.session);
    });
  });
