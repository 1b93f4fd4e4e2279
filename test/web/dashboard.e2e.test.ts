// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
/**
 * The dashboard end to end, nothing mocked: real headless Chromium (Debian's, driven by playwright-core) on the
 * dashboard server, against the local network's real processes (Hardhat node + Ignition, indexer, gateway settling
 * every second, a worker on the tiny model). Wallets are the local dev accounts, which sign through the node, and an
 * injected browser wallet (EIP-1193 + EIP-6963, see support/injectedWallet.ts) that signs with its own key.
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
import { formatCredits } from "../../web/src/lib/format.js";
import { type Browser, CHROMIUM, launchBrowser } from "./support/browser.js";
import { type InjectedWallet, installInjectedWallet, TEST_WALLET_INFO } from "./support/injectedWallet.js";
import { HARDHAT_KEY_2, HARDHAT_KEY_3, type LocalNetwork, startLocalNetwork } from "./support/localNetwork.js";

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
  let wallet: InjectedWallet;
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

  /** The dashboard's Sign-In with Ethereum session of `account` in this tab. */
  const sessionToken = async (account: Address) =>
    page().evaluate(
      (key) => (JSON.parse(sessionStorage.getItem(key) ?? "{}") as { token?: string }).token ?? "",
      `basis.session.${account.toLowerCase()}`,
    );

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
    // The browser wallet starts on Ethereum mainnet and does not know the local chain yet.
    wallet = await installInjectedWallet(browser.context, {
      rpcUrl: net.rpcUrl,
      privateKey: HARDHAT_KEY_3,
      chainId: 1,
    });
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

  it("shows the jobs the contributor's worker served and claims their rewards: claimable goes to 0 and the wallet receives exactly that", async () => {
    await open("contributor");
    await connectDevAccount(2);
    await byTestId("served-row").first().waitFor();
    const served: any = await (
      await fetch(`${net.webUrl}/api/account/served/summary`, {
        headers: { authorization: `Bearer ${await sessionToken(CONTRIBUTOR)}` },
      })
    ).json();
    assert.equal(served.totals.jobs, 3, "the contributor's worker served the API test's three jobs");
    await textIs(byTestId("served-jobs"), "3");
    await textIs(byTestId("served-rewards"), formatCredits(served.totals.rewards));
    assert.equal(await byTestId("served-row").count(), 3);
    // Once the jobs' batches are mined and a root holding them accepted, the claimable reward is what they earned.
    const due = BigInt(served.totals.rewards);
    assert.ok(due > 0n);
    await until(
      "every served job's reward claimable",
      async () => (BigInt((await rewards()).claimable) === due ? true : undefined),
      60_000,
    );
    await textIs(byTestId("claim"), `Claim ${formatCredits(due)}`);
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

  it("lists the injected EIP-6963 wallet by name, connects it and, on the wrong chain, offers the switch", async () => {
    await open("credits");
    if (await byTestId("disconnect").isVisible()) await byTestId("disconnect").click();
    await byTestId("connect-wallet").click();
    const choices = page().locator(".wallet-popover button");
    await choices.first().waitFor();
    const names = (await choices.allTextContents()).map((t) => t.trim());
    assert.ok(names.includes(TEST_WALLET_INFO.name), `offered: ${names.join(", ")}`);
    assert.ok(!names.includes("Browser wallet"), "the generic injected entry gives way to the announced wallet");
    const icon = choices.filter({ hasText: TEST_WALLET_INFO.name }).locator("img");
    assert.equal(await icon.getAttribute("src"), TEST_WALLET_INFO.icon);
    await choices.filter({ hasText: TEST_WALLET_INFO.name }).click();
    await byTestId("wallet").waitFor();
    assert.ok(wallet.connected());

    // On Ethereum mainnet: nothing to deposit or sign here until the wallet switches.
    const notice = byTestId("wrong-chain");
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? "", /Ethereum \(chain 1\).*Hardhat \(chain 31337\)/);
    assert.ok(!(await byTestId("deposit-submit").isVisible()));
    await byTestId("header-switch-chain").waitFor();
    // The wallet does not know chain 31337 (error 4902): the dashboard adds it, with its own RPC, and switches.
    await byTestId("switch-chain").click();
    await notice.waitFor({ state: "detached" });
    assert.equal(wallet.chainId(), 31337);
    assert.deepEqual(
      wallet.addedChains.map((c) => [Number(c.chainId), c.rpcUrls?.[0]]),
      [[31337, `${net.webUrl}/rpc`]],
    );
    assert.ok(!(await byTestId("header-switch-chain").isVisible()));
    await textIs(page().locator(".wallet-account .muted"), TEST_WALLET_INFO.name);
  });

  it("signs in with the injected wallet (personal_sign), deposits with approve + deposit and with a permit (eth_signTypedData_v4), and the credits appear", async () => {
    const account = getAddress(wallet.address);
    await byTestId("faucet").click();
    await textIs(byTestId("wallet-tokens"), "1,000");
    await byTestId("deposit-amount").fill("30");
    await byTestId("deposit-submit").click();
    await until("the approve + deposit", async () =>
      (await byTestId("deposit-status").textContent())?.startsWith("Deposited 30 credits") ? true : undefined,
    );
    await byTestId("deposit-amount").fill("20");
    await byTestId("deposit-permit").check();
    await byTestId("deposit-submit").click();
    await until("the permit deposit", async () =>
      (await byTestId("deposit-status").textContent())?.startsWith("Deposited 20 credits") ? true : undefined,
    );
    await textIs(byTestId("wallet-tokens"), "950");
    assert.equal(await tokenBalance(account), credits("950"));
    assert.equal(await net.basis.creditToken.read.allowance([account, net.basis.creditVault.address]), 0n);

    await signIn();
    await textIs(byTestId("credits-deposited"), "50");
    await textIs(byTestId("credits-available"), "50");
    const asked = new Set(wallet.requests);
    for (const method of ["wallet_requestPermissions", "personal_sign", "eth_signTypedData_v4", "eth_sendTransaction"])
      assert.ok(asked.has(method), `the dashboard asked the wallet for ${method}`);
  });

  it("revokes an API key on the API page: the key that worked now gets 401, and the list shows it revoked", async () => {
    await open("api");
    await byTestId("key-name").fill("revoke-me");
    await byTestId("key-create").click();
    const key = (await byTestId("new-secret").textContent())?.trim() ?? "";
    assert.match(key, /^sk-basis-/);
    await page().getByRole("button", { name: "Done" }).click();
    const client = new OpenAI({ baseURL: `${net.gatewayUrl}/v1`, apiKey: key, maxRetries: 0 });
    const ask = () =>
      client.chat.completions.create({
        model: "basis-default",
        max_tokens: 4,
        messages: [{ role: "user", content: "Hello before the revoke" }],
      });
    const answer: any = await ask();
    assert.match(answer.receipt_hash, /^0x[0-9a-f]{64}$/);

    const row = page().locator('[data-testid="key-row"]', { hasText: "revoke-me" });
    await row.getByTestId("key-revoke").click();
    await page().locator('[data-testid="key-row"][data-revoked="true"]', { hasText: "revoke-me" }).waitFor();
    await textIs(row.locator(".badge"), "revoked");
    await textIs(byTestId("key-status"), "Key revoked: it stops working at once.");
    await assert.rejects(ask(), (error: any) => {
      assert.equal(error.status, 401);
      return true;
    });
  });
});
