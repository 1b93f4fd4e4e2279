import type { Address } from "viem";

/**
 * What the dashboard learns at run time from its server (`GET /config.json`), so that one build serves
 * any deployment: the chain, where to reach it, the contracts and the gateway.
 */
export type RuntimeConfig = {
  /** 31337 (the local Hardhat node), 84532 (Base Sepolia) or 8453 (Base). */
  chainId: 31337 | 84532 | 8453;
  /** JSON-RPC for the browser: absolute, or a path on the dashboard's origin (`/rpc`, proxied by its server). */
  rpcUrl: string;
  /** The gateway's public base URL: API clients use `<gatewayUrl>/v1`. */
  gatewayUrl: string;
  contracts: {
    creditToken: Address;
    creditVault: Address;
    settlementRegistry: Address;
    rewardDistributor: Address;
  };
  /** The credit token is the local dev token, which anyone may mint (a faucet for the local chain). */
  devToken: boolean;
};
