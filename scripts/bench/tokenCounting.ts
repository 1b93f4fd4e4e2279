/**
 * Micro-benchmark of server-side token counting while relaying a stream: CPU µs per streamed token when the
 * output arrives in ~4-character deltas and the running count is read after every delta, with the incremental
 * counter (gateway/metering/streamCounter.ts) and with a full recount of the text so far.
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

function streamIncremental(tokenizer: Tokenizer, deltas: string[]): number {
  const counter = createStreamCounter(tokenizer);
  for (const delta of deltas) {
    counter.push(delta);
    counter.tokens();
  }
  return counter.tokens();
}

function streamRecount(tokenizer: Tokenizer, deltas: string[]): number {
  let text = "";
  let tokens = 0;
  for (const delta of deltas) {
    text += delta;
    tokens = tokenizer.count(text);
  }
  return tokens;
}

const name = (process.argv[2] ?? "o200k_base") as TokenizerName;
const tokenizer = getTokenizer(name);
const text = corpus();
const deltas = deltasOf(text);
const total = tokenizer.count(text);
console.log(`${name} on ${cpus()[0]?.model ?? "?"}, Node ${process.version}`);
console.log(
  `text: ${text.length} chars, ${total} tokens, ${deltas.length} deltas of 4 chars (${(text.length / total).toFixed(2)} chars/token)`,
);

// A fresh process's first pass fills gpt-tokenizer's merge cache (cold); later passes hit it (warm).
let counted = 0;
const cold = cpuMicros(() => {
  counted = streamIncremental(tokenizer, deltas);
});
if (counted !== total) throw new Error(`incremental count ${counted} !== full count ${total}`);
const warmRuns = 5;
const warm = cpuMicros(() => {
  for (let i = 0; i < warmRuns; i++) streamIncremental(tokenizer, deltas);
});
const once = cpuMicros(() => tokenizer.count(text));
console.log(`incremental, cold merge cache : ${(cold / total).toFixed(2)} µs CPU per streamed token`);
console.log(`incremental, warm merge cache : ${(warm / warmRuns / total).toFixed(2)} µs CPU per streamed token`);
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
