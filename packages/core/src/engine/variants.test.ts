import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Atr } from '../data/indicators/atr';
import { Rsi } from '../data/indicators/rsi';
import { Sma } from '../data/indicators/sma';
import { isRxtradeError } from '../errors';
import type { Bar } from '../model/market-data';
import { BaseStrategy } from '../strategy/base-strategy';
import { IndicatorCache, indicatorKey, withIndicatorCache } from '../strategy/indicator-cache';
import { fixtureBars } from '../strategy/optimize.fixture';
import { runBacktest } from './backtest';
import { runVariants } from './variants';

const instrument = { id: 'SYN', pricePrecision: 2, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.0005 };
const bars = fixtureBars(3_000);

const params = z.object({
  fast: z.number().int().positive(),
  slow: z.number().int().positive(),
  rsi: z.number().int().positive().default(14),
  oversold: z.number().default(30),
  quantity: z.number().positive().default(10),
});

/** Trend entries confirmed by RSI, exits on a cross or a 2-ATR limit; shared and private indicators. */
class Confirmed extends BaseStrategy<z.output<typeof params>> {
  static override paramsSchema = params;
  readonly fast = this.indicator(Sma, this.params.fast);
  readonly slow = this.indicator(Sma, this.params.slow);
  readonly rsi = this.indicator(Rsi, this.params.rsi);
  readonly atr = this.barIndicator(Atr, 14);
  // Not declared through indicator(): each variant computes its own, as in any run.
  readonly private = this.track(new Sma(7));
  #previous = Number.NaN;

  override onBar(bar: Bar): void {
    const diff = this.fast.value - this.slow.value;
    const long = this.position();
    if (diff > 0 && this.#previous <= 0 && long === 0 && this.rsi.value > this.params.oversold) {
      this.buy(this.params.quantity);
    } else if (long > 0 && this.context.openOrders().length === 0) {
      if (diff < 0) this.close();
      else if (this.private.value < bar.close - 2 * this.atr.value)
        this.sell(long, { price: bar.close + 0.05 });
    }
    this.#previous = diff;
  }
}

const variants = [
  { fast: 5, slow: 20 },
  { fast: 5, slow: 20, oversold: 45 },
  { fast: 5, slow: 50 },
  { fast: 10, slow: 50, quantity: 3 },
  { fast: 10, slow: 20, rsi: 7 },
];

describe('runVariants: K variants over one pass', () => {
  it('gives each variant exactly its own runBacktest result, fill by fill, sharing indicators', async () => {
    const options = { data: bars, instruments: [instrument], maxVolumeShare: 0.000004 }; // at most 4 units a bar: partial fills;
    const { results, indicators } = await runVariants({ strategy: Confirmed, variants, ...options });
    expect(results).toHaveLength(variants.length);
    for (const [i, params] of variants.entries()) {
      const alone = await runBacktest({ strategies: new Confirmed({ params }), ...options });
      const mine = results[i];
      expect(alone.fills.length).toBeGreaterThan(10);
      expect(mine?.fills).toEqual(alone.fills);
      expect(mine).toEqual(alone);
    }
    // Distinct: Sma 5, 10, 20, 50; Rsi 14, 7; Atr 14 → 7 built for 5 × 4 = 20 requests.
    expect(indicators).toEqual({ distinct: 7, shared: 13 });
    const all = results.flatMap((r) => r.fills);
    expect(all.some((f) => f.lastQty === 4)).toBe(true); // partial fills
    expect(all.some((f) => f.liquiditySide === 'maker')).toBe(true); // limit exits
    // The variants trade differently: the comparison above is not of five copies of one run.
    expect(new Set(results.map((r) => r.fills.length)).size).toBeGreaterThan(2);
  });

  it('without sharing, the same results; chunked data is read once', async () => {
    let reads = 0;
    const chunked = {
      async *chunks() {
        reads++;
        for (let i = 0; i < bars.length; i += 500) yield bars.slice(i, i + 500);
      },
    };
    const shared = await runVariants({
      strategy: Confirmed,
      variants,
      data: chunked,
      instruments: [instrument],
    });
    expect(reads).toBe(1);
    const own = await runVariants({
      strategy: Confirmed,
      variants,
      data: bars,
      instruments: [instrument],
      shareIndicators: false,
    });
    expect(own.indicators).toEqual({ distinct: 0, shared: 0 });
    expect(shared.results).toEqual(own.results);
  });

  it('reports progress once per bar count, and refuses an empty list of variants', async () => {
    const seen: number[] = [];
    await runVariants({
      strategy: Confirmed,
      variants,
      data: bars,
      instruments: [instrument],
      onProgress: (p) => seen.push(p.bars),
    });
    expect(seen).toEqual([3_000]);
    let error: unknown;
    try {
      await runVariants({ strategy: Confirmed, variants: [], data: bars, instruments: [instrument] });
    } catch (e) {
      error = e;
    }
    expect(isRxtradeError(error) && error.code).toBe('INVALID_CONFIG');
  });
});

