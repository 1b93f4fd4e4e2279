import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { type Deployment, deploymentPath, deploymentSchema } from "../protocol/deployments.js";

/**
 * Reads and validates the deployment the indexer follows.
 * @param chainId The chain picked by `BASIS_CHAIN_ID`; the file must be for that chain.
 * @param file An explicit deployment file, or undefined for `deployments/<chainId>.json`.
 * @throws Naming the missing file (and how to produce it), a bad field, or a chain mismatch.
 */
export function loadIndexerDeployment(chainId: number, file: string | undefined): Deployment {
  const path = file ?? deploymentPath(chainId);
  if (!existsSync(path)) {
    const hint =
      chainId === 31337
        ? "start a local node (npm run chain) and deploy to it (npm run deploy)"
        : `deploy with BASIS_NETWORK=${chainId === 8453 ? "base" : "baseSepolia"} npm run deploy`;
    throw new Error(`No Basis deployment for chain ${chainId}: ${path} does not exist (${hint}).`);
  }
  const parsed = deploymentSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid deployment file ${path}: ${fields}`);
  }
  if (parsed.data.chainId !== chainId) {
    throw new Error(`Deployment file ${path} is for chain ${parsed.data.chainId}, but BASIS_CHAIN_ID is ${chainId}.`);
  }
  return parsed.data;
}

/**
 * A short stable id of one deployment (chain, addresses, start blocks, deploy time). A local node
 * restarts empty and a redeploy gets the same addresses, so the deploy time is what tells two local
 * deployments apart; the indexer keeps one embedded database per deployment.
 */
export function deploymentFingerprint(deployment: Deployment): string {
  const { chainId, deployedAt, contracts } = deployment;
  return createHash("sha256").update(JSON.stringify({ chainId, deployedAt, contracts })).digest("hex").slice(0, 12);
}
