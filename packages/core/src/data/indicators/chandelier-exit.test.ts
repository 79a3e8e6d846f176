import { IndicatorsSync } from '@ixjb94/indicators';
import { ChandelierExit as TiChandelier } from 'technicalindicators';
import { ChandelierExit as TsChandelier } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Atr } from './atr';
import { ChandelierExit, chandelierExit } from './chandelier-exit';
import {
  alignEnd,
  BAD_BARS,
  expectBadPeriods,
  expectInvalidArgument,
  expectSameRejection,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  randomBars,
  tsSeries,
} from './test-support';

const sp = loadSp500();
const high = Array.from(sp.high);
const low = Array.from(sp.low);
const close = Array.from(sp.close);

describe('ChandelierExit', () => {
  it('matches a hand-computed example (period 2, multiplier 1)', () => {
    const bars = [
      { high: 10, low: 8, close: 9 },
      { high: 11, low: 9, close: 10 }, // TR 2
      { high: 13, low: 11, close: 12.5 }, // TR 3: ATR seed 2.5; HH 13, LL 9 over the last two bars
    ];
    const out = chandelierExit(bars, { period: 2, multiplier: 1 });
    expect(Array.from(out.longStop)).toEqual([Number.NaN, Number.NaN, 10.5]);
    expect(Array.from(out.shortStop)).toEqual([Number.NaN, Number.NaN, 11.5]);
  });

  it.each([
    [22, 3],
    [10, 2],
  ])('matches technicalindicators 3.1 ChandelierExit on S&P 500 bars (%i, %f)', (period, multiplier) => {
    const ours = chandelierExit(sp, { period, multiplier });
    expect(ours.longStop[period - 1]).toBeNaN();
    // The typings declare number[]; the values are { exitLong, exitShort } objects.
    const ti = TiChandelier.calculate({ high, low, close, period, multiplier }) as unknown as {
      exitLong: number;
      exitShort: number;
    }[];
    const n = sp.length - period;
    expect(ti.length).toBe(n);
    const long = alignEnd(
      ti.map((r) => r.exitLong),
      sp.length,
    );
    const short = alignEnd(
      ti.map((r) => r.exitShort),
      sp.length,
    );
    expect(expectSeriesClose(ours.longStop, long, { from: period })).toBe(n);
    expect(expectSeriesClose(ours.shortStop, short, { from: period })).toBe(n);
  });

  it('converges to trading-signals 8.3 and @ixjb94/indicators 1.2 (ATR seeded differently)', () => {
    const ours = chandelierExit(sp);
    const ts = tsSeries(new TsChandelier(), sp.bars, (r) => r.long);
    expect(expectSeriesClose(ours.longStop, (i) => ts[i] as number, { from: 400 })).toBe(sp.length - 400);
    const [ixLong, ixShort] = new IndicatorsSync().ce(high, low, close, 22, 3) as unknown as [
      number[],
      number[],
    ];
    expect(expectSeriesClose(ours.longStop, alignEnd(ixLong, sp.length), { from: 400 })).toBe(
      sp.length - 400,
    );
    expect(expectSeriesClose(ours.shortStop, alignEnd(ixShort, sp.length), { from: 400 })).toBe(
      sp.length - 400,
    );
  });

  it('batches columns to exactly the streamed stops, and rejects a non-finite column value', () => {
    const bars = randomBars(300, 11);
    const ind = new ChandelierExit(9, 2.5);
    const streamed = bars.map((b) => [ind.update(b), ind.shortStop]);
    const columns = {
      high: bars.map((b) => b.high),
      low: bars.map((b) => b.low),
      close: bars.map((b) => b.close),
    };
    for (const out of [
      chandelierExit(columns, { period: 9, multiplier: 2.5 }),
      chandelierExit(bars, { period: 9, multiplier: 2.5 }),
    ]) {
      expect(Array.from(out.longStop)).toEqual(streamed.map((r) => r[0]));
      expect(Array.from(out.shortStop)).toEqual(streamed.map((r) => r[1]));
    }
    columns.high[70] = Number.NaN;
    expectInvalidArgument(() => chandelierExit(columns));
  });

  it.each([1, 3, 22, 32, 33, 50])(
    'streams and batches the window extremes on random, falling, rising and flat bars (period %i)',
    (period) => {
      const walk = randomBars(400, 7);
      // Falling highs and rising lows make the extreme leave the window every bar; flat stretches give equal extremes.
      const falling = walk.map((_b, i) => ({ high: 5000 - i, low: 4000 - i, close: 4500 - i }));
      const rising = walk.map((_b, i) => ({ high: 5000 + i, low: 4000 + i, close: 4500 + i }));
      const flat = walk.map((b, i) => ({
        high: 10 + Math.floor(i / 30),
        low: 9 - (i % 7 === 0 ? 1 : 0),
        close: b.close / 1000,
      }));
      for (const bars of [walk, falling, rising, flat]) {
        const atr = new Atr(period);
        const naive = bars.map((b, i) => {
          const a = atr.update(b);
          let hi = Number.NEGATIVE_INFINITY;
          let lo = Number.POSITIVE_INFINITY;
          for (let j = Math.max(0, i - period + 1); j <= i; j++) {
            hi = Math.max(hi, (bars[j] as { high: number }).high);
            lo = Math.min(lo, (bars[j] as { low: number }).low);
          }
          return [hi - 3 * a, lo + 3 * a];
        });
        const ind = new ChandelierExit(period, 3);
        const streamed = bars.map((b) => [ind.update(b), ind.shortStop]);
        expect(streamed, `period ${period}`).toEqual(naive);
        const out = chandelierExit(
          { high: bars.map((b) => b.high), low: bars.map((b) => b.low), close: bars.map((b) => b.close) },
          { period, multiplier: 3 },
        );
        expect(Array.from(out.longStop)).toEqual(naive.map((r) => r[0]));
        expect(Array.from(out.shortStop)).toEqual(naive.map((r) => r[1]));
      }
    },
  );

  it('batches columns exactly like streaming for short series and tiny periods (warm-up rows)', () => {
    const bars = randomBars(60, 13);
    for (const period of [1, 2, 3, 9, 32, 33]) {
      for (const len of [0, 1, period, period + 1, period + 2, 60]) {
        const slice = bars.slice(0, len);
        const ind = new ChandelierExit(period, 2);
        const streamed = slice.map((b) => [ind.update(b), ind.shortStop]);
        const out = chandelierExit(
          {
            high: slice.map((b) => b.high),
            low: slice.map((b) => b.low),
            close: slice.map((b) => b.close),
          },
          { period, multiplier: 2 },
        );
        expect(Array.from(out.longStop), `period ${period} len ${len}`).toEqual(streamed.map((r) => r[0]));
        expect(Array.from(out.shortStop)).toEqual(streamed.map((r) => r[1]));
      }
    }
  });

  it('rejects a bad column row with the streaming error of the first bad row', () => {
    const bars = randomBars(60, 14);
    const columns = {
      high: bars.map((b) => b.high),
      low: bars.map((b) => b.low),
      close: bars.map((b) => b.close),
    };
    columns.low[2] = Number.POSITIVE_INFINITY;
    columns.close[30] = Number.NaN;
    const ind = new ChandelierExit(5);
    expectSameRejection(
      () => chandelierExit(columns, { period: 5 }),
      () => ind.update({ high: 1, low: Number.POSITIVE_INFINITY, close: 1 }),
    );
    columns.low[2] = 1;
    expectSameRejection(
      () => chandelierExit(columns, { period: 5 }),
      () => ind.update({ high: 1, low: 1, close: Number.NaN }),
    );
  });

  it('rejects invalid periods and multipliers', () => {
    expectBadPeriods(
      [0, -1, 1.5, Number.NaN],
      (p) => new ChandelierExit(p),
      (p) => chandelierExit([], { period: p }),
    );
    expectInvalidArgument(() => new ChandelierExit(22, 0));
  });

  itHonoursTheIndicatorContract({
    make: () => new ChandelierExit(),
    inputs: sp.bars.slice(0, 60),
    batch: () => chandelierExit(sp.bars.slice(0, 60)).longStop,
    warmup: 22,
    bad: BAD_BARS,
    extras: (ind) => [ind.longStop, ind.shortStop],
  });
});
