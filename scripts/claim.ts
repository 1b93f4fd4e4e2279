/**
 * `npm run claim -- --gateway <url> [--for <account>] [--rpc URL] [--key 0x…] [--chain-id N]`: claims a
 * contributor's rewards: asks the gateway for the cumulative amount and its proof in the claimable root,
 * then calls RewardDistributor.claim, which pays exactly what was not claimed yet (to the account,
 * whoever sends it).
 */
import { formatEther, getAddress, type Hex, isAddress } from "viem";
import { rewardDistributorAbi } from "../protocol/generated/abis.js";
import { walletClients } from "./wallet/clients.js";
import { parseWalletArgs } from "./wallet/env.js";

const { env, values } = parseWalletArgs(process.argv.slice(2), {
  gateway: { type: "string" },
  for: { type: "string" },
});
const gateway = (values.gateway as string | undefined) ?? process.env.BASIS_GATEWAY_URL;
if (!gateway) {
  console.error("--gateway (BASIS_GATEWAY_URL): the gateway's URL is required");
  process.exit(2);
}
const target = values.for as string | undefined;
if (target && !isAddress(target)) {
  console.error(`--for: ${target} is not an address`);
  process.exit(2);
}
const { deployment, account, send } = walletClients(env);
const forAccount = target ? getAddress(target) : account.address;
const url = `${gateway.replace(/\/$/, "")}/api/rewards/${forAccount}`;
const res = await fetch(url).catch((error: Error) => {
  console.error(`could not reach the gateway at ${url}: ${error.message}`);
  process.exit(1);
});
if (!res.ok) {
  console.error(`the gateway answered ${res.status}: ${await res.text()}`);
  process.exit(1);
}
const status = (await res.json()) as { cumulative: string; claimed: string; claimable: string; proof: Hex[] };
if (BigInt(status.claimable) === 0n) {
  console.log(
    `nothing to claim for ${forAccount} (cumulative ${formatEther(BigInt(status.cumulative))}, claimed ${formatEther(BigInt(status.claimed))})`,
  );
  process.exit(0);
}
await send(
  {
    address: deployment.contracts.rewardDistributor.address,
    abi: rewardDistributorAbi,
    functionName: "claim",
    args: [forAccount, BigInt(status.cumulative), status.proof],
  } as never,
  "claim",
);
console.log(`claimed ${formatEther(BigInt(status.claimable))} credits for ${forAccount}`);
