/**
 * Flags of `npm run audit`: validated with zod once at start; a bad flag exits 2 naming it. Flags win
 * over the variables named beside them.
 */
import { parseArgs } from "node:util";
import type { Hex } from "viem";
import { z } from "zod";

export const USAGE = `usage: npm run audit -- --gateway <url> (--rpc <url> | --indexer <url>) [--chain-id N] [--deployment <file>] [--from-batch N] [--json] [--quiet]
       npm run audit -- receipt <hash> --gateway <url> (--rpc <url> | --indexer <url>) [--chain-id N] [--deployment <file>] [--json]`;

const isHttpUrl = (value: string) => {
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
};
const url = (what: string) => z.string().refine(isHttpUrl, `expected ${what} (an http(s) URL)`);

/** Settings of both commands. */
export const auditOptionsSchema = z
  .object({
    gateway: url("the gateway's base URL"),
    rpc: url("the chain's JSON-RPC URL").optional(),
    indexer: url("the indexer's URL").optional(),
    chainId: z.coerce.number({ error: "expected a chain id" }).int().positive().default(31_337),
    deployment: z.string().min(1).optional(),
    fromBatch: z.coerce.number({ error: "expected a batch id" }).int().positive().default(1),
    json: z.boolean().default(false),
    quiet: z.boolean().default(false),
  })
  .refine((o) => o.rpc !== undefined || o.indexer !== undefined, {
    path: ["rpc"],
    message: "give the chain's JSON-RPC URL (--rpc) or the indexer's URL (--indexer)",
  });

export type AuditOptions = z.infer<typeof auditOptionsSchema>;

/** What to run: the whole network, or one receipt's inclusion. */
export type AuditCommand =
  | { kind: "network"; options: AuditOptions }
  | { kind: "receipt"; hash: Hex; options: AuditOptions };

const FLAG_NAMES: Record<string, string> = {
  gateway: "--gateway (BASIS_GATEWAY_URL)",
  rpc: "--rpc (BASIS_RPC_URL)",
  indexer: "--indexer (BASIS_INDEXER_URL)",
  chainId: "--chain-id (BASIS_CHAIN_ID)",
  deployment: "--deployment (BASIS_DEPLOYMENT_FILE)",
  fromBatch: "--from-batch",
};

/** Thrown for a bad command line: the entry prints `message` and the usage, and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Parses the command line (`process.argv.slice(2)`) and the environment.
 * @returns The command and its validated options.
 * @throws UsageError naming every bad flag.
 * @example parseAuditCommand(["receipt", "0xab…", "--gateway", "http://127.0.0.1:8787", "--rpc", "http://127.0.0.1:8545"], {})
 */
export function parseAuditCommand(argv: string[], env: NodeJS.ProcessEnv): AuditCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const options = auditOptionsSchema.safeParse({
    gateway: values.gateway ?? env.BASIS_GATEWAY_URL,
    rpc: values.rpc ?? env.BASIS_RPC_URL,
    indexer: values.indexer ?? env.BASIS_INDEXER_URL,
    chainId: values["chain-id"] ?? env.BASIS_CHAIN_ID,
    deployment: values.deployment ?? env.BASIS_DEPLOYMENT_FILE,
    fromBatch: values["from-batch"],
    json: values.json,
    quiet: values.quiet,
  });
  if (!options.success) {
    const lines = options.error.issues.map(
      (i) => `${FLAG_NAMES[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`,
    );
    throw new UsageError(lines.join("\n"));
  }
  const [command, hash, ...rest] = positionals;
  if (command === undefined) return { kind: "network", options: options.data };
  if (command !== "receipt") throw new UsageError(`unknown command '${command}' (the only one is 'receipt')`);
  if (hash === undefined || !/^0x[0-9a-fA-F]{64}$/.test(hash)) {
    throw new UsageError(`receipt: expected a receipt hash (0x + 64 hex digits), got ${hash ?? "nothing"}`);
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  if (values["from-batch"] !== undefined) throw new UsageError("--from-batch: not an option of 'audit receipt'");
  return { kind: "receipt", hash: hash.toLowerCase() as Hex, options: options.data };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      gateway: { type: "string" },
      rpc: { type: "string" },
      indexer: { type: "string" },
      "chain-id": { type: "string" },
      deployment: { type: "string" },
      "from-batch": { type: "string" },
      json: { type: "boolean" },
      quiet: { type: "boolean" },
    },
  });
}
