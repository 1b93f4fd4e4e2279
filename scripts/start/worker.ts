/** The worker part of `npm start`: the generated tiny model, a local contributor wallet and its worker process. */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { privateKeyToAddress } from "viem/accounts";
import { writeTinyModel } from "../model/tinyModel.js";

/** Hardhat's well-known dev account #2: the local contributor whose worker serves the tiny model. */
export const LOCAL_CONTRIBUTOR_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
export const LOCAL_CONTRIBUTOR = privateKeyToAddress(LOCAL_CONTRIBUTOR_KEY);
export const TINY_MODEL_PATH = ".basis/models/basis-tiny.gguf";
/** The network models the local worker serves, all from the one tiny model. */
export const LOCAL_MODELS = ["basis-small", "basis-default", "basis-large"];

/** Writes the tiny model once (it is deterministic, so it is kept across restarts). */
export async function ensureTinyModel(): Promise<{ path: string; made: boolean }> {
  if (existsSync(TINY_MODEL_PATH)) return { path: TINY_MODEL_PATH, made: false };
  await writeTinyModel(TINY_MODEL_PATH);
  return { path: TINY_MODEL_PATH, made: true };
}

/** Starts the worker process and resolves once the gateway lists it with its models ready. */
export async function startWorker(p: { gatewayUrl: string; token: string }): Promise<ChildProcess> {
  const args = ["tsx", "worker/main.ts", "--gateway", p.gatewayUrl, "--gguf", TINY_MODEL_PATH, "--name", "local"];
  for (const model of LOCAL_MODELS) args.push("--model", model);
  args.push("--concurrency", "2", "--threads", "1");
  const child = spawn("npx", args, {
    env: {
      ...(process.env as Record<string, string>),
      BASIS_WORKER_TOKEN: p.token,
      BASIS_WORKER_KEY: LOCAL_CONTRIBUTOR_KEY,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    },
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the worker exited with ${child.exitCode}`);
    const listed = await fetch(`${p.gatewayUrl}/v1/workers`)
      .then((r) => r.json() as Promise<{ models: { id: string; ready_workers: number }[] }>)
      .catch(() => null);
    if (listed?.models.some((m) => m.ready_workers > 0)) return child;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
  throw new Error("the worker did not become ready within 60 s");
}
