import { type ChildProcess, spawn } from "node:child_process";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import type { startGateway } from "../../gateway/support/startGateway.js";

type Gateway = Awaited<ReturnType<typeof startGateway>>;

/** A payout wallet with a worker token issued to its account on `gateway`. */
export async function contributor(gateway: Gateway, name = "test") {
  const key = generatePrivateKey();
  const address = privateKeyToAddress(key);
  const { token, record } = await gateway.workerTokens.create({ account: address, name });
  return { key, address: address.toLowerCase() as Hex, token, tokenId: record.id };
}

export type WorkerProcess = {
  child: ChildProcess;
  /** Everything the worker printed (pino JSON lines on stdout, errors on stderr). */
  output(): string;
  stop(): Promise<void>;
};

/** Starts `worker/main.ts` as its own process and waits until the gateway lists it with a ready model. */
export async function spawnWorker(
  gateway: Gateway,
  who: { key: Hex; token: string },
  args: string[],
  opts: { name?: string; waitReady?: boolean; env?: Record<string, string> } = {},
): Promise<WorkerProcess> {
  const name = opts.name ?? `w${Math.random().toString(36).slice(2, 8)}`;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "worker/main.ts", "--gateway", gateway.url, "--name", name, ...args],
    {
      env: { ...process.env, BASIS_WORKER_TOKEN: who.token, BASIS_WORKER_KEY: who.key, LOG_LEVEL: "info", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const worker: WorkerProcess = {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
  if (opts.waitReady === false) return worker;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`worker exited ${child.exitCode}: ${output}`);
    const link = gateway.hub.links().find((l) => l.name === name && !l.closed);
    if (link && [...link.models.values()].includes("ready")) return worker;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await worker.stop();
  throw new Error(`worker did not become ready: ${output}`);
}
