import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "mocha";
import pg from "pg";
import { type Db, openDb } from "../../gateway/store/db.js";
import { loadMigrations, migrate } from "../../gateway/store/migrate.js";
import { openPg } from "../../gateway/store/pgDb.js";
import { openPglite } from "../../gateway/store/pgliteDb.js";
import { randomId, testDbs } from "./dbs.js";

describe("store", () => {
  for (const target of testDbs) {
    describe(`on ${target.name}`, () => {
      let db: Db;
      before(async () => {
        db = await target.open();
      });
      after(async () => {
        await db.close();
      });

      describe("#openDb", () => {
        it("applies every migration once and records it in schema_migrations", async () => {
          const files = await loadMigrations();
          const rows = await db.query<{ version: string; name: string }>(
            "SELECT version, name FROM schema_migrations ORDER BY version",
          );
          assert.deepEqual(
            rows.map((r) => r.name),
            files.map((f) => f.name),
          );
          assert.deepEqual((await migrate(db)).applied, []);
        });
      });

      describe("#query", () => {
        it("reads NUMERIC(78,0) and BIGINT back as exact decimal strings", async () => {
          const huge = (2n ** 256n - 1n).toString();
          const [row] = await db.query<{ n: unknown; b: unknown }>(
            "SELECT $1::numeric(78,0) AS n, 9007199254740993::bigint AS b",
            [huge],
          );
          assert.equal(row?.n, huge);
          assert.equal(row?.b, "9007199254740993");
        });
      });

      describe("#transaction", () => {
        it("commits when the function resolves", async () => {
          const table = randomId("t");
          await db.exec(`CREATE TABLE ${table} (v INT)`);
          await db.transaction(async (tx) => {
            await tx.query(`INSERT INTO ${table} VALUES (1)`);
          });
          assert.equal((await db.query(`SELECT v FROM ${table}`)).length, 1);
        });

        it("rolls everything back and rethrows when the function throws", async () => {
          const table = randomId("t");
          await db.exec(`CREATE TABLE ${table} (v INT)`);
          await assert.rejects(
            db.transaction(async (tx) => {
              await tx.query(`INSERT INTO ${table} VALUES (1)`);
              throw new Error("boom");
            }),
            /boom/,
          );
          assert.equal((await db.query(`SELECT v FROM ${table}`)).length, 0);
        });

        it("rolls back only the inner part of a nested transaction that throws (savepoint)", async () => {
          const table = randomId("t");
          await db.exec(`CREATE TABLE ${table} (v INT)`);
          await db.transaction(async (tx) => {
            await tx.query(`INSERT INTO ${table} VALUES (1)`);
            await assert.rejects(
              tx.transaction(async (inner) => {
                await inner.query(`INSERT INTO ${table} VALUES (2)`);
                throw new Error("inner");
              }),
            );
          });
          assert.deepEqual(await db.query(`SELECT v FROM ${table}`), [{ v: 1 }]);
        });

        it("keeps concurrent transactions from seeing one another's uncommitted writes", async () => {
          const table = randomId("t");
          await db.exec(`CREATE TABLE ${table} (v INT)`);
          // 20 read-modify-write transactions on one row: each locks it (FOR UPDATE) before writing.
          await db.query(`INSERT INTO ${table} VALUES (0)`);
          await Promise.all(
            Array.from({ length: 20 }, () =>
              db.transaction(async (tx) => {
                const [row] = await tx.query<{ v: number }>(`SELECT v FROM ${table} FOR UPDATE`);
                await tx.query(`UPDATE ${table} SET v = $1`, [(row?.v ?? 0) + 1]);
              }),
            ),
          );
          assert.deepEqual(await db.query(`SELECT v FROM ${table}`), [{ v: 20 }]);
        });
      });
    });
  }

  describe("#migrate", () => {
    it("refuses a migration whose text changed after it was applied, naming it", async () => {
      const dir = await mkdtemp(join(tmpdir(), "basis-migrations-"));
      const dirUrl = pathToFileURL(`${dir}/`);
      const db = await openPglite({});
      try {
        await writeFile(join(dir, "001_a.sql"), "CREATE TABLE a (v INT);");
        assert.deepEqual((await migrate(db, { dir: dirUrl })).applied, ["001_a.sql"]);
        await writeFile(join(dir, "002_b.sql"), "CREATE TABLE b (v INT);");
        assert.deepEqual((await migrate(db, { dir: dirUrl })).applied, ["002_b.sql"]);
        await writeFile(join(dir, "001_a.sql"), "CREATE TABLE a (v BIGINT);");
        await assert.rejects(migrate(db, { dir: dirUrl }), /001_a\.sql was changed/);
      } finally {
        await db.close();
        await rm(dir, { recursive: true });
      }
    });

    it("applies nothing of a failing migration (one transaction)", async () => {
      const dir = await mkdtemp(join(tmpdir(), "basis-migrations-"));
      const db = await openPglite({});
      try {
        await writeFile(join(dir, "001_a.sql"), "CREATE TABLE a (v INT);");
        await writeFile(join(dir, "002_b.sql"), "CREATE TABLE b (v INT); SELECT no_such_function();");
        await assert.rejects(migrate(db, { dir: pathToFileURL(`${dir}/`) }), /no_such_function/);
        const [row] = await db.query<{ t: string | null }>("SELECT to_regclass('a')::text AS t");
        assert.equal(row?.t, null);
      } finally {
        await db.close();
        await rm(dir, { recursive: true });
      }
    });

    it("keeps a PGlite data directory across restarts", async () => {
      const dir = await mkdtemp(join(tmpdir(), "basis-pglite-"));
      try {
        const first = await openDb({ dataDir: dir });
        await first.query("INSERT INTO instances (id) VALUES ('persisted')");
        await first.close();
        const second = await openDb({ dataDir: dir });
        assert.equal((await second.query("SELECT id FROM instances WHERE id = 'persisted'")).length, 1);
        await second.close();
      } finally {
        await rm(dir, { recursive: true });
      }
    });

    const url = process.env.TEST_DATABASE_URL;
    (url ? it : it.skip)(
      "lets two replicas starting at once apply the migrations exactly once (Postgres)",
      async () => {
        if (!url) return;
        const schema = `test_${process.pid}_race_${Date.now()}`;
        const replicas = [
          openPg({ databaseUrl: url, schema, poolSize: 2 }),
          openPg({ databaseUrl: url, schema, poolSize: 2 }),
        ];
        try {
          const results = await Promise.all(replicas.map((db) => migrate(db, { schema })));
          const counts = results.map((r) => r.applied.length).sort();
          assert.deepEqual(counts, [0, (await loadMigrations()).length]);
        } finally {
          await Promise.all(replicas.map((db) => db.close()));
          const admin = new pg.Client({ connectionString: url });
          await admin.connect();
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await admin.end();
        }
      },
    );
  });
});
