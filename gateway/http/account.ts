import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { isHex } from "viem";
import { z } from "zod";
import { SignInError } from "../account/sessions.js";
import type { ApiKeyRecord } from "../auth/apiKeys.js";
import { ApiError, notFound, unauthorized } from "../errors.js";
import { withdrawable } from "../ledger/withdrawals.js";
import type { AppEnv, HttpDeps } from "./context.js";
import { readJsonBody } from "./json.js";
import { pageLimit, presentReceipt } from "./receipts.js";
import { accountServedRoutes } from "./served.js";
import { parseBody } from "./validate.js";
import { accountWithdrawalRoutes } from "./withdrawals.js";
import { accountWorkerRoutes } from "./workers.js";

const signInSchema = z.strictObject({
  message: z.string().min(1).max(4_096),
  signature: z.string().refine((s) => isHex(s), "expected a 0x-prefixed hex signature"),
});

const createKeySchema = z.strictObject({
  name: z.string().min(1).max(64),
  budget: z
    .strictObject({
      limit: z.string().regex(/^\d+$/, "base units as a decimal string"),
      period: z.enum(["day", "month"]).nullable(),
    })
    .nullable()
    .optional(),
});

const presentKey = (k: ApiKeyRecord) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  last_four: k.lastFour,
  created_at: k.createdAt.toISOString(),
  revoked_at: k.revokedAt?.toISOString() ?? null,
  budget: k.budget
    ? {
        limit: k.budget.limit?.toString() ?? null,
        period: k.budget.period,
        spent: k.budget.spent.toString(),
        held: k.budget.held.toString(),
      }
    : null,
});

/**
 * Sign-In with Ethereum and the account endpoints behind it: API keys, credits, transactions, usage
 * and receipts of the signed-in wallet, and the jobs its workers served.
 */
export function accountRoutes(deps: HttpDeps) {
  const app = new Hono<AppEnv>();

  app.get("/auth/nonce", async (c) => c.json({ nonce: await deps.sessions.nonce() }));

  app.post("/auth/verify", async (c) => {
    const body = parseBody(signInSchema, await readJsonBody(c));
    try {
      const domain = deps.siweDomain ?? new URL(c.req.url).host;
      const session = await deps.sessions.signIn({
        message: body.message,
        signature: body.signature as `0x${string}`,
        domain,
      });
      return c.json({ token: session.token, account: session.account, expires_at: session.expiresAt.toISOString() });
    } catch (error) {
      if (error instanceof SignInError) {
        throw new ApiError(401, error.message, { type: "authentication_error", code: "invalid_signin" });
      }
      throw error;
    }
  });

  const session = createMiddleware<AppEnv>(async function session(c, next) {
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    const account = token ? await deps.sessions.account(token) : null;
    if (!account)
      throw unauthorized("Sign in with Ethereum first: send the session token as 'Authorization: Bearer …'.");
    c.set("account", account);
    c.set("apiKeyId", null);
    await next();
  });
  app.use("/account/*", session);
  app.use("/auth/signout", session);

  app.post("/auth/signout", async (c) => {
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? "";
    await deps.sessions.signOut(token);
    return c.json({ signed_out: true });
  });

  app.get("/account/keys", async (c) =>
    c.json({ object: "list", data: (await deps.keys.list(c.get("account"))).map(presentKey) }),
  );

  app.post("/account/keys", async (c) => {
    const body = parseBody(createKeySchema, await readJsonBody(c));
    const budget = body.budget ? { limit: BigInt(body.budget.limit), period: body.budget.period } : null;
    const { key, record } = await deps.keys.create({ account: c.get("account"), name: body.name, budget });
    return c.json({ ...presentKey(record), key }, 201);
  });

  app.delete("/account/keys/:id", async (c) => {
    const record = await deps.keys.revoke(c.get("account"), c.req.param("id"));
    if (!record) throw notFound(`API key ${c.req.param("id")}`);
    return c.json(presentKey(record));
  });

  app.get("/account/credits", async (c) => {
    const b = await deps.ledger.balance(c.get("account"));
    return c.json({
      account: c.get("account"),
      unit: "base units of the credit token (18 decimals)",
      available: b.available.toString(),
      held: b.held.toString(),
      spent: b.spent.toString(),
      deposited: b.deposited.toString(),
      granted: b.granted.toString(),
      refunded: b.refunded.toString(),
      withdrawing: b.withdrawing.toString(),
      withdrawn: b.withdrawn.toString(),
      withdrawable: withdrawable(b).toString(),
    });
  });

  app.get("/account/transactions", async (c) => {
    const page = await deps.ledger.entries(c.get("account"), {
      cursor: c.req.query("cursor"),
      limit: pageLimit(c.req.query("limit")),
    });
    return c.json({
      object: "list",
      data: page.data.map((e) => ({
        id: e.id,
        kind: e.kind,
        amount: e.amount.toString(),
        job_id: e.jobId,
        ref: e.ref,
        created_at: e.createdAt.toISOString(),
      })),
      next_cursor: page.nextCursor,
    });
  });

  app.get("/account/receipts", async (c) => {
    const page = await deps.receipts.list({
      account: c.get("account"),
      cursor: c.req.query("cursor"),
      limit: pageLimit(c.req.query("limit")),
    });
    return c.json({ object: "list", data: page.data.map((r) => presentReceipt(r)), next_cursor: page.nextCursor });
  });

  app.get("/account/usage", async (c) => {
    const page = await deps.receipts.list({
      account: c.get("account"),
      cursor: c.req.query("cursor"),
      limit: pageLimit(c.req.query("limit")),
    });
    return c.json({
      object: "list",
      data: page.data.map((r) => ({
        job_id: r.core.jobId,
        model: r.core.model,
        prompt_tokens: r.core.promptTokens,
        completion_tokens: r.core.completionTokens,
        charged: r.core.charged,
        finish_reason: r.core.finishReason,
        completed_at: r.core.completedAt,
        receipt_hash: r.hash,
      })),
      next_cursor: page.nextCursor,
    });
  });

  app.route("/account", accountWorkerRoutes(deps));
  app.route("/account", accountWithdrawalRoutes(deps));
  app.route("/account", accountServedRoutes(deps));

  return app;
}
