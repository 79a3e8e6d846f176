import { IndicatorsSync } from '@ixjb94/indicators';
import { WilliamsR as TiWilliamsR } from 'technicalindicators';
import { WilliamsR as TsWilliamsR } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { stochastic } from './stochastic';
import {
  alignEnd,
  BAD_BARS,
  expectBadPeriods,
  expectSameRejection,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  randomBars,
  stream,
  tsSeries,
} from './test-support';
import { WilliamsR, williamsR } from './williams-r';

const sp = loadSp500();
const cols = { high: Array.from(sp.high), low: Array.from(sp.low), close: Array.from(sp.close) };
const scale = { scale: () => 1 };

describe('WilliamsR', () => {
  it('matches a hand-computed example (period 2)', () => {
    const bars = [
      { high: 10, low: 8, close: 9 },
      { high: 12, low: 9, close: 11 }, // HH 12, LL 8: -100 * (12 - 11) / 4 = -25
      { high: 11, low: 10, close: 10 }, // HH 12, LL 9: -100 * 2 / 3
      { high: 5, low: 5, close: 5 }, // HH 11, LL 5: -100
    ];
    const out = williamsR(bars, 2);
    expect(out[0]).toBeNaN();
    expect(out[1]).toBe(-25);
    expect(out[2]).toBeCloseTo(-200 / 3, 12);
    expect(out[3]).toBe(-100);
    // a zero range gives -100 (trading-signals; raw %K 0 in the Stochastic)
    expect(williamsR([{ high: 5, low: 5, close: 5 }], 1)[0]).toBe(-100);
  });

  it('is the fast stochastic %K minus 100', () => {
    const k = stochastic(sp, { kPeriod: 14, dPeriod: 1 }).k;
    expect(expectSeriesClose(williamsR(sp, 14), (i) => (k[i] as number) - 100, { from: 13, ...scale })).toBe(
      sp.length - 13,
    );
  });

  it.each([1, 14, 50])(
    'matches technicalindicators 3.1, trading-signals 8.3 and @ixjb94/indicators 1.2 on S&P 500 bars (period %i)',
    (period) => {
      const ours = williamsR(sp, period);
      const from = period - 1;
      const ti = TiWilliamsR.calculate({ period, ...cols });
      expect(expectSeriesClose(ours, alignEnd(ti, sp.length), { from, ...scale })).toBe(sp.length - from);
      const ts = tsSeries(new TsWilliamsR(period), sp.bars);
      expect(expectSeriesClose(ours, (i) => ts[i] as number, { from, ...scale })).toBe(sp.length - from);
      const ix = new IndicatorsSync().willr(cols.high, cols.low, cols.close, period);
      expect(expectSeriesClose(ours, alignEnd(ix, sp.length), { from, ...scale })).toBe(sp.length - from);
    },
  );

  it.each([1, 2, 14, 32, 33, 50])(
    'streams, and batches bars and columns, to the window extremes on random, falling, rising and flat bars (period %i)',
    (period) => {
      const walk = randomBars(2000, 7);
      // Falling highs and rising lows make the extreme leave the window every bar; flat stretches give equal extremes.
      const falling = walk.map((_b, i) => ({ high: 5000 - i, low: 4000 - i, close: 4500 - i }));
      const rising = walk.map((_b, i) => ({ high: 5000 + i, low: 4000 + i, close: 4500 + i }));
      const flat = walk.map((b, i) => ({
        high: 10 + Math.floor(i / 30),
        low: 9 - (i % 7 === 0 ? 1 : 0),
        close: b.close / 1000,
      }));
      for (const bars of [walk, falling, rising, flat]) {
        const naive = bars.map((b, i) => {
          if (i < period - 1) return Number.NaN;
          let hi = Number.NEGATIVE_INFINITY;
          let lo = Number.POSITIVE_INFINITY;
          for (let j = i - period + 1; j <= i; j++) {
            hi = Math.max(hi, (bars[j] as { high: number }).high);
            lo = Math.min(lo, (bars[j] as { low: number }).low);
          }
          return hi - lo > 0 ? (-100 * (hi - b.close)) / (hi - lo) : -100;
        });
        const ind = new WilliamsR(period);
        const streamed = stream((b: (typeof bars)[number]) => ind.update(b), bars);
        const columns = {
          high: bars.map((b) => b.high),
          low: bars.map((b) => b.low),
          close: bars.map((b) => b.close),
        };
        expect(Array.from(streamed)).toEqual(naive);
        expect(Array.from(williamsR(bars, period))).toEqual(naive);
        expect(Array.from(williamsR(columns, period))).toEqual(naive);
        ind.reset();
        expect(Array.from(stream((b: (typeof bars)[number]) => ind.update(b), bars))).toEqual(naive);
      }
    },
  );

  it('batches short columns like streaming, and rejects a bad column row like the class', () => {
    const bars = randomBars(40, 21);
    for (const period of [1, 2, 14, 32, 33]) {
      for (const len of [0, 1, period - 1, period, 40]) {
        const slice = bars.slice(0, len);
        const ind = new WilliamsR(period);
        const streamed = slice.map((b) => ind.update(b));
        const columns = {
          high: slice.map((b) => b.high),
          low: slice.map((b) => b.low),
          close: slice.map((b) => b.close),
        };
        expect(Array.from(williamsR(columns, period)), `period ${period} len ${len}`).toEqual(streamed);
      }
    }
    const columns = {
      high: bars.map((b) => b.high),
      low: bars.map((b) => b.low),
      close: bars.map((b) => b.close),
    };
    columns.high[3] = Number.NaN;
    columns.close[20] = Number.POSITIVE_INFINITY;
    expectSameRejection(
      () => williamsR(columns, 14),
      () => new WilliamsR(14).update({ high: Number.NaN, low: 1, close: 1 }),
    );
  });

  it('rejects invalid periods', () => {
    expectBadPeriods(
      [0, -1, 1.5, Number.NaN],
      (p) => new WilliamsR(p),
      (p) => williamsR([], p),
    );
  });

  itHonoursTheIndicatorContract({
    make: () => new WilliamsR(14),
    inputs: sp.bars.slice(0, 60),
    batch: () => williamsR(sp.bars.slice(0, 60), 14),
    warmup: 13,
    bad: BAD_BARS,
  });
});
