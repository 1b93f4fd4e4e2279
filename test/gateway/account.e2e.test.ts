import assert from "node:assert/strict";
import { after, before, describe, it } from "mocha";
import OpenAI from "openai";
import { recoverTypedDataAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { VOUCHER_TYPES, voucherDomain } from "../../protocol/voucher.js";
import { type OpenAIUpstream, startOpenAIUpstream } from "../../scripts/dev/openaiUpstream.js";
import { startGateway } from "./support/startGateway.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field
type Json = Record<string, any>;

const VAULT = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";

describe("gateway › Sign-In with Ethereum and the account endpoints", () => {
  let upstream: OpenAIUpstream;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  const wallet = privateKeyToAccount(generatePrivateKey());

  const api = async (path: string, init: RequestInit & { token?: string } = {}) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    const res = await fetch(`${gateway.url}/api${path}`, { ...init, headers });
    return { status: res.status, body: (await res.json()) as Json };
  };

  async function signIn(overrides: Partial<Parameters<typeof createSiweMessage>[0]> = {}) {
    const { body } = await api("/auth/nonce");
    const message = createSiweMessage({
      address: wallet.address,
      chainId: 31337,
      domain: new URL(gateway.url).host,
      nonce: body.nonce,
      uri: gateway.url,
      version: "1",
      ...overrides,
    });
    const signature = await wallet.signMessage({ message });
    return api("/auth/verify", { method: "POST", body: JSON.stringify({ message, signature }) });
  }

  before(async () => {
    upstream = await startOpenAIUpstream();
    gateway = await startGateway({ upstreamUrl: upstream.url, withdrawals: { vault: VAULT } });
    await gateway.ledger.credit({ account: wallet.address, amount: 10n ** 18n, kind: "operator", ref: "account-test" });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  it("signs in with an EIP-4361 message and refuses a replayed nonce, another domain and a forged signature", async () => {
    const ok = await signIn();
    assert.equal(ok.status, 200);
    assert.match(ok.body.token, /^basis-session-/);
    assert.equal(ok.body.account, wallet.address.toLowerCase());

    const { body } = await api("/auth/nonce");
    const message = createSiweMessage({
      address: wallet.address,
      chainId: 31337,
      domain: new URL(gateway.url).host,
      nonce: body.nonce,
      uri: gateway.url,
      version: "1",
    });
    const signature = await wallet.signMessage({ message });
    assert.equal(
      (await api("/auth/verify", { method: "POST", body: JSON.stringify({ message, signature }) })).status,
      200,
    );
    const replay = await api("/auth/verify", { method: "POST", body: JSON.stringify({ message, signature }) });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error.code, "invalid_signin");

    assert.equal((await signIn({ domain: "evil.example" })).status, 401);
    const other = privateKeyToAccount(generatePrivateKey());
    const { body: n2 } = await api("/auth/nonce");
    const forged = createSiweMessage({
      address: wallet.address,
      chainId: 31337,
      domain: new URL(gateway.url).host,
      nonce: n2.nonce,
      uri: gateway.url,
      version: "1",
    });
    const bad = await api("/auth/verify", {
      method: "POST",
      body: JSON.stringify({ message: forged, signature: await other.signMessage({ message: forged }) }),
    });
    assert.equal(bad.status, 401);
    assert.doesNotMatch(JSON.stringify(bad.body), /0x[0-9a-f]{130}/);
  });

  it("creates a key shown once, lists it by prefix and last four, and a revoked key gets 401 at once", async () => {
    const { body: session } = await signIn();
    const created = await api("/account/keys", {
      method: "POST",
      token: session.token,
      body: JSON.stringify({ name: "ci" }),
    });
    assert.equal(created.status, 201);
    const key: string = created.body.key;
    assert.match(key, /^sk-basis-[A-Za-z0-9_-]{43}$/);
    const list = await api("/account/keys", { token: session.token });
    const listed = list.body.data.find((k: Json) => k.id === created.body.id);
    assert.equal(listed.last_four, key.slice(-4));
    assert.equal(listed.prefix, key.slice(0, 13));
    assert.doesNotMatch(JSON.stringify(list.body), new RegExp(key.slice(13)));

    const client = new OpenAI({ baseURL: `${gateway.url}/api/v1`, apiKey: key, maxRetries: 0 });
    const done = await client.chat.completions.create({
      model: "basis-small",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.ok(done.id);

    const revoked = await api(`/account/keys/${created.body.id}`, { method: "DELETE", token: session.token });
    assert.ok(revoked.body.revoked_at);
    const error = await client.chat.completions
      .create({ model: "basis-small", messages: [{ role: "user", content: "hi" }] })
      .catch((e) => e);
    assert.equal(error.status, 401);
  });

  it("answers 403 budget_exceeded once a key's budget is spent, while the account still has credits", async () => {
    const { body: session } = await signIn();
    const created = await api("/account/keys", {
      method: "POST",
      token: session.token,
      body: JSON.stringify({ name: "capped", budget: { limit: "40000000000000", period: "day" } }),
    });
    const client = new OpenAI({ baseURL: gateway.baseURL, apiKey: created.body.key, maxRetries: 0 });
    const ask = () =>
      client.chat.completions.create({
        model: "basis-small",
        messages: [{ role: "user", content: "budget" }],
        max_tokens: 8,
      });
    const first = await ask();
    assert.ok(first.id);
    let error: { status?: number; code?: string } | undefined;
    for (let i = 0; i < 5 && !error; i++)
      error = await ask().then(
        () => undefined,
        (e) => e,
      );
    assert.equal(error?.status, 403);
    assert.equal(error?.code, "budget_exceeded");
    const keys = await api("/account/keys", { token: session.token });
    const capped = keys.body.data.find((k: Json) => k.id === created.body.id);
    assert.ok(BigInt(capped.budget.spent) <= 40_000_000_000_000n);
    await api(`/account/keys/${created.body.id}`, { method: "DELETE", token: session.token });
  });

  it("shows the account's credits, transactions, usage and own receipts with cursor pagination", async () => {
    const { body: session } = await signIn();
    const credits = await api("/account/credits", { token: session.token });
    assert.equal(BigInt(credits.body.granted), 10n ** 18n);
    assert.equal(
      BigInt(credits.body.available) + BigInt(credits.body.spent) - BigInt(credits.body.refunded),
      10n ** 18n,
    );
    const tx = await api("/account/transactions?limit=2", { token: session.token });
    assert.equal(tx.body.data.length, 2);
    assert.ok(tx.body.next_cursor);
    const next = await api(`/account/transactions?limit=2&cursor=${tx.body.next_cursor}`, { token: session.token });
    assert.notEqual(next.body.data[0].id, tx.body.data[0].id);
    const usage = await api("/account/usage", { token: session.token });
    assert.ok(usage.body.data.length >= 1);
    assert.equal(usage.body.data[0].model, "basis-small");
    const receipts = await api("/account/receipts", { token: session.token });
    assert.equal(receipts.body.data[0].verified, true);
    assert.equal(receipts.body.data[0].receipt.hash, usage.body.data[0].receipt_hash);
  });

  it("takes back unused deposited credit with an attester-signed voucher, holding it until used or expired", async () => {
    const { body: session } = await signIn();
    const token = session.token as string;
    await gateway.ledger.credit({ account: wallet.address, amount: 10n ** 18n, kind: "deposit", ref: "withdraw-test" });
    const before = (await api("/account/credits", { token })).body;
    // Earlier tests spent some of the account's credit: spending counts against deposits first.
    const backed = BigInt(before.deposited) - BigInt(before.spent) + BigInt(before.refunded);
    assert.ok(BigInt(before.spent) > 0n && BigInt(before.granted) > 0n);
    assert.equal(
      before.withdrawable,
      backed.toString(),
      "deposited and unspent; the operator grant is not withdrawable",
    );

    const created = await api("/account/withdrawals", {
      method: "POST",
      token,
      body: JSON.stringify({ amount: "3000" }),
    });
    assert.equal(created.status, 201);
    const w = created.body;
    assert.deepEqual(
      [w.object, w.account, w.amount, w.status, w.vault, w.chain_id, w.tx_hash],
      ["withdrawal", wallet.address.toLowerCase(), "3000", "pending", VAULT, 31337, null],
    );
    assert.ok(Number.isInteger(w.deadline) && w.deadline > Date.now() / 1000 + 590, "usable for the configured time");
    const signedBy = await recoverTypedDataAddress({
      domain: voucherDomain(31337, VAULT),
      types: VOUCHER_TYPES,
      primaryType: "Voucher",
      message: { account: w.account, amount: BigInt(w.amount), nonce: BigInt(w.nonce), deadline: BigInt(w.deadline) },
      signature: w.signature,
    });
    assert.equal(signedBy, gateway.attester, "the voucher is signed by the attester the vault trusts");

    const after = (await api("/account/credits", { token })).body;
    assert.deepEqual(
      [after.withdrawing, after.withdrawable, BigInt(before.available) - BigInt(after.available)],
      ["3000", (backed - 3000n).toString(), 3000n],
    );
    const list = await api("/account/withdrawals", { token });
    assert.deepEqual(
      list.body.data.map((x: Json) => [x.id, x.status]),
      [[w.id, "pending"]],
    );
    const kinds = (await api("/account/transactions", { token })).body.data.map((e: Json) => e.kind);
    assert.equal(kinds[0], "voucher", `the hold is a ledger entry: ${kinds.join(",")}`);

    const tooMuch = await api("/account/withdrawals", {
      method: "POST",
      token,
      body: JSON.stringify({ amount: (backed - 3000n + 1n).toString() }),
    });
    assert.equal(tooMuch.status, 402);
    assert.equal(tooMuch.body.error.code, "insufficient_credits");
    assert.ok(tooMuch.body.error.message.includes(`${backed - 3000n} can be withdrawn`), tooMuch.body.error.message);
    for (const amount of ["0", "-1", "1.5", 12, "1e3", `${2n ** 256n}`]) {
      const bad = await api("/account/withdrawals", { method: "POST", token, body: JSON.stringify({ amount }) });
      assert.equal(bad.status, 400, `amount ${amount}`);
      assert.equal(bad.body.error.param, "amount");
    }
    assert.equal((await api("/account/withdrawals", { method: "POST", body: "{}" })).status, 401);
  });

  it("answers 503 contracts_pending for withdrawals on a gateway without a vault", async () => {
    const bare = await startGateway();
    try {
      const nonce = ((await (await fetch(`${bare.url}/api/auth/nonce`)).json()) as Json).nonce;
      const message = createSiweMessage({
        address: wallet.address,
        chainId: 31337,
        domain: new URL(bare.url).host,
        nonce,
        uri: bare.url,
        version: "1",
      });
      const signature = await wallet.signMessage({ message });
      const verify = await fetch(`${bare.url}/api/auth/verify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message, signature }),
      });
      const { token } = (await verify.json()) as Json;
      const res = await fetch(`${bare.url}/api/account/withdrawals`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ amount: "1" }),
      });
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as Json).error.code, "contracts_pending");
    } finally {
      await bare.close();
    }
  });

  it("refuses the account endpoints without a session", async () => {
    assert.equal((await api("/account/credits")).status, 401);
    assert.equal((await api("/account/credits", { token: "basis-session-nope" })).status, 401);
  });
});
