/**
 * What the audit reads from the gateway: the published batch files (their exact bytes), a receipt, and
 * a contributor's reward status. Every request has a timeout; transport failures and 5xx answers are
 * retried with backoff, then the audit stops (exit 3): it cannot say anything about what it did not get.
 */
import { createHash } from "node:crypto";
import type { Hex } from "viem";
import { SourceError } from "./chain.js";

/** A batch file as served: its text and the SHA-256 of its exact bytes, or why there is none. */
export type FetchedFile = { ok: true; text: string; fileHash: Hex } | { ok: false; status: number; message: string };

const TIMEOUT_MS = 60_000;
const ATTEMPTS = 4;

/** The gateway's public read API. */
export type GatewayClient = ReturnType<typeof createGatewayClient>;

/**
 * @param baseUrl The gateway's base URL (`http://127.0.0.1:8787`; a trailing `/v1` or `/` is ignored).
 * @example await createGatewayClient("http://127.0.0.1:8787").batchFile(1)
 */
export function createGatewayClient(baseUrl: string) {
  const origin = baseUrl.replace(/\/+$/, "").replace(/\/(api\/)?v1$/, "");

  async function get(path: string): Promise<{ status: number; bytes: Buffer; text: string }> {
    const url = `${origin}${path}`;
    let lastError = "";
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
        const bytes = Buffer.from(await res.arrayBuffer());
        if (res.status < 500) return { status: res.status, bytes, text: bytes.toString("utf8") };
        lastError = `HTTP ${res.status}`;
      } catch (error) {
        lastError = (error as Error).message;
      }
      if (attempt < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 250 * 4 ** (attempt - 1)));
    }
    throw new SourceError(`could not read ${url}: ${lastError}`);
  }

  const json = (text: string, what: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      throw new SourceError(`the gateway's ${what} is not JSON`);
    }
  };

  return {
    origin,

    /** `GET /api/settlement/batches/:id/file`: the bytes whose SHA-256 is the on-chain fileHash. */
    async batchFile(batchId: number): Promise<FetchedFile> {
      const { status, bytes, text } = await get(`/api/settlement/batches/${batchId}/file`);
      if (status === 200) return { ok: true, text, fileHash: `0x${createHash("sha256").update(bytes).digest("hex")}` };
      return { ok: false, status, message: text.slice(0, 200) };
    },

    /** `GET /api/inference/receipts/:hash`; null for 404. */
    async receipt(hash: string): Promise<unknown | null> {
      const { status, text } = await get(`/api/inference/receipts/${hash}`);
      if (status === 404) return null;
      if (status !== 200)
        throw new SourceError(`the gateway answered ${status} for receipt ${hash}: ${text.slice(0, 200)}`);
      return json(text, `answer for receipt ${hash}`);
    },

    /** `GET /api/rewards/:address`; null when this gateway serves no rewards (404). */
    async rewards(address: string): Promise<unknown | null> {
      const { status, text } = await get(`/api/rewards/${address}`);
      if (status === 404) return null;
      if (status !== 200)
        throw new SourceError(`the gateway answered ${status} for rewards of ${address}: ${text.slice(0, 200)}`);
      return json(text, `answer for rewards of ${address}`);
    },
  };
}
