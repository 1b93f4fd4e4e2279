/**
 * Operator commands on the gateway's database (the same DATABASE_URL or BASIS_DATA_DIR the gateway
 * uses; with embedded PGlite, stop the gateway first: one process at a time owns its data directory).
 *
 *   npm run operator -- credit <account> <amount> [--units base|credits] [--ref <id>]
 *   npm run operator -- key <account> [name]
 *   npm run operator -- worker-token <account> [name]
 *   npm run operator -- refund <jobId> <amount> --reason <why> [--units base|credits]
 *
 * `credit` writes an ordinary `operator` ledger entry (idempotent by --ref); `key` mints an API key and
 * `worker-token` a worker token for the account's workers; each is printed once. `refund` returns (part
 * of) a job's debit to its account and marks its receipt `refunded` (never more than the job's debit).
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { getAddress, isAddress, parseEther } from "viem";
import { z } from "zod";
import { createApiKeys } from "../gateway/auth/apiKeys.js";
import { createLedger } from "../gateway/ledger/ledger.js";
import { openDb } from "../gateway/store/db.js";
import { createWorkerTokens } from "../gateway/workers/tokens.js";

const env = z
  .object({
    DATABASE_URL: z.string().url().optional(),
    BASIS_DATA_DIR: z.string().default(".basis/gateway"),
    BASIS_KEY_PEPPER: z.string().min(32, "must be at least 32 characters").optional(),
  })
  .parse(process.env);

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { units: { type: "string", default: "credits" }, ref: { type: "string" }, reason: { type: "string" } },
});
const [command, rawAccount, rest] = positionals;
/** `<amount>` in credits (18 decimals), or base units with `--units base`. */
const parseAmount = (raw: string | undefined): bigint => {
  if (!raw || !/^\d+(\.\d+)?$/.test(raw)) fail("amount must be a non-negative decimal number");
  if (values.units === "base" && raw.includes(".")) fail("base units are integers");
  return values.units === "base" ? BigInt(raw) : parseEther(raw);
};
if (command === "refund") {
  const [, jobId, rawAmount] = positionals;
  if (!jobId || !values.reason)
    fail("usage: npm run operator -- refund <jobId> <amount> --reason <why> [--units base]");
  const amount = parseAmount(rawAmount);
  const db = await openDb({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATABASE_URL ? undefined : env.BASIS_DATA_DIR,
  });
  try {
    await createLedger(db).refund({ jobId, amount, reason: values.reason });
    console.log(`refunded ${amount} base units of job ${jobId} (${values.reason})`);
  } catch (error) {
    fail((error as Error).message);
  } finally {
    await db.close();
  }
  process.exit(0);
}
if (rawAccount && !isAddress(rawAccount)) fail(`${rawAccount} is not an account address (0x + 40 hex digits)`);
if (!command || !rawAccount || !isAddress(rawAccount)) {
  fail(
    "usage: npm run operator -- credit <account> <amount> [--units base|credits] [--ref id]\n       npm run operator -- key <account> [name]\n       npm run operator -- worker-token <account> [name]\n       npm run operator -- refund <jobId> <amount> --reason <why> [--units base|credits]",
  );
}
const account = getAddress(rawAccount);
const db = await openDb({ databaseUrl: env.DATABASE_URL, dataDir: env.DATABASE_URL ? undefined : env.BASIS_DATA_DIR });
try {
  if (command === "credit") {
    const amount = parseAmount(rest);
    const ref = values.ref ?? `operator-${randomUUID()}`;
    const { credited } = await createLedger(db).credit({ account, amount, kind: "operator", ref });
    console.log(
      credited ? `credited ${amount} base units to ${account} (ref ${ref})` : `ref ${ref} was already credited`,
    );
  } else if (command === "key") {
    if (!env.BASIS_KEY_PEPPER) fail("BASIS_KEY_PEPPER must be set (the gateway's own)");
    const { key, record } = await createApiKeys(db, { pepper: env.BASIS_KEY_PEPPER }).create({
      account,
      name: rest ?? "operator",
    });
    console.log(`API key for ${account} (id ${record.id}), shown once:\n${key}`);
  } else if (command === "worker-token") {
    if (!env.BASIS_KEY_PEPPER) fail("BASIS_KEY_PEPPER must be set (the gateway's own)");
    const { token, record } = await createWorkerTokens(db, { pepper: env.BASIS_KEY_PEPPER }).create({
      account,
      name: rest ?? "operator",
    });
    console.log(`worker token for ${account} (id ${record.id}), shown once:\n${token}`);
  } else {
    fail(`unknown command ${command}`);
  }
} finally {
  await db.close();
}
