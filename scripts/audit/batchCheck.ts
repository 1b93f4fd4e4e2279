/**
 * One batch against the chain: the published file's receipts (each hash recomputed from its core, each
 * signature recovered and matched with the attester of the time), the merkle root rebuilt from them, the
 * counts and totals, the file's SHA-256, and the batch chain (`previousRoot`, `chainHead`).
 */
import { encodeAbiParameters, type Hex, keccak256, parseAbiParameters, zeroHash } from "viem";
import { buildReceiptTree } from "../../protocol/merkle.js";
import { InvalidReceiptError, parseReceiptCore, receiptHash } from "../../protocol/receipt.js";
import { type AttesterPeriod, attesterAt, attesterCovering, type PostedBatch } from "./chain.js";
import type { FetchedFile } from "./gatewayClient.js";
import type { Finding } from "./report.js";
import { receiptSigner } from "./signatures.js";

/** What every batch check shares. */
export type BatchContext = {
  chainId: number;
  registry: string;
  attesters: readonly AttesterPeriod[];
  /** Receipt hash → the batch that already listed it. */
  seen: Map<string, number>;
};

/** One batch's outcome. */
export type BatchResult = {
  findings: Finding[];
  receiptCount: number;
  totalCharged: bigint;
  totalReward: bigint;
  /** Reward per contributor wallet in this batch (lowercase); null when the file could not be read. */
  rewards: Map<string, bigint> | null;
};

type FileReceipt = { hash?: unknown; core?: unknown; signature?: unknown };
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;
/** `abi.encode(chainHead_{n-1}, n, root, receiptCount, totalCharged, totalReward, fileHash)`, as the registry hashes it. */
const CHAIN_HEAD_FIELDS = parseAbiParameters("bytes32, uint256, bytes32, uint256, uint256, uint256, bytes32");

/**
 * Checks one posted batch against its published file.
 * @param posted The batch as the chain has it.
 * @param file The file as the gateway serves it.
 * @param previous The previous batch's on-chain root and chain head (zero for batch 1).
 */
