/**
 * Merkle tree build time: a batch tree of 1,000,000 receipts with every proof, built by protocol/merkleTree.ts (through
 * `buildReceiptTree`), beside @openzeppelin/merkle-tree on 100,000 receipts; asserts that both give the same root
 * and proofs on those 100,000. Every measurement runs in a process of its own (a clean heap, its own peak RSS).
 * Writes the "Merkle trees" section of docs/benchmarks.md. Run: npm run bench:tree
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Hex } from "viem";
import { buildReceiptTree } from "../../protocol/merkle.js";
import { replaceSection } from "./tools.js";

const LEAVES = Number(process.env.BENCH_TREE_LEAVES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_TREE_RUNS ?? 3);
/** The library's size: it takes ~10 s per 100,000 leaves, and ~0.5 ms per proof, so it proves a sample. */
const LIBRARY_LEAVES = 100_000;
const LIBRARY_PROOFS = 10_000;

type Measure = {
  leaves: number;
  build: number;
  proofs: number;
  proofCount: number;
  /** User + system CPU seconds of build and proofs (garbage collection threads included). */
  cpu: number;
  root: string;
  sample: string[][];
  inputRssMiB: number;
  peakRssMiB: number;
};

/** Receipt hashes as the gateway has them: `0x` + a SHA-256 digest in hex. */
const receiptHashes = (n: number) =>
  Array.from({ length: n }, (_, i): Hex => `0x${createHash("sha256").update(`receipt ${i}`).digest("hex")}`);
const sampleOf = (n: number) => [0, 1, n >> 1, n - 1];

/** One measurement, in this process: build the tree of `n` receipts, then every proof (the library: a sample). */
function measure(builder: "fast" | "library", n: number): Measure {
  const hashes = receiptHashes(n);
  const inputRssMiB = process.memoryUsage().rss / 2 ** 20;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const tree =
    builder === "fast"
      ? buildReceiptTree(hashes)
      : StandardMerkleTree.of(
          hashes.map((h) => [h]),
          ["bytes32"],
        );
  const built = performance.now();
  const proofCount = builder === "fast" ? n : Math.min(n, LIBRARY_PROOFS);
  const proofs: string[][] = new Array(proofCount);
  for (let i = 0; i < proofCount; i++) proofs[i] = tree.getProof(i);
  const done = performance.now();
  const used = process.cpuUsage(cpu);
  assert.equal(proofs.length, proofCount);
  return {
    leaves: n,
    build: (built - start) / 1000,
    proofs: (done - built) / 1000,
    proofCount,
    cpu: (used.user + used.system) / 1e6,
    root: tree.root,
    sample: sampleOf(n).map((i) => tree.getProof(i)),
    inputRssMiB,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

if (process.argv[2] === "fast" || process.argv[2] === "library") {
  console.log(JSON.stringify(measure(process.argv[2], Number(process.argv[3]))));
  process.exit(0);
}

const script = fileURLToPath(import.meta.url);
const inChild = (builder: "fast" | "library", n: number): Measure => {
  const child = spawnSync(process.execPath, ["--import", "tsx", script, builder, String(n)], { encoding: "utf8" });
  if (child.status !== 0) throw new Error(`${builder} ${n} failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").pop() as string) as Measure;
};
const total = (m: Measure) => m.build + m.proofs;
const s = (seconds: number) => `${seconds.toFixed(2)} s`;
const mib = (m: Measure) => `${Math.round(m.peakRssMiB).toLocaleString("en-US")} MiB`;
const count = (n: number) => n.toLocaleString("en-US");

const load = loadavg()[0]?.toFixed(1);
const runs = Array.from({ length: RUNS }, () => inChild("fast", LEAVES)).sort((a, b) => total(a) - total(b));
const fast = runs[Math.floor(runs.length / 2)] as Measure;
const fastSmall = inChild("fast", LIBRARY_LEAVES);
const library = inChild("library", LIBRARY_LEAVES);
assert.equal(fastSmall.root, library.root, "the same root as @openzeppelin/merkle-tree");
assert.deepEqual(fastSmall.sample, library.sample, "the same proofs as @openzeppelin/merkle-tree");
const perProof = library.proofs / library.proofCount;

const version = (createRequire(import.meta.url)("@openzeppelin/merkle-tree/package.json") as { version: string })
  .version;
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, Node ${process.versions.node}`;
const row = (name: string, m: Measure, proofs: string, totalTime: string, cpu: string) =>
  `| ${name} | ${count(m.leaves)} | ${s(m.build)} | ${proofs} | ${totalTime} | ${cpu} | ${mib(m)} |`;
const libraryTotal = library.build + perProof * LIBRARY_LEAVES;
const section = [
  "<!-- tree:start -->",
  "## Merkle trees",
  "",
  `Measured by \`npm run bench:tree\` (scripts/bench/tree.ts) on ${machine}, load average ${load} when it started.`,
  'The settlement tree of a batch (`StandardMerkleTree`, leaves `["bytes32"]`, sorted) over SHA-256 receipt hashes;',
  '"all proofs" is every leaf\'s proof as an array of hex strings, as the settler stores them. Each row runs in a fresh',
  "process, single-threaded; CPU is user + system time (garbage collection threads included); peak RSS includes the",
  `input (${count(LEAVES)} hex hashes: ${Math.round(fast.inputRssMiB)} MiB of the process before building).`,
  "",
  "| builder | leaves | build | all proofs | total | CPU | peak RSS |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  row(`protocol/merkleTree.ts (median of ${RUNS})`, fast, s(fast.proofs), `**${s(total(fast))}**`, s(fast.cpu)),
  row("protocol/merkleTree.ts", fastSmall, s(fastSmall.proofs), s(total(fastSmall)), s(fastSmall.cpu)),
  row(
    `@openzeppelin/merkle-tree ${version}`,
    library,
    `${s(perProof * LIBRARY_LEAVES)} (est.)`,
    `${s(libraryTotal)} (est.)`,
    "—",
  ),
  "",
  `The library's proofs are timed on ${count(library.proofCount)} leaves (${(perProof * 1000).toFixed(2)} ms each: it`,
  "re-hashes the value and re-verifies every proof it returns) and scaled to all of them. The runs of",
  `${count(LEAVES)} leaves took ${runs.map((m) => s(total(m))).join(", ")}. Both builders give the same root and proofs`,
  `on the ${count(LIBRARY_LEAVES)} leaves (asserted by the benchmark) and on random trees (test/protocol/merkleTree.test.ts).`,
  "<!-- tree:end -->",
].join("\n");
writeFileSync("docs/benchmarks.md", replaceSection(readFileSync("docs/benchmarks.md", "utf8"), "tree", section));
console.log(section);
