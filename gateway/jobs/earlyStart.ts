import type { Backend, BackendJob, OutputDelta, ReportedUsage } from "../routing/backend.js";

type Item = OutputDelta | { usage: ReportedUsage };

/**
 * Which admissions may start their backend call while their reserve statement runs. The call's output waits until
 * the reserve is granted; a refused reserve cancels the call, so a speculative start that was refused has cost the
 * backend some work and the client nothing. To keep that waste small, a start is speculative only for an account
 * whose last admission in this process was granted and that has no other speculative start awaiting its reserve:
 * an account that runs out of credit costs at most one cancelled call before its requests go the usual way again.
 * This is a hint, not money state: the reserve in the database still decides, and a replica that has not seen the
 * account yet simply admits it the usual way.
 */
export class EarlyStarts {
  /** Accounts whose last admission here was granted. */
  private readonly granted = new Set<string>();
  /** Accounts with a speculative start awaiting its reserve. */
  private readonly pending = new Set<string>();

  constructor(private readonly maxAccounts = 100_000) {}

  /** True when `account`'s next call may start before its reserve is granted; then call {@link end} once. */
  begin(account: string): boolean {
    if (!this.granted.has(account) || this.pending.has(account)) return false;
    this.pending.add(account);
    return true;
  }

  /**
   * Records an admission's outcome: `true` granted, `false` refused, `null` unknown (the statement failed).
   * `began`: whether {@link begin} allowed this admission's early start.
   */
  end(account: string, began: boolean, granted: boolean | null) {
    if (began) this.pending.delete(account);
    if (granted === false) this.granted.delete(account);
    else if (granted === true && !this.granted.has(account)) {
      // A bound on memory: forgetting every account only means their next admissions go the usual way once.
      if (this.granted.size >= this.maxAccounts) this.granted.clear();
      this.granted.add(account);
    }
  }
}

/** A backend call started before its job was admitted: its first result is awaited by the relay, if it runs. */
export type EarlyCall = { backend: Backend; iterator: AsyncIterator<Item>; first: Promise<IteratorResult<Item>> };

/** Starts `job` on `backend` now (the request or job frame goes out); the output waits in the backend's queue. */
export function startEarly(backend: Backend, job: BackendJob): EarlyCall {
  const iterator = backend.generate(job)[Symbol.asyncIterator]();
  const first = iterator.next();
  // Looked at when the relay starts; until then (or when the job is refused) a failure must not go unhandled.
  first.catch(() => {});
  return { backend, iterator, first };
}

/** The early call as an iterable that starts where it stands: its first result, then the rest (no extra layer). */
export function resumed(call: EarlyCall): AsyncIterable<Item> {
  let first: Promise<IteratorResult<Item>> | null = call.first;
  const { iterator } = call;
  return {
    [Symbol.asyncIterator]: () => ({
      next() {
        const result = first ?? iterator.next();
        first = null;
        return result;
      },
      return(value?: unknown) {
        return iterator.return ? iterator.return(value) : Promise.resolve({ done: true as const, value: undefined });
      },
    }),
  };
}
