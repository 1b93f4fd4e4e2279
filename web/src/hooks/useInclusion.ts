import type { Hex } from "viem";
import { useReadContracts } from "wagmi";
import type { PresentedReceipt } from "../api/types";
import { useRuntimeConfig } from "../config/RuntimeConfigContext";
import { settlementRegistryAbi } from "../lib/contracts";

/**
 * Asks the SettlementRegistry itself whether each settled receipt is in its batch
 * (`verifyReceipt(batchId, receiptHash, proof)`), so inclusion is read from the chain, not taken from the gateway.
 * @returns for each receipt hash: true or false once the chain answered, undefined while unsettled or unknown.
 */
export function useInclusion(receipts: readonly PresentedReceipt["receipt"][]): Map<Hex, boolean | undefined> {
  const { contracts } = useRuntimeConfig();
  const settled = receipts.filter((r) => r.settlement !== null);
  const reads = useReadContracts({
    contracts: settled.map((r) => ({
      address: contracts.settlementRegistry,
      abi: settlementRegistryAbi,
      functionName: "verifyReceipt" as const,
      args: [BigInt(r.settlement?.batchId ?? 0), r.hash, r.settlement?.proof ?? []] as const,
    })),
    query: { enabled: settled.length > 0 },
  });
  const result = new Map<Hex, boolean | undefined>();
  settled.forEach((r, i) => {
    const read = reads.data?.[i];
    result.set(r.hash, read?.status === "success" ? Boolean(read.result) : undefined);
  });
  return result;
}
