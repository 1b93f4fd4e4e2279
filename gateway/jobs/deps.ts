import type { Hex } from "viem";
import type { ReceiptCore } from "../../protocol/receipt.js";
import type { RateLimits } from "../auth/rateLimits.js";
import type { Catalog } from "../catalog.js";
import type { Ledger } from "../ledger/types.js";
import type { Tokenizer } from "../metering/tokenizer.js";
import type { ReceiptStore } from "../receipts/store.js";
import type { Router } from "../routing/backend.js";
import type { EarlyStarts } from "./earlyStart.js";

/** What a job needs from the gateway: injected, so tests and production share the code. */
export type JobDeps = {
  catalog: Catalog;
  router: Router;
  ledger: Ledger;
  receipts: ReceiptStore;
  tokenizer(name: string): Tokenizer;
  /** Queues the attester's signature of a receipt hash, off the request path. */
  signLater(hash: Hex): void;
  clock(): Date;
  /** Per-key rate limits (requests are counted by the HTTP middleware, tokens here at admission). */
  rateLimits?: RateLimits;
  /** Told of every receipt recorded (metrics). */
  observeJob?(core: ReceiptCore): void;
  instanceId: string;
  /** Which admissions may start their backend call while the reserve runs (absent: none). */
  earlyStarts?: EarlyStarts;
};
