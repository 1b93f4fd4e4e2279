/**
 * The worker's connection to the gateway: dials out over WebSocket (so it works behind NAT), proves
 * its payout wallet, advertises its engine's models, serves many jobs at once over the one socket with
 * per-job flow control and cancellation, heartbeats, and reconnects with backoff.
 */

import type { LocalAccount } from "viem";
import { WebSocket } from "ws";
import {
  type GatewayFrame,
  gatewayFrameSchema,
  JOB_WINDOW,
  type JobFrame,
  MAX_FRAME_BYTES,
  WORKER_PROTOCOL_VERSION,
  type WorkerFrame,
  workerChallengeMessage,
} from "../protocol/worker.js";
import { DeltaOutbox, type WireDelta } from "./deltaOutbox.js";
import type { Engine } from "./engines/engine.js";

export type WorkerLog = {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
};

export type WorkerOptions = {
  /** The gateway's base URL (`http://host:8787`); the worker connects to `/v1/workers/connect` there. */
  gatewayUrl: string;
  /** A worker token of the payout wallet's account (`wk-basis-…`). */
  token: string;
  /** The payout wallet: signs the gateway's challenge. */
  wallet: LocalAccount;
  name: string;
  /** Jobs served at once. */
  concurrency: number;
  engine: Engine;
  log?: WorkerLog;
  /** Reconnect backoff bounds. */
  backoff?: { minMs: number; maxMs: number };
  heartbeatMs?: number;
  /** See {@link DeltaOutbox}; default DELTA_FRAME_INTERVAL_MS. */
  deltaFrameIntervalMs?: number;
};

/** Refusals that no retry can fix: the worker stops instead of reconnecting. */
const FATAL_REFUSALS = new Set(["invalid_token", "wallet_mismatch", "invalid_signature"]);

export type RunningWorker = {
  /** Resolves on the first `welcome`. */
  connected: Promise<{ workerId: string }>;
  /** Resolves when the worker stops for good: `stop()`, or a refusal no retry can fix (then rejects). */
  done: Promise<void>;
  /** Jobs being served now. */
  inflight(): number;
  stop(): Promise<void>;
};

type RunningJob = {
  abort: AbortController;
  sent: number;
  acked: number;
  wake: (() => void) | null;
  cancelledAt: number | null;
};

