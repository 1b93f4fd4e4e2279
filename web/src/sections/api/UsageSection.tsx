import { useAccountQuery } from "../../api/queries";
import type { List, UsageLine } from "../../api/types";
import { BarChart } from "../../components/BarChart";
import { Card } from "../../components/Card";
import { Stat } from "../../components/Stat";
import { formatCount, formatCredits } from "../../lib/format";
import { bucketByTime } from "../../lib/series";

/** Credits spent over time and the totals, from the account's latest jobs. */
export function UsageSection() {
  const usage = useAccountQuery<List<UsageLine>>("/api/account/usage?limit=100");
  const lines = usage.data?.data ?? [];
  const charged = lines.reduce((sum, l) => sum + BigInt(l.charged), 0n);
  const tokens = lines.reduce((sum, l) => sum + l.prompt_tokens + l.completion_tokens, 0);
  const { points, width } = bucketByTime(
    lines.map((l) => ({ at: Date.parse(l.completed_at), value: BigInt(l.charged) })),
  );
  return (
    <Card title="Usage" subtitle={`Credits spent over time, over your latest ${lines.length} jobs.`} testId="usage">
      <div className="stats">
        <Stat label="Jobs" value={formatCount(lines.length)} testId="usage-jobs" />
        <Stat label="Tokens" value={formatCount(tokens)} />
        <Stat label="Credits spent" value={formatCredits(charged)} />
      </div>
      <BarChart
        points={points}
        width={width}
        label="Credits spent over time"
        toNumber={(v) => Number(v) / 1e18}
        format={(v) => `${formatCredits(v)} credits`}
      />
    </Card>
  );
}
