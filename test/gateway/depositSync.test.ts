import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "mocha";
import type { Address } from "viem";
import { type ChainDeposit, createDepositSync, type DepositSource, depositRef } from "../../gateway/deposits/sync.js";
import { createLedger } from "../../gateway/ledger/ledger.js";
import type { Db } from "../../gateway/store/db.js";
import { testDbs } from "./dbs.js";

/** A chain as the indexer sees it: blocks of deposits that a reorg can rewrite. Injected on purpose. */
function chain() {
  const blocks = new Map<bigint, ChainDeposit[]>();
  let head = 0n;
  let failing = false;
  const source: DepositSource = {
    async head() {
      if (failing) throw new Error("indexer unreachable");
      return head;
    },
    async deposits({ fromBlock, toBlock }) {
      if (failing) throw new Error("indexer unreachable");
      const out: ChainDeposit[] = [];
      for (let b = fromBlock + 1n; b <= toBlock; b++) out.push(...(blocks.get(b) ?? []));
      return out;
    },
  };
  return {
    source,
    mine(deposits: { account: Address; amount: bigint }[] = []) {
      head += 1n;
      blocks.set(
        head,
        deposits.map((d, logIndex) => ({
          chainId: 31337,
          txHash: `0x${randomBytes(32).toString("hex")}`,
          logIndex,
          blockNumber: head,
          ...d,
        })),
      );
      return blocks.get(head) as ChainDeposit[];
    },
    /** Drops the last `depth` blocks (their deposits vanish), as a reorg onto an empty fork would. */
    reorg(depth: number) {
      for (let i = 0; i < depth; i++) blocks.delete(head - BigInt(i));
      head -= BigInt(depth);
    },
    setFailing(value: boolean) {
      failing = value;
    },
  };
}

const account = () => `0x${randomBytes(20).toString("hex")}` as Address;

for (const testDb of testDbs) {
  describe(`deposits › chain → ledger sync on ${testDb.name}`, () => {
    let db: Db;
    before(async () => {
      db = await testDb.open();
    });
    after(() => db.close());

    it("credits a deposit once it has the configured confirmations, exactly once across passes and restarts", async () => {
      const c = chain();
      const ledger = createLedger(db);
      const alice = account();
      const sync = () =>
        createDepositSync({ db, ledger, source: c.source, chainId: 31337 + 1, confirmations: 3, startBlock: 1n });
      const first = sync();
      c.mine([{ account: alice, amount: 5n }]);
      c.mine();
      assert.equal(await first.tick(), 0, "2 of 3 confirmations: not yet");
      assert.equal((await ledger.balance(alice)).available, 0n);
      c.mine();
      assert.equal(await first.tick(), 1);
      assert.equal((await ledger.balance(alice)).deposited, 5n);
      assert.equal(await first.tick(), 0);
      // A restarted gateway (a new sync on the same database) credits nothing twice.
      assert.equal(await sync().tick(), 0);
      assert.equal((await ledger.balance(alice)).available, 5n);
      const status = await first.status();
      assert.equal(status.syncedBlock, 1n);
      assert.equal(status.lagBlocks, 2n);
    });

    it("never credits a deposit that a reorg removed before it was confirmed", async () => {
      const c = chain();
      const ledger = createLedger(db);
      const bob = account();
      const s = createDepositSync({ db, ledger, source: c.source, chainId: 40_000, confirmations: 2, startBlock: 1n });
      c.mine([{ account: bob, amount: 7n }]);
      assert.equal(await s.tick(), 0);
      c.reorg(1);
      c.mine();
      c.mine();
      c.mine();
      assert.equal(await s.tick(), 0);
      assert.equal((await ledger.balance(bob)).deposited, 0n);
    });

    it("never moves its cursor past the source's finalized block, so rows re-indexed after a restart are read again, credited once", async () => {
      const c = chain();
      const ledger = createLedger(db);
      const dave = account();
      let finalized = 0n;
      const source = { ...c.source, finalized: async () => finalized };
      const s = createDepositSync({ db, ledger, source, chainId: 60_000, confirmations: 1, startBlock: 1n });
      c.mine([{ account: dave, amount: 3n }]);
      c.mine([{ account: dave, amount: 4n }]);
      assert.equal(await s.tick(), 2);
      // The stored cursor stays at the finalized block (0); the status still says block 2 is credited.
      assert.equal((await s.status()).syncedBlock, 2n);
      const restarted = createDepositSync({ db, ledger, source, chainId: 60_000, confirmations: 1, startBlock: 1n });
      assert.equal((await restarted.status()).syncedBlock, 0n);
      assert.equal(await restarted.tick(), 0, "re-read, not re-credited");
      assert.equal((await ledger.balance(dave)).deposited, 7n);
      finalized = 2n;
      await restarted.tick();
      assert.equal((await restarted.status()).syncedBlock, 2n);
    });

    it("a crash between crediting and moving the cursor duplicates nothing; an unreachable indexer stops nothing", async () => {
      const c = chain();
      const ledger = createLedger(db);
      const carol = account();
      const [deposit] = c.mine([{ account: carol, amount: 11n }]);
      // The first process credited it, then died before it moved the cursor.
      await ledger.credit({ account: carol, amount: 11n, kind: "deposit", ref: depositRef(deposit as ChainDeposit) });
      const s = createDepositSync({ db, ledger, source: c.source, chainId: 50_000, confirmations: 1, startBlock: 1n });
      assert.equal(await s.tick(), 0);
      assert.equal((await ledger.balance(carol)).deposited, 11n);
      c.setFailing(true);
      await assert.rejects(s.tick(), /indexer unreachable/);
      c.setFailing(false);
      c.mine([{ account: carol, amount: 1n }]);
      assert.equal(await s.tick(), 1);
      assert.equal((await ledger.balance(carol)).deposited, 12n);
    });
  });
}
