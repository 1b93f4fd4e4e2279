/**
 * The JSON-RPC front of the local chain: every part of `npm start` talks to this proxy, which passes
 * calls to Hardhat's node and journals those that change the chain (scripts/start/chainJournal.ts).
 * Calls that change the chain go through one at a time, so the journal's order is the chain's; reads
 * pass straight through.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";
import { callKind, type JournalBlock, type JournalWriter } from "./chainJournal.js";

type RpcRequest = { jsonrpc?: string; id?: unknown; method?: unknown; params?: unknown };
type RpcResponse = { id?: unknown; result?: unknown; error?: unknown };

/** Most bytes one call may carry (a contract deployment is well under it). */
const MAX_BODY = 32 * 1024 * 1024;

export type ChainProxy = { url: string; close(): Promise<void> };

/** A JSON-RPC client of the node itself, over one keep-alive pool. */
export function nodeRpc(nodeUrl: string) {
  const pool = new Pool(nodeUrl, { connections: 8 });
  let id = 0;
  async function raw(body: string): Promise<string> {
    const res = await pool.request({
      path: "/",
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return res.body.text();
  }
  async function call<T>(method: string, params: unknown[] = []): Promise<T> {
    const answer = JSON.parse(await raw(JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }))) as RpcResponse;
    if (answer.error !== undefined) throw new Error(`${method}: ${JSON.stringify(answer.error)}`);
    return answer.result as T;
  }
  async function blocks(from: number, to: number): Promise<JournalBlock[]> {
    const out: JournalBlock[] = [];
    for (let n = from; n <= to; n++) {
      const block = await call<{ hash: string; timestamp: string }>("eth_getBlockByNumber", [
        `0x${n.toString(16)}`,
        false,
      ]);
      out.push([n, block.hash, Number(block.timestamp)]);
    }
    return out;
  }
  const head = async () => Number(await call<string>("eth_blockNumber"));
  return { url: nodeUrl, raw, call, blocks, head, close: () => pool.close() };
}

export type NodeRpc = ReturnType<typeof nodeRpc>;

/**
 * Starts the proxy on 127.0.0.1:`port` in front of the node at `nodeUrl`, journaling into `journal`.
 * `onBroken` hears of a call that ends the journal (the chain can no longer be rebuilt from it).
 */
export async function startChainProxy(p: {
  port: number;
  nodeUrl: string;
  journal: JournalWriter;
  onBroken?: (method: string) => void;
}): Promise<ChainProxy> {
  const node = nodeRpc(p.nodeUrl);
  let queue: Promise<unknown> = Promise.resolve();
  /** Runs `work` after every change before it: the chain and the journal see changes in one order. */
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  async function change(request: RpcRequest): Promise<RpcResponse> {
    const method = request.method as string;
    const before = await node.head();
    const answer = JSON.parse(await node.raw(JSON.stringify(request))) as RpcResponse;
    const after = await node.head();
    const mined = after > before ? await node.blocks(before + 1, after) : [];
    const kind = callKind(method);
    if (kind === "breaks") {
      if (answer.error === undefined && !p.journal.broken) {
        p.journal.markBroken(method);
        p.onBroken?.(method);
      }
    } else if (kind === "replayed" && (answer.error === undefined || mined.length > 0)) {
      p.journal.append({ m: method, p: Array.isArray(request.params) ? request.params : [], b: mined });
    }
    return answer;
  }

  async function one(request: RpcRequest): Promise<RpcResponse | string> {
    const kind = typeof request.method === "string" ? callKind(request.method) : "read";
    if (kind === "read") return node.raw(JSON.stringify(request));
    return serially(() => change(request));
  }

  async function handle(body: string): Promise<string> {
    let parsed: RpcRequest | RpcRequest[];
    try {
      parsed = JSON.parse(body) as RpcRequest | RpcRequest[];
    } catch {
      // The node answers malformed JSON with its own error.
      return node.raw(body);
    }
    if (!Array.isArray(parsed)) {
      const answer = await one(parsed);
      return typeof answer === "string" ? answer : JSON.stringify(answer);
    }
    if (parsed.every((r) => typeof r.method !== "string" || callKind(r.method) === "read")) return node.raw(body);
    // A batch that changes the chain: its calls one by one, in order, so each is journaled as itself.
    const answers: unknown[] = [];
    for (const request of parsed) {
      const answer = await one(request);
      answers.push(typeof answer === "string" ? JSON.parse(answer) : answer);
    }
    return JSON.stringify(answers);
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // Like Hardhat's node: browser tools on other origins may call it.
    res.setHeader("access-control-allow-origin", "*");
    if (req.method === "OPTIONS") {
      res
        .writeHead(204, { "access-control-allow-methods": "POST", "access-control-allow-headers": "content-type" })
        .end();
      return;
    }
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST, OPTIONS" }).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(chunk);
    });
    req.on("end", () => {
      handle(Buffer.concat(chunks).toString("utf8")).then(
        (answer) => res.writeHead(200, { "content-type": "application/json" }).end(answer),
        (error: Error) =>
          res
            .writeHead(502, { "content-type": "application/json" })
            .end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32603, message: error.message } })),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(p.port, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await queue;
      await node.close();
    },
  };
}
