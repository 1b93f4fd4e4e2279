/**
 * Gateway throughput, CPU per request, added latency and per-token streaming cost, measured against
 * the fast OpenAI-compatible dev upstream on loopback, with wrk (Debian package `wrk`) as the load
 * generator. Writes the "Gateway" section of docs/benchmarks.md. Run: npm run bench:gateway
 */
import { execSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { buildReceipt, hashReceiptCore } from "../../gateway/receipts/core.js";
import { receiptHash } from "../../protocol/receipt.js";
import { exited, freePort, spawnGateway } from "../../test/gateway/support/gatewayProcess.js";
import { latencies, prepareStore, startUpstream } from "./setup.js";
import { benchCore, cpuSeconds, percentile, replaceSection, wrk } from "./tools.js";

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
/** Seconds of load before each measured row, so that V8 has compiled the hot paths (it still was after 2 s). */
const WARM_UP = Number(process.env.BENCH_WARM_UP_SECONDS ?? 6);
const loadBefore = loadavg()[0] ?? 0;
const chatBody = JSON.stringify({
  model: "basis-default",
  messages: [{ role: "user", content: "Say something short." }],
  max_tokens: 12,
});

const upstreamPort = await freePort();
const upstream = await startUpstream(upstreamPort);
const upstreamUrl = `http://127.0.0.1:${upstreamPort}/v1`;
const json = { "content-type": "application/json" };
const lines: string[] = [];
const row = (cells: (string | number)[]) => lines.push(`| ${cells.join(" | ")} |`);

const direct = wrk(`${upstreamUrl}/chat/completions`, chatBody, {}, DURATION, 32);
row([
  "upstream alone (non-streamed chat)",
  Math.round(direct.rps).toLocaleString("en-US"),
  "—",
  `${direct.wrkCpuPercent}%`,
]);

const results: Record<string, { rps: number; cpuUs: number }> = {};
let latencyRows: string[] = [];
let sequentialCpuUs = 0;
for (const kind of ["postgres", "pglite"] as const) {
  const { env, key } = await prepareStore(kind);
  const port = await freePort();
  const gateway = await spawnGateway({ ...env, BASIS_UPSTREAM_URL: upstreamUrl }, port);
  const auth = { authorization: `Bearer ${key}`, ...json };
  const url = `http://127.0.0.1:${port}/v1/chat/completions`;
  wrk(url, chatBody, auth, WARM_UP, 32); // warm up
  const before = cpuSeconds(gateway.pid as number);
  const loaded = wrk(url, chatBody, auth, DURATION, 32);
  const cpu = cpuSeconds(gateway.pid as number) - before;
  const cpuUs = (cpu / loaded.requests) * 1e6;
  results[kind] = { rps: loaded.rps, cpuUs };
  row([
    `gateway, ${kind} (auth, metering, ledger, receipt)`,
    Math.round(loaded.rps).toLocaleString("en-US"),
    `${cpuUs.toFixed(0)} µs`,
    `${loaded.wrkCpuPercent}%`,
  ]);

  if (kind === "postgres") {
    // Unloaded latency, by turns in blocks of 50 (so that other work on the machine weighs on each alike): the
    // upstream directly, this gateway, and a second one on the same store with early start off.
    const waitingPort = await freePort();
    const waiting = await spawnGateway(
      { ...env, BASIS_UPSTREAM_URL: upstreamUrl, BASIS_EARLY_START: "false" },
      waitingPort,
    );
    // Warmed up as the first was (its JIT-compiled code weighs on each request's latency).
    wrk(`http://127.0.0.1:${waitingPort}/v1/chat/completions`, chatBody, auth, WARM_UP, 32);
    const streamBody = JSON.stringify({ ...JSON.parse(chatBody), stream: true });
    const targets = {
      direct: { url: `${upstreamUrl}/chat/completions`, headers: json },
      early: { url, headers: auth },
      waiting: { url: `http://127.0.0.1:${waitingPort}/v1/chat/completions`, headers: auth },
    };
    const probes = Object.fromEntries(
      Object.keys(targets).map((name) => [name, { plain: [] as number[], ttft: [] as number[] }]),
    );
    // Warm-up of the sequential paths, streams included (wrk only sent non-streamed requests): with 50 streams the
    // relay's code was still being compiled while it was measured.
    for (const target of Object.values(targets)) {
      await latencies(target.url, target.headers, chatBody, 500);
      await latencies(target.url, target.headers, streamBody, 1_000, true);
    }
    let sequentialCpu = 0;
    const blocks = 8;
    for (let block = 0; block < blocks; block++) {
      for (const [name, target] of Object.entries(targets)) {
        const probe = probes[name] as { plain: number[]; ttft: number[] };
        const cpuBefore = name === "early" ? cpuSeconds(gateway.pid as number) : 0;
        probe.plain.push(...(await latencies(target.url, target.headers, chatBody, 50)));
        if (name === "early") sequentialCpu += cpuSeconds(gateway.pid as number) - cpuBefore;
        probe.ttft.push(...(await latencies(target.url, target.headers, streamBody, 50, true)));
      }
    }
    sequentialCpuUs = (sequentialCpu / (blocks * 50)) * 1e6;
    waiting.kill("SIGTERM");
    await exited(waiting);
    const direct = probes.direct as { plain: number[]; ttft: number[] };
    const added = (a: number[], b: number[], p: number) => (percentile(a, p) - percentile(b, p)).toFixed(2);
    const rowsOf = (name: string, label: string) => {
      const probe = probes[name] as { plain: number[]; ttft: number[] };
      return [
        `| non-streamed request${label} | ${added(probe.plain, direct.plain, 50)} ms | ${added(probe.plain, direct.plain, 99)} ms |`,
        `| first streamed token${label} | ${added(probe.ttft, direct.ttft, 50)} ms | ${added(probe.ttft, direct.ttft, 99)} ms |`,
      ];
    };
    latencyRows = [...rowsOf("early", ""), ...rowsOf("waiting", ", early start off")];
    latencyRows.push(
      `| (the upstream alone: non-streamed, first token) | ${percentile(direct.plain, 50).toFixed(2)}, ${percentile(direct.ttft, 50).toFixed(2)} ms | ${percentile(direct.plain, 99).toFixed(2)}, ${percentile(direct.ttft, 99).toFixed(2)} ms |`,
    );

    // Streaming: long answers, CPU per relayed token.
    const longBody = JSON.stringify({
      model: "basis-default",
      messages: [{ role: "user", content: "Go on." }],
      stream: true,
      max_tokens: 2000,
    });
    const streamBefore = cpuSeconds(gateway.pid as number);
    let tokens = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 5; i++) {
          const res = await fetch(url, {
            method: "POST",
            headers: auth,
            body: JSON.stringify({ ...JSON.parse(longBody), stream_options: { include_usage: true } }),
          });
          const text = await res.text();
          const usage = /"completion_tokens":(\d+)/.exec(text);
          tokens += Number(usage?.[1] ?? 0);
        }
      }),
    );
    const streamCpu = cpuSeconds(gateway.pid as number) - streamBefore;
    results.stream = { rps: tokens, cpuUs: (streamCpu / tokens) * 1e6 };
  }
  gateway.kill("SIGTERM");
  await exited(gateway);
}
upstream.kill("SIGTERM");

