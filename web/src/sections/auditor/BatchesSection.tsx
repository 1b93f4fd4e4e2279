import { useReadContracts } from "wagmi";
import { usePublicQuery } from "../../api/queries";
import type { Batch, List } from "../../api/types";
import { Card } from "../../components/Card";
import { Hash, TxHash } from "../../components/Hash";
import { useRuntimeConfig } from "../../config/RuntimeConfigContext";
import { settlementRegistryAbi } from "../../lib/contracts";
import { formatCredits, formatTime } from "../../lib/format";

/**
 * The gateway's settlement batches, newest first, each with its root checked against the SettlementRegistry's
 * `batchRoot(id)` and its batch file (whose SHA-256 is the on-chain `fileHash`).
 */
export function BatchesSection() {
  const { contracts } = useRuntimeConfig();
  const batches = usePublicQuery<List<Batch>>("/api/settlement/batches?limit=20");
  const rows = batches.data?.data ?? [];
  const roots = useReadContracts({
    contracts: rows.map((b) => ({
      address: contracts.settlementRegistry,
      abi: settlementRegistryAbi,
      functionName: "batchRoot" as const,
      args: [BigInt(b.batch_id)] as const,
    })),
    query: { enabled: rows.length > 0, refetchInterval: 3_000 },
  });
  return (
    <Card
      title="Settlement batches"
      subtitle="Merkle roots of receipt hashes, posted to the SettlementRegistry."
      testId="batches"
    >
      {batches.error && <p className="muted">{batches.error.message}</p>}
      {rows.length === 0 ? (
        <p className="muted">No batch yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Batch</th>
              <th>Root</th>
              <th className="num">Receipts</th>
              <th className="num">Charged</th>
              <th className="num">Rewards</th>
              <th>File</th>
              <th>Transaction</th>
              <th>On-chain root</th>
              <th>Mined</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((b, i) => {
              const read = roots.data?.[i];
              const onChain = read?.status === "success" ? (read.result as string) : undefined;
              const matches = onChain?.toLowerCase() === b.root.toLowerCase();
              return (
                <tr key={b.batch_id} data-testid="batch-row" data-batch={b.batch_id}>
                  <td>#{b.batch_id}</td>
                  <td>
                    <Hash value={b.root} />
                  </td>
                  <td className="num">{b.receipt_count}</td>
                  <td className="num">{formatCredits(b.total_charged)}</td>
                  <td className="num">{formatCredits(b.total_reward)}</td>
                  <td>
                    <a
                      href={`/api/settlement/batches/${b.batch_id}/file`}
                      target="_blank"
                      rel="noreferrer"
                      title={b.file_hash}
                    >
                      batch file
                    </a>
                  </td>
                  <td>
                    <TxHash hash={b.tx_hash} />
                  </td>
                  <td data-testid="batch-root-check">
                    {b.status !== "mined" ? (
                      <span className="muted">not posted yet</span>
                    ) : onChain === undefined ? (
                      <span className="muted">…</span>
                    ) : (
                      <span className={`badge ${matches ? "ok" : "bad"}`}>{matches ? "matches" : "differs"}</span>
                    )}
                  </td>
                  <td>{b.status === "mined" ? formatTime(b.mined_at) : <span className="badge">{b.status}</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Card>
  );
}
