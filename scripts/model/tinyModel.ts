/**
 * A tiny llama-architecture GGUF model with random weights, generated in-process so tests and local
 * workers need no download. It knows nothing, but llama.cpp loads and runs it like any model: a
 * SentencePiece-style vocabulary of common English words, F32 weights, a 2048-token context.
 *
 * The weights are uniform draws from a seeded PRNG (mulberry32, integer-only, so the same seed gives
 * byte-identical files on every platform), scaled so attention and the feed-forward blocks move the
 * residual stream as much as the token embedding does: the next token depends on the context, and
 * output varies instead of repeating one token forever (short loops still happen under greedy decoding).
 *
 * Two choices keep the output readable and long:
 * - The end-of-sequence token `</s>` has an all-zero row in `output.weight`, so its logit is exactly 0
 *   while the best of the other logits is positive: greedy decoding never stops early, and sampled
 *   decoding at temperature ≤ 1 almost never does (it stops at `max_tokens`).
 * - Residual dimension 0 is a constant channel: every token embedding holds `CONSTANT` there and no
 *   block writes to it, so after the final RMS norm it is always positive. Pieces that are not whole
 *   words or punctuation (word prefixes, bare letters, byte tokens, `<unk>`, `<s>`) have `-SUPPRESS` in
 *   that column of `output.weight` and zeros elsewhere: a large negative logit, so they are (almost)
 *   never generated, while prompts still tokenize through them.
 *
 * The vocabulary: `<unk>`, `<s>`, `</s>`, the 256 byte-fallback tokens `<0x00>`…`<0xFF>`, single
 * characters with and without the `▁` (U+2581) word-start marker, then each word of
 * scripts/model/words.ts as `▁word` with all its prefixes (llama.cpp's SentencePiece tokenizer only merges
 * adjacent pieces whose union is a token, so a word is reachable only through its prefixes).
 * Scores fall with the token id, as in SentencePiece models.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { encodeGguf, type GgufTensor, type GgufValue, gguf } from "./gguf.js";
import { COMMON_WORDS } from "./words.js";

/** Shape and seed of a tiny model. */
export type TinyModelOptions = {
  /** PRNG seed: the same seed gives the same bytes. Default 1. */
  seed?: number;
  /** Residual width. Default 128. */
  embedding?: number;
  /** Transformer blocks. Default 2. */
  blocks?: number;
  /** Attention heads. Default 4 (head dim = embedding / heads). */
  heads?: number;
  /** Key/value heads (grouped-query attention when fewer than `heads`). Default = heads. */
  kvHeads?: number;
  /** Feed-forward width. Default 384. */
  feedForward?: number;
  /** Training context length the metadata declares. Default 2048. */
  contextLength?: number;
  /** `general.name`. Default "basis-tiny". */
  name?: string;
};

/** What was generated. */
export type TinyModelInfo = {
  bytes: number;
  parameters: number;
  vocabulary: number;
  embedding: number;
  blocks: number;
  heads: number;
  kvHeads: number;
  feedForward: number;
  contextLength: number;
};

/** Value of the constant residual channel (dimension 0) in every token embedding. */
const CONSTANT = 1;
/** Weight of the constant channel for pieces that should not be generated. */
const SUPPRESS = 16;
/** Target standard deviation of the logits of generated pieces. */
const LOGIT_STD = 3.5;

const SPACE = "\u2581";
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;
const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
const PUNCTUATION = ".,!?;:'\"-()[]/&%$#@*+=<>_";
/** Characters that, as they are (without `▁`), may be generated. */
const GENERATED_CHARACTERS = new Set([...".,!?;:'-"]);

/** mulberry32: a tiny 32-bit PRNG with integer-only state updates. Returns floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The vocabulary: tokens, scores, types and whether each piece may be generated. */
export function tinyVocabulary() {
  const tokens: string[] = [];
  const types: number[] = [];
  const generated: boolean[] = [];
  const seen = new Set<string>();
  const add = (piece: string, type: number, gen: boolean) => {
    if (seen.has(piece)) {
      if (gen) generated[tokens.indexOf(piece)] = true;
      return;
    }
    seen.add(piece);
    tokens.push(piece);
    types.push(type);
    generated.push(gen);
  };
  add("<unk>", TOKEN_TYPE.unknown, false);
  add("<s>", TOKEN_TYPE.control, false);
  add("</s>", TOKEN_TYPE.control, false);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, TOKEN_TYPE.byte, false);
  add(SPACE, TOKEN_TYPE.normal, false);
  for (const c of LETTERS + DIGITS + PUNCTUATION) {
    add(c, TOKEN_TYPE.normal, GENERATED_CHARACTERS.has(c));
    add(SPACE + c, TOKEN_TYPE.normal, DIGITS.includes(c));
  }
  for (const word of COMMON_WORDS) {
    const piece = SPACE + word;
    for (let end = 2; end < piece.length; end++) add(piece.slice(0, end), TOKEN_TYPE.normal, false);
    add(piece, TOKEN_TYPE.normal, true);
  }
  const scores = tokens.map((_, id) => (types[id] === TOKEN_TYPE.normal ? -id : 0));
  return { tokens, scores, types, generated };
}

