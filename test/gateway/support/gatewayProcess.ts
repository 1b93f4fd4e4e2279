import { type ChildProcess, spawn } from "node:child_process";
import { openSync } from "node:fs";

export { freePort } from "../../../scripts/lib/freePort.js";

/** Starts `gateway/main.ts` as its own process (through tsx on the project's Node) and waits until it serves. */
export async function spawnGateway(env: Record<string, string>, port: number, logFile?: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "gateway/main.ts"], {
    env: { ...process.env, LOG_LEVEL: "warn", ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", logFile ? openSync(logFile, "a") : "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`gateway did not start: ${stderr}`);
}

/** Resolves when the process has exited. */
export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once("exit", () => resolve()));
}
