/**
 * A small, fast OpenAI-compatible server on loopback: deterministic text for chat and completions
 * (streamed as SSE or not), embeddings, and `/v1/models`. It is the upstream of the gateway's tests
 * and benchmarks, and `npm run dev:upstream` runs it alone. Behaviour a test injects on purpose
 * (latency per token, a failing status, a dropped socket) is set with `setBehavior`; it always
 * speaks the real protocol.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

/** What the server does with the next requests. */
export type UpstreamBehavior = {
  /** Milliseconds between streamed tokens. */
  tokenDelayMs?: number;
  /** Milliseconds before the first streamed token. */
  firstTokenDelayMs?: number;
  /** Answer every generation with this HTTP status and an OpenAI error body. */
  failStatus?: number;
  /** Destroy the socket after this many streamed tokens. */
  dropAfterTokens?: number;
  /** Words per answer when `max_tokens` allows (default 12). */
  words?: number;
};

const VOCABULARY = [
  "basis",
  "token",
  "receipt",
  "ledger",
  "worker",
  "gateway",
  "merkle",
  "credit",
  "vault",
  "proof",
  "model",
  "stream",
];

/** The deterministic words an answer to `prompt` consists of. */
export function answerWords(prompt: string, count: number, seed = 0): string[] {
  const digest = createHash("sha256").update(`${seed}:${prompt}`).digest();
  return Array.from({ length: count }, (_, i) => VOCABULARY[(digest[i % 32] ?? 0) % VOCABULARY.length] as string);
}

