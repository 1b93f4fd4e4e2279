import type { ApiError } from "../errors.js";
import { budgetExceeded, insufficientCredits, unauthorized } from "../errors.js";
import type { ReserveResult } from "../ledger/types.js";

/** The HTTP error for a refused reservation of `hold` base units. */
export function refusal(result: Exclude<ReserveResult, { ok: true }>, hold: bigint): ApiError {
  switch (result.reason) {
    case "budget_exceeded":
      return budgetExceeded(result.remaining);
    case "key_revoked":
      return unauthorized("Invalid or revoked API key.");
    default:
      return insufficientCredits(hold, result.available);
  }
}
