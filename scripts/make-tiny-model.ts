/**
 * Writes the tiny random-weight llama model (scripts/model/tinyModel.ts) that tests and local workers
 * serve. Deterministic: the same seed gives the same bytes.
 * Run: npx tsx scripts/make-tiny-model.ts [out] (default .basis/models/basis-tiny.gguf)
 */
import { resolve } from "node:path";
import { writeTinyModel } from "./model/tinyModel.js";

/** Where the model goes when no path is given. */
const DEFAULT_TINY_MODEL_PATH = ".basis/models/basis-tiny.gguf";

const out = resolve(process.argv[2] ?? DEFAULT_TINY_MODEL_PATH);
const info = await writeTinyModel(out);
console.log(out);
console.log(
  `${(info.bytes / 2 ** 20).toFixed(2)} MiB, ${info.parameters.toLocaleString("en-US")} parameters ` +
    `(vocabulary ${info.vocabulary}, embedding ${info.embedding}, ${info.blocks} blocks, ${info.heads} heads, ` +
    `feed-forward ${info.feedForward}, context ${info.contextLength})`,
);
