/** The dashboard part of `npm start`: `web/server/main.ts` (built on first use) proxying to the local gateway. */
import { type ChildProcess, spawn } from "node:child_process";

export const WEB_PORT = 5173;
export const WEB_URL = `http://127.0.0.1:${WEB_PORT}`;

/** Starts the dashboard server and resolves once it serves its config (after building the app if needed). */
export async function startWeb(p: { gatewayUrl: string; rpcUrl: string }): Promise<ChildProcess> {
  const child = spawn("npx", ["tsx", "web/server/main.ts"], {
    env: {
      ...(process.env as Record<string, string>),
      HOST: "127.0.0.1",
      PORT: String(WEB_PORT),
      BASIS_GATEWAY_URL: p.gatewayUrl,
      BASIS_RPC_URL: p.rpcUrl,
      BASIS_CHAIN_ID: "31337",
    },
    stdio: ["ignore", "ignore", "inherit"],
    // Its own process group, so that stopping it stops npx's child too.
    detached: true,
  });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the dashboard exited with ${child.exitCode}`);
    const ready = await fetch(`${WEB_URL}/config.json`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) return child;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
  throw new Error(`the dashboard did not answer on ${WEB_URL} within 120 s`);
}
