import type { Address } from "viem";

/** One of Hardhat's well-known development accounts, unlocked on the local node (it signs for them itself). */
export type DevAccount = { index: number; address: Address; role: string };

/**
 * The local network's dev accounts: `npm start` funds #1 as the demo depositor and runs its worker with #2 as the
 * contributor's payout wallet. Only offered on chain 31337; their keys are public, never use them elsewhere.
 */
export const DEV_ACCOUNTS: readonly DevAccount[] = [
  { index: 1, address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", role: "depositor" },
  { index: 2, address: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", role: "contributor" },
];
