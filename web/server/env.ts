import { isAbsolute, resolve } from "node:path";
import { z } from "zod";

/** The chains the dashboard knows, by id: the local Hardhat node, Base Sepolia, Base. */
export const WEB_CHAIN_IDS = [31337, 84532, 8453] as const;

/** Id of a chain the dashboard supports. */
export type WebChainId = (typeof WEB_CHAIN_IDS)[number];

const emptyAsUndefined = (value: unknown) => (value === "" ? undefined : value);
const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http(s):// URL" });

/** Every setting of the dashboard server (`npm run web`). Nothing else reads `process.env`. */
const webEnvSchema = z.object({
  HOST: z.preprocess(emptyAsUndefined, z.string().default("127.0.0.1")),
  PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65_535).default(5173)),
  /** The gateway the dashboard's `/api` and `/v1` calls are proxied to. */
  BASIS_GATEWAY_URL: z.preprocess(emptyAsUndefined, httpUrl.default("http://127.0.0.1:8787")),
  /** The gateway's public base URL, shown to users for their SDKs (default BASIS_GATEWAY_URL). */
  BASIS_PUBLIC_GATEWAY_URL: z.preprocess(emptyAsUndefined, httpUrl.optional()),
  /** JSON-RPC of the chain; the browser reaches it through this server's `/rpc`, so a keyed URL stays here. */
  BASIS_RPC_URL: z.preprocess(emptyAsUndefined, httpUrl.default("http://127.0.0.1:8545")),
  BASIS_CHAIN_ID: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number()
      .int()
      .refine((id): id is WebChainId => (WEB_CHAIN_IDS as readonly number[]).includes(id), {
        message: `expected one of ${WEB_CHAIN_IDS.join(", ")}`,
      })
      .default(31337),
  ),
  /** The deployment's addresses (default deployments/<BASIS_CHAIN_ID>.json). */
  BASIS_DEPLOYMENT_FILE: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** `auto` (build when web/dist is missing or older than the sources), `always` or `never`. */
  BASIS_WEB_BUILD: z.preprocess(emptyAsUndefined, z.enum(["auto", "always", "never"]).default("auto")),
});

/** The validated settings of the dashboard server. */
export type WebEnv = {
  host: string;
  port: number;
  gatewayUrl: string;
  publicGatewayUrl: string;
  rpcUrl: string;
  chainId: WebChainId;
  /** Absolute, or undefined for `deployments/<chainId>.json`. */
  deploymentFile: string | undefined;
  build: "auto" | "always" | "never";
};

/**
 * Parses the settings of the dashboard server.
 * @param source Usually `process.env`.
 * @throws An error naming every bad variable (never its value: an RPC URL may carry a key).
 */
export function parseWebEnv(source: Record<string, string | undefined>): WebEnv {
  const parsed = webEnvSchema.safeParse(source);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`).join("\n");
    throw new Error(`Invalid dashboard settings:\n${issues}`);
  }
  const env = parsed.data;
  const base = source.INIT_CWD ?? process.cwd();
  const file = env.BASIS_DEPLOYMENT_FILE;
  return {
    host: env.HOST,
    port: env.PORT,
    gatewayUrl: env.BASIS_GATEWAY_URL.replace(/\/$/, ""),
    publicGatewayUrl: (env.BASIS_PUBLIC_GATEWAY_URL ?? env.BASIS_GATEWAY_URL).replace(/\/$/, ""),
    rpcUrl: env.BASIS_RPC_URL,
    chainId: env.BASIS_CHAIN_ID as WebChainId,
    deploymentFile: file === undefined ? undefined : isAbsolute(file) ? file : resolve(base, file),
    build: env.BASIS_WEB_BUILD,
  };
}
