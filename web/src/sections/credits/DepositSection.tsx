import { useState } from "react";
import { parseSignature } from "viem";
import { useConfig, useConnection } from "wagmi";
import { readContract, signTypedData, waitForTransactionReceipt, writeContract } from "wagmi/actions";
import { useRefreshAll } from "../../api/queries";
import { ActionStatus } from "../../components/ActionStatus";
import { Card } from "../../components/Card";
import { useRuntimeConfig } from "../../config/RuntimeConfigContext";
import { useAction } from "../../hooks/useAction";
import { creditVaultAbi, devCreditTokenAbi } from "../../lib/contracts";
import { formatCredits, parseCredits, shortHex } from "../../lib/format";

/** How long a deposit permit stays valid. */
const PERMIT_SECONDS = 3_600n;

/**
 * Deposits credit tokens into the vault for the connected account: approve then deposit (two transactions), or an
 * EIP-2612 permit signature and one `depositWithPermit` transaction.
 */
export function DepositSection() {
  const config = useConfig();
  const { address } = useConnection();
  const { contracts, chain } = useRuntimeConfig();
  const refresh = useRefreshAll();
  const [amount, setAmount] = useState("");
  const [method, setMethod] = useState<"approve" | "permit">("approve");
  const action = useAction();
  const units = parseCredits(amount);
  const token = contracts.creditToken;
  const vault = contracts.creditVault;

  const mined = async (hash: `0x${string}`, what: string) => {
    const receipt = await waitForTransactionReceipt(config, { hash });
    if (receipt.status !== "success") throw new Error(`the ${what} transaction reverted (${hash})`);
  };

  const deposit = () =>
    action.run(async (progress) => {
      if (!address || units === null) throw new Error("enter an amount of credits");
      let hash: `0x${string}`;
      if (method === "approve") {
        const allowance = await readContract(config, {
          address: token,
          abi: devCreditTokenAbi,
          functionName: "allowance",
          args: [address, vault],
        });
        if (allowance < units) {
          progress("Approve the vault to take the tokens (1 of 2)…");
          const approval = await writeContract(config, {
            address: token,
            abi: devCreditTokenAbi,
            functionName: "approve",
            args: [vault, units],
          });
          await mined(approval, "approval");
        }
        progress("Confirm the deposit (2 of 2)…");
        hash = await writeContract(config, {
          address: vault,
          abi: creditVaultAbi,
          functionName: "deposit",
          args: [address, units],
        });
      } else {
        progress("Sign the permit (no gas)…");
        const [, name, version, , verifyingContract] = await readContract(config, {
          address: token,
          abi: devCreditTokenAbi,
          functionName: "eip712Domain",
        });
        const nonce = await readContract(config, {
          address: token,
          abi: devCreditTokenAbi,
          functionName: "nonces",
          args: [address],
        });
        const deadline = BigInt(Math.floor(Date.now() / 1000)) + PERMIT_SECONDS;
        const signature = await signTypedData(config, {
          account: address,
          domain: { name, version, chainId: chain.id, verifyingContract },
          types: {
            Permit: [
              { name: "owner", type: "address" },
              { name: "spender", type: "address" },
              { name: "value", type: "uint256" },
              { name: "nonce", type: "uint256" },
              { name: "deadline", type: "uint256" },
            ],
          },
          primaryType: "Permit",
          message: { owner: address, spender: vault, value: units, nonce, deadline },
        });
        const { r, s, v, yParity } = parseSignature(signature);
        progress("Confirm the deposit…");
        hash = await writeContract(config, {
          address: vault,
          abi: creditVaultAbi,
          functionName: "depositWithPermit",
          args: [address, units, deadline, Number(v ?? BigInt(yParity + 27)), r, s],
        });
      }
      progress("Waiting for the deposit to be mined…");
      await mined(hash, "deposit");
      setAmount("");
      await refresh();
      return `Deposited ${formatCredits(units)} credits (transaction ${shortHex(hash)}). They become available once the indexer has seen the deposit.`;
    });

  return (
    <Card
      title="Deposit"
      subtitle="Move credit tokens from your wallet into the vault; the gateway credits your account."
    >
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          deposit();
        }}
      >
        <label>
          Amount (credits)
          <input
            inputMode="decimal"
            placeholder="100"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            data-testid="deposit-amount"
          />
        </label>
        <fieldset className="segmented">
          <legend>Authorize with</legend>
          <div className="options">
            <label>
              <input type="radio" checked={method === "approve"} onChange={() => setMethod("approve")} />
              approve + deposit
            </label>
            <label>
              <input
                type="radio"
                checked={method === "permit"}
                onChange={() => setMethod("permit")}
                data-testid="deposit-permit"
              />
              permit signature
            </label>
          </div>
        </fieldset>
        <button type="submit" disabled={units === null || action.running} data-testid="deposit-submit">
          Deposit
        </button>
      </form>
      <ActionStatus state={action} testId="deposit-status" />
    </Card>
  );
}
