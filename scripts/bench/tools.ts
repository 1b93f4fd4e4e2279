/** Small helpers of the benchmark scripts: wrk runs, process CPU time, percentiles, doc sections. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReceiptCore } from "../../protocol/receipt.js";

/** User + system CPU seconds a process has used so far (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

/** The p-th percentile (0–100) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * Drives `url` with wrk (POST `body`) and reports requests/s and wrk's own CPU use.
 * @throws when wrk is not installed (`apt-get install wrk`).
 */
export function wrk(url: string, body: string, headers: Record<string, string>, seconds: number, connections: number) {
  const dir = mkdtempSync(join(tmpdir(), "basis-wrk-"));
  const script = join(dir, "post.lua");
  const lua = [
    'wrk.method = "POST"',
    `wrk.body = ${JSON.stringify(body)}`,
    'wrk.headers["Content-Type"] = "application/json"',
    ...Object.entries(headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`),
  ].join("\n");
  writeFileSync(script, lua);
  const out = execFileSync(
    "bash",
    ["-c", `TIMEFORMAT='cpu %U %S'; { time wrk -t1 -c${connections} -d${seconds}s -s ${script} ${url} ; } 2>&1`],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? Number.NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  if (non2xx > 0) throw new Error(`wrk saw ${non2xx} error answers from ${url}`);
  const [, user, sys] = /cpu ([\d.]+) ([\d.]+)/.exec(out) ?? [];
  const wrkCpuPercent = Math.round(((Number(user) + Number(sys)) / seconds) * 100);
  return { rps, requests, output: out, wrkCpuPercent };
}

/** Replaces the `<!-- name:start -->…<!-- name:end -->` section of a document, or appends it. */
export function replaceSection(doc: string, name: string, section: string): string {
  const start = doc.indexOf(`<!-- ${name}:start -->`);
  const endMarker = `<!-- ${name}:end -->`;
  const end = doc.indexOf(endMarker);
  return start >= 0 && end > start
    ? doc.slice(0, start) + section + doc.slice(end + endMarker.length)
    : `${doc}\n${section}\n`;
}

/** A realistic receipt core for hashing benchmarks. */
export function benchCore(): ReceiptCore {
  return {
    version: 1,
    jobId: "chatcmpl-bench",
    model: "basis-default",
    account: "0x1111111111111111111111111111111111111111",
    worker: null,
    tokenizer: "o200k_base",
    promptTokens: 25,
    completionTokens: 120,
    promptPrice: "1000000000000",
    completionPrice: "3000000000000",
    multiplierBps: 10_000,
    rewardBps: 7_000,
    charged: "385000000000000",
    reward: "0",
    finishReason: "stop",
    promptDigest: `0x${"ab".repeat(32)}`,
    outputDigest: `0x${"cd".repeat(32)}`,
    startedAt: "2026-11-21T10:00:00.000Z",
    completedAt: "2026-11-21T10:00:01.250Z",
  };
}