function promptText(body: Record<string, unknown>): string {
  if (Array.isArray(body.messages)) {
    return (body.messages as { content?: unknown }[])
      .map((m) => (typeof m.content === "string" ? m.content : ""))
      .join("\n");
  }
  return Array.isArray(body.prompt) ? body.prompt.join("\n") : String(body.prompt ?? "");
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A running fake upstream. */
export type OpenAIUpstream = {
  url: string;
  server: Server;
  setBehavior(behavior: UpstreamBehavior): void;
  /** Requests received per path. */
  requests: Map<string, number>;
  /** Streamed generations in progress (the client has not gone away and the answer has not ended). */
  streaming(): number;
  close(): Promise<void>;
};

/**
 * Starts the server on 127.0.0.1.
 * @param port 0 (default) picks a free port.
 */
export async function startOpenAIUpstream(port = 0, defaults: UpstreamBehavior = {}): Promise<OpenAIUpstream> {
  let behavior: UpstreamBehavior = defaults;
  const requests = new Map<string, number>();
  let open = 0;

  async function generate(req: IncomingMessage, res: ServerResponse, chat: boolean) {
    const body = await readJson(req);
    if (behavior.failStatus) {
      res.writeHead(behavior.failStatus, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ error: { message: "injected failure", type: "server_error", param: null, code: null } }),
      );
      return;
    }
    const max = typeof body.max_tokens === "number" ? body.max_tokens : 16;
    const n = typeof body.n === "number" ? body.n : 1;
    const want = behavior.words ?? 12;
    const count = Math.min(max, want);
    const finish = count < want ? "length" : "stop";
    const prompt = promptText(body);
    const promptTokens = prompt.split(/\s+/).filter(Boolean).length;
    const id = `up-${createHash("sha1").update(prompt).digest("hex").slice(0, 12)}`;
    const object = chat ? "chat.completion" : "text_completion";
    const choicesWords = Array.from({ length: n }, (_, i) => answerWords(prompt, count, Number(body.seed ?? 0) + i));
    const usage = { prompt_tokens: promptTokens, completion_tokens: count * n, total_tokens: promptTokens + count * n };

    if (!body.stream) {
      const choices = choicesWords.map((words, index) => {
        const text = words.map((w, i) => (i === 0 ? w : ` ${w}`)).join("");
        return chat
          ? { index, message: { role: "assistant", content: text }, finish_reason: finish, logprobs: null }
          : { index, text, finish_reason: finish, logprobs: null };
      });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id, object, created: 0, model: body.model, choices, usage }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    open += 1;
    res.once("close", () => {
      open -= 1;
    });
    const send = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
    const object2 = chat ? "chat.completion.chunk" : "text_completion";
    let sent = 0;
    if (behavior.firstTokenDelayMs) await sleep(behavior.firstTokenDelayMs);
    if (res.destroyed) return;
    const logprobs = (text: string) =>
      typeof body.logprobs === "number" && !chat
        ? { tokens: [text], token_logprobs: [-0.5], top_logprobs: [{ [text]: -0.5 }], text_offset: [0] }
        : null;
    if (body.echo && !chat) {
      for (const index of choicesWords.keys())
        send({
          id,
          object: "text_completion",
          created: 0,
          model: body.model,
          choices: [{ index, text: prompt, logprobs: null, finish_reason: null }],
        });
    }
    for (let t = 0; t < count; t++) {
      for (const [index, words] of choicesWords.entries()) {
        const text = t === 0 ? (words[t] as string) : ` ${words[t]}`;
        const choice = chat
          ? { index, delta: { content: text }, finish_reason: null }
          : { index, text, logprobs: logprobs(text), finish_reason: null };
        send({ id, object: object2, created: 0, model: body.model, choices: [choice] });
      }
      sent++;
      if (behavior.dropAfterTokens !== undefined && sent >= behavior.dropAfterTokens) {
        res.socket?.destroy();
        return;
      }
      if (behavior.tokenDelayMs) await sleep(behavior.tokenDelayMs);
      if (res.destroyed) return;
    }
    for (const index of choicesWords.keys()) {
      const choice = chat ? { index, delta: {}, finish_reason: finish } : { index, text: "", finish_reason: finish };
      send({ id, object: object2, created: 0, model: body.model, choices: [choice] });
    }
    const options = body.stream_options as { include_usage?: boolean } | undefined;
    if (options?.include_usage) send({ id, object: object2, created: 0, model: body.model, choices: [], usage });
    res.end("data: [DONE]\n\n");
  }

  async function embeddings(req: IncomingMessage, res: ServerResponse) {
    const body = await readJson(req);
    const inputs = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
    const dims = typeof body.dimensions === "number" ? body.dimensions : 8;
    const data = inputs.map((text, index) => {
      const digest = createHash("sha256").update(text).digest();
      return {
        object: "embedding",
        index,
        embedding: Array.from({ length: dims }, (_, i) => ((digest[i % 32] ?? 0) - 128) / 128),
      };
    });
    const tokens = inputs.join(" ").split(/\s+/).filter(Boolean).length;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        object: "list",
        data,
        model: body.model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      }),
    );
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? "").replace(/\?.*$/, "");
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const route =
      req.method === "POST" && path.endsWith("/chat/completions")
        ? generate(req, res, true)
        : req.method === "POST" && path.endsWith("/completions")
          ? generate(req, res, false)
          : req.method === "POST" && path.endsWith("/embeddings")
            ? embeddings(req, res)
            : req.method === "GET" && path.endsWith("/models")
              ? Promise.resolve(
                  void res
                    .writeHead(200, { "content-type": "application/json" })
                    .end(JSON.stringify({ object: "list", data: [] })),
                )
              : Promise.resolve(void res.writeHead(404).end());
    route.catch(() => res.destroy());
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/v1`,
    server,
    requests,
    streaming: () => open,
    setBehavior: (b) => {
      behavior = b;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const words = process.env.DEV_UPSTREAM_WORDS ? Number(process.env.DEV_UPSTREAM_WORDS) : undefined;
  const delay = process.env.DEV_UPSTREAM_TOKEN_DELAY_MS;
  const upstream = await startOpenAIUpstream(Number(process.env.PORT ?? 8600), {
    words,
    tokenDelayMs: delay ? Number(delay) : undefined,
  });
  console.log(`OpenAI-compatible dev upstream on ${upstream.url}`);
}
