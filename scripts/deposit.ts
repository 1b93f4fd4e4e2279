/**
 * `npm run deposit -- <amount> [--for <account>] [--mint] [--rpc URL] [--key 0x…] [--chain-id N]`: deposits credit tokens
 * into the CreditVault for an account (your own by default): approve, then deposit. `<amount>` is in credits
 * (18 decimals; `--units base` for base units). `--mint` first mints the amount of the dev credit token
 * (local chain only). The gateway credits the deposit once the indexer has it confirmed.
 */
import { formatEther, getAddress, isAddress, parseEther } from "viem";
import { creditVaultAbi, devCreditTokenAbi } from "../protocol/generated/abis.js";
import { walletClients } from "./wallet/clients.js";
import { parseWalletArgs } from "./wallet/env.js";

const { env, values, positionals } = parseWalletArgs(process.argv.slice(2), {
  for: { type: "string" },
  units: { type: "string" },
  mint: { type: "boolean" },
});
const [raw] = positionals;
if (!raw || !/^\d+(\.\d+)?$/.test(raw) || (values.units === "base" && raw.includes("."))) {
  console.error("usage: npm run deposit -- <amount> [--for <account>] [--units credits|base]");
  process.exit(2);
}
const amount = values.units === "base" ? BigInt(raw) : parseEther(raw);
const target = (values.for as string | undefined) ?? undefined;
if (target && !isAddress(target)) {
  console.error(`--for: ${target} is not an address`);
  process.exit(2);
}
const { deployment, account, publicClient, send } = walletClients(env);
const forAccount = target ? getAddress(target) : account.address;
const token = deployment.contracts.creditToken.address;
const vault = deployment.contracts.creditVault.address;
if (values.mint) {
  if (env.chainId !== 31_337) {
    console.error("--mint: only the local chain's dev credit token can be minted");
    process.exit(2);
  }
  await send(
    { address: token, abi: devCreditTokenAbi, functionName: "mint", args: [account.address, amount] } as never,
    "mint (dev token)",
  );
}
const balance = await publicClient.readContract({
  address: token,
  abi: devCreditTokenAbi,
  functionName: "balanceOf",
  args: [account.address],
});
if (balance < amount) {
  console.error(`${account.address} holds ${formatEther(balance)} credits, less than ${formatEther(amount)}.`);
  process.exit(1);
}
await send(
  { address: token, abi: devCreditTokenAbi, functionName: "approve", args: [vault, amount] } as never,
  "approve",
);
const receipt = await send(
  { address: vault, abi: creditVaultAbi, functionName: "deposit", args: [forAccount, amount] } as never,
  "deposit",
);
console.log(`deposited ${formatEther(amount)} credits for ${forAccount} (block ${receipt.blockNumber})`);
