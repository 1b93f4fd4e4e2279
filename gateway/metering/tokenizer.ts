import { BytePairEncodingCore } from "gpt-tokenizer/BytePairEncodingCore";
import cl100kRanks from "gpt-tokenizer/bpeRanks/cl100k_base";
import o200kRanks from "gpt-tokenizer/bpeRanks/o200k_base";
import { Cl100KBase } from "gpt-tokenizer/encodingParams/cl100k_base";
import { O200KBase } from "gpt-tokenizer/encodingParams/o200k_base";
import { type BpeTokens, bytePairEncode } from "./bpe.js";
import { binaryOf, createVocabulary, type RankTable, type Vocabulary } from "./mergeTable.js";

/**
 * The published tokenizers the gateway counts with (DESIGN §3): OpenAI's tiktoken encodings, from the ranks that
 * ship inside `gpt-tokenizer` (no download). Counting is what tiktoken's `encode(text, disallowed_special=())`
 * does: the text is split by the encoding's pre-tokenizer regex and each piece is byte-pair encoded; strings that
 * look like special tokens (`<|endoftext|>`) are counted as the plain text they are, never as control tokens, so
 * a client cannot smuggle one in and no text makes counting fail. Long pieces are merged in O(n log n)
 * (`bpe.ts`) with the same result, so a megabyte of one repeated character counts in about a second, not hours.
 */

/** The tokenizer names a model's catalog entry may carry. */
export type TokenizerName = "o200k_base" | "cl100k_base";

/** A chat message as counted: its role, its text content, and an optional participant name. */
export type ChatMessageText = { role: string; content: string; name?: string };

/**
 * Facts about a pre-tokenizer regex that let a stream counter extend its last piece without running the regex;
 * each one is checked against the regex by the tests.
 */
export type PieceFacts = {
  /**
   * How a run of whitespace at the very end of a text splits: o200k_base's `\s*[\r\n]+` ends a piece after the
   * run's last line break (`true`); cl100k_base's `\s+$` takes the whole run (`false`).
   */
  readonly breaksTrailingWhitespaceAfterLastNewline: boolean;
  /**
   * Character classes whose runs extend a piece: when a long last piece (with no line break, and no `'` in its
   * last 3 units) ends with a character of one of these classes, appending characters of that same class only
   * makes that piece longer. Anchored (`^[…]+$`, flag `u`).
   */
  readonly runClasses: readonly RegExp[];
};

/** A tokenizer: deterministic, and recomputable by an auditor from the text alone. */
export type Tokenizer = {
  readonly name: TokenizerName;
  /** Tokens of a text: the sum of `countPiece` over `pieces(text)`. */
  count(text: string): number;
  /** Tokens of a chat prompt, with OpenAI's framing (see `getTokenizer`). */
  countChat(messages: readonly ChatMessageText[]): number;
  /** The pre-tokenizer's pieces of a text, in order, covering it exactly. */
  pieces(text: string): IterableIterator<RegExpExecArray>;
  /** Tokens of one piece: 1 when the whole piece is a token (as tiktoken counts it), else its byte-pair encoding's. */
  countPiece(piece: string): number;
  /** A fresh copy of the pre-tokenizer regex (flags `gu`), for matching with `lastIndex`. */
  splitRegex(): RegExp;
  /** Whether a whole piece is one token of the vocabulary. */
  isToken(piece: string): boolean;
  /** The byte-pair encoding of `bytes[from..to)`, in O(n log n): each token's end offset and rank. */
  bpe(bytes: Uint8Array, from: number, to: number): BpeTokens;
  /** Whether two tokens side by side are their own encoding. */
  compatible(left: number, right: number): boolean;
  /** The longest token, in bytes. */
  readonly maxTokenBytes: number;
  readonly facts: PieceFacts;
};

/** Per message: `<|start|>`, the role, and `<|message|>`/`<|end|>` framing tokens (OpenAI cookbook, gpt-4o and later). */
export const TOKENS_PER_MESSAGE = 3;
/** A `name` costs its tokens plus this one. */
export const TOKENS_PER_NAME = 1;
/** Every reply is primed with `<|start|>assistant<|message|>`. */
export const TOKENS_REPLY_PRIMING = 3;

const OTHER = /^[^\s\p{L}\p{N}]+$/u;
const ENCODINGS: Record<TokenizerName, () => { ranks: RankTable; split: RegExp; facts: PieceFacts }> = {
  o200k_base: () => ({
    ranks: o200kRanks,
    split: O200KBase(o200kRanks).tokenSplitRegex,
    facts: {
      breaksTrailingWhitespaceAfterLastNewline: true,
      runClasses: [OTHER, /^[\p{Ll}\p{Lm}\p{Lo}\p{M}]+$/u, /^[\p{Lu}\p{Lt}]+$/u],
    },
  }),
  cl100k_base: () => ({
    ranks: cl100kRanks,
    split: Cl100KBase(cl100kRanks).tokenSplitRegex,
    facts: { breaksTrailingWhitespaceAfterLastNewline: false, runClasses: [OTHER, /^\p{L}+$/u] },
  }),
};

