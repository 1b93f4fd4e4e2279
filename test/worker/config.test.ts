import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { parseWorkerConfig } from "../../worker/config.js";

const TOKEN = `wk-basis-${"a".repeat(43)}`;
const KEY = `0x${"11".repeat(32)}`;

describe("worker › settings from flags and environment", () => {
  it("reads flags, falls back to the environment, and maps network models to engine models", () => {
    const parsed = parseWorkerConfig(
      ["--gateway", "http://127.0.0.1:8787", "--engine", "openai", "--engine-url", "http://127.0.0.1:8000/v1"],
      {
        BASIS_WORKER_TOKEN: TOKEN,
        BASIS_WORKER_KEY: KEY,
        BASIS_WORKER_MODELS: "basis-default=llama-3.1-8b,basis-small",
      },
    );
    assert.ok("config" in parsed, JSON.stringify(parsed));
    assert.deepEqual(parsed.config.model, [
      { id: "basis-default", engineModel: "llama-3.1-8b" },
      { id: "basis-small", engineModel: "basis-small" },
    ]);
    assert.equal(parsed.config.threads, 1);
    assert.equal(parsed.config.concurrency, 4);
    const flagWins = parseWorkerConfig(
      ["--gateway", "http://a:1", "--token", TOKEN, "--gguf", "m.gguf", "--model", "x"],
      {
        BASIS_GATEWAY_URL: "http://b:2",
        BASIS_WORKER_KEY: KEY,
      },
    );
    assert.ok("config" in flagWins);
    assert.equal(flagWins.config.gateway, "http://a:1");
  });

  it("names every bad or missing setting by its flag and variable, and never echoes a secret", () => {
    const parsed = parseWorkerConfig(["--gateway", "ftp://x", "--token", "sk-basis-nope", "--concurrency", "0"], {
      BASIS_WORKER_KEY: "0xdeadbeef-secret",
    });
    assert.ok("errors" in parsed);
    const text = parsed.errors.join("\n");
    for (const flag of [
      "--gateway (BASIS_GATEWAY_URL)",
      "--token (BASIS_WORKER_TOKEN)",
      "--wallet-key",
      "--concurrency",
      "--model",
    ])
      assert.ok(text.includes(flag), `${flag} in:\n${text}`);
    assert.match(text, /name at least one model/);
    assert.doesNotMatch(text, /deadbeef-secret|sk-basis-nope/);
    const noModelFile = parseWorkerConfig(["--gateway", "http://a:1", "--token", TOKEN, "--model", "x"], {
      BASIS_WORKER_KEY: KEY,
    });
    assert.ok("errors" in noModelFile);
    assert.match(noModelFile.errors.join(), /--gguf \(BASIS_GGUF\): required with --engine llama/);
    const unknown = parseWorkerConfig(["--gatway", "http://x"], {});
    assert.ok("errors" in unknown);
    assert.match(unknown.errors[0] ?? "", /gatway/);
  });
});
