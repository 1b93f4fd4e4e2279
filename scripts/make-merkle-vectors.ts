/**
 * Writes test/vectors/merkle.json: receipt and reward trees built with @openzeppelin/merkle-tree (through
 * protocol/merkle.ts), with every proof. The TypeScript tests rebuild and compare them; the Solidity
 * test (contracts/test/MerkleVectors.t.sol) verifies every proof on-chain. Run: npx tsx scripts/make-merkle-vectors.ts
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getAddress, keccak256, sha256, toHex } from "viem";
import { buildReceiptTree, buildRewardTree, type RewardEntry } from "../protocol/merkle.js";

export const VECTORS_PATH = fileURLToPath(new URL("../test/vectors/merkle.json", import.meta.url));

/** The vectors, computed from fixed inputs: 7 receipts (an uneven tree) and 5 reward accounts. */
export function merkleVectors() {
  const hashes = Array.from({ length: 7 }, (_, i) => sha256(toHex(`basis receipt ${i}`)));
  const receiptTree = buildReceiptTree(hashes);
  const amounts = [1n, 10n ** 18n, 123_456_789_000_000_000_000n, 2n ** 200n, 7n];
  const entries: RewardEntry[] = amounts.map((cumulativeAmount, i) => ({
    account: getAddress(`0x${keccak256(toHex(`basis contributor ${i}`)).slice(26)}`),
    cumulativeAmount,
  }));
  const rewardTree = buildRewardTree(entries);
  return {
    receipts: {
      leafEncoding: ["bytes32"],
      hashes,
      root: receiptTree.root,
      proofs: hashes.map((_, i) => receiptTree.getProof(i)),
    },
    rewards: {
      leafEncoding: ["address", "uint256"],
      accounts: entries.map((e) => e.account),
      amounts: entries.map((e) => e.cumulativeAmount.toString()),
      root: rewardTree.root,
      proofs: entries.map((_, i) => rewardTree.getProof(i)),
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(VECTORS_PATH, `${JSON.stringify(merkleVectors(), null, 2)}\n`);
  console.log(`wrote ${VECTORS_PATH}`);
}
