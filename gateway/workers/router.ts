import type { Backend, ModelHealth, Router } from "../routing/backend.js";
import type { WorkerLink } from "./link.js";

/**
 * The orchestrator: for each job, a ready worker advertising the model with free capacity — the least
 * loaded (in-flight jobs over concurrency), ties broken round-robin, workers marked suspect only when
 * no other can take it — or else the gateway's own upstream (`fallback`), or null.
 */
export function createWorkerRouter(links: () => readonly WorkerLink[], fallback: readonly Backend[] = []): Router {
  let turn = 0;
  return {
    pick(model, exclude) {
      // The least loaded eligible workers; among equals, take turns.
      let best: WorkerLink[] = [];
      let bestScore = Number.POSITIVE_INFINITY;
      for (const link of links()) {
        if (exclude?.has(link.id) || !link.hasCapacity() || link.health(model) !== "ready") continue;
        // Suspects sort after every healthy worker, whatever their load.
        const score = link.inflight / link.concurrency + (link.suspect ? 1 : 0);
        if (score < bestScore) {
          best = [link];
          bestScore = score;
        } else if (score === bestScore) best.push(link);
      }
      if (best.length > 0) return best[turn++ % best.length] as WorkerLink;
      for (const backend of fallback) {
        if (!exclude?.has(backend.id) && backend.health(model) === "ready") return backend;
      }
      return null;
    },
    health(model) {
      let best: ModelHealth = "unavailable";
      for (const backend of [...links(), ...fallback]) {
        const h = backend.health(model);
        if (h === "ready") return "ready";
        if (h === "loading") best = "loading";
      }
      return best;
    },
    mode: () => (fallback.length > 0 || links().length > 0 ? "proxy" : "pending"),
  };
}
