import { useState } from "react";
import { getAddress } from "viem";
import { useConfig } from "wagmi";
import { waitForTransactionReceipt, writeContract } from "wagmi/actions";
import { ApiError, apiRequest } from "../../api/client";
import { useAccountQuery, useRefreshAll } from "../../api/queries";
import { useSession } from "../../api/session";
import type { Credits, List, Withdrawal } from "../../api/types";
import { ActionStatus } from "../../components/ActionStatus";
import { Card } from "../../components/Card";
import { TxHash } from "../../components/Hash";
import { useRuntimeConfig } from "../../config/RuntimeConfigContext";
import { useAction } from "../../hooks/useAction";
import { creditVaultAbi } from "../../lib/contracts";
import { formatCredits, parseCredits, shortHex } from "../../lib/format";

/**
 * Takes unused credit back: the gateway's attester signs a voucher (EIP-712) for the amount and holds it on the
 * account; the wallet then sends `CreditVault.withdraw(voucher, signature)`, which pays it out once, until its
 * deadline. A voucher not sent yet can be sent from the list.
 */
export function WithdrawSection() {
  const config = useConfig();
  const { session } = useSession();
  const { contracts, chain } = useRuntimeConfig();
  const refresh = useRefreshAll();
  const credits = useAccountQuery<Credits>("/api/account/credits");
  const withdrawals = useAccountQuery<List<Withdrawal>>("/api/account/withdrawals");
  const [amount, setAmount] = useState("");
  const action = useAction();
  const units = parseCredits(amount);

  const failure = withdrawals.error;
  if (failure instanceof ApiError && [404, 503].includes(failure.status)) {
    return (
      <Card title="Withdraw" subtitle="Take unused credit back to your wallet." testId="withdraw">
        <p className="muted" data-testid="withdraw-unavailable">
          This gateway does not issue withdrawal vouchers
          {failure.status === 503 ? `: ${failure.message}` : " yet."}
        </p>
      </Card>
    );
  }

  const send = async (voucher: Withdrawal, progress: (m: string) => void) => {
    if (getAddress(voucher.vault) !== getAddress(contracts.creditVault) || voucher.chain_id !== chain.id)
      throw new Error(`the voucher is for vault ${voucher.vault} on chain ${voucher.chain_id}, not this deployment`);
    progress("Confirm the withdrawal in your wallet…");
    const hash = await writeContract(config, {
      address: contracts.creditVault,
      abi: creditVaultAbi,
      functionName: "withdraw",
      args: [
        {
          account: voucher.account,
          amount: BigInt(voucher.amount),
          nonce: BigInt(voucher.nonce),
          deadline: BigInt(voucher.deadline),
        },
        voucher.signature,
      ],
    });
    progress("Waiting for the withdrawal to be mined…");
    const receipt = await waitForTransactionReceipt(config, { hash });
    if (receipt.status !== "success") throw new Error(`the withdrawal reverted (${hash})`);
    await refresh();
    return `Withdrew ${formatCredits(voucher.amount)} credits to your wallet (transaction ${shortHex(hash)}).`;
  };

  const withdraw = () =>
    action.run(async (progress) => {
      if (units === null) throw new Error("enter an amount of credits");
      progress("Asking the gateway for a voucher…");
      const voucher = await apiRequest<Withdrawal>("/api/account/withdrawals", {
        method: "POST",
        token: session?.token,
        body: { amount: units.toString() },
      });
      await refresh();
      setAmount("");
      return send(voucher, progress);
    });

  const withdrawable = credits.data?.withdrawable ?? credits.data?.available;
  const now = Date.now() / 1000;
  return (
    <Card
      title="Withdraw"
      subtitle={
        <>
          Take unused credit back to your wallet.{" "}
          {withdrawable !== undefined && (
            <span>
              You can withdraw up to <strong>{formatCredits(withdrawable)}</strong> credits.
            </span>
          )}
        </>
      }
      testId="withdraw"
    >
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          withdraw();
        }}
      >
        <label>
          Amount (credits)
          <input
            inputMode="decimal"
            placeholder="10"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            data-testid="withdraw-amount"
          />
        </label>
        <button type="submit" disabled={units === null || action.running} data-testid="withdraw-submit">
          Withdraw
        </button>
      </form>
      <ActionStatus state={action} testId="withdraw-status" />
      {(withdrawals.data?.data.length ?? 0) > 0 && (
        <table>
          <thead>
            <tr>
              <th>Amount</th>
              <th>Status</th>
              <th>Valid until</th>
              <th>Transaction</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {withdrawals.data?.data.map((w) => (
              <tr key={w.id} data-testid="withdrawal-row">
                <td className="num">{formatCredits(w.amount)}</td>
                <td>
                  <span className={`badge ${w.status === "withdrawn" ? "ok" : w.status === "expired" ? "bad" : ""}`}>
                    {w.status}
                  </span>
                </td>
                <td>{new Date(w.deadline * 1000).toLocaleString()}</td>
                <td>
                  <TxHash hash={w.tx_hash} />
                </td>
                <td>
                  {w.status === "pending" && w.deadline > now && (
                    <button
                      type="button"
                      className="secondary"
                      disabled={action.running}
                      onClick={() => action.run((progress) => send(w, progress))}
                    >
                      Send
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
