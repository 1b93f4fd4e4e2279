/** The contracts' ABIs, generated from the build (`npm run abi`): one source for the gateway, scripts and dashboard. */
export {
  creditVaultAbi,
  devCreditTokenAbi,
  rewardDistributorAbi,
  settlementRegistryAbi,
} from "../../../protocol/generated/abis";
