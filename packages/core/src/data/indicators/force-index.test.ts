import { IndicatorsSync } from '@ixjb94/indicators';
import { ForceIndex as TiForceIndex } from 'technicalindicators';
import { ForceIndex as TsForceIndex } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { ForceIndex, forceIndex } from './force-index';
import type { ObvInput } from './obv';
import {
  alignEnd,
  expectBadPeriods,
  expectInvalidArgument,
  expectSameRejection,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  tsSeries,
} from './test-support';

const sp = loadSp500();
const close = Array.from(sp.close);
const volume = Array.from(sp.volume);
/** Force crosses zero: compare relative to a scale of 1e6 (price change × volume). */
const scale = { scale: () => 1e6 };

describe('ForceIndex', () => {
  it('matches a hand-computed example (period 2)', () => {
    // forces (close change × volume): 2 * 50 = 100, 0 * 10 = 0, -6 * 7 = -42
    // EMA(2): seed (100 + 0) / 2 = 50, then -42 * 2/3 + 50 / 3 = -34/3
    const bars = [
      { close: 9, volume: 100 },
      { close: 11, volume: 50 },
      { close: 11, volume: 10 },
      { close: 5, volume: 7 },
    ];
    const ind = new ForceIndex(2);
    const out = bars.map((b) => ind.update(b));
    expect(out.slice(0, 2)).toEqual([Number.NaN, Number.NaN]);
    expect(out[2]).toBe(50);
    expect(out[3]).toBeCloseTo(-34 / 3, 12);
  });

  it.each([1, 2, 13, 50])(
    'matches technicalindicators 3.1 ForceIndex on S&P 500 bars (period %i)',
    (period) => {
      const ours = forceIndex(sp, period);
      expect(ours[period - 1]).toBeNaN();
      const ti = TiForceIndex.calculate({ close, volume, period });
      expect(sp.length - ti.length).toBe(period);
      expect(expectSeriesClose(ours, alignEnd(ti, sp.length), { from: period, ...scale })).toBe(
        sp.length - period,
      );
    },
  );

  it('converges to trading-signals 8.3 and @ixjb94/indicators 1.2 (EMA seeded with the first force)', () => {
    const ours = forceIndex(sp, 13);
    const ts = tsSeries(new TsForceIndex(13), sp.bars);
    expect(expectSeriesClose(ours, (i) => ts[i] as number, { from: 300, ...scale })).toBe(sp.length - 300);
    const ix = alignEnd(new IndicatorsSync().fi(close, volume, 13), sp.length);
    expect(expectSeriesClose(ours, ix, { from: 300, ...scale })).toBe(sp.length - 300);
  });

  it('rejects invalid periods and volumes', () => {
    expectBadPeriods(
      [0, -1, 1.5, Number.NaN],
      (p) => new ForceIndex(p),
      (p) => forceIndex([], p),
    );
    expectInvalidArgument(() => forceIndex({ high: sp.high, low: sp.low, close: sp.close }, 13));
  });

  it('batches columns to exactly the streamed values, and rejects a bad row like the class', () => {
    for (const period of [1, 2, 13]) {
      for (const len of [0, 1, period, period + 1, 300]) {
        const bars = sp.bars.slice(0, len);
        const ind = new ForceIndex(period);
        const streamed = bars.map((b) => ind.update(b));
        const columns = {
          high: bars.map((b) => b.high),
          low: bars.map((b) => b.low),
          close: bars.map((b) => b.close),
          volume: bars.map((b) => b.volume),
        };
        expect(Array.from(forceIndex(columns, period)), `period ${period} len ${len}`).toEqual(streamed);
      }
    }
    const bars = sp.bars.slice(0, 30);
    const columns = {
      high: bars.map((b) => b.high),
      low: bars.map((b) => b.low),
      close: bars.map((b) => b.close),
      volume: bars.map((b) => b.volume),
    };
    columns.volume[9] = -2;
    expectSameRejection(
      () => forceIndex(columns, 13),
      () => new ForceIndex(13).update({ close: 1, volume: -2 }),
    );
  });

  itHonoursTheIndicatorContract<ObvInput, ForceIndex>({
    make: () => new ForceIndex(13),
    inputs: sp.bars.slice(0, 60),
    batch: () => forceIndex(sp.bars.slice(0, 60), 13),
    warmup: 13,
    bad: [
      { close: Number.NaN, volume: 1 },
      { close: 1, volume: -1 },
      { close: 1, volume: Number.POSITIVE_INFINITY },
    ],
  });
});
