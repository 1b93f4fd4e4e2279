/** reconcile: crash recovery. No hold outlives the gateway instance that took it. */
import type { Db } from "../store/db.js";
import { DEFAULT_ALIVE_MS, deadInstanceSql } from "./instances.js";
import { closeHold } from "./settle.js";
import type { ReconcileParameters, ReconcileReturnType } from "./types.js";

/**
 * Releases (whole, nothing debited) every open hold whose instance is dead: retired, or silent for
 * `olderThanMs` (default 15 s), or never seen and the hold older than that. The caller's own
 * `instanceId` and `liveInstanceIds` count as alive. Run it at start (after `registerInstance`) and
 * then periodically, from any replica: each hold is released in its own transaction, whose DELETE
 * re-checks that the instance is still dead, so replicas reconciling together release each hold once.
 * @param db the database.
 * @param p the caller's instance id, instances known to be alive, and the heartbeat timeout.
 * @returns how many holds were released.
 * @example
 * setInterval(() => ledger.reconcile({ instanceId }), 10_000);
 */
export async function reconcile(db: Db, p: ReconcileParameters, now: string | null): Promise<ReconcileReturnType> {
  const aliveMs = Math.max(0, Math.floor(p.olderThanMs ?? DEFAULT_ALIVE_MS));
  const params = [p.instanceId, p.liveInstanceIds ?? [], aliveMs];
  const candidates = await db.query<{ job_id: string }>(
    `SELECT h.job_id FROM holds h WHERE ${deadInstanceSql(1, 2, 3)} ORDER BY h.created_at`,
    params,
  );
  let released = 0;
  for (const { job_id: jobId } of candidates) {
    const ended = await db.transaction((tx) =>
      closeHold(tx, { jobId, now, charged: () => 0n, where: { sql: deadInstanceSql(2, 3, 4), params } }),
    );
    if (ended) released++;
  }
  // Forget instances that are long gone and hold nothing.
  await db.query(
    `DELETE FROM instances i WHERE i.heartbeat_at < now() - interval '1 day'
       AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.instance_id = i.id)`,
  );
  return { released };
}
