/**
 * The embedded engine: one GGUF model run in-process by llama.cpp (node-llama-cpp), serving OpenAI chat
 * and completions bodies under one or more network model ids.
 *
 * Generation runs token by token on `LlamaContextSequence.evaluateWithMetadata`, which gives streaming,
 * prompt abort and per-token probabilities (the high-level LlamaChat/LlamaCompletion classes hide the
 * latter). The next token's evaluation starts before the current token is yielded, so what the consumer does
 * with a token (the worker relaying it) overlaps llama.cpp's work on the next. The context holds `parallel`
 * sequences; a job holds one sequence for all its choices (they run one after another) and jobs beyond
 * `parallel` wait for a free sequence, first come first served.
 *
 * Request body fields honoured (others are ignored):
 * - `max_tokens` (capped by the room left in the context), `n`, `stop` (string or array: the choice ends
 *   before the stop text, finish "stop"), `seed` (choice i samples with seed + i), `temperature`
 *   (0 = greedy; default 1), `top_p`, `top_k` (≤ 0 = off), `min_p`, `presence_penalty`,
 *   `frequency_penalty`, `repetition_penalty`/`repeat_penalty` (over the choice's generated tokens),
 *   `logit_bias` (keys are this model's token ids; unknown ids are ignored).
 * - chat: `messages` (system/developer → system, user/tool → user, assistant → model; a trailing
 *   assistant message is continued), rendered with node-llama-cpp's chat wrapper for the model (its own
 *   template when the GGUF has one); the wrapper's stop triggers end the choice like `stop`.
 *   `response_format: {type: "json_object"}` constrains output with llama.cpp's JSON grammar.
 * - completions: `prompt` (a string, or an array: one choice per prompt per `n`, index = prompt * n + j),
 *   `echo` (the prompt is the choice's first delta), `logprobs` (OpenAI's legacy shape, one entry per
 *   delta: `tokens`, `token_logprobs`, `top_logprobs`, `text_offset` counted from the start of the
 *   generated text). Log probabilities are those llama.cpp samples from: after penalties, biases,
 *   top-k/top-p/min-p and temperature (with temperature 0, the model's own distribution).
 *
 * Streaming: one delta per sampled token (its text may be empty while a UTF-8 character is incomplete or
 * text is held back as a possible stop-sequence start), then a last delta per choice with its
 * `finishReason` ("stop": end-of-generation token, stop sequence or stop trigger; "length": max_tokens)
 * carrying any held-back text, then `{ usage }`: prompt tokens (each distinct prompt once, BOS included)
 * and every sampled token (an end-of-generation token included). When `job.signal` aborts, the iteration
 * ends after the current token (or prompt batch) with nothing more yielded; when the engine closes under a
 * job, the iteration fails (`BackendUnavailableError` if nothing was yielded yet).
 */
import { randomInt } from "node:crypto";
import {
  type ChatHistoryItem,
  type ChatWrapper,
  getLlama,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaGrammar,
  LlamaGrammarEvaluationState,
  type LlamaLogLevel,
  type LlamaModel,
  resolveChatWrapper,
  type SequenceEvaluateOptions,
  type Token,
  TokenBias,
} from "node-llama-cpp";
import { BackendUnavailableError } from "../../gateway/routing/backend.js";
import type { BackendJob, EmbedJob, Engine, ModelHealth, OutputDelta, ReportedUsage } from "./engine.js";
import { createIncrementalText, createStopMatcher } from "./llamaText.js";

/** How to run the embedded engine. */
export type LlamaEngineOptions = {
  /** The GGUF file. */
  modelPath: string;
  /** Network model ids served by this one model. */
  models: string[];
  /** Tokens each sequence holds (prompt + output). Default: the model's training context, at most 4096. */
  contextSize?: number;
  /** Sequences generated concurrently (each with its own `contextSize`). Default 1. */
  parallel?: number;
  /**
   * CPU threads for evaluation. Default 1: with tiny models, more threads than idle cores is far slower
   * (on 2 cores, 2 threads run ~40× slower than 1), so raise it only for big models on idle cores.
   */
  threads?: number;
  /** GPU backend, or false for CPU only. Default false. */
  gpu?: "auto" | false | "cuda" | "vulkan";
  /**
   * Flash attention. Default: off on CPU (`gpu: false`), where it made the tiny model 2–3× slower past a
   * few hundred tokens of context; "auto" (llama.cpp's choice) with a GPU.
   */
  flashAttention?: boolean | "auto";
  /** llama.cpp log level. Default "warn"; "debug" names the tensor when a model file fails to load. */
  logLevel?: `${LlamaLogLevel}`;
};

