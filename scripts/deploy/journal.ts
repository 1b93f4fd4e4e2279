import { readFileSync } from "node:fs";
import { getAddress } from "viem";

/** A contract deployed by Ignition: its address and the block of its creation. */
export type JournalDeployment = { address: `0x${string}`; startBlock: number };

/**
 * Reads Ignition's journal for `chainId` and returns each deployed future's address and block.
 * @returns Map from future id (`Module#Contract`) to where and when it was deployed.
 */
export function readIgnitionJournal(chainId: number): Map<string, JournalDeployment> {
  const path = `ignition/deployments/chain-${chainId}/journal.jsonl`;
  const out = new Map<string, JournalDeployment>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const message = JSON.parse(line) as {
      type?: string;
      futureId?: string;
      receipt?: { blockNumber?: number; contractAddress?: string; status?: string };
    };
    const receipt = message.receipt;
    if (message.type !== "TRANSACTION_CONFIRM" || !message.futureId || !receipt?.contractAddress) continue;
    if (receipt.status !== "SUCCESS" || receipt.blockNumber === undefined) continue;
    out.set(message.futureId, { address: getAddress(receipt.contractAddress), startBlock: receipt.blockNumber });
  }
  return out;
}
