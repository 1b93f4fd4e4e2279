/**
 * The worker's settings, from flags (`--gateway …`) or the environment (`BASIS_GATEWAY_URL`…); a flag
 * wins over its variable. Validated once with zod; every bad setting is reported by its flag name.
 */
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { isHex } from "viem";
import { z } from "zod";

/** Flag → environment variable. */
export const WORKER_FLAGS = {
  gateway: "BASIS_GATEWAY_URL",
  token: "BASIS_WORKER_TOKEN",
  "wallet-key": "BASIS_WORKER_KEY",
  name: "BASIS_WORKER_NAME",
  concurrency: "BASIS_WORKER_CONCURRENCY",
  engine: "BASIS_ENGINE",
  "engine-url": "BASIS_ENGINE_URL",
  "engine-api-key": "BASIS_ENGINE_API_KEY",
  model: "BASIS_WORKER_MODELS",
  gguf: "BASIS_GGUF",
  threads: "BASIS_ENGINE_THREADS",
  gpu: "BASIS_ENGINE_GPU",
  "context-size": "BASIS_ENGINE_CONTEXT",
  "log-level": "LOG_LEVEL",
} as const;

const modelMapping = z
  .string()
  .regex(/^[A-Za-z0-9._:/-]+(=[^=,\s]+)?$/, "expected a network model id, or id=engine-model")
  .transform((s) => {
    const [id, engineModel] = s.split("=") as [string, string | undefined];
    return { id, engineModel: engineModel ?? id };
  });

const NAME_A_MODEL = "name at least one model (--model basis-small[=engine-model], repeatable)";

export const workerConfigSchema = z
  .object({
    gateway: z.url({ protocol: /^https?$/, error: "expected the gateway's http(s) URL" }),
    token: z.string().regex(/^wk-basis-[A-Za-z0-9_-]{43}$/, "expected a worker token (wk-basis-…)"),
    "wallet-key": z
      .string()
      .refine((k) => isHex(k) && k.length === 66, "expected the payout wallet's 0x-prefixed 32-byte private key"),
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, "1–64 letters, digits, '.', '_' or '-'")
      .default(
        hostname()
          .replace(/[^A-Za-z0-9._-]/g, "-")
          .slice(0, 64) || "worker",
      ),
    concurrency: z.coerce.number().int().min(1).max(1_024).default(4),
    engine: z.enum(["llama", "openai"]).default("llama"),
    "engine-url": z.url({ protocol: /^https?$/ }).optional(),
    "engine-api-key": z.string().optional(),
    model: z.array(modelMapping, { error: NAME_A_MODEL }).min(1, NAME_A_MODEL),
    gguf: z.string().optional(),
    threads: z.coerce.number().int().min(1).max(256).default(1),
    gpu: z.enum(["false", "auto", "cuda", "vulkan"]).default("false"),
    "context-size": z.coerce.number().int().min(64).max(1_048_576).default(2_048),
    "log-level": z.enum(["debug", "info", "warn", "error"]).default("info"),
  })
  .superRefine((c, ctx) => {
    if (c.engine === "openai" && !c["engine-url"])
      ctx.addIssue({ code: "custom", path: ["engine-url"], message: "required with --engine openai" });
    if (c.engine === "llama" && !c.gguf)
      ctx.addIssue({ code: "custom", path: ["gguf"], message: "required with --engine llama (a GGUF model file)" });
  });

export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/** Parses argv and env into a config, or returns the problems, each naming its flag. */
export function parseWorkerConfig(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): { config: WorkerConfig } | { errors: string[] } {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.keys(WORKER_FLAGS).map((flag) => [flag, { type: "string", multiple: flag === "model" }]),
      ),
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return { errors: [(error as Error).message] };
  }
  const raw: Record<string, unknown> = {};
  for (const [flag, variable] of Object.entries(WORKER_FLAGS)) {
    const fromEnv = env[variable];
    const value =
      values[flag] ??
      (fromEnv === undefined || fromEnv === "" ? undefined : flag === "model" ? fromEnv.split(",") : fromEnv);
    if (value !== undefined) raw[flag] = value;
  }
  const parsed = workerConfigSchema.safeParse(raw);
  if (parsed.success) return { config: parsed.data };
  return {
    errors: parsed.error.issues.map((issue) => {
      const flag = String(issue.path[0] ?? "");
      const variable = WORKER_FLAGS[flag as keyof typeof WORKER_FLAGS];
      return flag ? `--${flag}${variable ? ` (${variable})` : ""}: ${issue.message}` : issue.message;
    }),
  };
}