/** Everything that exists once the model is loaded. */
type Loaded = {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  chatWrapper: ChatWrapper;
  vocabularySize: number;
  json?: Promise<LlamaGrammar>;
};

/** One choice to generate. */
type ChoicePlan = {
  index: number;
  /** Index into `JobPlan.prompts`. */
  prompt: number;
  echo?: string;
  seed: number;
};

/** A job's body turned into tokens and sampling options. */
type JobPlan = {
  prompts: Token[][];
  choices: ChoicePlan[];
  maxTokens: number;
  stops: string[];
  stopTokens: Set<Token>;
  logprobs: number | null;
  sampling: Omit<SequenceEvaluateOptions, "seed" | "repeatPenalty" | "grammarEvaluationState">;
  penalties: { penalty: number; presencePenalty: number; frequencyPenalty: number } | null;
  json: boolean;
};

type Logprobs = {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Record<string, number>[] | null;
  text_offset: number[];
};

/** Tokens of prompt context kept for detokenizing the first generated tokens. */
const DETOKENIZE_CONTEXT = 4;
/** Generated tokens that presence/frequency/repetition penalties look back over. */
const PENALTY_WINDOW = 256;

/** Creates the embedded llama.cpp engine; call `start()` to load the model. */
export function createLlamaEngine(options: LlamaEngineOptions): Engine {
  const threads = options.threads ?? 1;
  const parallel = options.parallel ?? 1;
  const gpu = options.gpu ?? false;
  let state: ModelHealth = "loading";
  const listeners: (() => void)[] = [];
  let loaded: Loaded | null = null;
  let starting: Promise<void> | null = null;
  let closing: Promise<void> | null = null;
  const shutdown = new AbortController();
  const free: LlamaContextSequence[] = [];
  const waiting: { grant: (sequence: LlamaContextSequence | null) => void }[] = [];
  const running = new Set<Promise<unknown>>();

  function setState(next: ModelHealth) {
    if (next === state) return;
    state = next;
    for (const listener of listeners) listener();
  }

  async function load() {
    let llama: Llama | null = null;
    try {
      llama = await getLlama({
        gpu,
        logLevel: (options.logLevel ?? "warn") as LlamaLogLevel,
        build: "never",
        maxThreads: threads,
        progressLogs: false,
      });
      const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: gpu === false ? 0 : "auto" });
      const context = await model.createContext({
        sequences: parallel,
        threads,
        contextSize: options.contextSize ?? Math.min(model.trainContextSize, 4096),
        // On CPU, flash attention makes long generations 2–3× slower (measured); GPUs get llama.cpp's choice.
        flashAttention: options.flashAttention ?? (gpu === false ? false : "auto"),
      });
      let vocabularySize = 0;
      for (const _ of model.iterateAllTokens()) vocabularySize++;
      loaded = { llama, model, context, chatWrapper: resolveChatWrapper(model), vocabularySize };
      for (let i = 0; i < parallel; i++) free.push(context.getSequence());
      if (shutdown.signal.aborted) return;
      setState("ready");
    } catch (error) {
      await llama?.dispose().catch(() => {});
      loaded = null;
      setState("unavailable");
      throw error;
    }
  }

  /** A free sequence, waiting in line for one; null when `signal` aborts first. */
  function acquire(signal: AbortSignal): Promise<LlamaContextSequence | null> {
    const sequence = free.pop();
    if (sequence) return Promise.resolve(sequence);
    if (signal.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter = {
        grant(sequence: LlamaContextSequence | null) {
          signal.removeEventListener("abort", onAbort);
          resolve(sequence);
        },
      };
      const onAbort = () => {
        waiting.splice(waiting.indexOf(waiter), 1);
        resolve(null);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      waiting.push(waiter);
    });
  }

  function release(sequence: LlamaContextSequence) {
    const next = waiting.shift();
    if (next) next.grant(sequence);
    else free.push(sequence);
  }

  async function* generate(job: BackendJob): AsyncGenerator<OutputDelta | { usage: ReportedUsage }> {
    if (!options.models.includes(job.model))
      throw new BackendUnavailableError(`model '${job.model}' is not served by this engine`);
    const current = loaded;
    if (state !== "ready" || !current || closing)
      throw new BackendUnavailableError(`model '${job.model}' is ${closing ? "shutting down" : state}`);
    const plan = planJob(current, job);
    const signal = AbortSignal.any([job.signal, shutdown.signal]);
    const sequence = await acquire(signal);
    if (!sequence) {
      if (shutdown.signal.aborted && !job.signal.aborted) throw new BackendUnavailableError("engine shut down");
      return;
    }
    let done!: () => void;
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    running.add(finished);
    try {
      const promptTokens = plan.prompts.reduce((sum, p) => sum + p.length, 0);
      const counts = { sampled: 0 };
      let yielded = false;
      for (const choice of plan.choices) {
        for await (const delta of runChoice(current, sequence, plan, choice, signal, counts)) {
          yielded = true;
          yield delta;
        }
        if (job.signal.aborted) return;
        if (shutdown.signal.aborted) {
          if (!yielded) throw new BackendUnavailableError("engine shut down");
          throw new Error("the engine closed during the job");
        }
      }
      yield { usage: { promptTokens, completionTokens: counts.sampled } };
    } finally {
      release(sequence);
      running.delete(finished);
      done();
    }
  }

  return {
    models: () => options.models.map((id) => ({ id, state })),
    onStateChange(listener) {
      listeners.push(listener);
    },
    start() {
      starting ??= load();
      return starting;
    },
    generate,
    async embed(_job: EmbedJob): Promise<{ vectors: number[][]; usage: ReportedUsage }> {
      throw new BackendUnavailableError("embeddings are not served by this engine");
    },
    close() {
      closing ??= (async () => {
        shutdown.abort();
        for (const waiter of waiting.splice(0)) waiter.grant(null);
        await starting?.catch(() => {});
        // Jobs see the abort after their current token; one whose consumer stopped pulling is not awaited.
        await Promise.race([Promise.all(running), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
        setState("unavailable");
        const current = loaded;
        loaded = null;
        free.length = 0;
        if (!current) return;
        await current.context.dispose();
        await current.model.dispose();
        await current.llama.dispose();
      })();
      return closing;
    },
  };
}

/** Generates one choice on `sequence`, yielding its deltas and adding each sampled token to `counts`. */
async function* runChoice(
  loaded: Loaded,
  sequence: LlamaContextSequence,
  plan: JobPlan,
  choice: ChoicePlan,
  signal: AbortSignal,
  counts: { sampled: number },
): AsyncGenerator<OutputDelta> {
  const { model, context } = loaded;
  const prompt = plan.prompts[choice.prompt] as Token[];
  await sequence.clearHistory();
  if (choice.echo) yield { index: choice.index, text: choice.echo, finishReason: null };
  // All but the last prompt token, a batch at a time, so an abort is seen between batches.
  for (let i = 0; i < prompt.length - 1; i += context.batchSize) {
    if (signal.aborted) return;
    await sequence.evaluateWithoutGeneratingNewTokens(
      prompt.slice(i, Math.min(i + context.batchSize, prompt.length - 1)),
    );
  }
  if (signal.aborted) return;

  const maxTokens = Math.min(plan.maxTokens, sequence.contextSize - prompt.length);
  const generated: Token[] = [];
  const text = createIncrementalText(model, prompt.slice(-DETOKENIZE_CONTEXT));
  const stops = createStopMatcher(plan.stops);
  const json = plan.json ? await jsonGrammar(loaded) : null;
  const penalties = plan.penalties;
  const iterator = sequence.evaluateWithMetadata(
    [prompt[prompt.length - 1] as Token],
    { probabilities: plan.logprobs !== null },
    {
      ...plan.sampling,
      seed: choice.seed,
      yieldEogToken: true,
      grammarEvaluationState: json ? new LlamaGrammarEvaluationState({ model, grammar: json }) : undefined,
      repeatPenalty: penalties
        ? { ...penalties, punishTokens: () => generated.slice(-PENALTY_WINDOW), maxPunishTokens: PENALTY_WINDOW }
        : undefined,
    },
  );
  let offset = 0;
  let finishReason: "stop" | "length" = "length";
  let tail = "";
  // The next token's evaluation is started before this one is handed on: relaying it (the worker's frame and
  // socket write) overlaps llama.cpp's evaluation of the next instead of adding to every token's time.
  let ahead: ReturnType<typeof iterator.next> | null = iterator.next();
  try {
    while (ahead) {
      const next = await ahead;
      ahead = null;
      if (signal.aborted) return;
      if (next.done) {
        finishReason = "stop";
        break;
      }
      const { token, probabilities } = next.value as { token: Token; probabilities?: Map<Token, number> };
      generated.push(token);
      counts.sampled++;
      if (model.isEogToken(token) || plan.stopTokens.has(token)) {
        finishReason = "stop";
        break;
      }
      const last = generated.length === maxTokens;
      const piece = text.push(token) + (last ? text.flush() : "");
      const { emit, stopped } = stops.push(piece, last);
      if (!last && !stopped) ahead = iterator.next();
      // The last token carries the finish itself, so a consumer that stops at the cap sees it.
      const delta: OutputDelta = {
        index: choice.index,
        text: emit,
        finishReason: last && !stopped ? "length" : null,
      };
      if (plan.logprobs !== null && probabilities)
        delta.logprobs = tokenLogprobs(model, token, piece, offset, probabilities, plan.logprobs, generated);
      offset += piece.length;
      yield delta;
      if (last && !stopped) return;
      if (stopped) {
        finishReason = "stop";
        break;
      }
    }
    if (finishReason === "stop" && !stops.stopped()) tail = stops.push(text.flush(), true).emit;
  } finally {
    // A token evaluated ahead for a consumer that stopped (an abort) is dropped; `return` waits for it.
    ahead?.catch(() => {});
    await iterator.return();
  }
  yield { index: choice.index, text: tail, finishReason };
}

/** llama.cpp's JSON grammar, loaded on first use. */
function jsonGrammar(loaded: Loaded): Promise<LlamaGrammar> {
  if (!loaded.json) loaded.json = loaded.llama.getGrammarFor("json");
  return loaded.json;
}

/** The OpenAI legacy logprobs of one sampled token. */
function tokenLogprobs(
  model: LlamaModel,
  token: Token,
  piece: string,
  offset: number,
  probabilities: Map<Token, number>,
  top: number,
  generated: readonly Token[],
): Logprobs {
  const context = generated.slice(-DETOKENIZE_CONTEXT - 1, -1);
  const alternatives: Record<string, number> = {};
  let count = 0;
  for (const [alternative, p] of probabilities) {
    if (count++ >= top) break;
    const key = alternative === token ? piece : model.detokenize([alternative], false, context);
    alternatives[key] ??= Math.log(p);
  }
  return {
    tokens: [piece],
    token_logprobs: [Math.log(probabilities.get(token) ?? 0)],
    top_logprobs: top > 0 ? [alternatives] : null,
    text_offset: [offset],
  };
}

const num = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;

/** Turns an OpenAI chat or completions body into prompts, choices and sampling options. */
function planJob(loaded: Loaded, job: BackendJob): JobPlan {
  const { model } = loaded;
  const body = job.body;
  const n = Math.max(1, Math.floor(num(body.n) ?? 1));
  const stops = (typeof body.stop === "string" ? [body.stop] : Array.isArray(body.stop) ? body.stop : []).filter(
    (s): s is string => typeof s === "string" && s !== "",
  );
  const stopTokens = new Set<Token>();
  let prompts: Token[][];
  let echoes: (string | undefined)[] = [];
  if (job.endpoint === "chat") {
    if (!Array.isArray(body.messages)) throw new Error("chat body without messages");
    const history = chatHistory(body.messages);
    const { contextText, stopGenerationTriggers } = loaded.chatWrapper.generateContextState({ chatHistory: history });
    for (const trigger of stopGenerationTriggers) {
      if (trigger.values.every((v) => typeof v === "string")) {
        const stop = trigger.toString();
        if (stop !== "") stops.push(stop);
      } else {
        const tokens = trigger.tokenize(model.tokenizer);
        if (tokens.length === 1) stopTokens.add(tokens[0] as Token);
      }
    }
    prompts = [contextText.tokenize(model.tokenizer)];
  } else {
    const texts = typeof body.prompt === "string" ? [body.prompt] : body.prompt;
    if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== "string"))
      throw new Error("completion body without a prompt");
    prompts = (texts as string[]).map((t) => withBos(model, model.tokenize(t)));
    if (body.echo === true) echoes = texts as string[];
  }
  const longest = Math.max(...prompts.map((p) => p.length));
  const room = loaded.context.contextSize - longest;
  if (prompts.some((p) => p.length === 0)) throw new Error("empty prompt");
  if (room < 1)
    throw new BackendUnavailableError(
      `prompt of ${longest} tokens does not fit this engine's context of ${loaded.context.contextSize}`,
    );

  const seed = num(body.seed);
  const choices: ChoicePlan[] = [];
  prompts.forEach((_, p) => {
    for (let j = 0; j < n; j++)
      choices.push({
        index: p * n + j,
        prompt: p,
        echo: echoes[p],
        seed: seed === undefined ? randomInt(2 ** 32 - 1) : (((seed + j) % 2 ** 32) + 2 ** 32) % 2 ** 32,
      });
  });

  const topK = num(body.top_k);
  const presencePenalty = num(body.presence_penalty) ?? 0;
  const frequencyPenalty = num(body.frequency_penalty) ?? 0;
  const penalty = num(body.repetition_penalty) ?? num(body.repeat_penalty) ?? 1;
  let tokenBias: TokenBias | undefined;
  if (body.logit_bias && typeof body.logit_bias === "object") {
    for (const [key, bias] of Object.entries(body.logit_bias as Record<string, unknown>)) {
      const id = Number(key);
      const value = num(bias);
      if (!Number.isInteger(id) || id < 0 || id >= loaded.vocabularySize || value === undefined) continue;
      tokenBias ??= new TokenBias(model.tokenizer);
      tokenBias.set(id as Token, value <= -100 ? "never" : { logit: value });
    }
  }
  const logprobs = job.endpoint === "completion" ? num(body.logprobs) : undefined;
  const format = body.response_format as { type?: unknown } | undefined;
  return {
    prompts,
    choices,
    maxTokens: Math.max(1, Math.floor(num(body.max_tokens) ?? (job.endpoint === "chat" ? room : 16))),
    stops,
    stopTokens,
    logprobs: logprobs === undefined ? null : Math.max(0, Math.floor(logprobs)),
    sampling: {
      temperature: Math.max(0, num(body.temperature) ?? 1),
      topK: topK === undefined || topK <= 0 ? 0 : Math.floor(topK),
      topP: num(body.top_p) ?? 1,
      minP: num(body.min_p) ?? 0,
      tokenBias,
    },
    penalties:
      presencePenalty !== 0 || frequencyPenalty !== 0 || penalty !== 1
        ? { penalty, presencePenalty, frequencyPenalty }
        : null,
    json: job.endpoint === "chat" && format?.type === "json_object",
  };
}

/** Prepends BOS when the model wants one and the text did not bring it. */
function withBos(model: LlamaModel, tokens: Token[]): Token[] {
  const bos = model.tokens.bos;
  if (bos === null || !model.tokens.shouldPrependBosToken || tokens[0] === bos) return tokens;
  return [bos, ...tokens];
}

/** OpenAI messages as node-llama-cpp chat history, ending with the model turn to generate. */
function chatHistory(messages: unknown[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  for (const message of messages) {
    const m = message as { role?: unknown; content?: unknown };
    const text =
      typeof m.content === "string"
        ? m.content
        : Array.isArray(m.content)
          ? m.content.map((p) => (typeof p?.text === "string" ? p.text : "")).join("")
          : "";
    if (m.role === "system" || m.role === "developer") history.push({ type: "system", text });
    else if (m.role === "assistant") history.push({ type: "model", response: [text] });
    else history.push({ type: "user", text });
  }
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  return history;
}
