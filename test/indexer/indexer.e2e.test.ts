/**
 * The indexer end to end, nothing mocked: a real `hardhat node` on a free port, the Basis contracts
 * deployed to it through Ignition (module BasisLocal), the real indexer (`ponder start` in indexer/, as
 * `npm run indexer` runs it) on embedded PGlite in a temporary directory, read over GraphQL and SQL
 * over HTTP (indexer/client.ts). With TEST_DATABASE_URL set (e.g. postgres://postgres@127.0.0.1:5432/test)
 * the deposit check runs once more against Postgres, in a database created for the run and dropped
 * after. BASIS_TEST_VERBOSE=1 prints the indexer's log.
 *
 * The cases run in order on one chain: each builds on the state the previous ones left.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { after, before, describe, it } from "mocha";
import pg from "pg";
import { type Address, getAddress, type Hash, type Hex, isAddressEqual, keccak256, toHex, zeroAddress } from "viem";
import { createWithdrawals } from "../../gateway/account/withdrawals.js";
import { indexerDepositSource } from "../../gateway/deposits/indexerSource.js";
import { createDepositSync } from "../../gateway/deposits/sync.js";
import { createLedger } from "../../gateway/ledger/ledger.js";
import type { Balance } from "../../gateway/ledger/types.js";
import { openDb } from "../../gateway/store/db.js";
import { createIndexerClient, type IndexerClient } from "../../indexer/client.js";
import { buildReceiptTree, buildRewardTree } from "../../protocol/merkle.js";
import { VOUCHER_TYPES, voucherDomain } from "../../protocol/voucher.js";
import { signIn } from "../../scripts/wallet/signIn.js";
import { exited, freePort, spawnGateway } from "../gateway/support/gatewayProcess.js";
import { graphql } from "./graphql.js";
import { type IndexerProcess, startIndexer } from "./indexerProcess.js";
import { deployBasisLocal, type LocalBasis, type LocalNode, startHardhatNode } from "./localChain.js";
import { waitFor } from "./processes.js";

const CREDIT = 10n ** 18n;
const REWARD_TIMELOCK = 60n;
const CHAIN_ID = 31337;
const SCHEMA = "basis";
/** Hardhat's account #0: every role of the local deployment, the attester included. */
const HARDHAT_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/** Ponder's hex columns store lowercase hex, so GraphQL returns addresses lowercase. */
const lower = (address: Address) => address.toLowerCase();