describe('IndicatorCache', () => {
  it('keys by class identity, arguments as plain data, price and symbol', () => {
    class Twin extends Sma {}
    const feed = { source: 'close', symbol: undefined };
    expect(indicatorKey(Sma, [20], feed)).toBe(indicatorKey(Sma, [20], feed));
    expect(indicatorKey(Sma, [20], feed)).not.toBe(indicatorKey(Sma, [21], feed));
    expect(indicatorKey(Sma, [20], feed)).not.toBe(indicatorKey(Twin, [20], feed));
    expect(indicatorKey(Sma, [20], feed)).not.toBe(
      indicatorKey(Sma, [20], { source: 'bar', symbol: undefined }),
    );
    expect(indicatorKey(Sma, [20], feed)).not.toBe(indicatorKey(Sma, [20], { source: 'close', symbol: 'X' }));
    expect(indicatorKey(Sma, [{ a: 1, b: [2, 'x', null, true] }], feed)).toBe(
      indicatorKey(Sma, [{ b: [2, 'x', null, true], a: 1, c: undefined }], feed),
    );
    expect(indicatorKey(Sma, ['20'], feed)).not.toBe(indicatorKey(Sma, [20], feed));
    // Not plain data: never shared.
    for (const arg of [
      () => 1,
      new Date(0),
      Number.NaN,
      Number.POSITIVE_INFINITY,
      [new Map()],
      { f: () => 1 },
    ]) {
      expect(indicatorKey(Sma, [arg], feed)).toBeUndefined();
    }
  });

  it('updates a shared indicator once per step, whoever asks first', () => {
    const cache = new IndicatorCache();
    const calls: number[] = [];
    const make = () =>
      cache.share(
        'k',
        () => ({ n: 0 }),
        (x, bar) => {
          x.n++;
          calls.push(bar.close);
        },
      );
    const a = make();
    const b = make();
    expect(a.indicator).toBe(b.indicator);
    expect(cache.size).toBe(1);
    expect(cache.hits).toBe(1);
    const bar = (close: number) => ({
      symbol: 'S',
      ts: close,
      open: close,
      high: close,
      low: close,
      close,
      volume: 1,
    });
    cache.advance();
    b.update(bar(1));
    a.update(bar(1));
    cache.advance();
    a.update(bar(2));
    b.update(bar(2));
    expect(calls).toEqual([1, 2]);
    const own = cache.share(
      undefined,
      () => ({ n: 0 }),
      (x) => void x.n++,
    );
    own.update(bar(3));
    own.update(bar(3));
    expect(own.indicator.n).toBe(2);
    expect(cache.size).toBe(1);
  });

  it('strategies built inside withIndicatorCache share; outside, indicator() is track()', () => {
    const cache = new IndicatorCache();
    const [x, y] = withIndicatorCache(cache, () => [
      new Confirmed({ params: { fast: 5, slow: 20 } }),
      new Confirmed({ params: { fast: 5, slow: 30 } }),
    ]);
    expect(x?.fast).toBe(y?.fast);
    expect(x?.slow).not.toBe(y?.slow);
    expect(x?.private).not.toBe(y?.private);
    const lone = new Confirmed({ params: { fast: 5, slow: 20 } });
    expect(lone.fast).not.toBe(x?.fast);
    expect(lone.tracked).toHaveLength(5);
  });
});
