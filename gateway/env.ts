import { getAddress, isAddress, isHex } from "viem";
import { z } from "zod";

const bigintString = z
  .string()
  .regex(/^\d+$/, "expected a non-negative integer (base units)")
  .transform((s) => BigInt(s));

/** Every setting of the gateway process. Nothing else reads `process.env`. */
export const gatewayEnvSchema = z.object({
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8787),
  /** A Postgres URL; when unset the gateway keeps its data in embedded PGlite under BASIS_DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  /** A schema to keep the gateway's tables in, within DATABASE_URL's database (default `public`). */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "expected a lowercase SQL identifier")
    .optional(),
  BASIS_DATA_DIR: z.string().default(".basis/gateway"),
  /** Any OpenAI-compatible server (vLLM, llama.cpp, Ollama…) the gateway serves from itself. */
  BASIS_UPSTREAM_URL: z.string().url().optional(),
  BASIS_UPSTREAM_API_KEY: z.string().optional(),
  /** `basis-default=llama-3.1-8b,basis-small=…`: network model id → upstream model name (default: the same). */
  BASIS_UPSTREAM_MODELS: z
    .string()
    .default("")
    .transform((s, ctx) => {
      const map: Record<string, string> = {};
      for (const pair of s.split(",").filter(Boolean)) {
        const [from, to] = pair.split("=");
        if (!from || !to) ctx.addIssue({ code: "custom", message: `bad pair '${pair}', expected model=upstreamModel` });
        else map[from.trim()] = to.trim();
      }
      return map;
    }),
  BASIS_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** A worker job that produced nothing after this long fails (before its first token: retried on another worker). */
  BASIS_WORKER_FIRST_TOKEN_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** How long a job waits for a free worker when every worker serving its model is busy (then 503 capacity_exhausted). */
  BASIS_WORKER_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  /**
   * Start a job's backend call while its reserve runs, for accounts whose last admission was granted (a refusal
   * cancels the call): the reserve's round trip overlaps the backend's. `false` waits for the grant first.
   */
  BASIS_EARLY_START: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true"),
  /** A worker that sends nothing for this long mid-stream fails the job and is flagged. */
  BASIS_WORKER_STALL_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** Server secret for API key hashes (HMAC pepper); at least 32 characters. */
  BASIS_KEY_PEPPER: z.string().min(32, "must be at least 32 characters"),
  /** The attester's private key: signs receipts (EIP-191) and withdrawal vouchers (EIP-712). */
  BASIS_ATTESTER_KEY: z.string().refine((k) => isHex(k) && k.length === 66, "expected a 0x-prefixed 32-byte hex key"),
  BASIS_PROMPT_PRICE: bigintString.optional(),
  BASIS_COMPLETION_PRICE: bigintString.optional(),
  BASIS_REWARD_BPS: z.coerce.number().int().min(0).max(10_000).default(7_000),
  BASIS_RATE_LIMIT_RPM: z.coerce.number().int().positive().default(1_200),
  BASIS_RATE_LIMIT_TPM: z.coerce.number().int().positive().default(2_000_000),
  BASIS_BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /** Chain the contracts live on, and its deployment (deployments/<chainId>.json), for launch-status. */
  BASIS_CHAIN_ID: z.coerce.number().int().positive().default(31_337),
  /** The deployment file to use instead of deployments/<BASIS_CHAIN_ID>.json. */
  BASIS_DEPLOYMENT_FILE: z.string().min(1).optional(),
  /** JSON-RPC of BASIS_CHAIN_ID; with BASIS_SETTLER_KEY and a deployment file, the gateway settles receipts on-chain. */
  BASIS_RPC_URL: z.string().url().optional(),
  /** The key holding SettlementRegistry's settler role (posts batches). */
  BASIS_SETTLER_KEY: z
    .string()
    .refine((k) => isHex(k) && k.length === 66, "expected a 0x-prefixed 32-byte hex key")
    .optional(),
  /** The key holding RewardDistributor's proposer role: with it, the gateway proposes and accepts reward roots. */
  BASIS_PROPOSER_KEY: z
    .string()
    .refine((k) => isHex(k) && k.length === 66, "expected a 0x-prefixed 32-byte hex key")
    .optional(),
  /** The indexer's URL (`npm run indexer`): with it, confirmed vault deposits are credited to the ledger. */
  BASIS_INDEXER_URL: z.string().url().optional(),
  /** Blocks a deposit needs before it is credited, its own included (Base: pick past reorg depth). */
  BASIS_DEPOSIT_CONFIRMATIONS: z.coerce.number().int().min(1).max(10_000).default(1),
  /** How long a withdrawal voucher stays usable, in seconds; its amount is held until then or until it is used. */
  BASIS_VOUCHER_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(3_600),
  /** Settle every this many milliseconds (sooner when a full batch waits). */
  BASIS_SETTLE_INTERVAL_MS: z.coerce.number().int().positive().default(60_000),
  /** Receipts per batch at most. */
  BASIS_SETTLE_MAX_RECEIPTS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** This gateway's public base URL: batch files are published under it (the `uri` posted on-chain). */
  BASIS_PUBLIC_URL: z.string().url().optional(),
  BASIS_TREASURY: z
    .string()
    .refine(isAddress, "expected an address")
    .transform((a) => getAddress(a))
    .optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

/** The validated settings. */
export type GatewayEnv = z.infer<typeof gatewayEnvSchema>;

/**
 * Parses the settings once at start. On a bad setting, prints every offending variable (never its
 * value: some are secrets) and exits 1.
 */
export function parseGatewayEnv(source: Record<string, string | undefined> = process.env): GatewayEnv {
  const parsed = gatewayEnvSchema.safeParse(source);
  if (parsed.success) return parsed.data;
  console.error("Invalid gateway settings:");
  for (const issue of parsed.error.issues) console.error(`  ${issue.path.join(".") || "(env)"}: ${issue.message}`);
  process.exit(1);
}
