import { useState } from "react";
import { apiRequest } from "../../api/client";
import { useAccountQuery, useRefreshAll } from "../../api/queries";
import { useSession } from "../../api/session";
import type { List, WorkerToken } from "../../api/types";
import { ActionStatus } from "../../components/ActionStatus";
import { Card } from "../../components/Card";
import { OnceSecret } from "../../components/OnceSecret";
import { useRuntimeConfig } from "../../config/RuntimeConfigContext";
import { useAction } from "../../hooks/useAction";
import { formatTime } from "../../lib/format";

/** Worker tokens of the account: create one for a new worker (shown once), list, revoke (its workers drop at once). */
export function WorkerTokensSection() {
  const { session } = useSession();
  const { gatewayUrl } = useRuntimeConfig();
  const refresh = useRefreshAll();
  const tokens = useAccountQuery<List<WorkerToken>>("/api/account/worker-tokens");
  const [name, setName] = useState("");
  const [created, setCreated] = useState<string | null>(null);
  const action = useAction();

  const create = () =>
    action.run(async () => {
      const token = await apiRequest<WorkerToken & { token: string }>("/api/account/worker-tokens", {
        method: "POST",
        token: session?.token,
        body: { name: name.trim() },
      });
      setCreated(token.token);
      setName("");
      await refresh();
      return undefined;
    });

  const revoke = (id: string) =>
    action.run(async () => {
      await apiRequest(`/api/account/worker-tokens/${id}`, { method: "DELETE", token: session?.token });
      await refresh();
      return "Token revoked: its workers were disconnected.";
    });

  return (
    <Card
      title="Worker tokens"
      subtitle="A worker presents a token of this account and proves it holds this wallet's key."
      testId="worker-tokens"
    >
      {created && (
        <>
          <OnceSecret label="Your new worker token" secret={created} onDismiss={() => setCreated(null)} />
          <pre className="snippet">
            BASIS_WORKER_TOKEN={created} BASIS_WORKER_KEY=0x… npm run worker -- --gateway {gatewayUrl} --gguf
            ./model.gguf --model basis-default
          </pre>
        </>
      )}
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
            placeholder="rig-1"
            onChange={(e) => setName(e.target.value)}
            data-testid="worker-token-name"
          />
        </label>
        <button type="submit" disabled={!name.trim() || action.running} data-testid="worker-token-create">
          Create worker token
        </button>
      </form>
      <ActionStatus state={action} />
      {(tokens.data?.data.length ?? 0) > 0 && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Token</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.data?.data.map((t) => (
              <tr key={t.id} className={t.revoked_at ? "revoked" : undefined}>
                <td>{t.name}</td>
                <td>
                  <code>
                    {t.prefix}…{t.last_four}
                  </code>
                </td>
                <td>{formatTime(t.created_at)}</td>
                <td>
                  {t.revoked_at ? (
                    <span className="badge bad">revoked</span>
                  ) : (
                    <button type="button" className="secondary" onClick={() => revoke(t.id)} disabled={action.running}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
