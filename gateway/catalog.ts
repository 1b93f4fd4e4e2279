import type { Price } from "../protocol/pricing.js";

/** What an endpoint family a model serves. */
export type ModelKind = "chat" | "embedding";

/** One model of the network: its accounting constants are what receipts and prices are computed from. */
export type ModelEntry = {
  id: string;
  kind: ModelKind;
  contextWindow: number;
  multiplierBps: bigint;
  /** The published tokenizer the gateway counts this model's tokens with. */
  tokenizer: "o200k_base" | "cl100k_base";
  /** Unix seconds, for `/v1/models` `created`. */
  created: number;
};

/** The per-token base prices (base units of the 18-decimal credit token), before the model multiplier. */
export type BasePrices = { promptPrice: bigint; completionPrice: bigint };

/** Defaults: 10^12 base units (10^-6 credit) per prompt token, 3 × 10^12 per completion token. */
export const DEFAULT_PRICES: BasePrices = { promptPrice: 1_000_000_000_000n, completionPrice: 3_000_000_000_000n };

const CREATED = 1_767_225_600; // 2026-01-01

/** The advertised models, as the Basis user guide lists them, plus an embedding model. */
export const MODELS: readonly ModelEntry[] = [
  {
    id: "basis-small",
    kind: "chat",
    contextWindow: 16_384,
    multiplierBps: 5_000n,
    tokenizer: "o200k_base",
    created: CREATED,
  },
  {
    id: "basis-default",
    kind: "chat",
    contextWindow: 32_768,
    multiplierBps: 10_000n,
    tokenizer: "o200k_base",
    created: CREATED,
  },
  {
    id: "basis-large",
    kind: "chat",
    contextWindow: 131_072,
    multiplierBps: 30_000n,
    tokenizer: "o200k_base",
    created: CREATED,
  },
  {
    id: "basis-embed",
    kind: "embedding",
    contextWindow: 8_192,
    multiplierBps: 1_000n,
    tokenizer: "cl100k_base",
    created: CREATED,
  },
];

/** A catalog: the models and the prices they are charged at. */
export type Catalog = {
  models: readonly ModelEntry[];
  prices: BasePrices;
  /** Share of `charged` paid to the contributor worker that served a job, in basis points. */
  rewardBps: bigint;
  get(id: string): ModelEntry | undefined;
  priceOf(model: ModelEntry): Price;
};

/**
 * Builds the catalog.
 * @param prices Base per-token prices (default `DEFAULT_PRICES`).
 * @param rewardBps Contributor share in basis points (default 7,000 = 70%).
 * @example createCatalog().priceOf(createCatalog().get("basis-large")!)
 */
export function createCatalog(prices: BasePrices = DEFAULT_PRICES, rewardBps = 7_000n, models = MODELS): Catalog {
  const byId = new Map(models.map((m) => [m.id, m]));
  return {
    models,
    prices,
    rewardBps,
    get: (id) => byId.get(id),
    priceOf: (model) => ({ ...prices, multiplierBps: model.multiplierBps }),
  };
}
