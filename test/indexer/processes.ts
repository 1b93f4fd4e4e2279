import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Repository root. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export { freePort } from "../../scripts/lib/freePort.js";

/** True once `child` has exited. */
export function hasExited(child: Child): boolean {
  return child.process.exitCode !== null || child.process.signalCode !== null;
}

/** A child process started by a test, with the tail of its output kept for error messages. */
export type Child = {
  process: ChildProcess;
  /** The last lines it printed (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or signal) once it has exited. */
  exited: Promise<number | NodeJS.Signals>;
  /** Sends `signal` (default SIGTERM), then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | NodeJS.Signals>;
};

/**
 * Runs a Node script of this repository with the Node running the tests (Node 22, from the `node`
 * devDependency), not through npx, so that signals reach the process itself.
 */
export function startNodeScript(
  script: string,
  args: string[],
  { env, cwd = REPO_ROOT, keepLines = 200 }: { env: NodeJS.ProcessEnv; cwd?: string; keepLines?: number },
): Child {
  const child = spawn(process.execPath, [script, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (lines.length > keepLines) lines.splice(0, lines.length - keepLines);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    process: child,
    output: () => lines.join("\n"),
    exited,
    async stop(signal = "SIGTERM", graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}

/**
 * Polls `check` every `intervalMs` until it returns a value other than `undefined` (a throwing check
 * counts as not yet).
 * @param options.gaveUp Stops waiting at once when it returns true (e.g. the process exited).
 * @throws After `timeoutMs` or once `gaveUp()`, with `describe()` and the last error in the message.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  {
    timeoutMs = 30_000,
    intervalMs = 25,
    gaveUp = () => false,
    describe = () => "",
  }: { timeoutMs?: number; intervalMs?: number; gaveUp?: () => boolean; describe?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const value = await check().catch((error: unknown) => {
      lastError = error;
      return undefined;
    });
    if (value !== undefined) return value;
    const reason = gaveUp() ? "gave up" : Date.now() > deadline ? `timed out after ${timeoutMs} ms` : undefined;
    if (reason) throw new Error(`${reason} (last error: ${String(lastError)})\n${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
