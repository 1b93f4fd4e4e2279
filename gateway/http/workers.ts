import { Hono } from "hono";
import { z } from "zod";
import { notFound } from "../errors.js";
import type { WorkerHub } from "../workers/hub.js";
import type { WorkerRecords } from "../workers/records.js";
import type { WorkerTokenRecord, WorkerTokens } from "../workers/tokens.js";
import type { AppEnv, HttpDeps } from "./context.js";
import { readJsonBody } from "./json.js";
import { parseBody } from "./validate.js";

/** What the worker endpoints need. */
export type WorkersDeps = { hub: WorkerHub; tokens: WorkerTokens; records: WorkerRecords };

const createTokenSchema = z.strictObject({ name: z.string().min(1).max(64) });

const presentToken = (t: WorkerTokenRecord) => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  last_four: t.lastFour,
  created_at: t.createdAt.toISOString(),
  revoked_at: t.revokedAt?.toISOString() ?? null,
});

/** `GET /workers` (public, under `/v1`): how many workers are connected and which models they serve. */
export function publicWorkerRoutes(deps: HttpDeps) {
  const app = new Hono<AppEnv>();
  app.get("/workers", (c) => {
    const links = deps.workers?.hub.links() ?? [];
    const models = new Map<string, { ready: number; loading: number }>();
    for (const link of links) {
      for (const [id, state] of link.models) {
        const m = models.get(id) ?? { ready: 0, loading: 0 };
        if (state === "ready") m.ready += 1;
        if (state === "loading") m.loading += 1;
        models.set(id, m);
      }
    }
    return c.json({
      object: "workers",
      connected: links.length,
      models: [...models].map(([id, m]) => ({ id, ready_workers: m.ready, loading_workers: m.loading })),
    });
  });
  return app;
}

/**
 * The signed-in account's worker tokens and workers (mounted behind the session middleware):
 * `GET|POST /worker-tokens`, `DELETE /worker-tokens/:id` (drops its workers at once), `GET /workers`.
 */
export function accountWorkerRoutes(deps: HttpDeps) {
  const app = new Hono<AppEnv>();
  const workers = () => {
    if (!deps.workers) throw notFound("Workers on this gateway");
    return deps.workers;
  };

  app.get("/worker-tokens", async (c) =>
    c.json({ object: "list", data: (await workers().tokens.list(c.get("account"))).map(presentToken) }),
  );

  app.post("/worker-tokens", async (c) => {
    const body = parseBody(createTokenSchema, await readJsonBody(c));
    const { token, record } = await workers().tokens.create({ account: c.get("account"), name: body.name });
    return c.json({ ...presentToken(record), token }, 201);
  });

  app.delete("/worker-tokens/:id", async (c) => {
    const record = await workers().tokens.revoke(c.get("account"), c.req.param("id"));
    if (!record) throw notFound(`Worker token ${c.req.param("id")}`);
    workers().hub.dropToken(record.id);
    return c.json(presentToken(record));
  });

  app.get("/workers", async (c) => {
    const { hub, records } = workers();
    const live = new Map(hub.links().map((l) => [l.id, l]));
    const data = (await records.ofAccount(c.get("account"))).map((w) => {
      const link = live.get(w.id);
      return {
        id: w.id,
        name: w.name,
        connected: Boolean(link && !link.closed),
        models: link ? [...link.models].map(([id, state]) => ({ id, state })) : [],
        concurrency: link?.concurrency ?? null,
        in_flight: link?.inflight ?? 0,
        first_seen: w.firstSeen.toISOString(),
        last_seen: w.lastSeen.toISOString(),
        suspect: w.suspectReason !== null,
        suspect_reason: w.suspectReason,
        served: {
          jobs: w.jobs,
          prompt_tokens: w.promptTokens.toString(),
          completion_tokens: w.completionTokens.toString(),
          rewards: w.rewards.toString(),
        },
      };
    });
    return c.json({ object: "list", data });
  });

  return app;
}
