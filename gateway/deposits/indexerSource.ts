/** The indexer (indexer/client.ts, Ponder over HTTP) as the deposit sync's source of chain deposits. */
import type { IndexerClient } from "../../indexer/client.js";
import type { ChainDeposit, DepositSource } from "./sync.js";

export function indexerDepositSource(client: IndexerClient, chainId: number): DepositSource {
  let finalized: bigint | null = null;
  return {
    async head() {
      const chain = (await client.status()).chains.find((c) => c.chainId === chainId);
      if (!chain) throw new Error(`the indexer has not indexed chain ${chainId} yet`);
      finalized = chain.finalizedBlock.number;
      return chain.indexedBlock.number;
    },
    async finalized() {
      return finalized;
    },
    async deposits({ fromBlock, toBlock }) {
      const page = await client.deposits({ afterBlock: fromBlock, chainId });
      return page.deposits
        .filter((d) => d.blockNumber <= toBlock)
        .map(
          (d): ChainDeposit => ({
            chainId: d.chainId,
            txHash: d.transactionHash,
            logIndex: d.logIndex,
            account: d.account,
            amount: d.amount,
            blockNumber: d.blockNumber,
          }),
        );
    },
  };
}
