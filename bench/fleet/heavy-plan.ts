/**
 * The fleet benchmarks' plans: one strategy per symbol, each on its own account, over seeded
 * one-minute bars. `HeavyIndicators` updates INDICATORS streaming indicators per bar, optionally
 * scores them with a small dense model (a CPU-heavy strategy), and trades a crossover of two of them.
 * `EveryBar` sends an order on every bar, and `CostlyVenue` costs CPU per order: the order role's load.
 */
import { createHash } from 'node:crypto';
import {
  type Bar,
  BaseStrategy,
  BollingerBands,
  Ema,
  type Order,
  Rsi,
  SimulatedVenue,
  type SimulatedVenueOptions,
  Sma,
  type StrategyOptions,
} from '@rxtrade/core';
import { z } from 'zod';
import { fleetGroups, fleetTopics, strategyClass } from '../../packages/fleet/src/index';
import { syntheticBars } from '../synthetic';

const heavyParams = z.object({
  indicators: z.number().int().min(2).default(200),
  quantity: z.number().default(10),
  /** Layers of a dense model (each indicators × indicators, ReLU) scoring the indicators on every bar (0: none). */
  model: z.number().int().min(0).default(0),
});

/** Seeded weights of an `inputs` × `inputs` layer (scaled so values neither vanish nor blow up), shared by every strategy of one size. */
const weightsCache = new Map<number, Float64Array>();
function modelWeights(inputs: number): Float64Array {
  let weights = weightsCache.get(inputs);
  if (weights === undefined) {
    weights = new Float64Array(inputs * inputs);
    let seed = 0x2545f491;
    for (let i = 0; i < weights.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      weights[i] = (seed / 0x1_0000_0000 - 0.5) * (2 / Math.sqrt(inputs));
    }
    weightsCache.set(inputs, weights);
  }
  return weights;
}

/**
 * `indicators` streaming indicators (SMA, EMA, RSI, Bollinger bands; periods 5 to 104) updated on every
 * bar and, with `model` > 0, their values (relative to the close) put through `model` dense ReLU layers
 * as wide as the indicators (one weight matrix, small enough for a core's cache: the work is the
 * CPU's, not the memory bus's) — the work of a strategy that scores features with a model. The score is kept in
 * `score`, not traded on: the trades are the crossover's, so every run's fills can be compared.
 */
export class HeavyIndicators extends BaseStrategy<z.output<typeof heavyParams>> {
  static override paramsSchema = heavyParams;
  readonly #all: { value: number }[] = [];
  readonly #fast: { value: number };
  readonly #slow: { value: number };
  #previous = Number.NaN;
  readonly #weights: Float64Array | undefined;
  readonly #features: Float64Array;
  readonly #hidden: Float64Array;
  /** The model's last output (NaN until every indicator is ready). */
  score = Number.NaN;

  constructor(options: StrategyOptions<z.output<typeof heavyParams>>) {
    super(options);
    for (let i = 0; i < this.params.indicators; i++) {
      const period = 5 + (i % 100);
      const kind = i % 4;
      const indicator =
        kind === 0
          ? new Sma(period)
          : kind === 1
            ? new Ema(period)
            : kind === 2
              ? new Rsi(period)
              : new BollingerBands(period, 2);
      this.#all.push(this.track(indicator));
    }
    this.#fast = this.#all[4] as { value: number }; // SMA 9
    this.#slow = this.#all[96] as { value: number }; // SMA 101
    this.#features = new Float64Array(this.#all.length);
    this.#hidden = new Float64Array(this.#all.length);
    this.#weights = this.params.model > 0 ? modelWeights(this.#all.length) : undefined;
  }

