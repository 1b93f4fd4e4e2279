import { useAccountQuery } from "../../api/queries";
import type { AccountWorker, List } from "../../api/types";
import { Card } from "../../components/Card";
import { formatCount, formatCredits, formatTime } from "../../lib/format";

/** The account's workers: connected or not, the models they serve, their load, what they served and earned. */
export function WorkersSection() {
  const workers = useAccountQuery<List<AccountWorker>>("/api/account/workers");
  const rows = workers.data?.data ?? [];
  return (
    <Card title="Workers" subtitle="Workers that signed in with this wallet as their payout address." testId="workers">
      {rows.length === 0 ? (
        <p className="muted">No worker has connected yet: create a worker token below and start one.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>State</th>
              <th>Models</th>
              <th className="num">Load</th>
              <th className="num">Jobs</th>
              <th className="num">Tokens out</th>
              <th className="num">Rewards</th>
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((w) => (
              <tr key={w.id} data-testid="worker-row" data-connected={w.connected}>
                <td>{w.name}</td>
                <td>
                  <span className={`badge ${w.connected ? "ok" : ""}`}>{w.connected ? "connected" : "offline"}</span>
                  {w.suspect && (
                    <span className="badge bad" title={w.suspect_reason ?? ""}>
                      suspect
                    </span>
                  )}
                </td>
                <td>{w.models.map((m) => `${m.id}${m.state === "ready" ? "" : ` (${m.state})`}`).join(", ") || "—"}</td>
                <td className="num">{w.concurrency === null ? "—" : `${w.in_flight} / ${w.concurrency}`}</td>
                <td className="num">{formatCount(w.served.jobs)}</td>
                <td className="num">{formatCount(w.served.completion_tokens)}</td>
                <td className="num">{formatCredits(w.served.rewards)}</td>
                <td>{formatTime(w.last_seen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
