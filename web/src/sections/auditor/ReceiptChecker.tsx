import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { type Hex, recoverMessageAddress } from "viem";
import { useConfig } from "wagmi";
import { readContract } from "wagmi/actions";
import { apiRequest } from "../../api/client";
import type { PresentedReceipt } from "../../api/types";
import { Card } from "../../components/Card";
import { Hash, TxHash } from "../../components/Hash";
import { useRuntimeConfig } from "../../config/RuntimeConfigContext";
import { settlementRegistryAbi } from "../../lib/contracts";
import { formatCredits, formatTime } from "../../lib/format";
import { recomputeReceiptHash } from "../../lib/receiptHash";

type Check = { name: string; ok: boolean | null; detail: string };
type CheckResult = { found: PresentedReceipt; checks: Check[] };

/** Every check of one receipt: recomputed here, signed by the on-chain attester, included in its on-chain batch. */
async function checkReceipt(
  found: PresentedReceipt,
  read: (fn: "attester" | "verifyReceipt", args?: readonly unknown[]) => Promise<unknown>,
): Promise<Check[]> {
  const { receipt, verified } = found;
  const recomputed = recomputeReceiptHash(receipt.core);
  const checks: Check[] = [
    {
      name: "hash",
      ok: recomputed === receipt.hash,
      detail: `SHA-256 of the canonical core, computed in this browser: ${recomputed}`,
    },
    { name: "gateway", ok: verified, detail: "the gateway's own re-derivation of the hash" },
  ];
  const attester = (await read("attester")) as Hex;
  if (receipt.signature) {
    const signer = await recoverMessageAddress({ message: { raw: receipt.hash }, signature: receipt.signature });
    checks.push({
      name: "signature",
      ok: signer.toLowerCase() === attester.toLowerCase(),
      detail: `signed by ${signer}; the SettlementRegistry's attester is ${attester}`,
    });
  } else {
    checks.push({
      name: "signature",
      ok: null,
      detail: "not signed yet (the gateway signs receipts off the request path)",
    });
  }
  const s = receipt.settlement;
  if (s) {
    const included = (await read("verifyReceipt", [BigInt(s.batchId), receipt.hash, s.proof])) as boolean;
    checks.push({
      name: "inclusion",
      ok: included,
      detail: `SettlementRegistry.verifyReceipt(batch ${s.batchId}, hash, proof of ${s.proof.length} nodes) answered ${included}`,
    });
  } else {
    checks.push({ name: "inclusion", ok: null, detail: "not settled yet: it joins the next batch" });
  }
  return checks;
}

/** Paste a receipt hash (or a job id): the receipt, and whether it holds up, checked here and on-chain. */
export function ReceiptChecker({ initial }: { initial: string }) {
  const config = useConfig();
  const { contracts } = useRuntimeConfig();
  const [input, setInput] = useState(initial);
  const [id, setId] = useState(initial);
  const read = (functionName: "attester" | "verifyReceipt", args?: readonly unknown[]) =>
    readContract(config, {
      address: contracts.settlementRegistry,
      abi: settlementRegistryAbi,
      functionName,
      args,
    } as Parameters<typeof readContract>[1]);
  const result = useQuery<CheckResult>({
    queryKey: ["check", id],
    enabled: id !== "",
    refetchInterval: (q) => (q.state.data?.checks.some((c) => c.ok === null) ? 3_000 : false),
    queryFn: async ({ signal }) => {
      const found = await apiRequest<PresentedReceipt>(`/api/inference/receipts/${encodeURIComponent(id)}`, { signal });
      return { found, checks: await checkReceipt(found, read) };
    },
  });
  const r = result.data?.found.receipt;
  return (
    <Card title="Receipt checker" subtitle="Paste a receipt hash or a job id." testId="checker">
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          setId(input.trim());
        }}
      >
        <label className="grow">
          Receipt hash or job id
          <input
            value={input}
            placeholder="0x…"
            onChange={(e) => setInput(e.target.value)}
            data-testid="checker-input"
          />
        </label>
        <button type="submit" disabled={!input.trim()} data-testid="checker-submit">
          Check
        </button>
      </form>
      {result.error && (
        <p className="action-status error" role="alert">
          {result.error.message}
        </p>
      )}
      {r && result.data && (
        <div className="checker-result">
          <ul className="checks">
            {result.data.checks.map((c) => (
              <li key={c.name} data-testid={`check-${c.name}`} data-ok={String(c.ok)}>
                <span className={`badge ${c.ok === true ? "ok" : c.ok === false ? "bad" : ""}`}>
                  {c.ok === true ? "✓" : c.ok === false ? "✗" : "…"} {c.name}
                </span>{" "}
                <span className="muted">{c.detail}</span>
              </li>
            ))}
          </ul>
          <dl className="receipt-fields">
            <dt>Hash</dt>
            <dd>
              <code>{r.hash}</code>
            </dd>
            <dt>Job</dt>
            <dd>{r.core.jobId}</dd>
            <dt>Model</dt>
            <dd>{r.core.model}</dd>
            <dt>Account</dt>
            <dd>
              <Hash value={r.core.account} />
            </dd>
            <dt>Served by</dt>
            <dd>{r.core.worker ? <Hash value={r.core.worker} /> : "the gateway"}</dd>
            <dt>Tokens</dt>
            <dd>
              {r.core.promptTokens} prompt + {r.core.completionTokens} completion ({r.core.tokenizer})
            </dd>
            <dt>Charged / reward</dt>
            <dd>
              {formatCredits(r.core.charged)} / {formatCredits(r.core.reward)} credits
            </dd>
            <dt>Finished</dt>
            <dd>
              {r.core.finishReason}, {formatTime(r.core.completedAt)}
            </dd>
            <dt>Status</dt>
            <dd>{r.status}</dd>
            {r.settlement && (
              <>
                <dt>Batch</dt>
                <dd>
                  #{r.settlement.batchId}, leaf {r.settlement.leafIndex}, <TxHash hash={r.settlement.txHash} />
                </dd>
              </>
            )}
          </dl>
        </div>
      )}
    </Card>
  );
}
