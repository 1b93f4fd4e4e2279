import { useAccountQuery } from "../../api/queries";
import type { Credits } from "../../api/types";
import { Card } from "../../components/Card";
import { Stat } from "../../components/Stat";
import { formatCredits } from "../../lib/format";

/** The account's credit on the gateway's ledger: what it can spend, what jobs hold, what it spent and withdrew. */
export function CreditsSection() {
  const credits = useAccountQuery<Credits>("/api/account/credits");
  const c = credits.data;
  const show = (value: string | undefined) => (value === undefined ? "…" : formatCredits(value));
  return (
    <Card
      title="Credits"
      subtitle="Your balance on the gateway. Deposits count once the indexer has seen them on-chain (a few seconds)."
      testId="credits"
    >
      {credits.error && <p className="action-status error">{credits.error.message}</p>}
      <div className="stats">
        <Stat label="Available" value={show(c?.available)} testId="credits-available" />
        <Stat label="Held by running jobs" value={show(c?.held)} />
        <Stat label="Spent" value={show(c?.spent)} />
        <Stat label="Deposited" value={show(c?.deposited)} testId="credits-deposited" />
        {c?.granted !== undefined && c.granted !== "0" && <Stat label="Granted" value={show(c.granted)} />}
        {c?.withdrawable !== undefined && (
          <Stat label="Withdrawable" value={show(c.withdrawable)} testId="credits-withdrawable" />
        )}
        {c?.withdrawing !== undefined && c.withdrawing !== "0" && (
          <Stat label="Withdrawing" value={show(c.withdrawing)} />
        )}
        <Stat label="Withdrawn" value={show(c?.withdrawn)} />
      </div>
    </Card>
  );
}
