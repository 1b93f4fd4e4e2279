import { spawn } from "node:child_process";
import { openSync } from "node:fs";
import { exited, freePort, spawnGateway } from "../test/gateway/support/gatewayProcess.js";
import { latencies, prepareStore, startUpstream } from "./bench/setup.js";
import { percentile } from "./bench/tools.js";
// VARIANTS="up:;up:flush;w:;w:flush"  kind:expflags
const variants = (process.env.VARIANTS ?? "up:;up:flush").split(";").map((v) => { const [kind, exp] = v.split(":"); return { kind: kind!, exp: exp ?? "" }; });
const store = await prepareStore("postgres", variants.length);
const upstreamPort = await freePort();
const upstream = await startUpstream(upstreamPort);
const upstreamUrl = `http://127.0.0.1:${upstreamPort}/v1`;
const kids: any[] = [upstream];
const targets: { name: string; url: string; lat: number[] }[] = [{ name: "direct", url: `${upstreamUrl}/chat/completions`, lat: [] }];
let i = 0;
for (const v of variants) {
  const p = await freePort();
  const env: Record<string, string> = { ...store.env, LOG_LEVEL: v.exp.includes("info") ? "info" : "warn", BASIS_EXP: v.exp, BASIS_TRACE: `/tmp/tr-${v.kind}-${v.exp || "base"}.jsonl`, BASIS_WORKER_QUEUE_TIMEOUT_MS: "120000" };
  if (v.kind === "up") env.BASIS_UPSTREAM_URL = upstreamUrl;
  if (v.exp.includes("noearly")) env.BASIS_EARLY_START = "false";
  kids.push(await spawnGateway(env, p, "/tmp/gw.log"));
  if (v.kind === "w") {
    const who = store.contributors[i++]!;
    kids.push(spawn(process.execPath, ["--import", "tsx", "worker/main.ts", "--gateway", `http://127.0.0.1:${p}`, "--name", "w", "--engine", "openai", "--engine-url", upstreamUrl, "--model", "basis-default", "--concurrency", "4"], { env: { ...process.env, BASIS_WORKER_TOKEN: who.token, BASIS_WORKER_KEY: who.key, LOG_LEVEL: v.exp.includes("info") ? "info" : "warn", BASIS_EXP: v.exp }, stdio: ["ignore", openSync("/tmp/w.log", "a"), "inherit"] }));
    for (let k = 0; k < 300; k++) {
      const l = (await fetch(`http://127.0.0.1:${p}/v1/workers`).then((r) => r.json())) as { connected: number };
      if (l.connected >= 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  targets.push({ name: `${v.kind}:${v.exp}`, url: `http://127.0.0.1:${p}/v1/chat/completions`, lat: [] });
}
const auth = { authorization: `Bearer ${store.key}`, "content-type": "application/json" };
const body = JSON.stringify({ model: "basis-default", messages: [{ role: "user", content: "Say something short." }], max_tokens: Number(process.env.MAXTOK ?? 12), stream: process.env.NOSTREAM ? false : true });
for (const t of targets) await latencies(t.url, auth, body, 150, !process.env.NOSTREAM);
for (let b = 0; b < Number(process.env.BLOCKS ?? 8); b++)
  for (const t of targets) t.lat.push(...(await latencies(t.url, auth, body, 50, !process.env.NOSTREAM)));
const d = targets[0]!.lat;
for (const t of targets) console.log(t.name.padEnd(14), `p50 ${percentile(t.lat, 50).toFixed(2)} p90 ${percentile(t.lat, 90).toFixed(2)} p99 ${percentile(t.lat, 99).toFixed(2)}  added p50 ${(percentile(t.lat, 50) - percentile(d, 50)).toFixed(2)}`);
for (const c of kids) c.kill("SIGTERM");
process.exit(0);
