/**
 * The local chain's journal: Hardhat's node keeps its chain in memory only (it has no state dump), so
 * `npm start` records every JSON-RPC call that changes the chain, with the blocks each one mined, in
 * `.basis/chain/journal.jsonl`, and replays them on the next start into a node with the same genesis
 * time. The chain that comes back has the same block hashes, so the gateway's and the indexer's data
 * stay valid with it.
 *
 * One JSON object per line: first the header, then one entry per call, appended and flushed to disk
 * before the caller gets its answer (a caller never holds a transaction the journal lacks).
 */
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";

export const JOURNAL_FILE = ".basis/chain/journal.jsonl";
const VERSION = 1;

export type JournalHeader = {
  basisChainJournal: typeof VERSION;
  chainId: number;
  /** The node's genesis time (Hardhat's `initialDate`), ISO 8601: it is part of the genesis block. */
  genesisDate: string;
  genesisHash: string;
  /** A digest of the contracts' sources: a chain deployed from other sources is not replayed. */
  contracts: string;
};

/** A block a call mined: number, hash, timestamp (seconds). */
export type JournalBlock = [number: number, hash: string, timestamp: number];

export type JournalEntry = { m: string; p: unknown[]; b: JournalBlock[] };

/** Written once a call the journal cannot replay (a revert to a snapshot, a reset) reached the chain. */
type BrokenMark = { broken: string };

/** Calls that change the chain and replay as they were made (blocks mined at their recorded times). */
const REPLAYED = new Set([
  "eth_sendRawTransaction",
  "eth_sendTransaction",
  "evm_mine",
  "hardhat_mine",
  "evm_setAutomine",
  "evm_setBlockGasLimit",
  "hardhat_setBalance",
  "hardhat_setCode",
  "hardhat_setNonce",
  "hardhat_setStorageAt",
  "hardhat_setCoinbase",
  "hardhat_setMinGasPrice",
  "hardhat_setNextBlockBaseFeePerGas",
  "hardhat_setPrevRandao",
  "hardhat_impersonateAccount",
  "hardhat_stopImpersonatingAccount",
]);

/** Calls that only move the clock: each replayed block gets its recorded timestamp instead. */
const CLOCK = new Set(["evm_setNextBlockTimestamp", "evm_increaseTime"]);

/** Debugging and bookkeeping calls of the node that change nothing a replay must reproduce. */
const HARMLESS = new Set([
  "evm_snapshot",
  "hardhat_metadata",
  "hardhat_getAutomine",
  "hardhat_setLoggingEnabled",
  "hardhat_addCompilationResult",
]);

export type CallKind = "read" | "replayed" | "clock" | "breaks";

/**
 * What a call does to the journal. Every other `evm_`/`hardhat_` call (a revert to a snapshot, a reset,
 * interval mining, dropped transactions, anything unknown) breaks it: the chain can no longer be rebuilt
 * from calls, and the next start begins a new one.
 */
export function callKind(method: string): CallKind {
  if (REPLAYED.has(method)) return "replayed";
  if (CLOCK.has(method)) return "clock";
  if (HARMLESS.has(method)) return "read";
  if (method.startsWith("evm_") || method.startsWith("hardhat_")) return "breaks";
  return "read";
}

export type JournalContents = { header: JournalHeader; entries: JournalEntry[]; broken: string | null };

/**
 * Reads a journal; null when there is none or its header is unreadable. A last line cut short by a
 * crash is ignored (its caller never got an answer).
 */
export function readJournal(path = JOURNAL_FILE): JournalContents | null {
  if (!existsSync(path)) return null;
  const lines = readFileSync(path, "utf8").split("\n");
  let header: JournalHeader;
  try {
    header = JSON.parse(lines[0] ?? "") as JournalHeader;
  } catch {
    return null;
  }
  if (header.basisChainJournal !== VERSION) return null;
  const entries: JournalEntry[] = [];
  let broken: string | null = null;
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    let parsed: JournalEntry | BrokenMark;
    try {
      parsed = JSON.parse(line) as JournalEntry | BrokenMark;
    } catch {
      break;
    }
    if ("broken" in parsed) {
      broken = parsed.broken;
      break;
    }
    entries.push(parsed);
  }
  return { header, entries, broken };
}

/** Appends to a journal, each record flushed to disk before `append` returns. */
export class JournalWriter {
  readonly #fd: number;
  #broken = false;

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /** Starts a new journal at `path` (replacing any old one) with its header. */
  static create(header: JournalHeader, path = JOURNAL_FILE): JournalWriter {
    mkdirSync(dirname(path), { recursive: true });
    const writer = new JournalWriter(openSync(path, "w"));
    writer.#write(header);
    return writer;
  }

  /** Opens an existing journal to go on appending after its last whole record. */
  static reopen(contents: JournalContents, path = JOURNAL_FILE): JournalWriter {
    // Rewritten whole, so that a record a crash cut short is not followed by new ones: into a new file that
    // replaces the old one only once it is on disk, so a crash while rewriting loses nothing.
    const writer = JournalWriter.create(contents.header, `${path}.new`);
    for (const entry of contents.entries) writer.#write(entry, false);
    fdatasyncSync(writer.#fd);
    renameSync(`${path}.new`, path);
    return writer;
  }

  get broken(): boolean {
    return this.#broken;
  }

  append(entry: JournalEntry): void {
    if (!this.#broken) this.#write(entry);
  }

  /** Records that `method` reached the chain: nothing after it is journaled. */
  markBroken(method: string): void {
    if (this.#broken) return;
    this.#write({ broken: method });
    this.#broken = true;
  }

  close(): void {
    closeSync(this.#fd);
  }

  #write(record: JournalHeader | JournalEntry | BrokenMark, sync = true): void {
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
    if (sync) fdatasyncSync(this.#fd);
  }
}
