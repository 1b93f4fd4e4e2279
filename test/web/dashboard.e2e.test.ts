// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
/**
 * The dashboard end to end, nothing mocked: real headless Chromium (Debian's, driven by playwright-core) on the
 * dashboard server, against the local network's real processes (Hardhat node + Ignition, indexer, gateway settling
 * every second, a worker on the tiny model). Wallets are the local dev accounts, which sign through the node.
 * The cases run in order, each on the state the previous ones left.
 * BASIS_SCREENSHOTS=1 writes the README's screenshots to docs/screenshots/.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "mocha";
import OpenAI from "openai";
import type { Locator } from "playwright-core";
import { type Address, getAddress, parseUnits } from "viem";
import { type Browser, CHROMIUM, launchBrowser } from "./support/browser.js";
import { HARDHAT_KEY_2, type LocalNetwork, startLocalNetwork } from "./support/localNetwork.js";

const DEPOSITOR = getAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
const CONTRIBUTOR = getAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
const credits = (n: string) => parseUnits(n, 18);

/** Polls until `check` returns a value other than undefined (or throws the last reason after `ms`). */
async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    const value = await check().catch((error: unknown) => {
      last = error;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${String(last ?? "")})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits until the element's text is exactly `expected`. */
const textIs = (locator: Locator, expected: string, ms?: number) =>
  until(
    `"${expected}" in ${locator}`,
    async () => ((await locator.textContent())?.trim() === expected ? true : undefined),
    ms,
  );

describe("dashboard (real Chromium against the local network)", function () {
  this.timeout(120_000);
  let net: LocalNetwork;
  let browser: Browser;
  let apiKey: string;
  let receiptHash: string;

  const page = () => browser.page;
  const byTestId = (id: string) => page().getByTestId(id);
  const tokenBalance = (account: Address) => net.basis.creditToken.read.balanceOf([account]);
  const rewards = async () =>
    (await (await fetch(`${net.gatewayUrl}/api/rewards/${CONTRIBUTOR}`)).json()) as {
      claimable: string;
      claimed: string;
    };

  async function open(route: string) {
    await page().goto(`${net.webUrl}/#/${route}`);
  }

  /** Connects dev account #index (no extension: the node signs for it), disconnecting any other first. */
  async function connectDevAccount(index: 1 | 2) {
    if (await byTestId("disconnect").isVisible()) await byTestId("disconnect").click();
    await byTestId("connect-wallet").click();
    await page()
      .locator(".wallet-popover")
      .getByRole("button", { name: `Dev account #${index}` })
      .click();
    await byTestId("wallet").waitFor();
  }

  async function signIn() {
    await byTestId("sign-in").click();
    await page().locator(".badge", { hasText: "signed in" }).waitFor();
  }

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);
      this.skip();
    }
    this.timeout(240_000);
    net = await startLocalNetwork({ rewardTimelock: 2n });
    browser = await launchBrowser();
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await net?.close();
  });

  afterEach(async function () {
    if (this.currentTest?.state !== "failed") return;
    const shot = join(tmpdir(), `basis-dashboard-failure-${Date.now()}.png`);
    await page()
      .screenshot({ path: shot, fullPage: true })
      .catch(() => undefined);
    console.log(`      page: ${shot}\n      browser problems:\n${browser.problems.join("\n")}\n${net.logs()}`);
  });

  it("connects the contributor's dev account, signs in and creates a worker token its worker connects with", async () => {
    await open("contributor");
    await connectDevAccount(2);
    await signIn();
    await byTestId("worker-token-name").fill("rig-1");
    await byTestId("worker-token-create").click();
    const token = (await byTestId("new-secret").textContent())?.trim() ?? "";
    assert.match(token, /^wk-basis-/);
    await net.startWorker(token, HARDHAT_KEY_2);
    await page().locator('[data-testid="worker-row"][data-connected="true"]').waitFor({ timeout: 15_000 });
  });

  it("connects the depositor's dev account, mints test tokens and deposits with approve + deposit and with a permit", async () => {
    await open("credits");
    await connectDevAccount(1);
    await byTestId("faucet").click();
    await textIs(byTestId("wallet-tokens"), "1,000");

    await byTestId("deposit-amount").fill("60");
    await byTestId("deposit-submit").click();
    await until("the approve + deposit", async () =>
      (await byTestId("deposit-status").textContent())?.startsWith("Deposited 60 credits") ? true : undefined,
    );
    await byTestId("deposit-amount").fill("40");
    await byTestId("deposit-permit").check();
    await byTestId("deposit-submit").click();
    await until("the permit deposit", async () =>
      (await byTestId("deposit-status").textContent())?.startsWith("Deposited 40 credits") ? true : undefined,
    );
    await textIs(byTestId("wallet-tokens"), "900");
    assert.equal(await tokenBalance(DEPOSITOR), credits("900"));
  });

  it("shows the deposited credits after sign-in, once the indexer has seen the deposits", async () => {
    await signIn();
    await textIs(byTestId("credits-deposited"), "100");
    await textIs(byTestId("credits-available"), "100");
    await page().locator('[data-testid="history"] tr[data-kind="deposit"]').nth(1).waitFor();
    await browser.screenshot("credits");
  });

  it("creates an API key and shows it once", async () => {
    await open("api");
    await byTestId("key-name").fill("e2e");
    await byTestId("key-create").click();
    apiKey = (await byTestId("new-secret").textContent())?.trim() ?? "";
    assert.match(apiKey, /^sk-basis-/);
    await page().getByRole("button", { name: "Done" }).click();
    await page().reload();
    await byTestId("key-row").first().waitFor();
    assert.ok(!(await page().content()).includes(apiKey), "the key is not shown again");
  });

  it("shows the receipt of a call made with the openai SDK, then its batch and its on-chain inclusion", async () => {
    const client = new OpenAI({ baseURL: `${net.gatewayUrl}/v1`, apiKey, maxRetries: 0 });
    for (const maxTokens of [8, 24, 16]) {
      const answer: any = await client.chat.completions.create({
        model: "basis-default",
        max_tokens: maxTokens,
        messages: [{ role: "user", content: "Hello from the dashboard test" }],
      });
      receiptHash = answer.receipt_hash;
    }
    assert.match(receiptHash, /^0x[0-9a-f]{64}$/);
    const row = page().locator(`[data-testid="receipt-row"][data-hash="${receiptHash}"]`);
    await row.waitFor();
    await page().locator(`[data-testid="receipt-row"][data-hash="${receiptHash}"][data-status="settled"]`).waitFor();
    await textIs(row.getByTestId("receipt-inclusion"), "included");
    const lookup: any = await (await fetch(`${net.gatewayUrl}/api/inference/receipts/${receiptHash}`)).json();
    assert.equal(lookup.receipt.core.worker, CONTRIBUTOR.toLowerCase(), "the contributor's worker served it");
    await textIs(byTestId("usage-jobs"), "3");
    await browser.screenshot("api");
  });

  it("checks the receipt as an auditor: hash recomputed, signed by the on-chain attester, included in its batch", async () => {
    await open(`auditor?receipt=${receiptHash}`);
    for (const check of ["hash", "gateway", "signature", "inclusion"]) {
      await page().locator(`[data-testid="check-${check}"][data-ok="true"]`).waitFor();
    }
    const batch = page().locator('[data-testid="batch-row"]').first();
    await textIs(batch.getByTestId("batch-root-check"), "matches");
    await browser.screenshot("auditor");
  });

  it("withdraws unused credit with a voucher from the gateway", async function () {
    await open("credits");
    await connectDevAccount(1);
    const form = await until("the withdraw form", async () => {
      if (await byTestId("withdraw-amount").isVisible()) return "form";
      if (await byTestId("withdraw-unavailable").isVisible()) return "unavailable";
      return undefined;
    });
    if (form === "unavailable") {
      console.log(`      skipped: ${await byTestId("withdraw-unavailable").textContent()}`);
      this.skip();
    }
    const before = await tokenBalance(DEPOSITOR);
    await byTestId("withdraw-amount").fill("10");
    await byTestId("withdraw-submit").click();
    await until("the withdrawal", async () =>
      (await byTestId("withdraw-status").textContent())?.startsWith("Withdrew 10 credits") ? true : undefined,
    );
    assert.equal((await tokenBalance(DEPOSITOR)) - before, credits("10"));
    await page().locator('[data-testid="withdrawal-row"]', { hasText: "withdrawn" }).waitFor({ timeout: 30_000 });
    await browser.screenshot("credits");
  });

  it("claims the contributor's rewards: claimable goes to 0 and the wallet receives exactly that", async () => {
    await open("contributor");
    await connectDevAccount(2);
    const due = await until("a claimable reward root", async () => {
      const r = await rewards();
      return BigInt(r.claimable) > 0n ? BigInt(r.claimable) : undefined;
    });
    await page().locator('[data-testid="claim"]:not([disabled])').waitFor();
    await byTestId("served-row").first().waitFor();
    await browser.screenshot("contributor");
    const before = await tokenBalance(CONTRIBUTOR);
    await byTestId("claim").click();
    await until("the claim", async () =>
      (await byTestId("claim-status").textContent())?.startsWith("Claimed") ? true : undefined,
    );
    assert.equal((await tokenBalance(CONTRIBUTOR)) - before, due);
    await textIs(byTestId("rewards-claimable"), "0");
    const after = await rewards();
    assert.equal(after.claimable, "0");
    assert.equal(BigInt(after.claimed), due);
  });
});