/** Pieces longer than this (UTF-16 units) go to the heap merge; shorter ones to gpt-tokenizer's (cached). */
const LONG_PIECE = 64;
const encoder = new TextEncoder();
const cache = new Map<TokenizerName, Tokenizer>();

function build(name: TokenizerName): Tokenizer {
  const { ranks, split, facts } = ENCODINGS[name]();
  // No special tokens: the core is used piece by piece, so text that looks like one is just text.
  const core = new BytePairEncodingCore({ bytePairRankDecoder: ranks, tokenSplitRegex: split });
  // `getBpeRankFromString` and `bytePairEncode` are what gpt-tokenizer's own `countNative` loop calls per piece;
  // TypeScript marks them private, so they are reached by name. The tests pin `count` to the public `countTokens`.
  let vocabulary: Vocabulary | undefined;
  const vocab = () => {
    vocabulary ??= createVocabulary(ranks);
    return vocabulary;
  };
  const maxTokenBytes = ranks.reduce<number>((max, token) => Math.max(max, token ? binaryOf(token).length : 0), 0);
  // biome-ignore lint/complexity/useLiteralKeys: a private member of gpt-tokenizer, reached by name on purpose
  const isToken = (piece: string) => piece.length <= maxTokenBytes && core["getBpeRankFromString"](piece) !== undefined;
  const bpe = (bytes: Uint8Array, from: number, to: number): BpeTokens => {
    const rank = to - from <= maxTokenBytes ? vocab().wholeToken(bytes, from, to) : -1; // common when a run grows
    return rank >= 0 ? { ends: [to], ranks: [rank] } : bytePairEncode(bytes, from, to, vocab());
  };
  const countPiece = (piece: string): number => {
    if (isToken(piece)) return 1;
    // biome-ignore lint/complexity/useLiteralKeys: a private member of gpt-tokenizer, reached by name on purpose
    if (piece.length <= LONG_PIECE) return core["bytePairEncode"](piece).length;
    const bytes = encoder.encode(piece);
    return bpe(bytes, 0, bytes.length).ends.length;
  };
  const splitRegex = () => new RegExp(split.source, "gu");
  const pieces = (text: string) => text.matchAll(splitRegex());
  // `count` runs its own `exec` loop to the end synchronously (countPiece uses no regex), so one regex serves every call.
  const counting = splitRegex();
  const count = (text: string): number => {
    if (typeof text !== "string") throw new TypeError(`${name}: count expects a string, got ${typeof text}`);
    let total = 0;
    counting.lastIndex = 0;
    for (let m = counting.exec(text); m !== null; m = counting.exec(text)) total += countPiece(m[0]);
    return total;
  };
  const countChat = (messages: readonly ChatMessageText[]): number => {
    let total = TOKENS_REPLY_PRIMING;
    for (const [i, m] of messages.entries()) {
      if (typeof m?.role !== "string" || typeof m.content !== "string") {
        throw new TypeError(`${name}: messages[${i}] needs a string role and a string content`);
      }
      total += TOKENS_PER_MESSAGE + count(m.role) + count(m.content);
      if (m.name !== undefined) total += TOKENS_PER_NAME + count(m.name);
    }
    return total;
  };
  const compatible = (left: number, right: number) => vocab().compatible(left, right);
  return { name, count, countChat, pieces, countPiece, splitRegex, isToken, bpe, compatible, maxTokenBytes, facts };
}

/**
 * The tokenizer named in a model's catalog entry, built once per process (~0.2 s for o200k_base, plus ~0.2 s and
 * ~15 MB the first time a piece longer than 64 units is merged).
 *
 * `countChat` counts the framing OpenAI documents for its chat models (cookbook "How to count tokens with
 * tiktoken", gpt-4o and later): `3 + Σ (3 + count(role) + count(content) [+ 1 + count(name)])` — 3 tokens per
 * message, 1 per name, 3 to prime the reply. An auditor holding the messages recomputes it exactly.
 * @param name `"o200k_base"` (GPT-4o family) or `"cl100k_base"` (GPT-4 / GPT-3.5 / ada-002 family).
 * @returns The tokenizer.
 * @throws When the name is not one of them.
 * @example getTokenizer("o200k_base").count("hello world") // 2
 */
export function getTokenizer(name: TokenizerName): Tokenizer {
  let tokenizer = cache.get(name);
  if (tokenizer === undefined) {
    if (!Object.hasOwn(ENCODINGS, name)) {
      throw new Error(
        `unknown tokenizer ${JSON.stringify(name)}: expected one of ${Object.keys(ENCODINGS).join(", ")}`,
      );
    }
    tokenizer = build(name);
    cache.set(name, tokenizer);
  }
  return tokenizer;
}
