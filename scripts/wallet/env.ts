/** Settings of the wallet commands (`npm run deposit`, `npm run claim`): flags win over variables. */
import { parseArgs } from "node:util";
import { isHex } from "viem";
import { z } from "zod";

const KEY = "expected the wallet's 0x-prefixed 32-byte private key";
const key = z.string({ error: KEY }).refine((k) => isHex(k) && k.length === 66, KEY);

export const walletEnvSchema = z.object({
  rpc: z.url({ error: "expected the chain's JSON-RPC URL (--rpc or BASIS_RPC_URL)" }),
  key,
  chainId: z.coerce.number().int().positive().default(31_337),
  /** A deployment file other than deployments/<chainId>.json. */
  deployment: z.string().min(1).optional(),
});

/** Parses `argv` with the common flags (`--rpc`, `--key`, `--chain-id`, `--deployment`) plus `extra`. */
export function parseWalletArgs<T extends Record<string, { type: "string" | "boolean" }>>(argv: string[], extra: T) {
  const parsed = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rpc: { type: "string" },
      key: { type: "string" },
      "chain-id": { type: "string" },
      deployment: { type: "string" },
      ...extra,
    },
  });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const positionals = parsed.positionals;
  const env = walletEnvSchema.safeParse({
    rpc: values.rpc ?? process.env.BASIS_RPC_URL,
    key: values.key ?? process.env.BASIS_WALLET_KEY,
    chainId: values["chain-id"] ?? process.env.BASIS_CHAIN_ID,
    deployment: values.deployment ?? process.env.BASIS_DEPLOYMENT_FILE,
  });
  if (!env.success) {
    for (const issue of env.error.issues) {
      const name = {
        rpc: "--rpc (BASIS_RPC_URL)",
        key: "--key (BASIS_WALLET_KEY)",
        chainId: "--chain-id (BASIS_CHAIN_ID)",
        deployment: "--deployment (BASIS_DEPLOYMENT_FILE)",
      }[String(issue.path[0]) as "rpc"];
      console.error(`${name}: ${issue.message}`);
    }
    process.exit(2);
  }
  return { env: env.data, values, positionals };
}
