import { getAddress, isAddress } from "viem";
import { z } from "zod";

const address = z
  .string()
  .refine(isAddress, "expected a 0x-prefixed 20-byte address")
  .transform((a) => getAddress(a));

/** The settings `npm run deploy` reads. Role addresses default to the deployer (account 0). */
export const deployEnvSchema = z
  .object({
    BASIS_NETWORK: z.enum(["localhost", "baseSepolia", "base"]).default("localhost"),
    /** The existing 18-decimal ERC-20 (with EIP-2612 permit) on public chains; a dev token is deployed locally. */
    BASIS_CREDIT_TOKEN: address.optional(),
    BASIS_ADMIN: address.optional(),
    BASIS_SETTLER: address.optional(),
    BASIS_ATTESTER: address.optional(),
    BASIS_PROPOSER: address.optional(),
    BASIS_TREASURY: address.optional(),
    /** Seconds a reward root waits before it can be accepted: 10 s locally, 1 day elsewhere. */
    BASIS_REWARD_TIMELOCK: z.coerce.number().int().nonnegative().optional(),
  })
  .superRefine((env, ctx) => {
    if (env.BASIS_NETWORK === "localhost") return;
    if (!env.BASIS_CREDIT_TOKEN) {
      ctx.addIssue({ code: "custom", path: ["BASIS_CREDIT_TOKEN"], message: `required on ${env.BASIS_NETWORK}` });
    }
    if (env.BASIS_NETWORK !== "base") return;
    for (const role of [
      "BASIS_ADMIN",
      "BASIS_SETTLER",
      "BASIS_ATTESTER",
      "BASIS_PROPOSER",
      "BASIS_TREASURY",
    ] as const) {
      if (!env[role])
        ctx.addIssue({
          code: "custom",
          path: [role],
          message: "required on base: no role defaults to the deployer on mainnet",
        });
    }
  })
  .transform((env) => ({
    ...env,
    BASIS_REWARD_TIMELOCK: env.BASIS_REWARD_TIMELOCK ?? (env.BASIS_NETWORK === "localhost" ? 10 : 86_400),
  }));

/** Validated deploy settings. */
export type DeployEnv = z.infer<typeof deployEnvSchema>;

/**
 * Parses the deploy settings; on a bad setting, prints every offending variable and exits 1.
 * @param source Usually `process.env`.
 */
export function parseDeployEnv(source: Record<string, string | undefined>): DeployEnv {
  const parsed = deployEnvSchema.safeParse(source);
  if (parsed.success) return parsed.data;
  console.error("Invalid deploy settings:");
  for (const issue of parsed.error.issues) console.error(`  ${issue.path.join(".")}: ${issue.message}`);
  process.exit(1);
}
