/**
 * The migration runner. Migrations are the files `migrations/NNN_name.sql`, applied in order of their
 * number, all pending ones in one transaction, each recorded in `schema_migrations` with the SHA-256
 * of its text. A Postgres advisory lock held for that transaction makes replicas that start together
 * take turns: the first applies, the others find nothing left to do.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import type { Db } from "./db.js";

/** `pg_advisory_xact_lock` key of the migration runner (any constant the gateway uses for nothing else). */
export const MIGRATION_LOCK_KEY = 0x6261_7369_735f_6d67n; // "basis_mg"

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);
const FILE_NAME = /^(\d{3})_[a-z0-9_]+\.sql$/;

/** One migration file. */
export type Migration = { version: string; name: string; sql: string; checksum: string };

/** Reads the migration files of `dir`, sorted by version. */
export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((name) => FILE_NAME.test(name)).sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    const sql = await readFile(new URL(name, dir), "utf8");
    const version = name.slice(0, 3);
    if (migrations.some((m) => m.version === version)) throw new Error(`Two migrations share version ${version}.`);
    migrations.push({ version, name, sql, checksum: createHash("sha256").update(sql).digest("hex") });
  }
  return migrations;
}

/**
 * Applies every pending migration. Throws, naming the file, when an applied migration's text changed.
 * @param db the database.
 * @param p `schema`: create it first when missing (the connection's `search_path` must name it);
 *   `dir`: where the files are (tests).
 * @returns the names of the migrations applied now.
 * @example
 * const { applied } = await migrate(db); // ["001_ledger.sql", …] on a new database, [] after
 */
export async function migrate(db: Db, p: { schema?: string; dir?: URL } = {}): Promise<{ applied: string[] }> {
  const migrations = await loadMigrations(p.dir);
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [MIGRATION_LOCK_KEY.toString()]);
    if (p.schema) await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${p.schema}`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      checksum TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<{ version: string; name: string; checksum: string }>(
      "SELECT version, name, checksum FROM schema_migrations",
    );
    const done = new Map(rows.map((row) => [row.version, row]));
    const applied: string[] = [];
    for (const migration of migrations) {
      const previous = done.get(migration.version);
      if (previous) {
        if (previous.checksum !== migration.checksum) {
          throw new Error(
            `Migration ${migration.name} was changed after it was applied (as ${previous.name}): add a new migration instead.`,
          );
        }
        continue;
      }
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      applied.push(migration.name);
    }
    return { applied };
  });
}
