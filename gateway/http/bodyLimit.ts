import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { payloadTooLarge } from "../errors.js";
import type { AppEnv } from "./context.js";

/**
 * Refuses a request body over `maxSize` bytes with 413 `payload_too_large`, before anything parses it.
 *
 * A body that declares its `Content-Length` (every OpenAI and Anthropic SDK sends one) is judged by it alone and
 * left unread, so the endpoint reads it once through `@hono/node-server`'s direct path (straight from the socket
 * into one buffer). Hono's own `bodyLimit` reads `Request.body`, which makes `@hono/node-server` build a full WHATWG
 * `Request` over a web stream of the socket on every request: about a tenth of the gateway's CPU per request.
 * A body of unknown length (chunked) still goes through Hono's `bodyLimit`, which counts it as it arrives.
 */
export function limitBody(maxSize: number) {
  const counted = bodyLimit({
    maxSize,
    onError: () => {
      throw payloadTooLarge(maxSize);
    },
  });
  return createMiddleware<AppEnv>(async function limitBody(c, next) {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD") return next();
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      if (Number.parseInt(length || "0", 10) > maxSize) throw payloadTooLarge(maxSize);
      return next();
    }
    return counted(c, next);
  });
}
