/** credit: money entering an account (a confirmed deposit, or an operator grant). */
import type { Db } from "../store/db.js";
import { assertAmount, normalizeAccount } from "./rows.js";
import type { CreditParameters, CreditReturnType } from "./types.js";

/**
 * Adds `amount` to the account's `available` and to `deposited` (kind `deposit`) or `granted` (kind
 * `operator`), with its entry, in one transaction. A `(kind, ref)` pair is credited once: a repeat,
 * even concurrent, credits nothing (a unique index on the entries decides).
 * @param db the database.
 * @param p the account, the amount (> 0), the kind, and the ref that identifies the credit (for a
 *   deposit its chain event, e.g. `31337:0xtx…:3`; for a grant the operator's ticket).
 * @returns `{ credited: false }` for a repeat.
 * @example
 * await credit(db, { account, amount: 10n ** 18n, kind: "deposit", ref: `${chainId}:${txHash}:${logIndex}` });
 */
export async function credit(db: Db, p: CreditParameters): Promise<CreditReturnType> {
  const account = normalizeAccount(p.account);
  assertAmount(p.amount, "A credit");
  if (p.kind !== "deposit" && p.kind !== "operator") throw new TypeError(`Unknown credit kind ${String(p.kind)}.`);
  if (!p.ref) throw new TypeError("A credit needs a ref (what makes it unique).");
  const amount = p.amount.toString();
  return db.transaction(async (tx) => {
    const entry = await tx.query(
      `INSERT INTO ledger_entries (account, kind, amount, ref) VALUES ($1, $2, $3::numeric, $4)
       ON CONFLICT (kind, ref) WHERE kind IN ('deposit', 'operator') DO NOTHING RETURNING id`,
      [account, p.kind, amount, p.ref],
    );
    if (entry.length === 0) return { credited: false };
    const column = p.kind === "deposit" ? "deposited" : "granted";
    await tx.query(
      `INSERT INTO accounts (account, available, ${column}) VALUES ($1, $2::numeric, $2::numeric)
       ON CONFLICT (account) DO UPDATE SET available = accounts.available + EXCLUDED.available,
         ${column} = accounts.${column} + EXCLUDED.${column}, updated_at = now()`,
      [account, amount],
    );
    return { credited: true };
  });
}
