/**
 * Receipt signatures per second: the gateway's native signer (gateway/receipts/signer.ts) beside viem's pure-JS
 * `signMessage`, on one core; and how long the signer holds the event loop per batch while 20,000 are queued.
 * Run: npx tsx scripts/bench/receiptSigning.ts
 */
import { cpus } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createReceiptSigner } from "../../gateway/receipts/signer.js";

const key = generatePrivateKey();
const hashes = Array.from({ length: 20_000 }, (_, i) => keccak256(toHex(`receipt ${i}`)));
console.log(`${cpus()[0]?.model ?? "?"} (${cpus().length} cores), Node ${process.version}`);

const signer = createReceiptSigner(key);
await Promise.all(hashes.slice(0, 1_000).map((h) => signer.sign(h))); // warm up
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
let start = performance.now();
await Promise.all(hashes.map((h) => signer.sign(h)));
const native = hashes.length / ((performance.now() - start) / 1000);
delay.disable();

const account = privateKeyToAccount(key);
const few = hashes.slice(0, 2_000);
start = performance.now();
for (const h of few) await account.signMessage({ message: { raw: h } });
const viem = few.length / ((performance.now() - start) / 1000);

console.log(`native secp256k1 signer: ${Math.round(native).toLocaleString("en-US")} signatures/s`);
console.log(`viem signMessage (pure JS): ${Math.round(viem).toLocaleString("en-US")} signatures/s`);
console.log(
  `event loop held per batch (16 signatures) while signing: p50 ${(delay.percentile(50) / 1e6).toFixed(1)} ms, ` +
    `p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`,
);