// Receipt hashing: what the request path runs (gateway/receipts/core.ts), and the library path it replaced.
const core = benchCore();
const timeUs = (fn: (i: number) => unknown, n = 50_000) => {
  for (let i = 0; i < 5_000; i++) fn(i);
  const start = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return ((performance.now() - start) / n) * 1000;
};
const hashUs = timeUs((i) => hashReceiptCore({ ...core, jobId: `job-${i}` }));
const buildUs = timeUs((i) =>
  buildReceipt({
    jobId: `job-${i}`,
    model: core.model,
    account: core.account as `0x${string}`,
    worker: null,
    tokenizer: core.tokenizer,
    counts: { promptTokens: core.promptTokens, completionTokens: core.completionTokens },
    price: { promptPrice: 10n ** 12n, completionPrice: 3n * 10n ** 12n, multiplierBps: 10_000n },
    rewardBps: 7_000n,
    finishReason: "stop",
    promptDigest: core.promptDigest as `0x${string}`,
    outputDigest: core.outputDigest as `0x${string}`,
    startedAt: new Date(core.startedAt),
    completedAt: new Date(core.completedAt),
  }),
);
const libraryUs = timeUs((i) => receiptHash({ ...core, jobId: `job-${i}` }), 20_000);
const loadAfter = loadavg()[0] ?? 0;

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, Node ${process.versions.node}, PostgreSQL ${/PostgreSQL\)? ([\d.]+)/.exec(execSync("psql --version").toString())?.[1] ?? "?"}`;
const section = [
  "<!-- gateway:start -->",
  "## Gateway",
  "",
  `Measured by \`npm run bench:gateway\` (scripts/bench/gateway.ts) on ${machine}; the gateway and the dev upstream`,
  `(scripts/dev/openaiUpstream.ts) each in their own process, wrk with 1 thread and 32 connections for ${DURATION} s per row,`,
  `after ${WARM_UP} s of the same load. A non-streamed chat completion of 12 words; CPU per request is the gateway process's`,
  "user+system time (all its threads: V8's compiler and GC helpers included) divided by the requests it answered.",
  "Everything shares the same 2 cores, so the rows are upper bounds of the cost; the machine was shared with other",
  `work while this ran (load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after).`,
  "",
  "| what | req/s | gateway CPU per request | wrk's CPU |",
  "| --- | ---: | ---: | ---: |",
  ...lines,
  "",
  "Latency the gateway adds when unloaded (400 sequential requests through the gateway minus 400 straight to the",
  "upstream, one keep-alive connection, Postgres store, taking turns in blocks of 50; a stream's first token is timed",
  "to its first content and the stream read to its end. The gateway as it runs by default (early start: the upstream",
  "call goes out while the reserve runs), and a second gateway on the same store with `BASIS_EARLY_START=false`. The",
  `first spent ${sequentialCpuUs.toFixed(0)} µs of CPU per non-streamed request there, nothing being amortized over concurrent requests):`,
  "",
  "| | p50 | p99 |",
  "| --- | ---: | ---: |",
  ...latencyRows,
  "",
  `Streaming: ${results.stream?.rps ?? 0} tokens relayed in 40 streams of up to 2,000 tokens (8 at a time) cost the`,
  `gateway ${results.stream?.cpuUs.toFixed(1) ?? "?"} µs of CPU per token (SSE parsing, exact incremental counting, re-framing).`,
  "",
  `Receipt hashing on the request path (RFC 8785 canonical JSON + SHA-256 of the validated core, gateway/receipts/core.ts):`,
  `${hashUs.toFixed(1)} µs per receipt; building the core from the job's facts, validating it and hashing it:`,
  `${buildUs.toFixed(1)} µs (\`protocol/receipt.ts\`'s \`receiptHash\`, zod + the \`canonicalize\` library, byte-identical: ${libraryUs.toFixed(1)} µs).`,
  `Receipt signatures are made off the request path by native libsecp256k1 (\`npx tsx scripts/bench/receiptSigning.ts\`).`,
  "<!-- gateway:end -->",
].join("\n");
writeFileSync("docs/benchmarks.md", replaceSection(readFileSync("docs/benchmarks.md", "utf8"), "gateway", section));
console.log(section);
