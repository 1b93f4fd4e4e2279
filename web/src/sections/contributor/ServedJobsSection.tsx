import { useQuery } from "@tanstack/react-query";
import type { Address } from "viem";
import { useConnection } from "wagmi";
import { apiRequest } from "../../api/client";
import type { List, PresentedReceipt } from "../../api/types";
import { BarChart } from "../../components/BarChart";
import { Card } from "../../components/Card";
import { Hash } from "../../components/Hash";
import { formatCredits, formatTime } from "../../lib/format";
import { bucketByTime } from "../../lib/series";

/** How many of the gateway's latest receipts are scanned for the contributor's jobs, and how often. */
const SCAN = 500;
const SCAN_EVERY_MS = 10_000;

/** The gateway's latest receipts whose serving worker paid `address`, newest first. */
async function servedBy(address: Address, signal: AbortSignal): Promise<PresentedReceipt["receipt"][]> {
  const mine: PresentedReceipt["receipt"][] = [];
  let cursor: string | null | undefined;
  for (let scanned = 0; scanned < SCAN; scanned += 100) {
    const page = await apiRequest<List<PresentedReceipt>>(
      `/api/inference/receipts?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      { signal },
    );
    for (const { receipt } of page.data) if (receipt.core.worker === address.toLowerCase()) mine.push(receipt);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return mine;
}

/** Rewards over time and the latest jobs served by the contributor's workers, from the public receipts. */
export function ServedJobsSection() {
  const { address } = useConnection();
  const served = useQuery({
    queryKey: ["served", address],
    enabled: Boolean(address),
    refetchInterval: SCAN_EVERY_MS,
    queryFn: ({ signal }) => servedBy(address as Address, signal),
  });
  const jobs = served.data ?? [];
  const { points, width } = bucketByTime(
    jobs.map((j) => ({ at: Date.parse(j.core.completedAt), value: BigInt(j.core.reward) })),
  );
  return (
    <Card
      title="Served jobs and rewards over time"
      subtitle={`Jobs your workers served among the gateway's latest ${SCAN} receipts, and the reward each earned.`}
      testId="served"
    >
      <BarChart
        points={points}
        width={width}
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
              <th>Model</th>
              <th className="num">Tokens</th>
              <th className="num">Charged</th>
              <th className="num">Reward</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {jobs.slice(0, 10).map((j) => (
              <tr key={j.hash} data-testid="served-row">
                <td>{formatTime(j.core.completedAt)}</td>
                <td>
                  <Hash value={j.hash} />
                </td>
                <td>{j.core.model}</td>
                <td className="num">
                  {j.core.promptTokens} + {j.core.completionTokens}
                </td>
                <td className="num">{formatCredits(j.core.charged)}</td>
                <td className="num">{formatCredits(j.core.reward)}</td>
                <td>
                  <span className={`badge ${j.status === "settled" ? "ok" : ""}`}>{j.status}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
