import type { Chain } from "viem";
import { base, baseSepolia, hardhat } from "viem/chains";
import type { RuntimeConfig } from "./runtimeConfig";

const CHAINS = { 31337: hardhat, 84532: baseSepolia, 8453: base } as const;

/** The explorer's transaction page on `chain`, or null on the local chain (it has none). */
export function txUrl(chain: Chain, hash: string): string | null {
  const explorer = chain.blockExplorers?.default.url;
  return explorer ? `${explorer}/tx/${hash}` : null;
}

/** The JSON-RPC the dashboard reads through, absolute (`/rpc` is its server's proxy, on this page's origin). */
export function rpcUrlOf(config: RuntimeConfig): string {
  return new URL(config.rpcUrl, window.location.origin).toString();
}

/**
 * The chain of the deployment. On the local chain its RPC is the dashboard's, which the dev accounts sign through
 * (and which a wallet adding the chain gets). Base and Base Sepolia keep their public RPCs there: a wallet that adds
 * them sends its transactions through those, while the dashboard reads through its own (see createWagmiConfig).
 */
export function chainOf(config: RuntimeConfig): Chain {
  const chain = CHAINS[config.chainId];
  if (config.chainId !== 31337) return chain;
  return { ...chain, rpcUrls: { default: { http: [rpcUrlOf(config)] } } };
}
