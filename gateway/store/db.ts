/**
 * One Postgres SQL dialect over two drivers: embedded PGlite (the default, one machine) and a `pg` pool
 * (Postgres, several replicas). Every money read and write of the gateway goes through {@link Db}.
 *
 * Conventions both drivers share: NUMERIC and BIGINT columns come back as decimal strings (convert
 * money with `BigInt`, never `Number`); TIMESTAMPTZ as `Date`; JSONB as parsed JSON. Pass money
 * parameters as decimal strings with an explicit cast (`$1::numeric`).
 */
import { migrate } from "./migrate.js";
import { openPg } from "./pgDb.js";
import { openPglite } from "./pgliteDb.js";

/** Options of one {@link Db.query}. */
export type QueryOptions = {
  /** A prepared statement's name, unique per statement text (Postgres). */
  name?: string;
};

/** A connection to the gateway's database, or a transaction on it. */
export interface Db {
  /** Which driver answers: the embedded PGlite or a Postgres server. */
  readonly kind: "pglite" | "postgres";
  /**
   * Runs one statement with `$1…` parameters and returns its rows. With `options.name`, Postgres prepares the
   * statement once per connection under that name and then only binds and executes it (for the hot statements
   * of the request path; one name, one text). PGlite ignores the name.
   */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in a transaction: committed when `fn` resolves, rolled back when it throws (the error
   * is rethrown). Inside, `tx.transaction` opens a savepoint. Use only `tx` inside `fn`: on PGlite a
   * statement sent to the outer `Db` waits for the transaction to end, which waits for `fn`.
   */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** Closes the pool or the embedded database. */
  close(): Promise<void>;
}

/** Options of {@link openDb}. */
export type OpenDbParameters = {
  /** `postgres://…`: use a Postgres server through a `pg` pool. Without it: embedded PGlite. */
  databaseUrl?: string;
  /** PGlite's data directory; in memory when omitted. Ignored with `databaseUrl`. */
  dataDir?: string;
  /** A schema to keep every table in (created by the migrations when missing); `public` when omitted. */
  schema?: string;
  /** Most connections the Postgres pool opens (default 10). */
  poolSize?: number;
  /** Told when an idle pooled connection fails (the pool replaces it); for logging. */
  onError?: (error: Error) => void;
};

/**
 * Opens the gateway's database and brings its schema up to date (see `migrate.ts`).
 * @param p where the database is: a Postgres URL, a PGlite directory, or nothing (in-memory PGlite).
 * @returns a {@link Db} whose migrations have all been applied.
 * @example
 * const db = await openDb({ databaseUrl: process.env.DATABASE_URL });
 * const [row] = await db.query<{ n: string }>("SELECT count(*) AS n FROM accounts");
 */
export async function openDb(p: OpenDbParameters): Promise<Db> {
  if (p.schema !== undefined) assertSchemaName(p.schema);
  const db = p.databaseUrl
    ? openPg({ databaseUrl: p.databaseUrl, schema: p.schema, poolSize: p.poolSize ?? 10, onError: p.onError })
    : await openPglite({ dataDir: p.dataDir, schema: p.schema });
  try {
    await migrate(db, { schema: p.schema });
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/** Throws unless `schema` is a plain lower-case SQL identifier (it is interpolated into SQL). */
export function assertSchemaName(schema: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`Invalid schema name ${JSON.stringify(schema)}: expected [a-z_][a-z0-9_]*, at most 63 characters.`);
  }
}
