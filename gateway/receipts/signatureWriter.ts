import type { Hex } from "viem";
import type { ReceiptSigner } from "./signer.js";
import type { ReceiptStore } from "./store.js";

/**
 * Signs receipt hashes off the request path and stores the signatures in batches (one UPDATE per
 * batch), so a response never waits for a signature nor pays a round trip for it.
 * @param p `maxBatch` signatures per write (default 256); `maxDelayMs` before a partial batch is
 *   written (default 50); `onError` for a failed signature or write (the receipt stays unsigned and
 *   `verified` by hash; never includes the key).
 */
export function createSignatureWriter(
  signer: ReceiptSigner,
  store: Pick<ReceiptStore, "setSignatures">,
  p: { maxBatch?: number; maxDelayMs?: number; onError?: (error: unknown) => void } = {},
) {
  const maxBatch = p.maxBatch ?? 256;
  const maxDelay = p.maxDelayMs ?? 50;
  let pending: { hash: Hex; signature: Hex }[] = [];
  let timer: NodeJS.Timeout | null = null;
  let inFlight = 0;
  let writing: Promise<void> = Promise.resolve();

  function write() {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return writing;
    writing = writing.then(() => store.setSignatures(batch)).catch((error: unknown) => p.onError?.(error));
    return writing;
  }

  return {
    /** Queues the signature of `hash`. */
    signLater(hash: Hex) {
      inFlight++;
      signer
        .sign(hash)
        .then((signature) => {
          pending.push({ hash, signature });
          if (pending.length >= maxBatch) void write();
          else timer ??= setTimeout(() => void write(), maxDelay);
        })
        .catch((error: unknown) => p.onError?.(error))
        .finally(() => {
          inFlight--;
        });
    },
    /** Waits until every queued signature is signed and written (shutdown, tests). */
    async flush() {
      while (inFlight > 0) await new Promise((resolve) => setImmediate(resolve));
      await write();
    },
  };
}
