/**
 * The gateway's end of worker connections: accepts WebSocket upgrades on `/v1/workers/connect`,
 * runs the handshake (worker token + EIP-191 proof of the payout wallet), keeps one
 * {@link WorkerLink} per connected worker, heartbeats, and drops workers whose token is revoked or
 * who break the protocol.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { type Address, getAddress, type Hex, recoverMessageAddress } from "viem";
import { type WebSocket, WebSocketServer } from "ws";
import {
  CLOSE,
  type GatewayFrame,
  MAX_FRAME_BYTES,
  WORKER_PROTOCOL_VERSION,
  type WorkerFrame,
  workerChallengeMessage,
} from "../../protocol/worker.js";
import { parseWorkerFrame } from "./frames.js";
import { type LinkTimeouts, WorkerLink } from "./link.js";
import type { WorkerRecords } from "./records.js";
import type { WorkerTokens } from "./tokens.js";

export const WORKER_CONNECT_PATHS = ["/v1/workers/connect", "/api/v1/workers/connect"];

export type HubOptions = {
  tokens: WorkerTokens;
  records: WorkerRecords;
  logger?: Logger;
  timeouts?: Partial<LinkTimeouts & { helloMs: number; heartbeatMs: number; tokenCheckMs: number }>;
};

export type WorkerHub = {
  /** Attach to the HTTP server: `server.on("upgrade", hub.upgrade)`. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Connected, authenticated workers. */
  links(): readonly WorkerLink[];
  /** Calls `listener` whenever capacity may have changed (a job ended, a worker came, left or changed models). */
  onChange(listener: () => void): void;
  /** Drops, at once, the workers connected with this token (after it was revoked). */
  dropToken(tokenId: string): void;
  close(): Promise<void>;
};

