// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
import assert from "node:assert/strict";
import { after, before, describe, it } from "mocha";
import OpenAI from "openai";
import { getAddress, type Hex } from "viem";
import { createSettler } from "../../gateway/settlement/settler.js";
import { CREDIT, loadBasis, networkHelpers, REWARD_TIMELOCK } from "../contracts/fixture.js";
import { rawWorker } from "../worker/support/rawWorker.js";
import { contributor } from "../worker/support/workerProcess.js";
import { startGateway } from "./support/startGateway.js";

/**
 * Jobs served by a contributor's worker → batches settled → a reward root proposed and, after the
 * timelock, accepted on the real EVM → the contributor claims exactly the difference, twice.
 */
describe("rewards › cumulative reward roots and claims", function () {
  this.timeout(120_000);
  let basis: Awaited<ReturnType<typeof loadBasis>>;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let client: OpenAI;
  let who: Awaited<ReturnType<typeof contributor>>;
  let worker: Awaited<ReturnType<typeof rawWorker>>;

  const settle = async () => {
    await gateway.flushSignatures();
    const settler = createSettler({
      batches: gateway.batches as NonNullable<typeof gateway.batches>,
      publicClient: basis.publicClient as any,
      walletClient: basis.settler as any,
      registry: getAddress(basis.settlementRegistry.address),
      batchesUrl: `${gateway.url}/api/settlement/batches`,
      maxReceipts: 100,
      intervalMs: 50,
    });
    while (await settler.settleOnce());
  };
  const rewardsOf = (address: string) =>
    fetch(`${gateway.url}/api/rewards/${address}`).then((r) => r.json() as Promise<any>);
  const jobs = async (n: number) => {
    let reward = 0n;
    for (let i = 0; i < n; i++) {
      const answer = await client.chat.completions.create({
        model: "basis-default",
        max_tokens: 8,
        messages: [{ role: "user", content: `job ${i}` }],
      });
      const lookup = await fetch(`${gateway.url}/api/inference/receipts/${answer.id}`).then((r) => r.json() as any);
      reward += BigInt(lookup.receipt.core.reward);
    }
    return reward;
  };
  const balance = () => basis.creditToken.read.balanceOf([getAddress(who.address)]);

  before(async () => {
    basis = await loadBasis();
    gateway = await startGateway({
      credits: 100n * CREDIT,
      settlement: {
        chainId: 31337,
        registry: getAddress(basis.settlementRegistry.address),
        rewards: {
          distributor: getAddress(basis.rewardDistributor.address),
          publicClient: basis.publicClient,
          proposer: basis.proposer,
        },
      },
    });
    client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.key, maxRetries: 0 });
    await basis.creditToken.write.approve([basis.creditVault.address, 100n * CREDIT], { account: basis.alice.account });
    await basis.creditVault.write.deposit([gateway.account, 100n * CREDIT], { account: basis.alice.account });
    who = await contributor(gateway);
    worker = await rawWorker(gateway.url, { token: who.token, signer: who.key });
    await worker.next("welcome");
    // An honest worker: three words per job, its usage, done.
    void (async () => {
      while (true) {
        const job = await worker.next("job", 600_000).catch(() => null);
        if (!job) return;
        worker.send({ t: "delta", id: job.id, d: [{ i: 0, text: "three honest words", finish: "stop" }] });
        worker.send({ t: "usage", id: job.id, promptTokens: 5, completionTokens: 3 });
        worker.send({ t: "done", id: job.id });
      }
    })();
  });
  after(async () => {
    worker.close();
    await gateway.close();
  });

  it("proposes the root of cumulative rewards, accepts it after the timelock, and the claim pays exactly the difference", async () => {
    const rewarder = gateway.rewarder as NonNullable<typeof gateway.rewarder>;
    const firstReward = await jobs(3);
    assert.ok(firstReward > 0n);
    await settle();
    const proposed = await rewarder.round();
    assert.equal(proposed?.status, "proposed");
    let status = await rewardsOf(who.address);
    assert.equal(status.claimable, "0", "not claimable before the timelock");
    assert.equal(status.pending.cumulative, firstReward.toString());
    assert.equal(await rewarder.round(), null, "the timelock has not passed");

    await networkHelpers.time.increase(REWARD_TIMELOCK);
    assert.equal((await rewarder.round())?.status, "accepted");
    status = await rewardsOf(who.address);
    assert.equal(status.cumulative, firstReward.toString());
    assert.equal(status.claimable, firstReward.toString());
    const before = await balance();
    await basis.rewardDistributor.write.claim([getAddress(who.address), firstReward, status.proof as Hex[]], {
      account: basis.bob.account,
    });
    assert.equal((await balance()) - before, firstReward, "the claim pays the contributor, whoever sends it");
    status = await rewardsOf(who.address);
    assert.deepEqual([status.claimed, status.claimable], [firstReward.toString(), "0"]);

    // More jobs: the next root carries the new cumulative total; the claim pays only what is new.
    const moreReward = await jobs(2);
    await settle();
    assert.equal((await rewarder.round())?.status, "proposed");
    await networkHelpers.time.increase(REWARD_TIMELOCK);
    assert.equal((await rewarder.round())?.status, "accepted");
    status = await rewardsOf(who.address);
    assert.equal(status.cumulative, (firstReward + moreReward).toString());
    assert.equal(status.claimable, moreReward.toString());
    const again = await balance();
    await basis.rewardDistributor.write.claim(
      [getAddress(who.address), firstReward + moreReward, status.proof as Hex[]],
      { account: basis.bob.account },
    );
    assert.equal((await balance()) - again, moreReward);
    assert.equal((await rewardsOf(`0x${"ab".repeat(20)}`)).cumulative, "0");
  });

  it("drops a root the guardian revoked or another proposer superseded, never accepts a foreign root, and the next root carries the rewards", async () => {
    const rewarder = gateway.rewarder as NonNullable<typeof gateway.rewarder>;
    const claimedBefore = BigInt((await rewardsOf(who.address)).claimed);
    const onChainRoot = () => basis.rewardDistributor.read.root();
    const acceptedBefore = await onChainRoot();

    // Revoked by the guardian: dropped, no acceptRoot (it would revert), and no stall either.
    const a = await jobs(1);
    await settle();
    assert.equal((await rewarder.round())?.status, "proposed");
    await basis.rewardDistributor.write.revokePendingRoot({ account: basis.admin.account });
    assert.equal((await rewarder.round())?.status, "dropped");
    assert.equal(await rewarder.round(), null, "nothing new mined: nothing to propose, and no error");
    assert.equal((await rewardsOf(who.address)).pending, null, "a dropped root is not pending");

    // Superseded by another proposer's root: the gateway never accepts it.
    const b = await jobs(1);
    await settle();
    assert.equal((await rewarder.round())?.status, "proposed");
    const foreign = `0x${"66".repeat(32)}` as Hex;
    await basis.rewardDistributor.write.proposeRoot([foreign, foreign], { account: basis.proposer.account });
    await networkHelpers.time.increase(REWARD_TIMELOCK);
    assert.equal((await rewarder.round())?.status, "dropped");
    assert.equal(await onChainRoot(), acceptedBefore, "the foreign root was not accepted by the gateway");

    // The next batch's root is cumulative: it carries everything the dropped ones did.
    const c = await jobs(1);
    await settle();
    assert.equal((await rewarder.round())?.status, "proposed");
    await networkHelpers.time.increase(REWARD_TIMELOCK);
    assert.equal((await rewarder.round())?.status, "accepted");
    const status = await rewardsOf(who.address);
    assert.equal(BigInt(status.claimable), a + b + c, "every reward since the last claim, once");
    assert.equal(BigInt(status.cumulative), claimedBefore + a + b + c);
  });
});
