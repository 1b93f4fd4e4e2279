/**
 * Micro-benchmark of server-side token counting while relaying a stream: CPU µs per streamed token when the
 * output arrives in ~4-character deltas and the running count is read after every delta, with the incremental
 * counter (gateway/metering/streamCounter.ts) and with a full recount of the text so far; then the worst cases
 * (long runs of one character, 1-unit deltas that also split surrogate pairs).
 * Run: npx tsx scripts/bench/tokenCounting.ts [o200k_base|cl100k_base]
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { createStreamCounter } from "../../gateway/metering/streamCounter.js";
import { getTokenizer, type Tokenizer, type TokenizerName } from "../../gateway/metering/tokenizer.js";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

/** ~60k characters of prose, Markdown tables, Solidity and some non-Latin text, from files in this repository. */
function corpus(): string {
  const files = [
    "README.md",
    "contracts/CreditVault.sol",
    "contracts/SettlementRegistry.sol",
    "contracts/RewardDistributor.sol",
  ];
  const unicode = "Basis mesure chaque tâche — 每个任务都在服务器上计量。 Каждая задача учитывается. 🚀 ✓ ∑ᵢ tokensᵢ\n";
  return files.map(read).join("\n\n") + unicode.repeat(40);
}

function deltasOf(text: string, size = 4): string[] {
  const deltas: string[] = [];
  for (let i = 0; i < text.length; i += size) deltas.push(text.slice(i, i + size));
  return deltas;
}

/** CPU microseconds (user + system) spent in `fn`. */
function cpuMicros(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

function streamIncremental(tokenizer: Tokenizer, deltas: readonly string[]): number {
  const counter = createStreamCounter(tokenizer);
  for (const delta of deltas) {
    counter.push(delta);
    counter.tokens();
  }
  return counter.tokens();
}

function streamRecount(tokenizer: Tokenizer, deltas: readonly string[]): number {
  let text = "";
  let tokens = 0;
  for (const delta of deltas) {
    text += delta;
    tokens = tokenizer.count(text);
  }
  return tokens;
}

const name = (process.argv[2] ?? "o200k_base") as TokenizerName;
const built = performance.now();
const tokenizer = getTokenizer(name);
const buildMs = performance.now() - built;
const vocabStart = performance.now();
tokenizer.bpe(new Uint8Array([32, 32, 32]), 0, 3); // builds the heap merge's vocabulary view, once per process
const vocabMs = performance.now() - vocabStart;
const text = corpus();
const deltas = deltasOf(text);
const total = tokenizer.count(text);
console.log(`${name} on ${cpus()[0]?.model ?? "?"} (${cpus().length} cores), Node ${process.version}`);
console.log(
  `setup: tokenizer ${buildMs.toFixed(0)} ms, long-piece vocabulary ${vocabMs.toFixed(0)} ms (once per process)`,
);
console.log(
  `text: ${text.length} chars, ${total} tokens, ${deltas.length} deltas of 4 chars (${(text.length / total).toFixed(2)} chars/token)`,
);

// The first pass fills gpt-tokenizer's merge cache (cold); later passes hit it (warm): median of 7.
let counted = 0;
const cold = cpuMicros(() => {
  counted = streamIncremental(tokenizer, deltas);
});
if (counted !== total) throw new Error(`incremental count ${counted} !== full count ${total}`);
const median = (fn: () => void, runs = 7) =>
  Array.from({ length: runs }, () => cpuMicros(fn)).sort((a, b) => a - b)[runs >> 1] as number;
const warm = median(() => streamIncremental(tokenizer, deltas));
const once = median(() => tokenizer.count(text));
console.log(`incremental, cold merge cache : ${(cold / total).toFixed(2)} µs CPU per streamed token`);
console.log(`incremental, warm merge cache : ${(warm / total).toFixed(2)} µs CPU per streamed token`);
console.log(`one count of the whole text   : ${(once / total).toFixed(2)} µs CPU per token (the floor)`);

// A full recount after every delta is quadratic: measure it on a prefix only.
const prefix = deltas.slice(0, 2_000);
const prefixTokens = tokenizer.count(prefix.join(""));
const recount = cpuMicros(() => streamRecount(tokenizer, prefix));
const incrementalPrefix = cpuMicros(() => streamIncremental(tokenizer, prefix));
console.log(
  `first ${prefix.length} deltas (${prefixTokens} tokens): full recount ${(recount / prefixTokens).toFixed(1)} µs/token, ` +
    `incremental ${(incrementalPrefix / prefixTokens).toFixed(2)} µs/token`,
);

// Worst cases: a degenerate or hostile output made of one long run, streamed 1 unit at a time.
const worst: [string, string][] = [
  ["spaces", " ".repeat(100_000)],
  ["line breaks + indentation", "\n  ".repeat(30_000)],
  ["dashes", "-".repeat(100_000)],
  ["one letter", "a".repeat(100_000)],
  ["emoji (pairs split)", "😀".repeat(25_000)],
  ["CJK", "中文".repeat(12_500)],
];
console.log("worst cases, 1-unit deltas, count read after each:");
for (const [label, run] of worst) {
  const runTokens = tokenizer.count(run);
  const micros = cpuMicros(() => {
    if (streamIncremental(tokenizer, deltasOf(run, 1)) !== runTokens) throw new Error(`${label}: count mismatch`);
  });
  console.log(
    `  ${label.padEnd(26)} ${String(run.length).padStart(7)} units, ${String(runTokens).padStart(6)} tokens: ` +
      `${(micros / run.length).toFixed(2)} µs/unit, ${(micros / runTokens).toFixed(1)} µs/token, ${(micros / 1000).toFixed(0)} ms`,
  );
}
