import type { Backend, ModelHealth, Router } from "../routing/backend.js";
import type { WorkerLink } from "./link.js";

/** Where the router finds workers, and hears when capacity may have changed. */
export type WorkerSource = { links(): readonly WorkerLink[]; onChange?(listener: () => void): void };

/**
 * The orchestrator: for each job, a ready worker advertising the model with free capacity — the least
 * loaded (in-flight jobs over concurrency), ties broken round-robin, workers marked suspect only when
 * no other can take it — or else the gateway's own upstream (`fallback`), or null. When workers serve
 * the model but all are busy, `wait` queues the job (first come, first served) until one frees up or
 * `queueTimeoutMs` passes.
 */
export function createWorkerRouter(
  source: WorkerSource,
  fallback: readonly Backend[] = [],
  options: { queueTimeoutMs?: number } = {},
): Router {
  let turn = 0;
  const queue: (() => void)[] = [];
  source.onChange?.(() => {
    for (const wake of queue.splice(0)) wake();
  });

  const router: Router = {
    pick(model, exclude) {
      // The least loaded eligible workers; among equals, take turns.
      let best: WorkerLink[] = [];
      let bestScore = Number.POSITIVE_INFINITY;
      for (const link of source.links()) {
        if (exclude?.has(link.id) || !link.hasCapacity() || link.health(model) !== "ready") continue;
        // Suspects sort after every healthy worker, whatever their load.
        const score = link.load / link.concurrency + (link.suspect ? 1 : 0);
        if (score < bestScore) {
          best = [link];
          bestScore = score;
        } else if (score === bestScore) best.push(link);
      }
      if (best.length > 0) {
        const link = best[turn++ % best.length] as WorkerLink;
        link.claim();
        return link;
      }
      for (const backend of fallback) {
        if (!exclude?.has(backend.id) && backend.health(model) === "ready") return backend;
      }
      return null;
    },
    async wait(model, exclude, signal) {
      const deadline = Date.now() + (options.queueTimeoutMs ?? 30_000);
      while (!signal.aborted && Date.now() < deadline) {
        const picked = router.pick(model, exclude);
        if (picked) return picked;
        // Nothing left that could ever serve it (every worker gone or excluded): stop waiting.
        const serving = source.links().some((l) => !exclude?.has(l.id) && l.health(model) !== "unavailable");
        if (!serving) return null;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
          function done() {
            clearTimeout(timer);
            signal.removeEventListener("abort", done);
            resolve();
          }
          signal.addEventListener("abort", done, { once: true });
          queue.push(done);
        });
      }
      return null;
    },
    health(model) {
      let best: ModelHealth = "unavailable";
      for (const backend of [...source.links(), ...fallback]) {
        const h = backend.health(model);
        if (h === "ready") return "ready";
        if (h === "loading") best = "loading";
      }
      return best;
    },
    mode: () => (fallback.length > 0 || source.links().length > 0 ? "proxy" : "pending"),
  };
  return router;
}
