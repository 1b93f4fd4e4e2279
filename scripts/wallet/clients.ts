/** viem clients for the wallet commands, on the chain named by id and RPC URL. */
import { createPublicClient, createWalletClient, defineChain, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type Deployment, loadDeployment, loadDeploymentFile } from "../../protocol/deployments.js";

export function walletClients(env: { rpc: string; key: string; chainId: number; deployment?: string }) {
  let deployment: Deployment | null;
  try {
    deployment = env.deployment ? loadDeploymentFile(env.deployment) : loadDeployment(env.chainId);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  if (!deployment) {
    console.error(
      `No ${env.deployment ?? `deployments/${env.chainId}.json`}: deploy first (npm run deploy) or pass the right --chain-id.`,
    );
    process.exit(2);
  }
  if (deployment.chainId !== env.chainId) {
    console.error(`The deployment is on chain ${deployment.chainId}, not ${env.chainId}: pass --chain-id.`);
    process.exit(2);
  }
  const chain = defineChain({
    id: env.chainId,
    name: `chain ${env.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [env.rpc] } },
  });
  const transport = http(env.rpc);
  const account = privateKeyToAccount(env.key as Hex);
  const publicClient = createPublicClient({ chain, transport });
  const wallet = createWalletClient({ chain, transport, account });
  /** Sends a contract call, waits for it, and fails loudly when it reverts. */
  async function send(request: Parameters<typeof wallet.writeContract>[0], what: string) {
    process.stdout.write(`${what}… `);
    const hash = await wallet.writeContract(request);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${what} reverted (${hash})`);
    console.log(`mined in block ${receipt.blockNumber} (${hash})`);
    return receipt;
  }
  return { deployment, account, publicClient, wallet, send };
}
