import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { WebSocket } from "ws";
import { type GatewayFrame, workerChallengeMessage } from "../../../protocol/worker.js";

/**
 * A worker written by hand on the real protocol, for what tests inject on purpose: garbage, oversized
 * frames, lies about jobs and wallets. It answers the challenge (signed by `signer`, claiming `address`)
 * and then does only what the test tells it.
 */
export async function rawWorker(
  url: string,
  p: { token: string; signer: Hex; address?: Hex; name?: string; models?: string[]; concurrency?: number },
) {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/v1/workers/connect`);
  const frames: GatewayFrame[] = [];
  const waiters: (() => void)[] = [];
  let closed: { code: number; reason: string } | null = null;
  ws.on("message", (data) => {
    frames.push(JSON.parse(String(data)) as GatewayFrame);
    for (const w of waiters.splice(0)) w();
  });
  ws.on("close", (code, reason) => {
    closed = { code, reason: reason.toString() };
    for (const w of waiters.splice(0)) w();
  });
  ws.on("error", () => {});

  /** The next frame of type `t` (consumed), or null once the socket closed. */
  async function next<T extends GatewayFrame["t"]>(t: T, ms = 10_000): Promise<Extract<GatewayFrame, { t: T }> | null> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const i = frames.findIndex((f) => f.t === t);
      if (i >= 0) return frames.splice(i, 1)[0] as Extract<GatewayFrame, { t: T }>;
      if (closed) return null;
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    throw new Error(`no '${t}' frame in ${ms} ms`);
  }

  const account = privateKeyToAccount(p.signer);
  const address = p.address ?? account.address;
  const challenge = await next("challenge");
  if (!challenge) throw new Error("closed before the challenge");
  const signature = await account.signMessage({ message: workerChallengeMessage({ address, nonce: challenge.nonce }) });
  const send = (frame: unknown) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  send({
    t: "hello",
    protocol: 1,
    token: p.token,
    address,
    signature,
    name: p.name ?? "raw",
    concurrency: p.concurrency ?? 4,
    models: (p.models ?? ["basis-default"]).map((id) => ({ id, state: "ready" })),
  });
  return {
    ws,
    send,
    next,
    closed: () => closed,
    async waitClosed(ms = 5_000) {
      const deadline = Date.now() + ms;
      while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (!closed) throw new Error("still open");
      return closed as { code: number; reason: string };
    },
    close: () => ws.close(),
  };
}
