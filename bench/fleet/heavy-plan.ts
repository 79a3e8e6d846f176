/**
 * The fleet benchmarks' plans: one strategy per symbol, each on its own account, over seeded
 * one-minute bars. `HeavyIndicators` updates INDICATORS streaming indicators per bar (a CPU-heavy
 * strategy) and trades a crossover of two of them.
 */
import { type Bar, BaseStrategy, BollingerBands, Ema, Rsi, Sma, type StrategyOptions } from '@rxtrade/core';
import { z } from 'zod';
import { syntheticBars } from '../synthetic';

const heavyParams = z.object({
  indicators: z.number().int().min(2).default(200),
  quantity: z.number().default(10),
});

/** `indicators` streaming indicators (SMA, EMA, RSI, Bollinger bands; periods 5 to 104) updated on every bar. */
export class HeavyIndicators extends BaseStrategy<z.output<typeof heavyParams>> {
  static override paramsSchema = heavyParams;
  readonly #all: { value: number }[] = [];
  readonly #fast: { value: number };
  readonly #slow: { value: number };
  #previous = Number.NaN;

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
  }

  override onBar(): void {
    const diff = this.#fast.value - this.#slow.value;
    if (diff > 0 && this.#previous <= 0 && this.position() === 0) this.buy(this.params.quantity);
    else if (diff < 0 && this.#previous >= 0 && this.position() > 0) this.close();
    this.#previous = diff;
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

export function benchShape(symbolCount: number): BenchPlanShape {
  const symbols = Array.from({ length: symbolCount }, (_, i) => `SYN${i}`);
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