export async function checkBatch(
  posted: PostedBatch,
  file: FetchedFile,
  previous: { root: Hex; chainHead: Hex },
  ctx: BatchContext,
): Promise<BatchResult> {
  const id = posted.batchId;
  const findings: Finding[] = [];
  const fail = (code: Finding["code"], message: string, receipt?: Hex) =>
    findings.push({ code, message: `batch ${id}: ${message}`, batchId: id, ...(receipt ? { receipt } : {}) });
  const empty = { findings, receiptCount: 0, totalCharged: 0n, totalReward: 0n, rewards: null };

  if (posted.previousRoot.toLowerCase() !== previous.root.toLowerCase()) {
    fail("previous_root", `previousRoot ${posted.previousRoot} is not batch ${id - 1}'s root ${previous.root}`);
  }
  if (!file.ok) {
    fail("file_missing", `batch file not served (HTTP ${file.status}${file.message ? `: ${file.message}` : ""})`);
    return empty;
  }
  let parsed: { receipts?: unknown; [key: string]: unknown };
  try {
    parsed = JSON.parse(file.text);
  } catch {
    fail("file_invalid", "batch file is not valid JSON");
    return empty;
  }
  if (typeof parsed !== "object" || parsed === null || !Array.isArray(parsed.receipts)) {
    fail("file_invalid", "batch file has no receipts array");
    return empty;
  }
  const receipts = parsed.receipts as FileReceipt[];

  // Receipts: hash from core, no repeats, signed by the attester of the time.
  const hashes: Hex[] = [];
  let totalCharged = 0n;
  let totalReward = 0n;
  const rewards = new Map<string, bigint>();
  const postedBy = attesterAt(ctx.attesters, posted.blockNumber);
  for (const [i, entry] of receipts.entries()) {
    const listed = typeof entry?.hash === "string" && HASH.test(entry.hash) ? (entry.hash.toLowerCase() as Hex) : null;
    const label = listed ?? `#${i}`;
    const core = entry?.core as Record<string, unknown> | undefined;
    if (typeof core?.charged === "string" && DECIMAL.test(core.charged)) totalCharged += BigInt(core.charged);
    if (typeof core?.reward === "string" && DECIMAL.test(core.reward)) {
      totalReward += BigInt(core.reward);
      if (typeof core.worker === "string") {
        const worker = core.worker.toLowerCase();
        rewards.set(worker, (rewards.get(worker) ?? 0n) + BigInt(core.reward));
      }
    }
    let computed: Hex;
    try {
      computed = receiptHash(parseReceiptCore(entry?.core));
    } catch (error) {
      const why = error instanceof InvalidReceiptError ? error.issues.join("; ") : (error as Error).message;
      fail("receipt_invalid", `receipt ${label}: invalid core: ${why}`, listed ?? undefined);
      // Its listed hash stands in for it in the root (a receipt with neither leaves the root short).
      if (listed) hashes.push(listed);
      continue;
    }
    hashes.push(computed);
    if (listed !== computed) {
      fail("receipt_hash", `receipt ${label} hash mismatch: core hashes to ${computed}`, listed ?? computed);
      continue;
    }
    const before = ctx.seen.get(computed);
    if (before !== undefined) fail("receipt_duplicate", `receipt ${computed} is also in batch ${before}`, computed);
    else ctx.seen.set(computed, id);
    const signer = typeof entry.signature === "string" ? await receiptSigner(computed, entry.signature) : null;
    if (signer === null) {
      fail("signature", `receipt ${computed}: the signature recovers no signer`, computed);
      continue;
    }
    const completedAt = BigInt(Math.floor(Date.parse(String(core?.completedAt)) / 1000));
    if (!attesterCovering(ctx.attesters, signer, completedAt, posted.blockNumber)) {
      fail(
        "signature",
        `receipt ${computed}: signer ${signer} is not the attester ${postedBy?.address ?? "(none)"}`,
        computed,
      );
    }
  }

  // The file's own fields.
  const header: [string, unknown, unknown][] = [
    ["version", parsed.version, 1],
    ["chainId", parsed.chainId, ctx.chainId],
    ["registry", String(parsed.registry).toLowerCase(), ctx.registry.toLowerCase()],
    ["batchId", parsed.batchId, id],
    ["receiptCount", parsed.receiptCount, receipts.length],
    ["totalCharged", parsed.totalCharged, totalCharged.toString()],
    ["totalReward", parsed.totalReward, totalReward.toString()],
  ];
  for (const [field, value, expected] of header) {
    if (value !== expected) fail("file_header", `file's ${field} is ${String(value)}, expected ${String(expected)}`);
  }

  // The root of the receipts, the counts and totals, the file hash, the chain.
  const root = hashes.length > 0 ? (buildReceiptTree(hashes).root as Hex) : zeroHash;
  if (hashes.length === 0) fail("file_invalid", "batch file lists no receipts");
  else if (root.toLowerCase() !== posted.root.toLowerCase()) {
    fail("root", `root differs: the file's receipts build ${root}, on-chain root is ${posted.root}`);
  }
  if (String(parsed.root).toLowerCase() !== root.toLowerCase()) {
    fail("file_header", `file's root ${String(parsed.root)} is not its receipts' root ${root}`);
  }
  const totals: [string, bigint, bigint][] = [
    ["receiptCount", BigInt(receipts.length), posted.receiptCount],
    ["totalCharged", totalCharged, posted.totalCharged],
    ["totalReward", totalReward, posted.totalReward],
  ];
  for (const [field, recomputed, onChain] of totals) {
    if (recomputed !== onChain)
      fail("totals", `${field} differs: the file's receipts give ${recomputed}, on-chain ${onChain}`);
  }
  const { fileHash } = file;
  if (fileHash !== posted.fileHash.toLowerCase()) {
    fail("file_hash", `file hash ${fileHash} differs from on-chain fileHash ${posted.fileHash}`);
  }
  const head = keccak256(
    encodeAbiParameters(CHAIN_HEAD_FIELDS, [
      previous.chainHead,
      BigInt(id),
      root,
      BigInt(receipts.length),
      totalCharged,
      totalReward,
      fileHash,
    ]),
  );
  if (head !== posted.chainHead.toLowerCase()) {
    fail("chain_head", `prev/chain head mismatch: recomputed ${head}, on-chain ${posted.chainHead}`);
  }
  return { findings, receiptCount: receipts.length, totalCharged, totalReward, rewards };
}
