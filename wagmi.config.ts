import { defineConfig } from "@wagmi/cli";
import { hardhat } from "@wagmi/cli/plugins";

/**
 * Typed `as const` ABIs for the gateway, indexer, scripts and web app, generated from the Hardhat build
 * (`npm run abi`). Addresses are not baked in: they come from `deployments/<chainId>.json`.
 */
export default defineConfig({
  out: "protocol/generated/abis.ts",
  plugins: [
    hardhat({
      project: ".",
      include: [
        "CreditVault.sol/CreditVault.json",
        "SettlementRegistry.sol/SettlementRegistry.json",
        "RewardDistributor.sol/RewardDistributor.json",
        "DevCreditToken.sol/DevCreditToken.json",
      ],
      exclude: ["build-info/**", "*.dbg.json", "**/*.t.sol/**"],
      commands: { build: false, clean: false, rebuild: false },
    }),
  ],
});
