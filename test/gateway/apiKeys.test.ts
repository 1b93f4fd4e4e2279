import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, it } from "mocha";
import { API_KEY_PREFIX, type ApiKeys, createApiKeys } from "../../gateway/auth/apiKeys.js";
import type { Db } from "../../gateway/store/db.js";
import { randomAccount, testDbs } from "./dbs.js";

const PEPPER = "pepper-for-tests-only-0123456789abcdef";

describe("apiKeys", () => {
  for (const target of testDbs) {
    describe(`on ${target.name}`, () => {
      let db: Db;
      let keys: ApiKeys;
      before(async () => {
        db = await target.open();
        keys = createApiKeys(db, { pepper: PEPPER });
      });
      after(async () => {
        await db.close();
      });

      describe("#create", () => {
        it("returns a key `sk-basis-` + base64url of 32 random bytes, different each time", async () => {
          const account = randomAccount();
          const a = await keys.create({ account, name: "a" });
          const b = await keys.create({ account, name: "b" });
          assert.match(a.key, /^sk-basis-[A-Za-z0-9_-]{43}$/);
          assert.equal(Buffer.from(a.key.slice(API_KEY_PREFIX.length), "base64url").length, 32);
          assert.notEqual(a.key, b.key);
        });

        it("stores only the HMAC of the key: the plaintext and its random part appear nowhere in the table", async () => {
          const { key, record } = await keys.create({ account: randomAccount(), name: "secret" });
          const rows = await db.query("SELECT * FROM api_keys WHERE id = $1", [record.id]);
          const dump = JSON.stringify(rows);
          const secret = key.slice(API_KEY_PREFIX.length);
          assert.ok(!dump.includes(secret), "the random part is stored");
          assert.ok(!dump.includes(secret.slice(4, -4)), "the hidden middle is stored");
          assert.ok(!dump.includes(PEPPER), "the pepper is stored");
          assert.match(String(rows[0]?.key_hash), /^[0-9a-f]{64}$/);
        });

        it("refuses a pepper shorter than 32 bytes without echoing it", () => {
          assert.throws(
            () => createApiKeys(db, { pepper: "short-pepper" }),
            (e: Error) => !e.message.includes("short-pepper"),
          );
        });
      });

      describe("#list", () => {
        it("shows id, name, prefix (sk-basis- + first 4) and last four, never the key", async () => {
          const account = randomAccount();
          const { key, record } = await keys.create({ account, name: "ci" });
          const [listed] = await keys.list(account);
          assert.deepEqual(listed, record);
          assert.equal(listed?.prefix, key.slice(0, API_KEY_PREFIX.length + 4));
          assert.equal(listed?.lastFour, key.slice(-4));
          assert.equal(listed?.name, "ci");
          assert.equal(listed?.revokedAt, null);
          assert.ok(
            !JSON.stringify(listed, (_, v) => (typeof v === "bigint" ? `${v}` : v)).includes(key.slice(13, -4)),
          );
        });

        it("lists only the account's own keys", async () => {
          const [mine, theirs] = [randomAccount(), randomAccount()];
          await keys.create({ account: mine, name: "m" });
          await keys.create({ account: theirs, name: "t" });
          assert.deepEqual(
            (await keys.list(mine)).map((k) => k.name),
            ["m"],
          );
        });

        it("shows the budget with its limit, period and spend", async () => {
          const account = randomAccount();
          await keys.create({ account, name: "b", budget: { limit: 5n * 10n ** 18n, period: "month" } });
          assert.deepEqual((await keys.list(account))[0]?.budget, {
            limit: 5n * 10n ** 18n,
            period: "month",
            spent: 0n,
            held: 0n,
          });
        });
      });

      describe("#verify", () => {
        it("returns the key's record for the key", async () => {
          const account = randomAccount();
          const { key, record } = await keys.create({ account, name: "v" });
          assert.deepEqual(await keys.verify(key), record);
        });

        it("returns null for an unknown, a malformed, a truncated or a one-character-off key", async () => {
          const { key } = await keys.create({ account: randomAccount(), name: "v" });
          const flipped = `${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`;
          for (const candidate of [flipped, key.slice(0, -1), `${key}x`, "", "sk-basis-", key.toUpperCase()]) {
            assert.equal(await keys.verify(candidate), null, candidate.slice(0, 12));
          }
        });

        it("compares the stored and presented hashes with crypto.timingSafeEqual (constant time)", async () => {
          const { key } = await keys.create({ account: randomAccount(), name: "ct" });
          const original = crypto.timingSafeEqual;
          const compared: number[][] = [];
          crypto.timingSafeEqual = (a, b) => {
            compared.push([a.byteLength, b.byteLength]);
            return original(a, b);
          };
          try {
            assert.ok(await keys.verify(key));
          } finally {
            crypto.timingSafeEqual = original;
          }
          assert.deepEqual(compared, [[32, 32]]);
        });

        it("returns null for a key hashed with another pepper (the pepper is part of the hash)", async () => {
          const { key } = await keys.create({ account: randomAccount(), name: "v" });
          const other = createApiKeys(db, { pepper: `${PEPPER}-rotated` });
          assert.equal(await other.verify(key), null);
        });
      });

      describe("#revoke", () => {
        it("makes verify return null immediately, and keeps the key listed as revoked", async () => {
          const account = randomAccount();
          const { key, record } = await keys.create({ account, name: "r" });
          const revoked = await keys.revoke(account, record.id);
          assert.ok(revoked?.revokedAt instanceof Date);
          assert.equal(await keys.verify(key), null);
          assert.ok((await keys.list(account))[0]?.revokedAt instanceof Date);
        });

        it("returns null for another account's key and leaves it working", async () => {
          const { key, record } = await keys.create({ account: randomAccount(), name: "r" });
          assert.equal(await keys.revoke(randomAccount(), record.id), null);
          assert.ok(await keys.verify(key));
        });
      });

      describe("#setBudget", () => {
        it("sets and clears a key's budget", async () => {
          const account = randomAccount();
          const { record } = await keys.create({ account, name: "s" });
          const set = await keys.setBudget(account, record.id, { limit: 10n, period: "day" });
          assert.deepEqual(set?.budget, { limit: 10n, period: "day", spent: 0n, held: 0n });
          assert.equal((await keys.setBudget(account, record.id, null))?.budget, null);
          assert.equal(await keys.setBudget(randomAccount(), record.id, { limit: 1n, period: null }), null);
        });
      });
    });
  }
});
