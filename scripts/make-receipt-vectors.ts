/**
 * Writes test/vectors/receipts.json: receipt cores built from fixed jobs (through protocol/receipt.ts), each
 * with its texts, its RFC 8785 canonical JSON, its hash and an EIP-191 signature by a well-known development
 * key (Hardhat's account #0: public, never use it for anything real). The tests rebuild and compare them; an
 * auditor in any language can check a hasher against them. Run: npx tsx scripts/make-receipt-vectors.ts
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Address, type Hex, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Price } from "../protocol/pricing.js";
import {
  canonicalReceipt,
  createReceiptCore,
  type FinishReason,
  receiptHash,
  sha256Digest,
} from "../protocol/receipt.js";

export const RECEIPT_VECTORS_PATH = fileURLToPath(new URL("../test/vectors/receipts.json", import.meta.url));

/** Hardhat's default account #0: a published development key, used only to make the vectors' signatures reproducible. */
export const VECTOR_ATTESTER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

const DEFAULT_PRICE = { promptPrice: 1_000_000_000_000n, completionPrice: 3_000_000_000_000n };
const address = (label: string): Address => `0x${keccak256(toHex(label)).slice(26)}`;

type Job = {
  name: string;
  /** Default `job_vector_<n>`; two vectors use odd ids to exercise JCS string escaping and UTF-8. */
  jobId?: string;
  model: string;
  worker: Address | null;
  tokenizer: string;
  promptTokens: number;
  completionTokens: number;
  price: Price;
  finishReason: FinishReason;
  promptText: string;
  outputText: string;
  startedAt: string;
  completedAt: string;
};

const jobs: Job[] = [
  {
    name: "worker served, stopped naturally, ASCII text",
    model: "basis-default",
    worker: address("basis worker 1"),
    tokenizer: "o200k_base",
    promptTokens: 12,
    completionTokens: 7,
    price: { ...DEFAULT_PRICE, multiplierBps: 10_000n },
    finishReason: "stop",
    promptText: "Summarize this for an agent.",
    outputText: "Basis meters every job on the server.",
    startedAt: "2026-11-21T10:00:00.000Z",
    completedAt: "2026-11-21T10:00:01.250Z",
  },
  {
    name: "gateway served (worker null, reward 0), unicode text and job id",
    jobId: "job_vector_2_日本_😀",
    model: "basis-small",
    worker: null,
    tokenizer: "o200k_base",
    promptTokens: 31,
    completionTokens: 64,
    price: { ...DEFAULT_PRICE, multiplierBps: 5_000n },
    finishReason: "length",
    promptText: "Traduis « bonjour » en 日本語, s'il te plaît 🙏",
    outputText: "こんにちは — «Grüße» ﷽ e\u0301 👩🏽‍💻 \u05e9\u05dc\u05d5\u05dd",
    startedAt: "2026-11-21T10:00:02.000Z",
    completedAt: "2026-11-21T10:00:02.000Z",
  },
  {
    name: "charged beyond 2^64 (a huge price), 3.00x",
    model: "basis-large",
    worker: address("basis worker 2"),
    tokenizer: "o200k_base",
    promptTokens: 123_456,
    completionTokens: 4_096,
    price: { promptPrice: 10n ** 30n + 7n, completionPrice: 3n * 10n ** 30n + 1n, multiplierBps: 30_000n },
    finishReason: "stop",
    promptText: "a".repeat(1000),
    outputText: "b".repeat(1000),
    startedAt: "2026-12-31T23:59:59.999Z",
    completedAt: "2027-01-01T00:00:00.001Z",
  },
  {
    name: "cancelled by the client before any output",
    model: "basis-default",
    worker: address("basis worker 1"),
    tokenizer: "o200k_base",
    promptTokens: 5,
    completionTokens: 0,
    price: { ...DEFAULT_PRICE, multiplierBps: 10_000n },
    finishReason: "cancelled",
    promptText: "Hello",
    outputText: "",
    startedAt: "2026-11-21T10:00:03.000Z",
    completedAt: "2026-11-21T10:00:03.100Z",
  },
  {
    name: "failed after output, rounding down (0.50x of an odd amount), cl100k_base, escaped job id",
    jobId: 'job_vector_5\t"quoted"\\\u007f\u0001',
    model: "basis-embed",
    worker: address("basis worker 3"),
    tokenizer: "cl100k_base",
    promptTokens: 1,
    completionTokens: 1,
    price: { promptPrice: 1n, completionPrice: 2n, multiplierBps: 5_000n },
    finishReason: "failed",
    promptText: '\u0000\t\n"\\ control characters and quotes',
    outputText: "partial",
    startedAt: "2026-11-21T10:00:04.000Z",
    completedAt: "2026-11-21T10:00:05.000Z",
  },
];

/** The vectors, computed from the fixed jobs above (signatures are RFC 6979 deterministic). */
export async function receiptVectors() {
  const attester = privateKeyToAccount(VECTOR_ATTESTER_KEY);
  const vectors = [];
  for (const [i, job] of jobs.entries()) {
    const core = createReceiptCore({
      jobId: job.jobId ?? `job_vector_${i + 1}`,
      model: job.model,
      account: address(`basis account ${i % 2}`),
      worker: job.worker,
      tokenizer: job.tokenizer,
      counts: { promptTokens: job.promptTokens, completionTokens: job.completionTokens },
      price: job.price,
      rewardBps: 7_000n,
      finishReason: job.finishReason,
      promptDigest: sha256Digest(job.promptText),
      outputDigest: sha256Digest(job.outputText),
      startedAt: new Date(job.startedAt),
      completedAt: new Date(job.completedAt),
    });
    const hash = receiptHash(core);
    const signature = await attester.signMessage({ message: { raw: hash } });
    vectors.push({
      name: job.name,
      promptText: job.promptText,
      outputText: job.outputText,
      core,
      canonical: canonicalReceipt(core),
      hash,
      signature,
    });
  }
  return { attester: attester.address, vectors };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(RECEIPT_VECTORS_PATH, `${JSON.stringify(await receiptVectors(), null, 2)}\n`);
  console.log(`wrote ${RECEIPT_VECTORS_PATH}`);
}
