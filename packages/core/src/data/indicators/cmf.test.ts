import { IndicatorsSync } from '@ixjb94/indicators';
import { CMF as TsCmf } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Cmf, cmf } from './cmf';
import {
  alignEnd,
  BAD_BARS,
  expectBadPeriods,
  expectInvalidArgument,
  expectSameRejection,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  tsSeries,
} from './test-support';

const sp = loadSp500();

describe('Cmf', () => {
  it('matches a hand-computed example (period 2)', () => {
    const bars = [
      { high: 10, low: 8, close: 9, volume: 100 }, // money flow volume 0
      { high: 11, low: 9, close: 11, volume: 50 }, // +50
      { high: 13, low: 11, close: 11, volume: 10 }, // -10
      { high: 5, low: 5, close: 5, volume: 7 }, // 0 (no range)
    ];
    const out = cmf(bars, 2);
    expect(out[0]).toBeNaN();
    expect(out[1]).toBeCloseTo(50 / 150, 14);
    expect(out[2]).toBeCloseTo(40 / 60, 14);
    expect(out[3]).toBeCloseTo(-10 / 17, 14);
    // no volume in the window gives 0
    expect(cmf([{ high: 2, low: 1, close: 2, volume: 0 }], 1)[0]).toBe(0);
  });

  it.each([1, 20, 50])(
    'matches trading-signals 8.3 CMF and @ixjb94/indicators 1.2 cmf on S&P 500 bars (period %i)',
    (period) => {
      const ours = cmf(sp, period);
      const from = period - 1;
      const scale = { scale: () => 1 };
      const ts = tsSeries(new TsCmf(period), sp.bars);
      expect(expectSeriesClose(ours, (i) => ts[i] as number, { from, ...scale })).toBe(sp.length - from);
      const ix = new IndicatorsSync().cmf(
        Array.from(sp.high),
        Array.from(sp.low),
        Array.from(sp.close),
        Array.from(sp.volume),
        period,
      );
      expect(expectSeriesClose(ours, alignEnd(ix, sp.length), { from, ...scale })).toBe(sp.length - from);
    },
  );

  it('rejects invalid periods and missing volumes', () => {
    expectBadPeriods(
      [0, -1, 1.5, Number.NaN],
      (p) => new Cmf(p),
      (p) => cmf([], p),
    );
    expectInvalidArgument(() => cmf({ high: sp.high, low: sp.low, close: sp.close }, 20));
  });

  it('batches columns to exactly the streamed values (direct and compensated windows, short input)', () => {
    for (const period of [1, 2, 8, 9, 20]) {
      for (const len of [0, 1, period - 1, period, 300]) {
        const bars = sp.bars.slice(0, len);
        const ind = new Cmf(period);
        const streamed = bars.map((b) => ind.update(b));
        const columns = {
          high: bars.map((b) => b.high),
          low: bars.map((b) => b.low),
          close: bars.map((b) => b.close),
          volume: bars.map((b) => b.volume),
        };
        expect(Array.from(cmf(columns, period)), `period ${period} len ${len}`).toEqual(streamed);
      }
    }
  });

  it('rejects a bad column row with the streaming error of the first bad row', () => {
    const bars = sp.bars.slice(0, 40);
    const columns = {
      high: bars.map((b) => b.high),
      low: bars.map((b) => b.low),
      close: bars.map((b) => b.close),
      volume: bars.map((b) => b.volume),
    };
    columns.volume[7] = -1;
    columns.close[30] = Number.NaN;
    expectSameRejection(
      () => cmf(columns, 20),
      () => new Cmf(20).update({ high: 2, low: 1, close: 1, volume: -1 }),
    );
    columns.volume[7] = Number.POSITIVE_INFINITY;
    expectSameRejection(
      () => cmf(columns, 20),
      () => new Cmf(20).update({ high: 2, low: 1, close: 1, volume: Number.POSITIVE_INFINITY }),
    );
    columns.volume[7] = 1;
    expectSameRejection(
      () => cmf(columns, 20),
      () => new Cmf(20).update({ high: 2, low: 1, close: Number.NaN, volume: 1 }),
    );
  });

  itHonoursTheIndicatorContract({
    make: () => new Cmf(20),
    inputs: sp.bars.slice(0, 60),
    batch: () => cmf(sp.bars.slice(0, 60), 20),
    warmup: 19,
    bad: [...BAD_BARS, { high: 2, low: 1, close: 1, volume: -1 }],
  });
});