/** Builds the GGUF bytes of a tiny model. */
export function buildTinyModel(options: TinyModelOptions = {}): { file: Uint8Array; info: TinyModelInfo } {
  const seed = options.seed ?? 1;
  const embd = options.embedding ?? 128;
  const blocks = options.blocks ?? 2;
  const heads = options.heads ?? 4;
  const kvHeads = options.kvHeads ?? heads;
  const ff = options.feedForward ?? 384;
  const contextLength = options.contextLength ?? 2048;
  if (embd % heads !== 0 || heads % kvHeads !== 0) throw new Error("embedding must divide by heads, heads by kvHeads");
  const headDim = embd / heads;
  const kvDim = headDim * kvHeads;

  const vocab = tinyVocabulary();
  const nVocab = vocab.tokens.length;
  const random = mulberry32(seed);
  /** Uniform values with the given standard deviation. */
  const uniform = (n: number, std: number) => {
    const a = std * Math.sqrt(3);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (random() * 2 - 1) * a;
    return out;
  };
  /** A [nIn, nOut] matrix (ne order: each output's nIn weights are contiguous), gain / sqrt(nIn). */
  const matrix = (nIn: number, nOut: number, gain = 1) => uniform(nIn * nOut, gain / Math.sqrt(nIn));
  /** As `matrix`, with output 0 (the constant channel) never written. */
  const intoResidual = (nIn: number, gain = 1) => {
    const w = matrix(nIn, embd, gain);
    w.fill(0, 0, nIn);
    return w;
  };
  const ones = () => new Float32Array(embd).fill(1);

  const tensors: GgufTensor[] = [];
  const embeddings = uniform(embd * nVocab, 1);
  for (let t = 0; t < nVocab; t++) embeddings[t * embd] = CONSTANT;
  tensors.push({ name: "token_embd.weight", dims: [embd, nVocab], data: embeddings });
  for (let b = 0; b < blocks; b++) {
    const p = `blk.${b}`;
    tensors.push({ name: `${p}.attn_norm.weight`, dims: [embd], data: ones() });
    tensors.push({ name: `${p}.attn_q.weight`, dims: [embd, embd], data: matrix(embd, embd, 1.5) });
    tensors.push({ name: `${p}.attn_k.weight`, dims: [embd, kvDim], data: matrix(embd, kvDim, 1.5) });
    tensors.push({ name: `${p}.attn_v.weight`, dims: [embd, kvDim], data: matrix(embd, kvDim) });
    tensors.push({ name: `${p}.attn_output.weight`, dims: [embd, embd], data: intoResidual(embd, 1.5) });
    tensors.push({ name: `${p}.ffn_norm.weight`, dims: [embd], data: ones() });
    tensors.push({ name: `${p}.ffn_gate.weight`, dims: [embd, ff], data: matrix(embd, ff) });
    tensors.push({ name: `${p}.ffn_up.weight`, dims: [embd, ff], data: matrix(embd, ff) });
    tensors.push({ name: `${p}.ffn_down.weight`, dims: [ff, embd], data: intoResidual(ff, 1.5) });
  }
  tensors.push({ name: "output_norm.weight", dims: [embd], data: ones() });
  const output = matrix(embd, nVocab, LOGIT_STD);
  for (let t = 0; t < nVocab; t++) {
    const row = output.subarray(t * embd, (t + 1) * embd);
    if (vocab.generated[t]) row[0] = 0;
    else {
      row.fill(0);
      // `</s>` (id 2) keeps an all-zero row: logit exactly 0. The rest are pushed far below it.
      if (t !== 2) row[0] = -SUPPRESS;
    }
  }
  tensors.push({ name: "output.weight", dims: [embd, nVocab], data: output });

  const metadata: [string, GgufValue][] = [
    ["general.architecture", gguf.str("llama")],
    ["general.name", gguf.str(options.name ?? "basis-tiny")],
    ["general.file_type", gguf.u32(0)],
    ["general.alignment", gguf.u32(32)],
    ["llama.context_length", gguf.u32(contextLength)],
    ["llama.embedding_length", gguf.u32(embd)],
    ["llama.block_count", gguf.u32(blocks)],
    ["llama.feed_forward_length", gguf.u32(ff)],
    ["llama.attention.head_count", gguf.u32(heads)],
    ["llama.attention.head_count_kv", gguf.u32(kvHeads)],
    ["llama.rope.dimension_count", gguf.u32(headDim)],
    ["llama.rope.freq_base", gguf.f32(10000)],
    ["llama.attention.layer_norm_rms_epsilon", gguf.f32(1e-5)],
    ["llama.vocab_size", gguf.u32(nVocab)],
    ["tokenizer.ggml.model", gguf.str("llama")],
    ["tokenizer.ggml.tokens", gguf.strings(vocab.tokens)],
    ["tokenizer.ggml.scores", gguf.f32s(vocab.scores)],
    ["tokenizer.ggml.token_type", gguf.i32s(vocab.types)],
    ["tokenizer.ggml.unknown_token_id", gguf.u32(0)],
    ["tokenizer.ggml.bos_token_id", gguf.u32(1)],
    ["tokenizer.ggml.eos_token_id", gguf.u32(2)],
    ["tokenizer.ggml.add_bos_token", gguf.bool(true)],
    ["tokenizer.ggml.add_eos_token", gguf.bool(false)],
  ];
  const file = encodeGguf({ metadata, tensors });
  const parameters = tensors.reduce((sum, t) => sum + t.data.length, 0);
  return {
    file,
    info: {
      bytes: file.length,
      parameters,
      vocabulary: nVocab,
      embedding: embd,
      blocks,
      heads,
      kvHeads,
      feedForward: ff,
      contextLength,
    },
  };
}

/** Writes a tiny model to `path` (creating its directory) and says what it wrote. */
export async function writeTinyModel(path: string, options: TinyModelOptions = {}): Promise<TinyModelInfo> {
  const { file, info } = buildTinyModel(options);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, file);
  return info;
}
