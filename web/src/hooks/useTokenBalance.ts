import type { Address } from "viem";
import { useReadContract } from "wagmi";
import { useRuntimeConfig } from "../config/RuntimeConfigContext";
import { devCreditTokenAbi } from "../lib/contracts";

/** The credit token balance of `account` on-chain, kept fresh. */
export function useTokenBalance(account: Address | undefined) {
  const { contracts } = useRuntimeConfig();
  return useReadContract({
    address: contracts.creditToken,
    abi: devCreditTokenAbi,
    functionName: "balanceOf",
    args: account ? [account] : undefined,
    query: { enabled: Boolean(account), refetchInterval: 3_000 },
  });
}
