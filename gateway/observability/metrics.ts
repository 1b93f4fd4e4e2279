import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import type { ReceiptCore } from "../../protocol/receipt.js";

/** The gateway's Prometheus metrics, on their own registry (served at `/metrics`). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "basis_http_requests_total",
    help: "HTTP requests by route, method and status.",
    labelNames: ["route", "method", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "basis_http_request_duration_seconds",
    help: "Time to the response headers (streams: to the first byte), by route.",
    labelNames: ["route"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const jobs = new Counter({
    name: "basis_jobs_total",
    help: "Finished jobs (one receipt each) by model, how they ended and who served them.",
    labelNames: ["model", "finish_reason", "served_by"] as const,
    registers: [registry],
  });
  const tokens = new Counter({
    name: "basis_tokens_total",
    help: "Tokens counted by the gateway, by model and kind (prompt, completion).",
    labelNames: ["model", "kind"] as const,
    registers: [registry],
  });
  // The labelled series, looked up once per label set (prom-client hashes the labels on every unlabelled call).
  type Series<M extends { labels(...args: never[]): unknown }> = ReturnType<M["labels"]>;
  const byRequest = new Map<string, { requests: Series<typeof requests>; duration: Series<typeof duration> }>();
  const byJob = new Map<
    string,
    { jobs: Series<typeof jobs>; prompt: Series<typeof tokens>; completion: Series<typeof tokens> }
  >();
  return {
    registry,
    /** Records one HTTP answer. */
    request(route: string, method: string, status: number, seconds: number) {
      const key = `${route} ${method} ${status}`;
      let series = byRequest.get(key);
      if (series === undefined) {
        series = {
          requests: requests.labels({ route, method, status: String(status) }),
          duration: duration.labels({ route }),
        };
        byRequest.set(key, series);
      }
      series.requests.inc();
      series.duration.observe(seconds);
    },
    /** Records one finished job from its receipt core. */
    job(core: ReceiptCore) {
      const servedBy = core.worker ? "worker" : "gateway";
      const key = `${core.model} ${core.finishReason} ${servedBy}`;
      let series = byJob.get(key);
      if (series === undefined) {
        series = {
          jobs: jobs.labels({ model: core.model, finish_reason: core.finishReason, served_by: servedBy }),
          prompt: tokens.labels({ model: core.model, kind: "prompt" }),
          completion: tokens.labels({ model: core.model, kind: "completion" }),
        };
        byJob.set(key, series);
      }
      series.jobs.inc();
      series.prompt.inc(core.promptTokens);
      series.completion.inc(core.completionTokens);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
