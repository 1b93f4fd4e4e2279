import { spawn } from "node:child_process";
import { openSync } from "node:fs";
import { request } from "undici";
import { exited, freePort, spawnGateway } from "../test/gateway/support/gatewayProcess.js";
import { writeTinyModel } from "./model/tinyModel.js";
import { prepareStore } from "./bench/setup.js";
import { cpuSeconds } from "./bench/tools.js";
const modelPath = "/tmp/tiny.gguf";
await writeTinyModel(modelPath);
const store = await prepareStore("postgres", 1);
const p = await freePort();
const gw = await spawnGateway({ ...store.env, LOG_LEVEL: process.env.GWLOG ?? "warn", BASIS_WORKER_QUEUE_TIMEOUT_MS: "120000", ...(process.env.PROF ? { NODE_OPTIONS: "--cpu-prof --cpu-prof-dir=/tmp/prof" } : {}) }, p, "/tmp/gw-relay.log");
const who = store.contributors[0]!;
const extra = process.env.GW_NODE_OPTS ? {} : {};
const w = spawn(process.execPath, ["--import", "tsx", "worker/main.ts", "--gateway", `http://127.0.0.1:${p}`, "--name", "w", "--gguf", modelPath, "--model", "basis-default", "--concurrency", "1"], { env: { ...process.env, BASIS_WORKER_TOKEN: who.token, BASIS_WORKER_KEY: who.key, LOG_LEVEL: "warn" }, stdio: ["ignore", openSync("/tmp/w-relay.log", "a"), "inherit"] });
for (let k = 0; k < 600; k++) {
  const l = (await fetch(`http://127.0.0.1:${p}/v1/workers`).then((r) => r.json())) as { models: { ready_workers: number }[] };
  if ((l.models[0]?.ready_workers ?? 0) >= 1) break;
  await new Promise((r) => setTimeout(r, 100));
}
const auth = { authorization: `Bearer ${store.key}`, "content-type": "application/json" };
async function once() {
  const res = await request(`http://127.0.0.1:${p}/v1/completions`, { method: "POST", headers: auth, body: JSON.stringify({ model: "basis-default", prompt: "Once upon a time", max_tokens: 512, temperature: 0, stream: true, stream_options: { include_usage: true } }) });
  const text = await res.body.text();
  return Number(/"completion_tokens":(\d+)/.exec(text)?.[1]);
}
await once();
if (process.env.DIRECT) {
  const { createLlamaEngine } = await import("../worker/engines/llama.js");
  const engine = createLlamaEngine({ modelPath, models: ["basis-default"], threads: 1, parallel: 1 });
  await engine.start();
  for (let r = 0; r < 3; r++) {
    const s = performance.now(); let n = 0;
    for await (const item of engine.generate({ jobId: `d${r}`, model: "basis-default", endpoint: "completion", body: { prompt: "Once upon a time", max_tokens: 512, temperature: 0 }, signal: new AbortController().signal })) { if (!("usage" in item)) n++; }
    console.log(`direct: ${n} deltas in ${(performance.now() - s).toFixed(0)} ms`);
    const t = performance.now(); const k = await once(); console.log(`relayed: ${k} tokens in ${(performance.now() - t).toFixed(0)} ms`);
  }
  await engine.close();
}
const idle0 = cpuSeconds(gw.pid!); const t0 = performance.now();
await new Promise((r) => setTimeout(r, 3000));
const idleCpu = cpuSeconds(gw.pid!) - idle0; const idleS = (performance.now() - t0) / 1000;
const g0 = cpuSeconds(gw.pid!), w0 = cpuSeconds(w.pid!); const s0 = performance.now();
let tokens = 0;
for (let i = 0; i < Number(process.env.RUNS ?? 6); i++) tokens += await once();
if (process.env.DIRECT) {
  const { createLlamaEngine } = await import("../worker/engines/llama.js");
  const engine = createLlamaEngine({ modelPath, models: ["basis-default"], threads: 1, parallel: 1 });
  await engine.start();
  for (let r = 0; r < 3; r++) {
    const s = performance.now(); let n = 0;
    for await (const item of engine.generate({ jobId: `d${r}`, model: "basis-default", endpoint: "completion", body: { prompt: "Once upon a time", max_tokens: 512, temperature: 0 }, signal: new AbortController().signal })) { if (!("usage" in item)) n++; }
    console.log(`direct: ${n} deltas in ${(performance.now() - s).toFixed(0)} ms`);
    const t = performance.now(); const k = await once(); console.log(`relayed: ${k} tokens in ${(performance.now() - t).toFixed(0)} ms`);
  }
  await engine.close();
}
const secs = (performance.now() - s0) / 1000;
const g = cpuSeconds(gw.pid!) - g0, wc = cpuSeconds(w.pid!) - w0;
console.log(`tokens ${tokens} in ${secs.toFixed(2)} s = ${(tokens / secs).toFixed(0)} tok/s; gateway ${(g / tokens * 1e6).toFixed(1)} µs/token (idle ${(idleCpu / idleS * 100).toFixed(2)}% of a core); worker ${(wc / tokens * 1e6).toFixed(0)} µs/token`);
if (process.env.HOLD) { console.log("gw pid", gw.pid); await new Promise((r) => setTimeout(r, Number(process.env.HOLD))); }
w.kill("SIGTERM"); gw.kill("SIGTERM");
await Promise.all([exited(w), exited(gw)]);
process.exit(0);
