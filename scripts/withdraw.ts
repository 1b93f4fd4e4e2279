/**
 * `npm run withdraw -- <amount> --gateway <url> [--units credits|base] [--rpc URL] [--key 0x…] [--chain-id N]`:
 * takes unused deposited credit back out of the CreditVault. Signs in to the gateway with the wallet
 * (Sign-In with Ethereum), asks for a withdrawal voucher (the gateway holds the amount), and submits it
 * to `CreditVault.withdraw`, which pays the wallet. `--voucher-only` prints the voucher as JSON instead
 * of submitting it (to send it later, from anywhere, before its deadline).
 */
import { formatEther, type Hex, parseEther } from "viem";
import { creditVaultAbi } from "../protocol/generated/abis.js";
import { walletClients } from "./wallet/clients.js";
import { parseWalletArgs } from "./wallet/env.js";
import { signIn } from "./wallet/signIn.js";

const { env, values, positionals } = parseWalletArgs(process.argv.slice(2), {
  gateway: { type: "string" },
  units: { type: "string" },
  "voucher-only": { type: "boolean" },
});
const [raw] = positionals;
if (!raw || !/^\d+(\.\d+)?$/.test(raw) || (values.units === "base" && raw.includes("."))) {
  console.error("usage: npm run withdraw -- <amount> --gateway <url> [--units credits|base] [--voucher-only]");
  process.exit(2);
}
const amount = values.units === "base" ? BigInt(raw) : parseEther(raw);
const gateway = ((values.gateway as string | undefined) ?? process.env.BASIS_GATEWAY_URL)?.replace(/\/$/, "");
if (!gateway || !URL.canParse(gateway)) {
  console.error("--gateway (BASIS_GATEWAY_URL): the gateway's URL is required");
  process.exit(2);
}
const { deployment, account, wallet, send } = walletClients(env);

/** Calls the gateway's API; exits 1 with its error message when it refuses. */
async function api<T>(path: string, init: RequestInit & { token?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(`${gateway}/api${path}`, { ...init, headers }).catch((error: Error) => {
    console.error(`could not reach the gateway at ${gateway}: ${error.message}`);
    process.exit(1);
  });
  const body = (await res.json().catch(() => null)) as (T & { error?: { message: string } }) | null;
  if (!res.ok || body === null) {
    console.error(`the gateway answered ${res.status}: ${body?.error?.message ?? "(no JSON body)"}`);
    process.exit(1);
  }
  return body;
}

const token = await signIn({
  gatewayUrl: gateway,
  chainId: env.chainId,
  address: account.address,
  sign: (message) => wallet.signMessage({ account, message }),
  statement: "Sign in to Basis to withdraw credit.",
}).catch((error: Error) => {
  console.error(`could not sign in at ${gateway}: ${error.message}`);
  process.exit(1);
});
const voucher = await api<{
  id: string;
  account: Hex;
  amount: string;
  nonce: string;
  deadline: number;
  signature: Hex;
  vault: Hex;
}>("/account/withdrawals", { method: "POST", token, body: JSON.stringify({ amount: amount.toString() }) });
console.log(
  `voucher ${voucher.id}: ${formatEther(amount)} credits, nonce ${voucher.nonce}, usable until ${new Date(voucher.deadline * 1000).toISOString()}`,
);
if (values["voucher-only"]) {
  console.log(JSON.stringify(voucher));
  process.exit(0);
}
if (voucher.vault.toLowerCase() !== deployment.contracts.creditVault.address.toLowerCase()) {
  console.error(
    `the gateway signed for vault ${voucher.vault}, not this deployment's ${deployment.contracts.creditVault.address}`,
  );
  process.exit(1);
}
await send(
  {
    address: deployment.contracts.creditVault.address,
    abi: creditVaultAbi,
    functionName: "withdraw",
    args: [
      {
        account: voucher.account,
        amount: BigInt(voucher.amount),
        nonce: BigInt(voucher.nonce),
        deadline: BigInt(voucher.deadline),
      },
      voucher.signature,
    ],
  } as never,
  "withdraw",
);
console.log(`withdrew ${formatEther(amount)} credits to ${voucher.account}`);
