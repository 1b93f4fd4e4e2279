/**
 * The databases the store tests run on: always an in-memory PGlite, plus Postgres when
 * `TEST_DATABASE_URL` is set (e.g. `postgres://postgres@127.0.0.1:5432/test`). Each Postgres database
 * is a fresh schema of its own, dropped when it is closed, so test files and CI jobs sharing the
 * server never see one another's rows.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Address } from "viem";
import { type Db, openDb } from "../../gateway/store/db.js";

/** A database to run a suite on. */
export type TestDb = { name: "pglite" | "postgres"; open: () => Promise<Db> };

const url = process.env.TEST_DATABASE_URL;

/** In-memory PGlite, and Postgres when `TEST_DATABASE_URL` is set. */
export const testDbs: TestDb[] = [
  { name: "pglite", open: () => openDb({}) },
  ...(url ? [{ name: "postgres" as const, open: () => openPostgres(url) }] : []),
];

/** Opens a fresh schema on the test server; `close()` drops it. */
async function openPostgres(databaseUrl: string, options: { poolSize?: number } = {}): Promise<Db> {
  const schema = `test_${process.pid}_${randomBytes(6).toString("hex")}`;
  const db = await openDb({ databaseUrl, schema, poolSize: options.poolSize ?? 10 });
  return {
    ...db,
    kind: db.kind,
    async close() {
      await db.close();
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      try {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** A fresh random account address (lower case), so tests sharing a database never collide. */
export function randomAccount(): Address {
  return `0x${randomBytes(20).toString("hex")}`;
}

/** A fresh id with a readable prefix. */
export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString("hex")}`;
}
