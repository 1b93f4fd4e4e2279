import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getAddress, isAddress } from "viem";
import { z } from "zod";

const address = z
  .string()
  .refine(isAddress, "expected a 0x-prefixed 20-byte address")
  .transform((a) => getAddress(a));

const deployedContract = z.object({ address, startBlock: z.number().int().nonnegative() });

/** What `npm run deploy` writes to `deployments/<chainId>.json`. */
export const deploymentSchema = z.object({
  chainId: z.number().int().positive(),
  network: z.string(),
  deployedAt: z.string(),
  contracts: z.object({
    creditToken: z.object({ address, startBlock: z.number().int().nonnegative().nullable() }),
    creditVault: deployedContract,
    settlementRegistry: deployedContract,
    rewardDistributor: deployedContract,
  }),
});

/** Addresses and start blocks of one deployment of the Basis contracts. */
export type Deployment = z.infer<typeof deploymentSchema>;

/** Folder holding `<chainId>.json` deployment files. */
export const DEPLOYMENTS_DIR = fileURLToPath(new URL("../deployments/", import.meta.url));

/** Path of the deployment file for `chainId`. */
export function deploymentPath(chainId: number): string {
  return `${DEPLOYMENTS_DIR}${chainId}.json`;
}

/**
 * Reads and validates the deployment for `chainId`.
 * @returns The deployment, or `null` when nothing was deployed on that chain.
 * @throws When the file exists but does not match the schema (naming the bad fields).
 */
export function loadDeployment(chainId: number): Deployment | null {
  return loadDeploymentFile(deploymentPath(chainId));
}

/**
 * Reads and validates a deployment file at any path.
 * @returns The deployment, or `null` when there is no such file.
 * @throws When the file does not match the schema (naming the bad fields).
 */
export function loadDeploymentFile(path: string): Deployment | null {
  if (!existsSync(path)) return null;
  const parsed = deploymentSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid deployment file ${path}: ${fields}`);
  }
  return parsed.data;
}