/** Connects the worker and keeps it connected until `stop()`. */
export function startWorker(opts: WorkerOptions): RunningWorker {
  const url = new URL("/v1/workers/connect", opts.gatewayUrl.replace(/^http/, "ws"));
  const log = opts.log;
  const backoff = opts.backoff ?? { minMs: 250, maxMs: 15_000 };
  const jobs = new Map<string, RunningJob>();
  let ws: WebSocket | null = null;
  let stopped = false;
  let attempt = 0;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let resolveConnected!: (v: { workerId: string }) => void;
  const connected = new Promise<{ workerId: string }>((resolve) => (resolveConnected = resolve));
  let finish!: (error?: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = (error) => (error ? reject(error) : resolve());
  });
  done.catch(() => {});

  const send = (socket: WebSocket, frame: WorkerFrame) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  };
  opts.engine.onStateChange(() => {
    if (ws) send(ws, { t: "models", models: opts.engine.models() });
  });

  async function serve(socket: WebSocket, frame: JobFrame) {
    if (jobs.has(frame.id)) return;
    // A job the gateway cancelled no longer counts: the gateway has already freed its slot, and the
    // engine hands its resources to the next job as soon as it stops (within a token).
    const busy = [...jobs.values()].filter((j) => j.cancelledAt === null).length;
    if (busy >= opts.concurrency) {
      send(socket, { t: "fail", id: frame.id, message: "worker at capacity", retryable: true });
      return;
    }
    const job: RunningJob = { abort: new AbortController(), sent: 0, acked: 0, wake: null, cancelledAt: null };
    jobs.set(frame.id, job);
    const signal = job.abort.signal;
    // Once the job is cancelled, what is still pending is dropped: the gateway drops it anyway.
    const outbox = new DeltaOutbox(frame.id, (f) => signal.aborted || send(socket, f), opts.deltaFrameIntervalMs);
    try {
      if (frame.endpoint === "embedding") {
        const inputs = frame.body.input as string[];
        const dimensions = frame.body.dimensions as number | undefined;
        const answer = await opts.engine.embed({ jobId: frame.id, model: frame.model, inputs, dimensions, signal });
        send(socket, {
          t: "embedding",
          id: frame.id,
          vectors: answer.vectors,
          promptTokens: answer.usage.promptTokens,
        });
        return;
      }
      const stream = opts.engine.generate({
        jobId: frame.id,
        model: frame.model,
        endpoint: frame.endpoint,
        body: frame.body,
        signal,
      });
      for await (const item of stream) {
        if (signal.aborted) break;
        if ("usage" in item) {
          outbox.flush();
          send(socket, { t: "usage", id: frame.id, ...item.usage });
          continue;
        }
        // Flow control: never more than JOB_WINDOW deltas ahead of what the gateway relayed.
        if (job.sent - job.acked >= JOB_WINDOW) outbox.flush();
        while (job.sent - job.acked >= JOB_WINDOW && !signal.aborted)
          await new Promise<void>((resolve) => (job.wake = resolve));
        if (signal.aborted) break;
        const d: WireDelta = { i: item.index, text: item.text };
        if (item.finishReason) d.finish = item.finishReason;
        if (item.logprobs !== undefined) d.logprobs = item.logprobs;
        outbox.add(d);
        job.sent += 1;
      }
      if (!signal.aborted) {
        outbox.flush();
        send(socket, { t: "done", id: frame.id });
      }
    } catch (error) {
      if (signal.aborted) return;
      const message = (error as Error).message.slice(0, 1_000);
      log?.warn("job failed", { job: frame.id, err: message });
      outbox.flush();
      send(socket, { t: "fail", id: frame.id, message, retryable: job.sent === 0 });
    } finally {
      outbox.discard();
      jobs.delete(frame.id);
      job.wake?.();
      if (job.cancelledAt !== null)
        log?.info("job stopped after cancel", { job: frame.id, afterMs: Date.now() - job.cancelledAt });
    }
  }

  function cancelAll() {
    for (const job of jobs.values()) {
      job.abort.abort();
      job.wake?.();
    }
  }

  function onFrame(socket: WebSocket, frame: GatewayFrame) {
    switch (frame.t) {
      case "challenge": {
        const message = workerChallengeMessage({ address: opts.wallet.address, nonce: frame.nonce });
        void opts.wallet.signMessage?.({ message }).then((signature) =>
          send(socket, {
            t: "hello",
            protocol: WORKER_PROTOCOL_VERSION,
            token: opts.token,
            address: opts.wallet.address,
            signature,
            name: opts.name,
            concurrency: opts.concurrency,
            models: opts.engine.models(),
          }),
        );
        return;
      }
      case "welcome":
        attempt = 0;
        log?.info("connected to the gateway", { workerId: frame.workerId, address: frame.address });
        resolveConnected({ workerId: frame.workerId });
        return;
      case "refused":
        log?.error("the gateway refused this worker", { code: frame.code, message: frame.message });
        if (FATAL_REFUSALS.has(frame.code)) {
          stopped = true;
          finish(new Error(`The gateway refused this worker (${frame.code}): ${frame.message}`));
        }
        return;
      case "job":
        void serve(socket, frame);
        return;
      case "cancel": {
        const job = jobs.get(frame.id);
        if (job) job.cancelledAt = Date.now();
        job?.abort.abort();
        job?.wake?.();
        return;
      }
      case "ack": {
        const job = jobs.get(frame.id);
        if (!job) return;
        job.acked += frame.n;
        const wake = job.wake;
        job.wake = null;
        wake?.();
        return;
      }
    }
  }

  function connect() {
    if (stopped) return;
    const socket = new WebSocket(url, { maxPayload: MAX_FRAME_BYTES, handshakeTimeout: 10_000 });
    ws = socket;
    let alive = true;
    let beat: NodeJS.Timeout | null = null;
    socket.on("open", () => {
      beat = setInterval(() => {
        if (!alive) return socket.terminate();
        alive = false;
        socket.ping();
      }, opts.heartbeatMs ?? 15_000);
    });
    socket.on("pong", () => {
      alive = true;
    });
    socket.on("message", (data, isBinary) => {
      if (isBinary) return;
      let parsed: ReturnType<typeof gatewayFrameSchema.safeParse>;
      try {
        parsed = gatewayFrameSchema.safeParse(JSON.parse(String(data)));
      } catch {
        return log?.warn("the gateway sent a frame that is not JSON");
      }
      if (!parsed.success) return log?.warn("the gateway sent an unknown frame");
      onFrame(socket, parsed.data);
    });
    socket.on("error", (error) => log?.warn("gateway connection error", { err: error.message }));
    socket.on("close", (code, reason) => {
      if (beat) clearInterval(beat);
      cancelAll();
      if (ws === socket) ws = null;
      if (stopped) return;
      const delay = Math.min(backoff.maxMs, backoff.minMs * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt += 1;
      log?.warn("disconnected from the gateway; reconnecting", {
        code,
        reason: reason.toString(),
        inMs: Math.round(delay),
      });
      reconnectTimer = setTimeout(connect, delay);
    });
  }

  connect();
  return {
    connected,
    done,
    inflight: () => jobs.size,
    async stop() {
      stopped = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      cancelAll();
      const socket = ws;
      if (socket && socket.readyState !== WebSocket.CLOSED) {
        const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
        socket.close(1000, "worker stopping");
        await Promise.race([closed, new Promise((r) => setTimeout(r, 2_000))]);
      }
      finish();
    },
  };
}
