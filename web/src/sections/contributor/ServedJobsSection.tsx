import { useState } from "react";
import { useAccountQuery } from "../../api/queries";
import type { AccountWorker, List, ServedJob, ServedSummary } from "../../api/types";
import { BarChart } from "../../components/BarChart";
import { Card } from "../../components/Card";
import { Hash } from "../../components/Hash";
import { Stat } from "../../components/Stat";
import { formatCount, formatCredits, formatTime } from "../../lib/format";

/** Jobs per page of the table, and how often the totals and the chart are read again. */
const PAGE = 10;
const SUMMARY_EVERY_MS = 10_000;

/**
 * What the account's workers served, from the gateway's receipts of their jobs: the totals, rewards over time (the
 * gateway sums them per bucket, 24 buckets reaching back to the first job) and the jobs, newest first, page by page.
 */
export function ServedJobsSection() {
  const summary = useAccountQuery<ServedSummary>("/api/account/served/summary", { refetchInterval: SUMMARY_EVERY_MS });
  // The cursors of the pages shown so far: the last is the page on screen (null: the newest).
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors.at(-1) ?? null;
  const page = useAccountQuery<List<ServedJob>>(
    `/api/account/served?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
  );
  const workers = useAccountQuery<List<AccountWorker>>("/api/account/workers");
  const names = new Map(workers.data?.data.map((w) => [w.id, w.name]));
  const totals = summary.data?.totals;
  const points =
    summary.data && summary.data.totals.jobs > 0
      ? summary.data.series.map((p) => ({ start: Date.parse(p.start), value: BigInt(p.rewards) }))
      : [];
  const jobs = page.data?.data ?? [];
  const next = page.data?.next_cursor ?? null;
  return (
    <Card
      title="Served jobs and rewards over time"
      subtitle="Every job your workers served, from the gateway's receipts, and the reward each earned."
      testId="served"
    >
      <div className="stats">
        <Stat label="Jobs served" value={totals ? formatCount(totals.jobs) : "…"} testId="served-jobs" />
        <Stat label="Tokens out" value={totals ? formatCount(totals.completion_tokens) : "…"} />
        <Stat label="Credits charged" value={totals ? formatCredits(totals.charged) : "…"} />
        <Stat label="Rewards earned" value={totals ? formatCredits(totals.rewards) : "…"} testId="served-rewards" />
      </div>
      <BarChart
        points={points}
        width={(summary.data?.bucket_seconds ?? 60) * 1000}
        label="Rewards earned over time"
        toNumber={(v) => Number(v) / 1e18}
        format={(v) => `${formatCredits(v)} credits earned`}
      />
      {jobs.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Completed</th>
              <th>Receipt</th>
              <th>Worker</th>
              <th>Model</th>
              <th className="num">Tokens</th>
              <th className="num">Charged</th>
              <th className="num">Reward</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => (
              <tr key={j.receipt_hash} data-testid="served-row">
                <td>{formatTime(j.completed_at)}</td>
                <td>
                  <Hash value={j.receipt_hash} />
                </td>
                <td>{(j.worker_id && names.get(j.worker_id)) ?? "—"}</td>
                <td>{j.model}</td>
                <td className="num">
                  {j.prompt_tokens} + {j.completion_tokens}
                </td>
                <td className="num">{formatCredits(j.charged)}</td>
                <td className="num">{formatCredits(j.reward)}</td>
                <td>
                  <span className={`badge ${j.status === "settled" ? "ok" : ""}`}>{j.status}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(cursors.length > 1 || next) && (
        <div className="form-row">
          <button
            type="button"
            className="secondary"
            disabled={cursors.length === 1}
            onClick={() => setCursors(cursors.slice(0, -1))}
          >
            Newer
          </button>
          <button
            type="button"
            className="secondary"
            disabled={!next}
            onClick={() => next && setCursors([...cursors, next])}
            data-testid="served-older"
          >
            Older
          </button>
        </div>
      )}
    </Card>
  );
}