  override onBar(bar: Bar): void {
    if (this.#weights !== undefined) this.#score(bar.close);
    const diff = this.#fast.value - this.#slow.value;
    if (diff > 0 && this.#previous <= 0 && this.position() === 0) this.buy(this.params.quantity);
    else if (diff < 0 && this.#previous >= 0 && this.position() > 0) this.close();
    this.#previous = diff;
  }

  #score(close: number): void {
    let x = this.#features;
    let h = this.#hidden;
    const n = x.length;
    for (let i = 0; i < n; i++) x[i] = (this.#all[i] as { value: number }).value / close - 1;
    const w = this.#weights as Float64Array;
    for (let layer = 0; layer < this.params.model; layer++) {
      for (let j = 0, o = 0; j < n; j++, o += n) {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += (w[o + i] as number) * (x[i] as number);
        h[j] = Math.max(sum, 0);
      }
      [x, h] = [h, x];
    }
    let out = 0;
    for (let i = 0; i < n; i++) out += x[i] as number;
    this.score = out;
  }
}

/** Buys one unit when flat and sells it when long: an order on every bar whose last order filled. */
export class EveryBar extends BaseStrategy<Record<string, unknown>> {
  override onBar(): void {
    if (this.context.openOrders().length > 0) return;
    if (this.position() === 0) this.buy(1);
    else this.close();
  }
}

/**
 * A simulated venue whose every order first costs `work` rounds of SHA-256 over the order (a stand-in
 * for what a venue client does per order — signing, encoding, its own bookkeeping — made large, so
 * that the order role is the fleet's limit). The fills are the simulated venue's.
 */
export class CostlyVenue extends SimulatedVenue {
  readonly #work: number;
  /** Orders this venue was sent. */
  orders = 0;
  /** The last digest (kept, so the work is not optimised away). */
  digest = '';

  constructor(options: SimulatedVenueOptions & { readonly work: number }) {
    const { work, ...venue } = options;
    super(venue);
    this.#work = work;
  }

  override submitOrderSync(order: Order): void {
    this.orders++;
    let digest = `${order.clientOrderId}:${order.side}:${order.quantity}`;
    for (let i = 0; i < this.#work; i++) digest = createHash('sha256').update(digest).digest('hex');
    this.digest = digest;
    super.submitOrderSync(order);
  }
}

export interface BenchPlanShape {
  readonly symbols: readonly string[];
  readonly instruments: {
    id: string;
    pricePrecision: number;
    quantityPrecision: number;
    tickSize: number;
    quoteCurrency: string;
    takerFee: number;
    makerFee: number;
  }[];
  readonly accounts: { id: string; initialCash: number }[];
}

/** `symbolCount` symbols named `SYN0`, `SYN1`, … or, given, `names`' first `symbolCount`. */
export function benchShape(symbolCount: number, names?: readonly string[]): BenchPlanShape {
  const symbols = Array.from({ length: symbolCount }, (_, i) => names?.[i] ?? `SYN${i}`);
  return {
    symbols,
    instruments: symbols.map((id) => ({
      id,
      pricePrecision: 4,
      quantityPrecision: 0,
      tickSize: 0.0001,
      quoteCurrency: 'USD',
      takerFee: 0.001,
      makerFee: 0.001,
    })),
    accounts: symbols.map((s) => ({ id: `acct-${s}`, initialCash: 1_000_000 })),
  };
}

/** `count` bars of each symbol, interleaved in time order. */
export function benchBars(symbols: readonly string[], count: number): Bar[] {
  const perSymbol = symbols.map((symbol, i) => syntheticBars(count, { seed: 42 + i, symbol }));
  const bars: Bar[] = [];
  for (let t = 0; t < count; t++) for (const list of perSymbol) bars.push(list[t] as Bar);
  return bars;
}

export interface BenchPlanOptions {
  readonly symbols: number;
  readonly names?: readonly string[];
  /** `heavy`: HeavyIndicators (with `indicators` and `model`); `every-bar`: EveryBar. */
  readonly strategy: 'heavy' | 'every-bar';
  readonly indicators?: number;
  readonly model?: number;
}

/** A fleet plan of {@link benchShape}: one strategy per symbol (`<strategy>-<symbol>`) on account `acct-<symbol>`. */
export function benchPlan(options: BenchPlanOptions) {
  const shape = benchShape(options.symbols, options.names);
  const heavy = options.strategy === 'heavy';
  return {
    instruments: shape.instruments,
    accounts: shape.accounts,
    strategies: shape.symbols.map((symbol) => ({
      id: `${options.strategy}-${symbol}`,
      symbol,
      accountId: `acct-${symbol}`,
      params: heavy ? { indicators: options.indicators ?? 200, model: options.model ?? 0 } : {},
      create: heavy ? strategyClass(HeavyIndicators) : strategyClass(EveryBar),
    })),
  };
}

/** The consumer group a role's replicas share, and how a symbol becomes the key it partitions by. */
export const ROLE_GROUPS = {
  strategy: { group: fleetGroups.strategy, pattern: fleetTopics.allBars, key: (symbol: string) => symbol },
  order: {
    group: fleetGroups.order,
    pattern: fleetTopics.orderInbox,
    key: (symbol: string) => `acct-${symbol}`,
  },
} as const;
