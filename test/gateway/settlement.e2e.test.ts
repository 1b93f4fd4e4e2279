// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "mocha";
import OpenAI from "openai";
import { createPublicClient, getAddress, type Hex, http } from "viem";
import { createSettler } from "../../gateway/settlement/settler.js";
import type { BatchFile } from "../../protocol/batchFile.js";
import { buildReceiptTree } from "../../protocol/merkle.js";
import { receiptHash } from "../../protocol/receipt.js";
import { receiptSchema } from "../../protocol/receiptEnvelope.js";
import { type OpenAIUpstream, startOpenAIUpstream } from "../../scripts/dev/openaiUpstream.js";
import { CREDIT, loadBasis } from "../contracts/fixture.js";
import { startGateway } from "./support/startGateway.js";

/**
 * Receipts → batches on the real EVM (Hardhat's EDR) with the contracts deployed through Ignition: the
 * settler posts every batch once, each receipt's proof verifies on-chain, the batch file hashes to the
 * posted fileHash and rebuilds the posted root.
 */
describe("settlement › receipts batched into the SettlementRegistry", function () {
  this.timeout(120_000);
  let basis: Awaited<ReturnType<typeof loadBasis>>;
  let upstream: OpenAIUpstream;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let client: OpenAI;
  let registry: Hex;

  const settlerFor = (publicClient = basis.publicClient as any) =>
    createSettler({
      batches: gateway.batches as NonNullable<typeof gateway.batches>,
      publicClient,
      walletClient: basis.settler as any,
      registry,
      batchesUrl: `${gateway.url}/api/settlement/batches`,
      maxReceipts: 2,
      intervalMs: 50,
    });
  const chat = (content: string) =>
    client.chat.completions.create({ model: "basis-default", max_tokens: 8, messages: [{ role: "user", content }] });
  const receiptOf = (id: string) =>
    fetch(`${gateway.url}/api/inference/receipts/${id}`).then((r) => r.json() as Promise<any>);

  before(async () => {
    basis = await loadBasis();
    registry = getAddress(basis.settlementRegistry.address);
    upstream = await startOpenAIUpstream();
    gateway = await startGateway({
      upstreamUrl: upstream.url,
      credits: 100n * CREDIT,
      settlement: { chainId: 31337, registry },
    });
    client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.key, maxRetries: 0 });
    // The charges a batch pays out must be backed by deposits in the vault.
    await basis.creditToken.write.approve([basis.creditVault.address, 100n * CREDIT], { account: basis.alice.account });
    await basis.creditVault.write.deposit([gateway.account, 100n * CREDIT], { account: basis.alice.account });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  it("posts signed receipts in batches; every receipt's proof verifies on-chain; the file matches the posted hash and root", async () => {
    const answers = [await chat("one"), await chat("two"), await chat("three")];
    await gateway.flushSignatures();
    // A refund before the batch is mined: the receipt stays `refunded` and still gets its proof.
    const refunded = answers[1] as { id: string };
    await gateway.ledger.refund({ jobId: refunded.id, amount: 1_000n, reason: "operator: test refund" });
    const settler = settlerFor();
    const first = await settler.settleOnce();
    const second = await settler.settleOnce();
    assert.equal(await settler.settleOnce(), null, "nothing left to settle");
    assert.deepEqual([first?.batchId, first?.receiptCount, second?.batchId, second?.receiptCount], [1, 2, 2, 1]);
    assert.equal(await basis.settlementRegistry.read.latestBatchId(), 2n);

    for (const answer of answers) {
      const { receipt } = await receiptOf(answer.id);
      if (answer === refunded) {
        assert.equal(receipt.status, "refunded");
        assert.deepEqual([receipt.refund.amount, receipt.refund.reason], ["1000", "operator: test refund"]);
      } else assert.equal(receipt.status, "settled");
      const s = receipt.settlement;
      assert.equal(await basis.settlementRegistry.read.batchRoot([BigInt(s.batchId)]), s.root);
      assert.equal(await basis.settlementRegistry.read.verifyReceipt([BigInt(s.batchId), receipt.hash, s.proof]), true);
      assert.match(s.txHash, /^0x[0-9a-f]{64}$/);
      assert.deepEqual(
        receiptSchema.safeParse(receipt).error,
        undefined,
        "served as protocol/receiptEnvelope.ts specifies",
      );
    }

    const res = await fetch(`${gateway.url}/api/settlement/batches/1/file`);
    const text = await res.text();
    const file = JSON.parse(text) as BatchFile;
    const events = await basis.publicClient.getContractEvents({
      address: registry,
      abi: basis.settlementRegistry.abi,
      eventName: "BatchPosted",
      fromBlock: 0n,
    });
    const posted = events.find((e: any) => e.args.batchId === 1n) as any;
    assert.equal(`0x${createHash("sha256").update(text).digest("hex")}`, posted.args.fileHash);
    assert.equal(posted.args.uri, `${gateway.url}/api/settlement/batches/1/file`);
    for (const r of file.receipts) assert.equal(receiptHash(r.core), r.hash);
    assert.equal(buildReceiptTree(file.receipts.map((r) => r.hash)).root, posted.args.root);
    assert.equal(posted.args.totalCharged, BigInt(file.totalCharged));
    const listed = await fetch(`${gateway.url}/api/settlement/batches`).then((r) => r.json() as Promise<any>);
    assert.deepEqual(
      listed.data.map((b: any) => [b.batch_id, b.status]),
      [
        [2, "mined"],
        [1, "mined"],
      ],
    );
  });

  it("after a crash between posting and recording, the next settler finds the batch mined and never posts it twice", async () => {
    await chat("four");
    await chat("five");
    await gateway.flushSignatures();
    const batches = gateway.batches as NonNullable<typeof gateway.batches>;
    const built = await batches.buildNext(2);
    assert.ok(built);
    // The settler that built it sent the transaction and died before recording it.
    await basis.settlementRegistry.write.postBatch(
      [
        BigInt(built.batchId),
        built.root,
        BigInt(built.receiptCount),
        built.totalCharged,
        built.totalReward,
        built.fileHash,
        "crashed",
      ],
      { account: basis.settler.account },
    );
    const again = await settlerFor().settleOnce();
    assert.equal(again?.batchId, built.batchId);
    assert.equal(await basis.settlementRegistry.read.latestBatchId(), BigInt(built.batchId));
    assert.equal((await batches.get(built.batchId))?.status, "mined");
  });

  it("with the RPC down, settling fails and retries later while the gateway goes on serving", async () => {
    const dead = createPublicClient({ transport: http("http://127.0.0.1:9", { retryCount: 0, timeout: 1_000 }) });
    await chat("six");
    await gateway.flushSignatures();
    await assert.rejects(settlerFor(dead as any).settleOnce());
    const served = await chat("seven");
    assert.ok(served.choices[0]?.message.content);
    await gateway.flushSignatures();
    // The batch built before the failure goes first, unchanged; then the next one.
    const settler = settlerFor();
    const resumed = await settler.settleOnce();
    assert.equal(resumed?.receiptCount, 1);
    assert.equal((await settler.settleOnce())?.receiptCount, 1);
    assert.equal((await receiptOf(served.id)).receipt.status, "settled");
    assert.equal(await basis.settlementRegistry.read.latestBatchId(), BigInt((resumed?.batchId ?? 0) + 1));
  });
});
