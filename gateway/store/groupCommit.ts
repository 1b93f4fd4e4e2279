/**
 * Group commit of one kind of statement: a call made while the previous statement of its kind is still running
 * waits for it, and all the calls that waited go to the database together, as one statement (one round trip, one
 * transaction, one commit). A call made when nothing of its kind is running goes at once, alone, through the
 * single-job statement, exactly as without group commit: an unloaded gateway answers as fast as before, and a
 * loaded one spends a round trip, a commit and the driver's work once per batch instead of once per job.
 *
 * When a batch statement fails, nothing of it was written (one statement, one transaction): each of its calls is
 * then run alone through the single-job statement, so each gets its own answer or its own error, as it would have
 * without group commit.
 */

/** How one kind of statement runs: alone, and for many calls at once. */
export type GroupCommitOptions<I, O> = {
  /** The single-job statement. */
  one(item: I): Promise<O>;
  /** The batch statement: one answer per item, in the items' order. */
  many(items: I[]): Promise<O[]>;
  /** Most calls in one batch (default 32). */
  maxBatch?: number;
  /** Order of the calls inside a batch (a stable sort): lock rows in one order across concurrent batches. */
  order?: (a: I, b: I) => number;
};

type Waiting<I, O> = { item: I; resolve(value: O): void; reject(error: unknown): void };

/**
 * Builds the group-committing runner of one kind of statement.
 * @returns A function that runs `item` (alone or batched) and resolves with its own answer.
 * @example const reserve = groupCommit({ one: reserveOne, many: reserveMany, order: byAccount }); await reserve(job)
 */
export function groupCommit<I, O>(p: GroupCommitOptions<I, O>): (item: I) => Promise<O> {
  const maxBatch = p.maxBatch ?? 32;
  let waiting: Waiting<I, O>[] = [];
  let running = false;

  const alone = (w: Waiting<I, O>) => p.one(w.item).then(w.resolve, w.reject);

  async function drain() {
    running = true;
    try {
      while (waiting.length > 0) {
        let batch = waiting;
        waiting = [];
        if (batch.length > maxBatch) {
          waiting = batch.slice(maxBatch);
          batch = batch.slice(0, maxBatch);
        }
        if (batch.length === 1) {
          await alone(batch[0] as Waiting<I, O>);
          continue;
        }
        if (p.order) batch.sort((a, b) => (p.order as (a: I, b: I) => number)(a.item, b.item));
        let answers: O[];
        try {
          answers = await p.many(batch.map((w) => w.item));
        } catch {
          // Nothing of the batch was written: each call alone, for its own answer or error.
          await Promise.all(batch.map(alone));
          continue;
        }
        for (let i = 0; i < batch.length; i++) {
          const w = batch[i] as Waiting<I, O>;
          // The statement committed: a missing answer is never run again (it could apply twice), it is an error.
          if (i < answers.length) w.resolve(answers[i] as O);
          else w.reject(new Error(`a batch of ${batch.length} answered ${answers.length} rows`));
        }
      }
    } finally {
      running = false;
    }
  }

  return (item: I) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!running) void drain();
    });
}
