/**
 * The worker process: `npm run worker -- --gateway <url> --token wk-basis-… --wallet-key 0x… --gguf model.gguf --model basis-small`
 * (or the `basis-worker` bin). Serves the gateway's jobs from an engine until SIGINT/SIGTERM.
 */
import pino from "pino";
import { privateKeyToAccount } from "viem/accounts";
import { startWorker, type WorkerLog } from "./client.js";
import { parseWorkerConfig } from "./config.js";
import type { Engine } from "./engines/engine.js";
import { createOpenAIEngine } from "./engines/openai.js";

const parsed = parseWorkerConfig(process.argv.slice(2));
if ("errors" in parsed) {
  console.error("Invalid worker settings:");
  for (const error of parsed.errors) console.error(`  ${error}`);
  console.error("See the README's 'Run a worker' section for every flag and its variable.");
  process.exit(2);
}
const config = parsed.config;
const logger = pino({ level: config["log-level"], redact: ["token", "*.token", "key", "*.key"] });
const log: WorkerLog = {
  info: (msg, fields) => logger.info(fields ?? {}, msg),
  warn: (msg, fields) => logger.warn(fields ?? {}, msg),
  error: (msg, fields) => logger.error(fields ?? {}, msg),
};

let engine: Engine;
if (config.engine === "openai") {
  engine = createOpenAIEngine({
    url: config["engine-url"] as string,
    apiKey: config["engine-api-key"],
    models: config.model,
  });
} else {
  const { createLlamaEngine } = await import("./engines/llama.js");
  engine = createLlamaEngine({
    modelPath: config.gguf as string,
    models: config.model.map((m) => m.id),
    contextSize: config["context-size"],
    parallel: config.concurrency,
    threads: config.threads,
    gpu: config.gpu === "false" ? false : config.gpu,
  });
}

const wallet = privateKeyToAccount(config["wallet-key"] as `0x${string}`);
logger.info({ address: wallet.address, name: config.name, engine: config.engine }, "worker starting");
const loading = engine.start().catch((error: unknown) => {
  logger.error({ err: (error as Error).message }, "the engine failed to start");
});
const worker = startWorker({
  gatewayUrl: config.gateway,
  token: config.token,
  wallet,
  name: config.name,
  concurrency: config.concurrency,
  engine,
  log,
});

async function shutdown(code: number) {
  await worker.stop();
  await loading;
  await engine.close().catch(() => {});
  process.exit(code);
}
worker.done.catch((error: unknown) => {
  logger.error({ err: (error as Error).message }, "stopping");
  void shutdown(1);
});
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
