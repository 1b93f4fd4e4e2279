/**
 * Rebuilds the local chain from its journal (scripts/start/chainJournal.ts) in a fresh Hardhat node
 * started with the journal's genesis time: every call again, in order, each block at its recorded
 * time. Block hashes chain, so the chain is the same one exactly when its last block's hash matches.
 */
import type { JournalBlock, JournalContents } from "./chainJournal.js";
import type { NodeRpc } from "./chainProxy.js";

export type ReplayResult = { ok: true; blocks: number } | { ok: false; reason: string };

const hex = (n: number) => `0x${n.toString(16)}`;
/** How often the replay checks that it is still on the journaled chain (a wrong turn shows at once). */
const CHECK_EVERY = 500;

async function sameBlock(node: NodeRpc, [number, hash]: JournalBlock): Promise<string | null> {
  const block = await node.call<{ hash: string } | null>("eth_getBlockByNumber", [hex(number), false]);
  return block?.hash === hash ? null : `block ${number} came back as ${block?.hash ?? "nothing"}, journaled as ${hash}`;
}

/**
 * Replays `journal` into the node behind `node`, which must be fresh and started with the journal's
 * genesis time. `onProgress` hears of every few hundred calls replayed.
 */
export async function replayJournal(
  node: NodeRpc,
  journal: JournalContents,
  onProgress?: (done: number, total: number) => void,
): Promise<ReplayResult> {
  try {
    return await replay(node, journal, onProgress);
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

async function replay(
  node: NodeRpc,
  journal: JournalContents,
  onProgress?: (done: number, total: number) => void,
): Promise<ReplayResult> {
  const genesis = await node.call<{ hash: string }>("eth_getBlockByNumber", ["0x0", false]);
  if (genesis.hash !== journal.header.genesisHash) {
    return { ok: false, reason: `the node's genesis block ${genesis.hash} is not the journal's` };
  }
  let last: JournalBlock | undefined;
  const total = journal.entries.length;
  for (const [i, entry] of journal.entries.entries()) {
    const first = entry.b[0];
    if (first) await node.call("evm_setNextBlockTimestamp", [first[2]]);
    await node.raw(JSON.stringify({ jsonrpc: "2.0", id: i, method: entry.m, params: entry.p }));
    if (entry.b.length > 0) last = entry.b[entry.b.length - 1];
    if ((i + 1) % CHECK_EVERY === 0 && last) {
      const wrong = await sameBlock(node, last);
      if (wrong) return { ok: false, reason: wrong };
    }
    if ((i + 1) % 200 === 0) onProgress?.(i + 1, total);
  }
  const head = await node.head();
  const expected = last?.[0] ?? 0;
  if (head !== expected) return { ok: false, reason: `the chain came back ${head} blocks high, journaled ${expected}` };
  if (last) {
    const wrong = await sameBlock(node, last);
    if (wrong) return { ok: false, reason: wrong };
  }
  onProgress?.(total, total);
  return { ok: true, blocks: head };
}
