/** `/api/account/withdrawals`: unused deposited credit back to the wallet, with a voucher for the vault. */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError, insufficientCredits } from "../errors.js";
import type { Withdrawal } from "../ledger/withdrawals.js";
import type { AppEnv, HttpDeps } from "./context.js";
import { readJsonBody } from "./json.js";
import { parseBody } from "./validate.js";

const MAX_UINT256 = 2n ** 256n - 1n;

const withdrawSchema = z.strictObject({
  amount: z
    .string()
    .regex(/^[1-9]\d{0,77}$/, "base units as a decimal string above 0")
    // zod runs refinements after a failed regex too: BigInt only sees digits.
    .refine((s) => !/^\d+$/.test(s) || BigInt(s) <= MAX_UINT256, "at most 2^256 - 1")
    .transform((s) => BigInt(s)),
});

/** A withdrawal as the API shows it: the voucher's fields are what `CreditVault.withdraw` takes. */
export const presentWithdrawal = (w: Withdrawal, vault: string, chainId: number) => ({
  id: w.id,
  object: "withdrawal",
  account: w.account,
  amount: w.amount.toString(),
  nonce: w.nonce.toString(),
  deadline: Number(w.deadline),
  signature: w.signature,
  vault,
  chain_id: chainId,
  status: w.status,
  tx_hash: w.chainRef?.split(":")[1] ?? null,
  created_at: w.createdAt.toISOString(),
});

/** Mounted under `/account` behind the session middleware. */
export function accountWithdrawalRoutes(deps: HttpDeps) {
  const app = new Hono<AppEnv>();
  const service = () => {
    if (deps.withdrawals) return deps.withdrawals;
    throw new ApiError(503, "Withdrawals need the contracts: this gateway has no CreditVault deployment configured.", {
      type: "service_unavailable",
      code: "contracts_pending",
    });
  };

  app.post("/withdrawals", async (c) => {
    const withdrawals = service();
    const { amount } = parseBody(withdrawSchema, await readJsonBody(c));
    const r = await withdrawals.issue(c.get("account"), amount);
    if (!r.ok) {
      const e = insufficientCredits(amount, r.withdrawable);
      throw new ApiError(
        402,
        `Cannot withdraw ${amount} base units: ${r.withdrawable} can be withdrawn (deposited credit not spent, held or already withdrawing).`,
        { type: e.type, code: e.code, param: "amount" },
      );
    }
    return c.json(presentWithdrawal(r.withdrawal, withdrawals.vault, withdrawals.chainId), 201);
  });

  app.get("/withdrawals", async (c) => {
    const withdrawals = service();
    const data = await withdrawals.list(c.get("account"));
    return c.json({
      object: "list",
      data: data.map((w) => presentWithdrawal(w, withdrawals.vault, withdrawals.chainId)),
    });
  });

  return app;
}
