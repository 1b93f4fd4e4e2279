/** The indexer (indexer/client.ts, Ponder over HTTP) as the deposit sync's source of chain deposits. */
import type { IndexedBlock, IndexerClient } from "../../indexer/client.js";
import type { ChainDeposit, DepositSource } from "./sync.js";

/**
 * @param options.pageSize Deposits per request to the indexer (default 5,000): a gateway catching up on a
 *   long history never asks for all of it at once.
 */
export function indexerDepositSource(
  client: IndexerClient,
  chainId: number,
  options: { pageSize?: number } = {},
): DepositSource {
  const PAGE = options.pageSize ?? 5_000;
  let finalized: bigint | null = null;
  /** The blocks whose timestamps the last `head()` learned: the indexed head and the finalized block. */
  let known: IndexedBlock[] = [];
  return {
    async head() {
      const chain = (await client.status()).chains.find((c) => c.chainId === chainId);
      if (!chain) throw new Error(`the indexer has not indexed chain ${chainId} yet`);
      finalized = chain.finalizedBlock.number;
      known = [chain.indexedBlock, chain.finalizedBlock];
      return chain.indexedBlock.number;
    },
    async blockAtOrBelow(block) {
      const below = known.filter((b) => b.number <= block).sort((a, b) => (a.number > b.number ? -1 : 1));
      return below[0] ?? null;
    },
    async withdrawals({ fromBlock, toBlock }) {
      const rows = await client.withdrawals({ chainId, afterBlock: fromBlock, throughBlock: toBlock });
      return rows.map((w) => ({
        chainId: w.chainId,
        txHash: w.transactionHash,
        logIndex: w.logIndex,
        account: w.account,
        nonce: w.nonce,
        amount: w.amount,
        blockNumber: w.blockNumber,
      }));
    },
    async finalized() {
      return finalized;
    },
    async deposits({ fromBlock, toBlock }) {
      const rows: ChainDeposit[] = [];
      let after: { blockNumber: bigint; logIndex: number } | undefined;
      while (true) {
        const page = await client.depositPage({
          chainId,
          afterBlock: fromBlock,
          throughBlock: toBlock,
          after,
          limit: PAGE,
        });
        for (const d of page) {
          rows.push({
            chainId: d.chainId,
            txHash: d.transactionHash,
            logIndex: d.logIndex,
            account: d.account,
            amount: d.amount,
            blockNumber: d.blockNumber,
          });
        }
        const last = page.at(-1);
        if (page.length < PAGE || !last) return rows;
        after = { blockNumber: last.blockNumber, logIndex: last.logIndex };
      }
    },
  };
}
