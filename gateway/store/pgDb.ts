/** The Postgres side of {@link Db}: a `pg` pool, transactions on one pooled client. */
import pg from "pg";
import type { Db, QueryOptions } from "./db.js";

const NUMERIC_OID = 1700;
const INT8_OID = 20;

/** NUMERIC and BIGINT as decimal strings (pg's default already does that; pinned here on purpose). */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === NUMERIC_OID || oid === INT8_OID
      ? (value: string) => value
      : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
};

/**
 * Opens a keep-alive `pg` pool. With `schema`, every connection starts with `search_path` set to it.
 * @param p the server URL, the schema and the pool size.
 * @returns a {@link Db} of kind `"postgres"` (no migrations run: see `openDb`).
 */
export function openPg(p: {
  databaseUrl: string;
  schema?: string;
  poolSize: number;
  onError?: (error: Error) => void;
}): Db {
  const pool = new pg.Pool({
    connectionString: p.databaseUrl,
    max: p.poolSize,
    keepAlive: true,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    // A transaction left open by a stuck caller would hold account rows locked: the server ends it.
    idle_in_transaction_session_timeout: 60_000,
    types,
    ...(p.schema ? { options: `-c search_path=${p.schema}` } : {}),
  });
  // An idle client that loses its connection emits 'error' on the pool: without a listener that
  // would crash the process. The next query gets a fresh connection.
  pool.on("error", (error) => p.onError?.(error));
  return {
    kind: "postgres",
    async query<T>(sql: string, params?: unknown[], options?: QueryOptions) {
      const result = options?.name
        ? await pool.query({ name: options.name, text: sql, values: params })
        : await pool.query(sql, params);
      return result.rows as T[];
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        try {
          const result = await fn(clientDb(client));
          await client.query("COMMIT");
          return result;
        } catch (error) {
          await client.query("ROLLBACK").catch((rollbackError: Error) => {
            broken = rollbackError;
          });
          throw error;
        }
      } finally {
        // A client whose ROLLBACK failed is in an unknown state: destroy it instead of reusing it.
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}

/** A {@link Db} bound to one client inside an open transaction; nested transactions are savepoints. */
function clientDb(client: pg.PoolClient, depth = 0): Db {
  return {
    kind: "postgres",
    async query<T>(sql: string, params?: unknown[], options?: QueryOptions) {
      const result = options?.name
        ? await client.query({ name: options.name, text: sql, values: params })
        : await client.query(sql, params);
      return result.rows as T[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      const name = `sp_${depth + 1}`;
      await client.query(`SAVEPOINT ${name}`);
      try {
        const result = await fn(clientDb(client, depth + 1));
        await client.query(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (error) {
        await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
        throw error;
      }
    },
    async close() {
      throw new Error("close() on a transaction: close the database instead.");
    },
  };
}
