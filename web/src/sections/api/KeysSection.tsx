import { useState } from "react";
import { apiRequest } from "../../api/client";
import { useAccountQuery, useRefreshAll } from "../../api/queries";
import { useSession } from "../../api/session";
import type { ApiKey, List } from "../../api/types";
import { ActionStatus } from "../../components/ActionStatus";
import { Card } from "../../components/Card";
import { OnceSecret } from "../../components/OnceSecret";
import { useRuntimeConfig } from "../../config/RuntimeConfigContext";
import { useAction } from "../../hooks/useAction";
import { formatCredits, formatTime, parseCredits } from "../../lib/format";

/** The account's API keys: create one (with an optional budget; the key is shown once), list, revoke. */
export function KeysSection() {
  const { session } = useSession();
  const { gatewayUrl } = useRuntimeConfig();
  const refresh = useRefreshAll();
  const keys = useAccountQuery<List<ApiKey>>("/api/account/keys");
  const [name, setName] = useState("");
  const [budget, setBudget] = useState("");
  const [period, setPeriod] = useState<"day" | "month" | "">("month");
  const [created, setCreated] = useState<string | null>(null);
  const action = useAction();
  const budgetUnits = budget.trim() ? parseCredits(budget) : null;
  const budgetInvalid = budget.trim() !== "" && budgetUnits === null;

  const create = () =>
    action.run(async () => {
      const key = await apiRequest<ApiKey & { key: string }>("/api/account/keys", {
        method: "POST",
        token: session?.token,
        body: {
          name: name.trim(),
          ...(budgetUnits !== null && { budget: { limit: budgetUnits.toString(), period: period || null } }),
        },
      });
      setCreated(key.key);
      setName("");
      setBudget("");
      await refresh();
      return undefined;
    });

  const revoke = (id: string) =>
    action.run(async () => {
      await apiRequest(`/api/account/keys/${id}`, { method: "DELETE", token: session?.token });
      await refresh();
      return "Key revoked: it stops working at once.";
    });

  return (
    <Card
      title="API keys"
      subtitle={
        <>
          Use a key with any OpenAI client at <code>{gatewayUrl}/v1</code>.
        </>
      }
      testId="keys"
    >
      {created && <OnceSecret label="Your new API key" secret={created} onDismiss={() => setCreated(null)} />}
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          create();
        }}
      >
        <label>
          Name
          <input
            value={name}
            maxLength={64}
            placeholder="my-app"
            onChange={(e) => setName(e.target.value)}
            data-testid="key-name"
          />
        </label>
        <label>
          Budget (credits, optional)
          <input
            inputMode="decimal"
            value={budget}
            placeholder="no limit"
            aria-invalid={budgetInvalid}
            onChange={(e) => setBudget(e.target.value)}
          />
        </label>
        <label>
          per
          <select value={period} onChange={(e) => setPeriod(e.target.value as "day" | "month" | "")}>
            <option value="day">day (UTC)</option>
            <option value="month">month (UTC)</option>
            <option value="">lifetime</option>
          </select>
        </label>
        <button type="submit" disabled={!name.trim() || budgetInvalid || action.running} data-testid="key-create">
          Create key
        </button>
      </form>
      <ActionStatus state={action} testId="key-status" />
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Key</th>
            <th>Budget</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.data?.data.map((k) => (
            <tr
              key={k.id}
              className={k.revoked_at ? "revoked" : undefined}
              data-testid="key-row"
              data-revoked={Boolean(k.revoked_at)}
            >
              <td>{k.name}</td>
              <td>
                <code>
                  {k.prefix}…{k.last_four}
                </code>
              </td>
              <td>
                {k.budget
                  ? `${formatCredits(k.budget.spent)} of ${k.budget.limit === null ? "∞" : formatCredits(k.budget.limit)} / ${k.budget.period ?? "lifetime"}`
                  : "—"}
              </td>
              <td>{formatTime(k.created_at)}</td>
              <td>
                {k.revoked_at ? (
                  <span className="badge bad">revoked</span>
                ) : (
                  <button
                    type="button"
                    className="secondary"
                    onClick={() => revoke(k.id)}
                    disabled={action.running}
                    data-testid="key-revoke"
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}
