/**
 * The auditor's tool: recomputes what the gateway published and matches it with the chain.
 *
 *   npm run audit -- --gateway <url> --rpc <url> [--chain-id N] [--deployment <file>] [--from-batch N] [--json] [--quiet]
 *   npm run audit -- receipt <hash> --gateway <url> --rpc <url> [--json]
 *
 * (`--indexer <url>` reads the chain through the Basis indexer instead of JSON-RPC.) The first fetches
 * every batch file, recomputes every receipt hash from its core, matches every signature with the
 * attester on-chain at the time, rebuilds every batch root and the batch chain, and checks every reward
 * root against the settled receipts; the second proves one receipt's inclusion against the on-chain root.
 * Exit status: 0 everything matches, 1 a mismatch (the first is named), 2 bad flags, 3 the audit could
 * not run (the gateway, the RPC or the indexer could not be read).
 */
import { type Deployment, deploymentPath, loadDeploymentFile } from "../protocol/deployments.js";
import { type ChainSource, SourceError } from "./audit/chain.js";
import { createGatewayClient } from "./audit/gatewayClient.js";
import { createIndexerSource } from "./audit/indexerSource.js";
import { auditNetwork } from "./audit/network.js";
import { type AuditOptions, parseAuditCommand, USAGE, UsageError } from "./audit/options.js";
import { createProgress } from "./audit/progress.js";
import { auditReceipt, formatReceiptReport } from "./audit/receiptInclusion.js";
import { formatReport } from "./audit/report.js";
import { createRpcSource } from "./audit/rpcSource.js";

/** Prints `text` on stdout and exits with `code` once it is written (a pipe may take a while). */
function finish(text: string, code: number): never {
  process.stdout.write(`${text}\n`, () => process.exit(code));
  return undefined as never;
}

function usageError(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

/** The contracts audited: `--deployment` or `deployments/<chainId>.json`; a missing or bad file exits 2. */
function deploymentOf(options: AuditOptions): Deployment {
  const path = options.deployment ?? deploymentPath(options.chainId);
  let deployment: Deployment | null;
  try {
    deployment = loadDeploymentFile(path);
  } catch (error) {
    usageError(`--deployment (BASIS_DEPLOYMENT_FILE): ${(error as Error).message}`);
  }
  if (!deployment)
    usageError(
      `--deployment (BASIS_DEPLOYMENT_FILE): no ${path}; pass the deployment file of chain ${options.chainId}`,
    );
  if (deployment.chainId !== options.chainId) {
    usageError(`--deployment: ${path} is for chain ${deployment.chainId}, not --chain-id ${options.chainId}`);
  }
  return deployment;
}

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}
let command: ReturnType<typeof parseAuditCommand>;
try {
  command = parseAuditCommand(process.argv.slice(2), process.env);
} catch (error) {
  if (error instanceof UsageError) usageError(error.message);
  throw error;
}
const { options } = command;
const deployment = deploymentOf(options);
const source: ChainSource = options.rpc
  ? createRpcSource(options.rpc, deployment)
  : createIndexerSource(options.indexer as string, deployment);
const gateway = createGatewayClient(options.gateway);

try {
  const served = await source.chainId();
  if (served !== options.chainId)
    usageError(`--chain-id: the ${source.kind} serves chain ${served}, not ${options.chainId}`);
  if (command.kind === "receipt") {
    const report = await auditReceipt(command.hash, source, gateway);
    if (!report.ok) console.error(`audit: ${report.firstMismatch}`);
    finish(options.json ? JSON.stringify(report) : formatReceiptReport(report), report.ok ? 0 : 1);
  } else {
    const progress = createProgress({ quiet: options.quiet });
    const report = await auditNetwork({ options, source, gateway, progress });
    if (!report.ok) console.error(`audit: ${report.firstMismatch}`);
    finish(options.json ? JSON.stringify(report) : formatReport(report), report.ok ? 0 : 1);
  }
} catch (error) {
  // A source that could not be read, or a fault of the audit itself: either way nothing was proven.
  const message = error instanceof SourceError ? error.message : `unexpected error: ${(error as Error).stack}`;
  console.error(`audit could not run: ${message}`);
  if (options.json) finish(JSON.stringify({ ok: false, error: message }), 3);
  else process.exit(3);
}
