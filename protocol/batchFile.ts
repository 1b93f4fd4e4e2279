/**
 * The batch file: every receipt of one settlement batch, published by the gateway (at the `uri` the
 * batch was posted with) so that anyone can recompute each receipt hash, check each signature, rebuild
 * the merkle root and compare it with `SettlementRegistry.batchRoot(batchId)`. The registry stores the
 * SHA-256 of the file's exact bytes (`fileHash`): the file is RFC 8785 canonical JSON.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import type { Hex } from "viem";
import type { ReceiptCore } from "./receipt.js";

export type BatchFile = {
  version: 1;
  chainId: number;
  /** The SettlementRegistry the batch is posted to. */
  registry: string;
  batchId: number;
  /** The StandardMerkleTree root over the receipt hashes (leaf encoding `["bytes32"]`, sorted leaves). */
  root: Hex;
  receiptCount: number;
  /** Sums of the receipts' `charged` and `reward` (decimal base units). */
  totalCharged: string;
  totalReward: string;
  /** In the order the tree was built from (the gateway's recording order). */
  receipts: { hash: Hex; core: ReceiptCore; signature: Hex }[];
};

/** The file's bytes (canonical JSON) and their SHA-256, the `fileHash` posted on-chain. */
export function encodeBatchFile(file: BatchFile): { text: string; fileHash: Hex } {
  const text = canonicalize(file) as string;
  return { text, fileHash: `0x${createHash("sha256").update(text, "utf8").digest("hex")}` };
}
