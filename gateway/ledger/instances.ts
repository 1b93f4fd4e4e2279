/**
 * Gateway instances and their heartbeats. Every gateway process has an instance id (new at each
 * start), records itself here and beats every few seconds; the holds of an instance that stopped
 * beating are released by `reconcile`. Times are the database's clock, shared by every replica.
 */
import type { Db } from "../store/db.js";

/** How long an instance stays alive after its last heartbeat, unless told otherwise. */
export const DEFAULT_ALIVE_MS = 15_000;

/**
 * Records this process as a live instance. With `node` (a stable name of the process slot, e.g. the
 * host and port), every earlier instance of that node is marked retired: it is this process's
 * previous incarnation, whose holds `reconcile` then releases at once instead of after the timeout.
 * @param db the database.
 * @param p this process's instance id and, optionally, its node name.
 * @example
 * const instanceId = crypto.randomUUID();
 * await registerInstance(db, { instanceId, node: `${hostname()}:${port}` });
 * await ledger.reconcile({ instanceId });
 */
export async function registerInstance(db: Db, p: { instanceId: string; node?: string }): Promise<void> {
  await db.transaction(async (tx) => {
    if (p.node) {
      await tx.query("UPDATE instances SET retired_at = now() WHERE node = $1 AND id <> $2 AND retired_at IS NULL", [
        p.node,
        p.instanceId,
      ]);
    }
    await tx.query(
      `INSERT INTO instances (id, node) VALUES ($1, $2)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), node = EXCLUDED.node, retired_at = NULL`,
      [p.instanceId, p.node ?? null],
    );
  });
}

/**
 * Says that the instance is alive now. Call it every few seconds, well within the reconcile timeout
 * (e.g. every 5 s for the default 15 s).
 * @param db the database.
 * @param instanceId this process's instance id.
 * @returns false when the instance was retired (a newer incarnation of its node registered, or
 *   `retireInstance`): its holds are being released, it must stop admitting jobs.
 */
export async function heartbeat(db: Db, instanceId: string): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO instances (id) VALUES ($1)
     ON CONFLICT (id) DO UPDATE SET heartbeat_at = now() WHERE instances.retired_at IS NULL RETURNING id`,
    [instanceId],
  );
  return rows.length > 0;
}

/**
 * Marks the instance as stopped (graceful shutdown, after its jobs ended): any hold it left is
 * released by the next `reconcile` of another instance without waiting for the timeout.
 */
export async function retireInstance(db: Db, instanceId: string): Promise<void> {
  await db.query("UPDATE instances SET retired_at = now() WHERE id = $1", [instanceId]);
}

/**
 * SQL condition, on a row aliased `h` with an `instance_id` and a `created_at`: its instance is dead.
 * Dead means retired, or no heartbeat within the last `$aliveMs` ms; an instance never seen counts as
 * dead only once the row itself is older than that (a process that reserves before its first beat).
 * `$self` and `$live` name instances known to be alive.
 */
export function deadInstanceSql(self: number, live: number, aliveMs: number): string {
  const cutoff = `now() - ($${aliveMs}::bigint * interval '1 millisecond')`;
  return `h.instance_id <> $${self} AND NOT (h.instance_id = ANY($${live}::text[])) AND NOT EXISTS (
    SELECT 1 FROM instances i WHERE i.id = h.instance_id AND i.retired_at IS NULL AND i.heartbeat_at >= ${cutoff}
  ) AND (h.created_at < ${cutoff} OR EXISTS (SELECT 1 FROM instances i WHERE i.id = h.instance_id))`;
}
