/** The on-chain part of `npm start`: the demo wallet's credits deposited into the vault, for real. */
import { createPublicClient, createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import type { Deployment } from "../../protocol/deployments.js";
import { creditVaultAbi, devCreditTokenAbi } from "../../protocol/generated/abis.js";

/** Hardhat's well-known dev account #1: the demo wallet (DEMO_ACCOUNT). */
export const DEMO_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" as const;
/** Hardhat's account #0: the local deployer, which holds the settler role. */
export const LOCAL_SETTLER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" as const;

/**
 * Mints dev credit tokens to the demo wallet and deposits them into the vault for the demo account
 * (approve + deposit), once per chain: skipped when the vault already holds the demo's deposit.
 * @returns the amount deposited now (0 when it was already there).
 */
export async function depositDemoCredits(rpcUrl: string, deployment: Deployment, amount: bigint): Promise<bigint> {
  const transport = http(rpcUrl);
  const account = privateKeyToAccount(DEMO_KEY);
  const publicClient = createPublicClient({ chain: hardhat, transport });
  const wallet = createWalletClient({ chain: hardhat, transport, account });
  const vault = deployment.contracts.creditVault.address;
  const token = deployment.contracts.creditToken.address;
  const deposited = await publicClient.getContractEvents({
    address: vault,
    abi: creditVaultAbi,
    eventName: "Deposited",
    args: { account: account.address },
    fromBlock: 0n,
  });
  if (deposited.length > 0) return 0n;
  for (const request of [
    { address: token, abi: devCreditTokenAbi, functionName: "mint", args: [account.address, amount] },
    { address: token, abi: devCreditTokenAbi, functionName: "approve", args: [vault, amount] },
    { address: vault, abi: creditVaultAbi, functionName: "deposit", args: [account.address, amount] },
  ] as const) {
    const hash = await wallet.writeContract(request as never);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${request.functionName} reverted (${hash})`);
  }
  return amount;
}
