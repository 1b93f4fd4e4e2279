import { Readable } from "node:stream";
import type { Context } from "hono";
import { Agent, request } from "undici";

/** Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Options of {@link createProxy}. */
export type ProxyOptions = {
  /** Headers and idle-body timeout of the upstream call (default 120 s: a long completion streams slowly). */
  timeoutMs?: number;
  /**
   * Forward the client's `Host` (default true). The gateway checks a Sign-In with Ethereum message's domain
   * against the host it is reached at; the dashboard signs for its own host, so the gateway must see it.
   */
  preserveHost?: boolean;
  /** Relay to the request's own path and query on `origin` (default true); false: always to `origin` itself. */
  keepPath?: boolean;
  /** Request headers never forwarded (lowercase), besides the hop-by-hop ones. */
  dropHeaders?: readonly string[];
};

/**
 * A handler that relays the request to `origin` (with the same path and query, unless `keepPath` is false),
 * streaming both bodies (server-sent events pass through unbuffered), or sending `override.body` when the caller has
 * read the body already. An unreachable upstream is a 502 in the OpenAI error envelope.
 * @example const gateway = createProxy("http://127.0.0.1:8787"); app.all("/api/*", (c) => gateway(c))
 */
export function createProxy(
  origin: string,
  { timeoutMs = 120_000, preserveHost = true, keepPath = true, dropHeaders = [] }: ProxyOptions = {},
) {
  const dispatcher = new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 10_000 });
  const base = new URL(origin);
  const dropped = new Set([...HOP_BY_HOP, ...dropHeaders, "host", "content-length"]);
  return async function proxy(c: Context, override?: { body: string }): Promise<Response> {
    const incoming = new URL(c.req.url);
    const target = keepPath ? new URL(incoming.pathname + incoming.search, base) : base;
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => {
      if (!dropped.has(name)) headers[name] = value;
    });
    headers.host = preserveHost ? incoming.host : base.host;
    const length = override ? String(Buffer.byteLength(override.body)) : c.req.header("content-length");
    if (length) headers["content-length"] = length;
    const stream = c.req.raw.body;
    const body = override
      ? override.body
      : stream
        ? Readable.fromWeb(stream as import("node:stream/web").ReadableStream)
        : null;
    try {
      const answer = await request(target, {
        method: c.req.method as "GET",
        headers,
        body,
        dispatcher,
        signal: c.req.raw.signal,
      });
      const out = new Headers();
      for (const [name, value] of Object.entries(answer.headers)) {
        if (HOP_BY_HOP.has(name) || value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
      }
      const hasBody = answer.statusCode !== 204 && answer.statusCode !== 304 && c.req.method !== "HEAD";
      if (!hasBody) await answer.body.dump();
      return new Response(hasBody ? (Readable.toWeb(answer.body) as ReadableStream) : null, {
        status: answer.statusCode,
        headers: out,
      });
    } catch (error) {
      const message = `The dashboard could not reach ${base.origin}: ${(error as Error).message}`;
      return c.json({ error: { message, type: "server_error", param: null, code: "upstream_unreachable" } }, 502);
    }
  };
}