export function createWorkerHub(opts: HubOptions): WorkerHub {
  const timeouts = {
    firstTokenMs: 30_000,
    stallMs: 30_000,
    helloMs: 10_000,
    heartbeatMs: 15_000,
    tokenCheckMs: 10_000,
    ...opts.timeouts,
  };
  const log = opts.logger;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const links = new Map<string, WorkerLink>();
  const sockets = new Map<WorkerLink, WebSocket>();
  const listeners: (() => void)[] = [];
  const changed = () => {
    for (const listener of listeners) listener();
  };

  const send = (ws: WebSocket, frame: GatewayFrame) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const flag = (link: WorkerLink, reason: string) => {
    log?.warn({ worker: link.id, address: link.worker, reason }, "worker flagged");
    opts.records.flag(link.id, reason).catch(() => {});
  };

  async function handshake(ws: WebSocket, nonce: string, hello: Extract<WorkerFrame, { t: "hello" }>) {
    const refuse = (code: string, message: string) => {
      send(ws, { t: "refused", code, message });
      ws.close(CLOSE.refused, code);
      log?.info({ address: hello.address, code }, "worker refused");
      return null;
    };
    const token = await opts.tokens.verify(hello.token);
    if (!token) return refuse("invalid_token", "The worker token is unknown or revoked.");
    const address = hello.address.toLowerCase() as Address;
    if (token.account !== address)
      return refuse("wallet_mismatch", "The worker token belongs to another account than the payout address.");
    let signer: Address;
    try {
      signer = await recoverMessageAddress({
        message: workerChallengeMessage({ address, nonce }),
        signature: hello.signature as Hex,
      });
    } catch {
      return refuse("invalid_signature", "The challenge signature could not be verified.");
    }
    if (signer.toLowerCase() !== address)
      return refuse("invalid_signature", "The challenge was not signed by the payout address.");
    const name = hello.name ?? "default";
    const id = await opts.records.seen(address, name);
    const previous = links.get(id);
    if (previous) {
      // The same worker connected again (a restart, a network change): the newer connection wins.
      sockets.get(previous)?.close(CLOSE.replaced, "replaced by a newer connection");
      previous.close("replaced by a newer connection");
    }
    let link: WorkerLink | null = null;
    link = new WorkerLink(id, address, name, token.id, hello.concurrency, timeouts, {
      send: (frame) => send(ws, frame),
      violation: (reason) => {
        if (!link) return;
        flag(link, `protocol violation: ${reason}`);
        ws.close(CLOSE.protocolViolation, "protocol violation");
        link.close(`protocol violation: ${reason}`);
      },
      suspect: (reason) => link && flag(link, reason),
      changed,
    });
    links.set(id, link);
    sockets.set(link, ws);
    send(ws, { t: "welcome", workerId: id, address: getAddress(address) });
    link.setModels(hello.models); // last: queued jobs may be sent to it at once
    log?.info({ worker: id, address, name, models: hello.models.map((m) => m.id) }, "worker connected");
    return link;
  }

  wss.on("connection", (ws: WebSocket) => {
    const nonce = randomBytes(16).toString("hex");
    let link: WorkerLink | null = null;
    let pending = false;
    let alive = true;
    const helloTimer = setTimeout(() => {
      if (!link) ws.close(CLOSE.helloTimeout, "no hello in time");
    }, timeouts.helloMs);
    ws.on("pong", () => {
      alive = true;
    });
    const beat = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, timeouts.heartbeatMs);

    ws.on("message", (data, isBinary) => {
      const parsed = parseWorkerFrame(data, isBinary);
      if ("error" in parsed) {
        log?.warn({ worker: link?.id, reason: parsed.error }, "worker sent a bad frame");
        if (link) flag(link, `protocol violation: ${parsed.error}`);
        ws.close(CLOSE.protocolViolation, "protocol violation");
        link?.close(`protocol violation: ${parsed.error}`);
        return;
      }
      const frame = parsed.frame;
      if (link) return link.receive(frame, Date.now());
      if (frame.t !== "hello" || pending) {
        ws.close(CLOSE.protocolViolation, "expected hello");
        return;
      }
      pending = true;
      handshake(ws, nonce, frame)
        .then((made) => {
          clearTimeout(helloTimer);
          if (ws.readyState !== ws.OPEN) made?.close("disconnected during the handshake");
          link = made;
        })
        .catch((error: unknown) => {
          log?.error({ err: (error as Error).message }, "worker handshake failed");
          ws.close(1011, "handshake failed");
        });
    });

    ws.on("error", (error) => {
      // Oversized frames (1009) and invalid WebSocket data end here; the socket closes next.
      log?.warn({ worker: link?.id, err: error.message }, "worker connection error");
      if (link) flag(link, `protocol violation: ${error.message}`);
    });

    ws.on("close", (code) => {
      clearTimeout(helloTimer);
      clearInterval(beat);
      if (!link) return;
      link.close(`connection closed (${code})`);
      if (links.get(link.id) === link) links.delete(link.id);
      sockets.delete(link);
      changed();
      log?.info({ worker: link.id, code }, "worker disconnected");
    });

    send(ws, { t: "challenge", nonce, protocol: WORKER_PROTOCOL_VERSION });
  });

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const link of links.values()) link.sweep(now);
  }, 250);
  sweep.unref();

  const dropToken = (tokenId: string) => {
    for (const link of links.values()) {
      if (link.tokenId !== tokenId) continue;
      sockets.get(link)?.close(CLOSE.tokenRevoked, "worker token revoked");
      link.close("worker token revoked");
    }
  };
  // Another replica may have revoked a token: re-check the connected ones now and then.
  const tokenCheck = setInterval(() => {
    const ids = [...new Set([...links.values()].map((l) => l.tokenId))];
    opts.tokens
      .live(ids)
      .then((live) => {
        for (const id of ids) if (!live.has(id)) dropToken(id);
      })
      .catch(() => {});
  }, timeouts.tokenCheckMs);
  tokenCheck.unref();

  return {
    upgrade(req, socket, head) {
      const path = (req.url ?? "").split("?")[0] ?? "";
      if (!WORKER_CONNECT_PATHS.includes(path)) {
        socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
    },
    links: () => [...links.values()],
    onChange: (listener) => void listeners.push(listener),
    dropToken,
    async close() {
      clearInterval(sweep);
      clearInterval(tokenCheck);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
