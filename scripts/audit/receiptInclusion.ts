/**
 * `audit receipt <hash>`: one receipt's inclusion, proven against the root on-chain. The receipt comes
 * from the gateway; its hash is recomputed from its core, its signature matched with the attester of the
 * time, and the proof in its envelope folded up to the batch root read from the chain (and, over RPC,
 * handed to `SettlementRegistry.verifyReceipt`); its batch file must hash to the on-chain fileHash and
 * list it.
 */
import type { Hex } from "viem";
import { z } from "zod";
import { InvalidReceiptError, parseReceiptCore, receiptHash } from "../../protocol/receipt.js";
import { attesterAt, attesterCovering, type ChainSource } from "./chain.js";
import type { GatewayClient } from "./gatewayClient.js";
import { proves, receiptLeaf } from "./proofs.js";
import { receiptSigner } from "./signatures.js";

/** The receipt check's report (`--json` prints exactly this). */
export type ReceiptReport = {
  ok: boolean;
  firstMismatch: string | null;
  mismatches: string[];
  source: "rpc" | "indexer";
  receipt: Hex;
  status: string | null;
  batchId: number | null;
  leafIndex: number | null;
  /** The batch root read from the chain. */
  root: Hex | null;
  proofLength: number;
  signer: string | null;
  attester: string | null;
  /** The proof folds up to the on-chain root. */
  included: boolean;
  /** `SettlementRegistry.verifyReceipt` (null through the indexer). */
  verifiedByRegistry: boolean | null;
  /** The batch file hashes to the on-chain fileHash and lists the receipt. */
  inBatchFile: boolean | null;
};

const answerSchema = z.object({
  receipt: z.object({
    hash: z.string(),
    core: z.unknown(),
    status: z.string(),
    signature: z.string().nullable(),
    settlement: z
      .object({
        batchId: z.number().int().positive(),
        leafIndex: z.number().int().nonnegative().optional(),
        proof: z.array(z.string().regex(/^0x[0-9a-fA-F]{64}$/)),
        txHash: z.string().nullable().optional(),
      })
      .nullable(),
  }),
});

export async function auditReceipt(hash: Hex, source: ChainSource, gateway: GatewayClient): Promise<ReceiptReport> {
  const mismatches: string[] = [];
  const fail = (message: string) => mismatches.push(`receipt ${hash}: ${message}`);
  const report: ReceiptReport = {
    ok: false,
    firstMismatch: null,
    mismatches,
    source: source.kind,
    receipt: hash,
    status: null,
    batchId: null,
    leafIndex: null,
    root: null,
    proofLength: 0,
    signer: null,
    attester: null,
    included: false,
    verifiedByRegistry: null,
    inBatchFile: null,
  };
  const done = () => ({ ...report, ok: mismatches.length === 0, firstMismatch: mismatches[0] ?? null });

  const answer = await gateway.receipt(hash);
  if (answer === null) {
    fail("unknown to the gateway (404)");
    return done();
  }
  const parsed = answerSchema.safeParse(answer);
  if (!parsed.success) {
    fail("the gateway's answer is not a receipt");
    return done();
  }
  const { receipt } = parsed.data;
  report.status = receipt.status;
  if (receipt.hash.toLowerCase() !== hash) fail(`the gateway answered receipt ${receipt.hash}`);
  let completedAt = 0n;
  try {
    const core = parseReceiptCore(receipt.core);
    completedAt = BigInt(Math.floor(Date.parse(core.completedAt) / 1000));
    const computed = receiptHash(core);
    if (computed !== hash) fail(`hash mismatch: core hashes to ${computed}`);
  } catch (error) {
    fail(`invalid core: ${error instanceof InvalidReceiptError ? error.issues.join("; ") : (error as Error).message}`);
  }

  const s = receipt.settlement;
  const batch = s ? await source.batch(s.batchId, (s.txHash as Hex | null | undefined) ?? null) : null;
  const attesters = await source.attesters();
  const signer = receipt.signature ? await receiptSigner(hash, receipt.signature) : null;
  report.signer = signer;
  report.attester = attesterAt(attesters, batch?.blockNumber ?? null)?.address ?? null;
  if (!receipt.signature) fail("not signed yet");
  else if (!signer) fail("the signature recovers no signer");
  else if (!attesterCovering(attesters, signer, completedAt, batch?.blockNumber ?? null)) {
    fail(`signer ${signer} is not the attester ${report.attester ?? "(none)"}`);
  }

  if (receipt.status !== "settled" || !s) {
    fail(`not settled (status ${receipt.status})`);
    return done();
  }
  report.batchId = s.batchId;
  report.leafIndex = s.leafIndex ?? null;
  report.proofLength = s.proof.length;
  if (!batch) {
    fail(`batch ${s.batchId} is not on-chain`);
    return done();
  }
  report.root = batch.root;
  const proof = s.proof as Hex[];
  report.included = proves(receiptLeaf(hash), proof, batch.root);
  if (!report.included)
    fail(`not included: its proof does not lead to batch ${s.batchId}'s on-chain root ${batch.root}`);
  report.verifiedByRegistry = await source.verifyReceipt(s.batchId, hash, proof);
  if (report.verifiedByRegistry === false) fail(`SettlementRegistry.verifyReceipt(${s.batchId}, …) is false`);

  const file = await gateway.batchFile(s.batchId);
  if (!file.ok) fail(`batch ${s.batchId}'s file is not served (HTTP ${file.status})`);
  else {
    const { fileHash } = file;
    const listed = (() => {
      try {
        const receipts = (JSON.parse(file.text) as { receipts?: { hash?: string }[] }).receipts ?? [];
        return receipts.some((r) => r.hash?.toLowerCase() === hash);
      } catch {
        return false;
      }
    })();
    report.inBatchFile = fileHash === batch.fileHash.toLowerCase() && listed;
    if (fileHash !== batch.fileHash.toLowerCase()) {
      fail(`batch ${s.batchId}'s file hashes to ${fileHash}, not the on-chain fileHash ${batch.fileHash}`);
    } else if (!listed) fail(`not listed in batch ${s.batchId}'s file`);
  }
  return done();
}

/** The receipt report as a person reads it. */
export function formatReceiptReport(r: ReceiptReport): string {
  const lines = [
    `receipt ${r.receipt}`,
    `  status       ${r.status ?? "unknown"}`,
    `  batch        ${r.batchId ?? "—"}${r.leafIndex === null ? "" : ` (leaf ${r.leafIndex}, proof of ${r.proofLength})`}`,
    `  root         ${r.root ?? "—"} (read from the chain via ${r.source})`,
    `  signer       ${r.signer ?? "—"} (attester ${r.attester ?? "—"})`,
    `  included     ${r.included ? "yes: the proof leads to the on-chain root" : "no"}`,
  ];
  if (r.verifiedByRegistry !== null) lines.push(`  registry     verifyReceipt → ${r.verifiedByRegistry}`);
  if (r.inBatchFile !== null)
    lines.push(`  batch file   ${r.inBatchFile ? "matches the on-chain fileHash and lists it" : "MISMATCH"}`);
  lines.push(
    "",
    r.ok ? "OK: the receipt is settled and proven against the on-chain root." : `MISMATCH: ${r.firstMismatch}`,
  );
  for (const m of r.mismatches.slice(1)) lines.push(`  - ${m}`);
  return lines.join("\n");
}
