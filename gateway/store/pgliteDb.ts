/**
 * The embedded side of {@link Db}: PGlite, one connection. PGlite runs every top-level `query` and
 * `transaction` under one mutex, so a transaction sees no statement of anyone else until it ends:
 * concurrent callers are serialized, never interleaved inside one another's transaction.
 */
import { PGlite, type Transaction } from "@electric-sql/pglite";
import type { Db } from "./db.js";

const NUMERIC_OID = 1700;
const INT8_OID = 20;

/**
 * Opens PGlite at `dataDir` (in memory when omitted); with `schema`, sets the session's `search_path`.
 * @param p the data directory and the schema.
 * @returns a {@link Db} of kind `"pglite"` (no migrations run: see `openDb`).
 */
export async function openPglite(p: { dataDir?: string; schema?: string }): Promise<Db> {
  const pglite = await PGlite.create({
    ...(p.dataDir ? { dataDir: p.dataDir } : {}),
    parsers: { [NUMERIC_OID]: (value: string) => value, [INT8_OID]: (value: string) => value },
  });
  // One session for the life of the database, so a session-level SET holds for every statement.
  if (p.schema) await pglite.exec(`SET search_path TO ${p.schema}`);
  return {
    kind: "pglite",
    async query<T>(sql: string, params?: unknown[]) {
      return (await pglite.query<T>(sql, params)).rows;
    },
    async exec(sql: string) {
      await pglite.exec(sql);
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      return pglite.transaction((tx) => fn(transactionDb(tx)));
    },
    async close() {
      await pglite.close();
    },
  };
}

/** A {@link Db} on PGlite's transaction handle; nested transactions are savepoints. */
function transactionDb(tx: Transaction, depth = 0): Db {
  return {
    kind: "pglite",
    async query<T>(sql: string, params?: unknown[]) {
      return (await tx.query<T>(sql, params)).rows;
    },
    async exec(sql: string) {
      await tx.exec(sql);
    },
    async transaction<T>(fn: (inner: Db) => Promise<T>) {
      const name = `sp_${depth + 1}`;
      await tx.exec(`SAVEPOINT ${name}`);
      try {
        const result = await fn(transactionDb(tx, depth + 1));
        await tx.exec(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (error) {
        await tx.exec(`ROLLBACK TO SAVEPOINT ${name}`);
        throw error;
      }
    },
    async close() {
      throw new Error("close() on a transaction: close the database instead.");
    },
  };
}
