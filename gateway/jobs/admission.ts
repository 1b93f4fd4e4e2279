import type { ApiError } from "../errors.js";
import {
  budgetExceeded,
  capacityExhausted,
  clientClosed,
  insufficientCredits,
  runtimePending,
  unauthorized,
} from "../errors.js";
import type { ReserveResult } from "../ledger/types.js";
import type { Backend, Router } from "../routing/backend.js";

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

/**
 * A backend for `model`: one free now, or the first to free up while every one serving the model is
 * busy (the router's queue).
 * @throws ApiError 503 `runtime_pending` when nothing serves the model, `capacity_exhausted` when the
 *   queue timed out.
 */
export async function pickBackend(
  router: Router,
  model: string,
  exclude: ReadonlySet<string>,
  signal: AbortSignal,
): Promise<Backend> {
  const now = router.pick(model, exclude);
  if (now) return now;
  if (router.health(model) === "unavailable" || !router.wait) throw runtimePending(model);
  const started = Date.now();
  const later = await router.wait(model, exclude, signal);
  if (later) return later;
  if (signal.aborted) throw clientClosed();
  throw router.health(model) === "unavailable" ? runtimePending(model) : capacityExhausted(model, Date.now() - started);
}
