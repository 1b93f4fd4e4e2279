import { useAccountQuery } from "../../api/queries";
import type { List, PresentedReceipt } from "../../api/types";
import { Card } from "../../components/Card";
import { Hash, TxHash } from "../../components/Hash";
import { useInclusion } from "../../hooks/useInclusion";
import { formatCredits, formatTime } from "../../lib/format";

/**
 * The account's receipts, newest first: what each job cost, whether its hash re-derives (the gateway's check), its
 * batch, and whether the SettlementRegistry confirms it is in that batch (the chain's check).
 */
export function ReceiptsSection() {
  const receipts = useAccountQuery<List<PresentedReceipt>>("/api/account/receipts?limit=20");
  const rows = receipts.data?.data ?? [];
  const inclusion = useInclusion(rows.map((r) => r.receipt));
  return (
    <Card
      title="Receipts"
      subtitle="One per job. Receipts are signed by the gateway and settled on-chain in merkle batches."
      testId="receipts"
    >
      {rows.length === 0 ? (
        <p className="muted">No receipts yet: call the API with one of your keys.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Completed</th>
              <th>Receipt</th>
              <th>Model</th>
              <th className="num">Tokens</th>
              <th className="num">Credits</th>
              <th>Hash</th>
              <th>Settlement</th>
              <th>On-chain</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ receipt: r, verified }) => {
              const onChain = inclusion.get(r.hash);
              return (
                <tr key={r.hash} data-testid="receipt-row" data-hash={r.hash} data-status={r.status}>
                  <td>{formatTime(r.core.completedAt)}</td>
                  <td>
                    <a href={`#/auditor?receipt=${r.hash}`}>
                      <Hash value={r.hash} />
                    </a>
                  </td>
                  <td>{r.core.model}</td>
                  <td className="num">
                    {r.core.promptTokens} + {r.core.completionTokens}
                  </td>
                  <td className="num">{formatCredits(r.core.charged)}</td>
                  <td>
                    <span className={`badge ${verified ? "ok" : "bad"}`}>{verified ? "verified" : "mismatch"}</span>
                  </td>
                  <td>
                    {r.settlement ? (
                      <span>
                        batch #{r.settlement.batchId} · <TxHash hash={r.settlement.txHash} />
                      </span>
                    ) : (
                      <span className="badge">{r.status}</span>
                    )}
                  </td>
                  <td data-testid="receipt-inclusion">
                    {onChain === undefined ? (
                      <span className="muted">{r.settlement ? "checking…" : "not yet"}</span>
                    ) : (
                      <span className={`badge ${onChain ? "ok" : "bad"}`}>{onChain ? "included" : "not included"}</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Card>
  );
}
