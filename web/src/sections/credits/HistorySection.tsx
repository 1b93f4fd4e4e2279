import { useState } from "react";
import { useAccountQuery } from "../../api/queries";
import type { LedgerEntry, List } from "../../api/types";
import { Card } from "../../components/Card";
import { formatCredits, formatTime, shortHex } from "../../lib/format";

/** What each ledger entry means for the account, and whether it adds (+) or takes (−) available credit. */
const KINDS: Record<string, { label: string; sign: "+" | "−" | "" }> = {
  deposit: { label: "Deposit", sign: "+" },
  operator: { label: "Granted by the operator", sign: "+" },
  hold: { label: "Held for a job", sign: "−" },
  release: { label: "Released after a job", sign: "+" },
  debit: { label: "Job charged", sign: "" },
  refund: { label: "Refund", sign: "+" },
  voucher: { label: "Withdrawal voucher issued", sign: "−" },
  withdraw: { label: "Withdrawn on-chain", sign: "" },
  voucher_expiry: { label: "Voucher expired, credit back", sign: "+" },
};
const NOISY = new Set(["hold", "release"]);

/** The account's ledger entries, newest first (the holds and releases of each job on demand). */
export function HistorySection() {
  const [all, setAll] = useState(false);
  const entries = useAccountQuery<List<LedgerEntry>>("/api/account/transactions?limit=100");
  const rows = (entries.data?.data ?? []).filter((e) => all || !NOISY.has(e.kind));
  return (
    <Card
      title="Credit history"
      subtitle="Every change to your balance, from the gateway's ledger."
      actions={
        <label className="check">
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> holds and releases
        </label>
      }
      testId="history"
    >
      {rows.length === 0 ? (
        <p className="muted">No entries yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>What</th>
              <th className="num">Credits</th>
              <th>Reference</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => {
              const kind = KINDS[e.kind] ?? { label: e.kind, sign: "" };
              // With holds and releases hidden, a job's net effect on available credit is its charge.
              const sign = !all && e.kind === "debit" ? "−" : kind.sign;
              return (
                <tr key={e.id} data-kind={e.kind}>
                  <td>{formatTime(e.created_at)}</td>
                  <td>{kind.label}</td>
                  <td className="num">
                    {sign}
                    {formatCredits(e.amount)}
                  </td>
                  <td>
                    <code className="hash" title={e.ref ?? e.job_id ?? ""}>
                      {(e.job_id ?? e.ref ?? "").replace(/0x[0-9a-fA-F]{64}/g, (h) => shortHex(h, 6))}
                    </code>
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
