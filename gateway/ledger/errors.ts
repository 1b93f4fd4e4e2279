/**
 * Errors of the ledger: a caller's bug or a broken invariant, never a client's fault (those are
 * results: `insufficient_credits`, `budget_exceeded`). Messages carry ids and amounts, nothing secret.
 */

/** Why a ledger operation refused. */
export type LedgerErrorCode =
  | "invalid_amount"
  | "invalid_account"
  | "duplicate_job"
  | "unknown_hold"
  | "charge_exceeds_hold"
  | "refund_exceeds_debit"
  | "nothing_to_refund";

/** A ledger operation refused; nothing was written. */
export class LedgerError extends Error {
  readonly code: LedgerErrorCode;
  readonly details: Record<string, string>;

  constructor(code: LedgerErrorCode, message: string, details: Record<string, string> = {}) {
    super(message);
    this.name = "LedgerError";
    this.code = code;
    this.details = details;
  }
}