describe("indexer (hardhat node + Ignition + ponder start)", () => {
  let tmp: string;
  let node: LocalNode;
  let basis: LocalBasis;
  let indexer: IndexerProcess;
  let client: IndexerClient;
  let roles: Address;
  let alice: Address;
  let bob: Address;
  let carol: Address;
  const latencies: number[] = [];

  /** Indexer settings for this chain; `extra` adds or overrides. */
  const indexerEnv = (extra: Record<string, string> = {}) => ({
    BASIS_CHAIN_ID: String(CHAIN_ID),
    [`PONDER_RPC_URL_${CHAIN_ID}`]: node.url,
    BASIS_DEPLOYMENT_FILE: join(tmp, "deployment.json"),
    BASIS_INDEXER_DATA_DIR: join(tmp, "pglite"),
    ...extra,
  });

  /** Waits for a transaction sent by a write (the node automines) and asserts it succeeded. */
  async function mined(tx: Promise<Hash>) {
    const receipt = await basis.publicClient.waitForTransactionReceipt({ hash: await tx, pollingInterval: 10 });
    assert.equal(receipt.status, "success");
    return receipt;
  }

  /** `from` deposits `amount` for `account`; resolves once the client sees it, recording the latency. */
  async function depositAndWait(from: Address, account: Address, amount: bigint) {
    const receipt = await mined(basis.creditVault.write.deposit([account, amount], { account: from }));
    const minedAt = performance.now();
    const log = receipt.logs.find((l) => isAddressEqual(l.address, basis.creditVault.address));
    const id = `${CHAIN_ID}:${receipt.transactionHash}:${log?.logIndex}`;
    const found = await waitFor(
      async () => (await client.deposits({ afterBlock: receipt.blockNumber - 1n })).deposits.find((d) => d.id === id),
      { timeoutMs: 10_000, intervalMs: 10, describe: () => indexer.child.output() },
    );
    latencies.push(performance.now() - minedAt);
    return { receipt, deposit: found };
  }

  /**
   * Waits until the indexer's checkpoint covers `block`, then runs a GraphQL query. (The checkpoint
   * moves in the transaction that writes the block's rows; on PGlite a read can see a block's rows
   * half written before that, so tests wait for the checkpoint rather than for a row.)
   */
  async function queryAfter<T>(block: bigint, query: string, variables: Record<string, unknown> = {}) {
    await waitFor(
      async () => {
        const { chains } = await client.status();
        return chains.some((c) => c.indexedBlock.number >= block) ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 10, describe: () => indexer.child.output().slice(-3_000) },
    );
    return graphql<T>(indexer.url, query, variables);
  }

  before(async function () {
    this.timeout(120_000);
    tmp = mkdtempSync(join(tmpdir(), "basis-indexer-"));
    node = await startHardhatNode();
    basis = await deployBasisLocal(node.url, REWARD_TIMELOCK, join(tmp, "deployment.json"));
    [roles, alice, bob, carol] = basis.wallets.map((w) => getAddress(w.account.address)) as [
      Address,
      Address,
      Address,
      Address,
    ];
    await mined(basis.creditToken.write.mint([alice, 1_000_000n * CREDIT], { account: alice }));
    await mined(basis.creditToken.write.approve([basis.creditVault.address, 2n ** 255n], { account: alice }));
    indexer = await startIndexer(indexerEnv(), SCHEMA, await basis.publicClient.getBlockNumber());
    if (process.env.BASIS_TEST_VERBOSE) console.log(indexer.child.output());
    client = createIndexerClient(indexer.url);
    console.log(`      indexer startup (spawn → ready, chain head indexed): ${indexer.startupMs.toFixed(0)} ms`);
  });

  after(async function () {
    this.timeout(30_000);
    await indexer?.child.stop("SIGINT");
    await node?.child.stop();
    if (latencies.length > 0) {
      const sorted = [...latencies].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.toFixed(0);
      console.log(
        `      deposit mined → row via SQL over HTTP: median ${at(0.5)} ms, max ${at(1)} ms (n=${sorted.length})`,
      );
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("indexes the deployment itself: attester, vault wiring, reward timelock", async () => {
    const status = await client.status();
    assert.equal(status.ready, true);
    assert.deepEqual(
      status.chains.map((c) => [c.name, c.chainId]),
      [["localhost", CHAIN_ID]],
    );
    const data = await queryAfter<{
      protocol: { attester: string; settlementRegistry: string; rewardTimelock: string } | null;
      attesterChanges: { items: { previous: string; current: string }[] };
    }>(
      BigInt(basis.deployment.contracts.creditVault.startBlock),
      `query ($chainId: Int!) {
        protocol(chainId: $chainId) { attester settlementRegistry rewardTimelock }
        attesterChanges { items { previous current } }
      }`,
      { chainId: CHAIN_ID },
    );
    assert.deepEqual(data.attesterChanges.items, [{ previous: zeroAddress, current: lower(roles) }]);
    assert.equal(data.protocol?.attester, lower(roles));
    assert.equal(data.protocol?.settlementRegistry, lower(basis.settlementRegistry.address));
    assert.equal(data.protocol?.rewardTimelock, REWARD_TIMELOCK.toString());
  });

  it("records a deposit (payer, account, amount, block) and the per-account totals", async () => {
    const { receipt, deposit } = await depositAndWait(alice, bob, 100n * CREDIT);
    assert.equal(deposit.payer, alice);
    assert.equal(deposit.account, bob);
    assert.equal(deposit.amount, 100n * CREDIT);
    assert.equal(deposit.blockNumber, receipt.blockNumber);
    assert.equal(deposit.blockHash, receipt.blockHash);
    assert.equal(deposit.transactionHash, receipt.transactionHash);

    const data = await graphql<{
      deposit: { payer: string; account: string; amount: string } | null;
      bob: { deposited: string; paid: string; depositCount: number } | null;
      alice: { deposited: string; paid: string; depositCount: number } | null;
    }>(
      indexer.url,
      `query ($id: String!, $alice: String!, $bob: String!) {
        deposit(id: $id) { payer account amount }
        bob: account(address: $bob) { deposited paid depositCount }
        alice: account(address: $alice) { deposited paid depositCount }
      }`,
      { id: deposit.id, alice, bob },
    );
    assert.deepEqual(data.deposit, { payer: lower(alice), account: lower(bob), amount: (100n * CREDIT).toString() });
    assert.deepEqual(data.bob, { deposited: (100n * CREDIT).toString(), paid: "0", depositCount: 1 });
    assert.deepEqual(data.alice, { deposited: "0", paid: (100n * CREDIT).toString(), depositCount: 0 });
  });

  it("keeps the deposit row latency low across several deposits and sums them", async () => {
    for (let i = 1; i <= 5; i++) await depositAndWait(alice, alice, BigInt(i) * CREDIT);
    const { deposits } = await client.deposits();
    assert.equal(deposits.length, 6);
    assert.equal(new Set(deposits.map((d) => d.id)).size, 6);
    const data = await graphql<{ account: { deposited: string; paid: string; depositCount: number } }>(
      indexer.url,
      `query ($alice: String!) { account(address: $alice) { deposited paid depositCount } }`,
      { alice },
    );
    assert.deepEqual(data.account, {
      deposited: (15n * CREDIT).toString(),
      paid: (115n * CREDIT).toString(),
      depositCount: 5,
    });
  });

  it("returns a deposit only once it has minConfirmations, and pages by throughBlock", async () => {
    const { receipt } = await depositAndWait(alice, carol, 7n * CREDIT);
    const shallow = await client.deposits({ afterBlock: receipt.blockNumber - 1n, minConfirmations: 3 });
    assert.equal(shallow.deposits.length, 0);
    assert.equal(shallow.throughBlock, receipt.blockNumber - 1n);

    await basis.connection.networkHelpers.mine(2);
    const deep = await waitFor(async () => {
      const page = await client.deposits({ afterBlock: shallow.throughBlock, minConfirmations: 3 });
      return page.deposits.length > 0 ? page : undefined;
    });
    assert.deepEqual(
      deep.deposits.map((d) => [d.account, d.amount]),
      [[carol, 7n * CREDIT]],
    );
    assert.equal(deep.throughBlock, receipt.blockNumber);
    // Nothing is final on a chain shorter than Ponder's 30-block finality depth: the cursor stays put
    // and the next call reads the same blocks again (the gateway credits by id).
    assert.equal(deep.finalizedBlock, 0n);
    assert.equal(deep.nextAfterBlock, shallow.throughBlock);
    const next = await client.deposits({ afterBlock: deep.throughBlock, minConfirmations: 3 });
    assert.equal(next.deposits.length, 0);
  });

  it("records a withdrawal with an attester voucher", async () => {
    const voucher = { account: bob, amount: 10n * CREDIT, nonce: 1n, deadline: 2n ** 40n };
    const attester = basis.wallets[0];
    assert.ok(attester);
    const signature = await attester.signTypedData({
      account: attester.account,
      domain: voucherDomain(CHAIN_ID, basis.creditVault.address),
      types: VOUCHER_TYPES,
      primaryType: "Voucher",
      message: voucher,
    });
    const receipt = await mined(basis.creditVault.write.withdraw([voucher, signature], { account: carol }));
    const data = await queryAfter<{
      withdrawals: { items: { account: string; nonce: string; amount: string; caller: string; blockNumber: string }[] };
      account: { withdrawn: string; withdrawalCount: number } | null;
    }>(
      receipt.blockNumber,
      `query ($bob: String!) {
        withdrawals { items { account nonce amount caller blockNumber } }
        account(address: $bob) { withdrawn withdrawalCount }
      }`,
      { bob },
    );
    assert.deepEqual(data.withdrawals.items, [
      {
        account: lower(bob),
        nonce: "1",
        amount: (10n * CREDIT).toString(),
        caller: lower(carol),
        blockNumber: receipt.blockNumber.toString(),
      },
    ]);
    assert.deepEqual(data.account, { withdrawn: (10n * CREDIT).toString(), withdrawalCount: 1 });
  });

  it("records a posted batch and its payout", async () => {
    const tree = buildReceiptTree([1, 2, 3].map((i) => keccak256(toHex(`receipt ${i}`))));
    const fileHash = keccak256(toHex("batch 1 file"));
    const [charged, reward] = [40n * CREDIT, 30n * CREDIT];
    const receipt = await mined(
      basis.settlementRegistry.write.postBatch(
        [1n, tree.root as Hex, 3n, charged, reward, fileHash, "ipfs://batch-1"],
        {
          account: roles,
        },
      ),
    );
    const chainHead = await basis.settlementRegistry.read.chainHead();
    const data = await queryAfter<{
      batch: Record<string, string> | null;
      batchPayment: Record<string, string> | null;
      protocol: Record<string, string | number>;
    }>(
      receipt.blockNumber,
      `query ($chainId: Int!) {
        batch(batchId: "1") {
          root previousRoot chainHead receiptCount totalCharged totalReward fileHash uri transactionHash blockNumber
        }
        batchPayment(batchId: "1") { charged reward treasuryShare }
        protocol(chainId: $chainId) { latestBatchId batchCount totalCharged totalReward totalTreasury chainHead }
      }`,
      { chainId: CHAIN_ID },
    );
    assert.deepEqual(data.batch, {
      root: tree.root,
      previousRoot: `0x${"0".repeat(64)}`,
      chainHead,
      receiptCount: "3",
      totalCharged: charged.toString(),
      totalReward: reward.toString(),
      fileHash,
      uri: "ipfs://batch-1",
      transactionHash: receipt.transactionHash,
      blockNumber: receipt.blockNumber.toString(),
    });
    assert.deepEqual(data.batchPayment, {
      charged: charged.toString(),
      reward: reward.toString(),
      treasuryShare: (10n * CREDIT).toString(),
    });
    assert.deepEqual(data.protocol, {
      latestBatchId: "1",
      batchCount: 1,
      totalCharged: charged.toString(),
      totalReward: reward.toString(),
      totalTreasury: (10n * CREDIT).toString(),
      chainHead,
    });
  });

  /** The reward tree accepted below, and claimed from after. */
  let rewards: ReturnType<typeof buildRewardTree>;

  it("follows reward roots: pending → superseded / revoked / accepted after the timelock", async () => {
    rewards = buildRewardTree([
      { account: carol, cumulativeAmount: 20n * CREDIT },
      { account: bob, cumulativeAmount: 5n * CREDIT },
    ]);
    const proposer = { account: roles };
    const [rootA, rootB] = [keccak256(toHex("root A")), keccak256(toHex("root B"))];
    const rootC = rewards.root as Hex;
    const file = (root: Hex) => keccak256(root);
    type Roots = {
      rewardRoots: { items: { root: string; status: string; validAt: string; acceptedTx: string | null }[] };
      protocol: { currentRoot: string | null; pendingRootId: string | null };
    };
    const query = `query ($chainId: Int!) {
      rewardRoots(orderBy: "proposedBlock", orderDirection: "asc") { items { root status validAt acceptedTx } }
      protocol(chainId: $chainId) { currentRoot pendingRootId }
    }`;
    const statuses = (d: Roots) => d.rewardRoots.items.map((r) => `${r.root.slice(0, 6)}:${r.status}`);

    const first = await mined(basis.rewardDistributor.write.proposeRoot([rootA, file(rootA)], proposer));
    const proposed = await queryAfter<Roots>(first.blockNumber, query, { chainId: CHAIN_ID });
    assert.deepEqual(statuses(proposed), [`${rootA.slice(0, 6)}:pending`]);
    const block = await basis.publicClient.getBlock();
    assert.equal(proposed.rewardRoots.items[0]?.validAt, (block.timestamp + REWARD_TIMELOCK).toString());

    await mined(basis.rewardDistributor.write.proposeRoot([rootB, file(rootB)], proposer));
    await mined(basis.rewardDistributor.write.revokePendingRoot(proposer));
    const third = await mined(basis.rewardDistributor.write.proposeRoot([rootC, file(rootC)], proposer));
    const pending = await queryAfter<Roots>(third.blockNumber, query, { chainId: CHAIN_ID });
    assert.deepEqual(statuses(pending), [
      `${rootA.slice(0, 6)}:superseded`,
      `${rootB.slice(0, 6)}:revoked`,
      `${rootC.slice(0, 6)}:pending`,
    ]);
    assert.equal(pending.protocol.currentRoot, null);
    assert.ok(pending.protocol.pendingRootId);

    await basis.connection.networkHelpers.time.increase(REWARD_TIMELOCK + 1n);
    const accept = await mined(basis.rewardDistributor.write.acceptRoot({ account: carol }));
    const accepted = await queryAfter<Roots>(accept.blockNumber, query, { chainId: CHAIN_ID });
    assert.deepEqual(statuses(accepted).at(-1), `${rootC.slice(0, 6)}:accepted`);
    assert.equal(accepted.rewardRoots.items.at(-1)?.acceptedTx, accept.transactionHash);
    assert.deepEqual(accepted.protocol, { currentRoot: rootC, pendingRootId: null });
  });

  it("records a claim and the contributor's and account's claimed totals", async () => {
    const index = [...rewards.entries()].find(([, [account]]) => account === carol)?.[0];
    assert.notEqual(index, undefined);
    const proof = rewards.getProof(index as number) as Hex[];
    const receipt = await mined(basis.rewardDistributor.write.claim([carol, 20n * CREDIT, proof], { account: bob }));
    const data = await queryAfter<{
      claims: { items: { account: string; amount: string; transactionHash: string }[] };
      contributor: { claimed: string; claimCount: number } | null;
      account: { claimed: string; claimCount: number; deposited: string } | null;
      protocol: { totalClaimed: string; claimCount: number };
    }>(
      receipt.blockNumber,
      `query ($chainId: Int!, $carol: String!) {
        claims { items { account amount transactionHash } }
        contributor(address: $carol) { claimed claimCount }
        account(address: $carol) { claimed claimCount deposited }
        protocol(chainId: $chainId) { totalClaimed claimCount }
      }`,
      { chainId: CHAIN_ID, carol },
    );
    assert.deepEqual(data.claims.items, [
      { account: lower(carol), amount: (20n * CREDIT).toString(), transactionHash: receipt.transactionHash },
    ]);
    assert.deepEqual(data.contributor, { claimed: (20n * CREDIT).toString(), claimCount: 1 });
    assert.deepEqual(data.account, {
      claimed: (20n * CREDIT).toString(),
      claimCount: 1,
      deposited: (7n * CREDIT).toString(),
    });
    assert.deepEqual(data.protocol, { totalClaimed: (20n * CREDIT).toString(), claimCount: 1 });
  });

  it("feeds the gateway's ledger: every indexed deposit credited once, across passes and restarts", async () => {
    const db = await openDb({});
    try {
      const ledger = createLedger(db);
      const sync = () =>
        createDepositSync({
          db,
          ledger,
          source: indexerDepositSource(client, CHAIN_ID),
          chainId: CHAIN_ID,
          confirmations: 1,
          startBlock: 0n,
        });
      await depositAndWait(alice, carol, 2n * CREDIT);
      const onChain = (await client.deposits({})).deposits;
      const expected = new Map<string, bigint>();
      for (const d of onChain) expected.set(d.account, (expected.get(d.account) ?? 0n) + d.amount);
      assert.equal(await sync().tick(), onChain.length);
      for (const [account, amount] of expected)
        assert.equal((await ledger.balance(account as Address)).deposited, amount, account);
      const restarted = sync();
      assert.equal(await restarted.tick(), 0, "a restarted gateway credits nothing twice");
      // Read in pages of two deposits (keyset over block and log index): the same deposits, each once.
      const paged = await indexerDepositSource(client, CHAIN_ID, { pageSize: 2 }).deposits({
        fromBlock: 0n,
        toBlock: await basis.publicClient.getBlockNumber(),
      });
      assert.deepEqual(
        paged.map((d) => `${d.txHash}:${d.logIndex}`),
        onChain.map((d) => `${d.transactionHash}:${d.logIndex}`),
      );
      const status = await restarted.status();
      assert.ok(status.syncedBlock >= (onChain.at(-1)?.blockNumber ?? 0n), "synced through the last deposit");
      assert.equal(status.lagBlocks, 0n);
    } finally {
      await db.close();
    }
  });

  /** A Hardhat JSON-RPC call on the node (time travel, snapshots, mining). */
  const rpc = (method: string, params: unknown[] = []) =>
    basis.connection.provider.request({ method, params }) as Promise<unknown>;

  /** A gateway ledger on a fresh in-memory store, fed by the indexer as the gateway's deposit sync does. */
  async function gatewayLedger(confirmations: number) {
    const db = await openDb({});
    const ledger = createLedger(db);
    const sync = createDepositSync({
      db,
      ledger,
      source: indexerDepositSource(client, CHAIN_ID),
      chainId: CHAIN_ID,
      confirmations,
      startBlock: 0n,
    });
    /** Ticks the sync until `check` passes on the account's balance. */
    const until = (account: Address, check: (b: Balance) => boolean, what: string) =>
      waitFor(
        async () => {
          await sync.tick();
          const b = await ledger.balance(account);
          return check(b) ? b : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 50, describe: () => `${what}\n${indexer.child.output().slice(-2_000)}` },
      );
    return { db, ledger, sync, until };
  }

  it("takes unused credit back: a voucher is held, then withdrawn once the vault pays it, or released after its deadline", async function () {
    this.timeout(60_000);
    const dave = getAddress(basis.wallets[5]?.account.address ?? zeroAddress);
    const { db, ledger, until } = await gatewayLedger(1);
    try {
      await depositAndWait(alice, dave, 50n * CREDIT);
      await until(dave, (b) => b.deposited === 50n * CREDIT, "dave's deposit credited");
      const chainNow = async () => Number((await basis.publicClient.getBlock()).timestamp);
      const now = await chainNow();
      const withdrawals = createWithdrawals(db, {
        chainId: CHAIN_ID,
        vault: basis.creditVault.address,
        attesterKey: HARDHAT_KEY_0,
        ttlSeconds: 600,
        nowSeconds: () => now,
      });
      const over = await withdrawals.issue(dave, 50n * CREDIT + 1n);
      assert.deepEqual(over, { ok: false, reason: "insufficient_credits", withdrawable: 50n * CREDIT });

      const used = await withdrawals.issue(dave, 20n * CREDIT);
      assert.ok(used.ok);
      const voucher = {
        account: dave,
        amount: 20n * CREDIT,
        nonce: used.withdrawal.nonce,
        deadline: used.withdrawal.deadline,
      };
      const tokensBefore = await basis.creditToken.read.balanceOf([dave]);
      await mined(basis.creditVault.write.withdraw([voucher, used.withdrawal.signature], { account: dave }));
      assert.equal(await basis.creditToken.read.balanceOf([dave]), tokensBefore + 20n * CREDIT, "the vault paid dave");
      const afterUse = await until(dave, (b) => b.withdrawn === 20n * CREDIT, "the used voucher booked as withdrawn");
      assert.deepEqual([afterUse.available, afterUse.withdrawing], [30n * CREDIT, 0n]);

      const unused = await withdrawals.issue(dave, 30n * CREDIT);
      assert.ok(unused.ok);
      assert.equal((await ledger.balance(dave)).available, 0n, "held while the voucher can be used");
      await rpc("evm_increaseTime", [Number(unused.withdrawal.deadline) - (await chainNow()) + 1]);
      await rpc("evm_mine");
      const expired = { ...unused.withdrawal, account: dave };
      await assert.rejects(
        basis.creditVault.write.withdraw(
          [
            { account: dave, amount: 30n * CREDIT, nonce: expired.nonce, deadline: expired.deadline },
            expired.signature,
          ],
          { account: dave },
        ),
        /VoucherExpired/,
        "the vault refuses it after its deadline",
      );
      const released = await until(dave, (b) => b.withdrawing === 0n, "the expired voucher released");
      assert.deepEqual([released.available, released.withdrawn], [30n * CREDIT, 20n * CREDIT]);
      assert.deepEqual(
        (await withdrawals.list(dave)).map((w) => w.status),
        ["expired", "withdrawn"],
      );
      assert.deepEqual(await ledger.recompute(dave), released, "the entries recompute the balance");
    } finally {
      await db.close();
    }
  });

  it("never credits a deposit that a reorg removed before it had its confirmations", async function () {
    this.timeout(60_000);
    const erin = getAddress(basis.wallets[6]?.account.address ?? zeroAddress);
    const { db, ledger, sync } = await gatewayLedger(3);
    try {
      const snapshot = await rpc("evm_snapshot");
      const { receipt } = await depositAndWait(alice, erin, 9n * CREDIT);
      await sync.tick();
      assert.equal((await ledger.balance(erin)).deposited, 0n, "one confirmation of three: not credited yet");
      assert.equal(await rpc("evm_revert", [snapshot]), true);
      await rpc("hardhat_mine", ["0x6"]);
      const head = await basis.publicClient.getBlockNumber();
      assert.ok(head >= receipt.blockNumber + 3n, "the new branch is longer than the deposit's depth");
      // Ponder follows the new branch and rolls the orphaned deposit back.
      await waitFor(
        async () => {
          const page = await client.deposits({ afterBlock: receipt.blockNumber - 1n });
          const caughtUp = (page.indexedBlock ?? 0n) >= head;
          return caughtUp && !page.deposits.some((d) => d.account === erin) ? true : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 50, describe: () => indexer.child.output().slice(-3_000) },
      );
      await sync.tick();
      const status = await sync.status();
      assert.ok(status.syncedBlock >= receipt.blockNumber + 2n, "synced past where the deposit would be confirmed");
      assert.equal((await ledger.balance(erin)).deposited, 0n, "the orphaned deposit is never credited");
    } finally {
      await db.close();
    }
  });

  it("a gateway killed (kill -9) mid-sync credits every deposit exactly once after its restart", async function () {
    this.timeout(120_000);
    const frank = basis.wallets[7];
    assert.ok(frank);
    const dataDir = join(tmp, "gateway");
    const env = {
      BASIS_CHAIN_ID: String(CHAIN_ID),
      BASIS_DEPLOYMENT_FILE: join(tmp, "deployment.json"),
      BASIS_INDEXER_URL: indexer.url,
      BASIS_DATA_DIR: dataDir,
      BASIS_KEY_PEPPER: "p".repeat(32),
      BASIS_ATTESTER_KEY: HARDHAT_KEY_0,
    };
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    /** frank's credits through the API, signed in with frank's wallet (the node holds its key). */
    const credits = async () => {
      const token = await signIn({
        gatewayUrl: url,
        chainId: CHAIN_ID,
        address: frank.account.address,
        sign: (message) => frank.signMessage({ account: frank.account, message }),
      });
      const auth = { headers: { authorization: `Bearer ${token}` } };
      const balance = (await (await fetch(`${url}/api/account/credits`, auth)).json()) as { deposited: string };
      const entries = (await (await fetch(`${url}/api/account/transactions?limit=100`, auth)).json()) as {
        data: { kind: string; ref: string }[];
      };
      return {
        deposited: BigInt(balance.deposited),
        refs: entries.data.filter((e) => e.kind === "deposit").map((e) => e.ref),
      };
    };

    let gateway = await spawnGateway(env, port);
    const count = 40;
    const total = (BigInt(count) * BigInt(count + 1)) / 2n;
    const sent = (async () => {
      const hashes: Hash[] = [];
      for (let i = 1; i <= count; i++) {
        hashes.push(await basis.creditVault.write.deposit([frank.account.address, BigInt(i)], { account: alice }));
      }
      return hashes;
    })();
    // Kill it once it has credited some of frank's deposits and not all of them.
    const seen = await waitFor(
      async () => {
        const { deposited } = await credits();
        return deposited > 0n && deposited < total ? deposited : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 5, describe: () => "frank's deposits never showed up part-way" },
    );
    gateway.kill("SIGKILL");
    await exited(gateway);
    const hashes = await sent;
    await basis.publicClient.waitForTransactionReceipt({ hash: hashes.at(-1) as Hash });

    gateway = await spawnGateway(env, port);
    try {
      const after = await waitFor(
        async () => {
          const c = await credits();
          return c.deposited === total ? c : undefined;
        },
        {
          timeoutMs: 30_000,
          intervalMs: 50,
          describe: () => `frank's deposits not all credited after the restart (killed at ${seen} of ${total})`,
        },
      );
      assert.equal(after.refs.length, count, "one ledger entry per deposit");
      assert.equal(new Set(after.refs).size, count, "each by its own chain:tx:logIndex ref");
      await new Promise((resolve) => setTimeout(resolve, 2_500)); // two more passes of the sync (every 1 s)
      const again = await credits();
      assert.equal(again.deposited, total, "and nothing more on later passes");
    } finally {
      gateway.kill("SIGINT");
      await exited(gateway);
    }
  });

  it("resumes after a restart without duplicating anything, then keeps indexing", async function () {
    this.timeout(90_000);
    const snapshotQuery = `query ($chainId: Int!) {
      deposits(limit: 1000) { totalCount items { id amount } }
      withdrawals { totalCount } batchs { totalCount } batchPayments { totalCount } claims { totalCount }
      rewardRoots { totalCount items { id status } } attesterChanges { totalCount } settingChanges { totalCount }
      accounts(limit: 1000) { items { address deposited paid withdrawn claimed depositCount claimCount } }
      contributors { items { address claimed claimCount } }
      protocol(chainId: $chainId) { totalDeposited depositCount totalClaimed claimCount batchCount totalWithdrawn }
    }`;
    type Snapshot = { deposits: { totalCount: number } };
    const snapshot = () => graphql<Snapshot>(indexer.url, snapshotQuery, { chainId: CHAIN_ID });
    const before = await snapshot();
    await indexer.child.stop("SIGINT");
    if (process.env.BASIS_TEST_VERBOSE) console.log(indexer.child.output().split("\n").slice(-12).join("\n"));

    // Ponder resumes from its checkpoint: it rolls the unfinalized blocks (here all of them: the
    // chain is shorter than its 30-block finality depth) back and indexes them again, while /status
    // still shows the old block for a moment.
    const started = performance.now();
    indexer = await startIndexer(indexerEnv(), SCHEMA, await basis.publicClient.getBlockNumber());
    client = createIndexerClient(indexer.url);
    assert.match(indexer.child.output(), /crash recovery/i, "the restart resumed the existing index");
    let mostDeposits = 0;
    let last: Snapshot | undefined;
    await waitFor(
      async () => {
        last = await snapshot();
        mostDeposits = Math.max(mostDeposits, last.deposits.totalCount);
        return isDeepStrictEqual(last, before) ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 20, describe: () => JSON.stringify({ before, last }, null, 1) },
    );
    const waitedForLock = /Schema is locked/.test(indexer.child.output()) ? " (waited for Ponder's schema lock)" : "";
    console.log(
      `      indexer restart (spawn → every row back): ${(performance.now() - started).toFixed(0)} ms${waitedForLock}`,
    );
    if (process.env.BASIS_TEST_VERBOSE) console.log(indexer.child.output());
    assert.equal(mostDeposits, before.deposits.totalCount, "never more deposits than before the restart");

    await depositAndWait(alice, bob, 1n);
    const { deposits } = await client.deposits();
    assert.equal(deposits.length, before.deposits.totalCount + 1);
    assert.equal(new Set(deposits.map((d) => d.id)).size, before.deposits.totalCount + 1);
    assert.equal(deposits.filter((d) => d.amount === 1n && d.account === bob).length, 1);
  });

  it("killed (SIGKILL) while deposits stream in, it restarts and holds every deposit exactly once", async function () {
    this.timeout(120_000);
    const george = getAddress(basis.wallets[8]?.account.address ?? zeroAddress);
    const count = 20;
    const ofGeorge = async () =>
      (await client.deposits()).deposits.filter((d) => d.account === george).map((d) => [d.id, d.amount] as const);
    const sent = (async () => {
      const hashes: Hash[] = [];
      for (let i = 1; i <= count; i++) {
        hashes.push(await basis.creditVault.write.deposit([george, BigInt(i)], { account: alice }));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return hashes;
    })();
    // Kill it once some of george's deposits are indexed and not all.
    await waitFor(
      async () => {
        const n = (await ofGeorge()).length;
        return n > 0 && n < count ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 10, describe: () => "george's deposits never showed up part-way" },
    );
    await indexer.child.stop("SIGKILL");
    const hashes = await sent;
    const last = await basis.publicClient.waitForTransactionReceipt({ hash: hashes.at(-1) as Hash });

    // A killed Ponder leaves its schema lock behind: the restart waits for it to expire (~25 s).
    indexer = await startIndexer(indexerEnv(), SCHEMA, last.blockNumber, 90_000);
    client = createIndexerClient(indexer.url);
    const rows = await waitFor(
      async () => {
        const r = await ofGeorge();
        return r.length >= count ? r : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50, describe: () => indexer.child.output().slice(-3_000) },
    );
    assert.equal(rows.length, count, "every deposit once");
    assert.equal(new Set(rows.map(([id]) => id)).size, count);
    assert.deepEqual(
      rows.map(([, amount]) => amount).sort((a, b) => (a < b ? -1 : 1)),
      Array.from({ length: count }, (_, i) => BigInt(i + 1)),
    );
  });

  it("indexes deposits into Postgres too (TEST_DATABASE_URL)", async function () {
    const base = process.env.TEST_DATABASE_URL;
    if (!base) this.skip();
    this.timeout(90_000);
    // Ponder's RPC cache (schema ponder_sync) is per database and keyed by chain id, and every local
    // chain is 31337: a database of its own keeps another run's blocks out of this one.
    const database = `basis_indexer_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    let postgresIndexer: IndexerProcess | undefined;
    try {
      await admin.query(`CREATE DATABASE ${database}`);
      const url = new URL(base);
      url.pathname = `/${database}`;
      postgresIndexer = await startIndexer(
        indexerEnv({ DATABASE_URL: url.toString() }),
        `basis_test_${process.pid}`,
        await basis.publicClient.getBlockNumber(),
      );
      console.log(
        `      Postgres indexer startup (spawn → ready, chain head indexed): ${postgresIndexer.startupMs.toFixed(0)} ms`,
      );
      const fromPostgres = createIndexerClient(postgresIndexer.url);
      const expected = (await client.deposits()).deposits;
      assert.deepEqual((await fromPostgres.deposits()).deposits, expected);

      const { receipt } = await depositAndWait(alice, carol, 3n);
      const seen = await waitFor(async () => {
        const { deposits } = await fromPostgres.deposits({ afterBlock: receipt.blockNumber - 1n });
        return deposits.length > 0 ? deposits : undefined;
      });
      assert.deepEqual(
        seen.map((d) => [d.payer, d.account, d.amount, d.transactionHash]),
        [[alice, carol, 3n, receipt.transactionHash]],
      );
    } finally {
      await postgresIndexer?.child.stop("SIGINT");
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
      await admin.end();
    }
  });
});
