import { SuperTrend as TsSuperTrend } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Supertrend, supertrend } from './supertrend';
import {
  BAD_BARS,
  expectBadPeriods,
  expectInvalidArgument,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  tsSeries,
} from './test-support';

const sp = loadSp500();

describe('Supertrend', () => {
  it('matches a hand-computed example (period 1, multiplier 1: ATR = true range)', () => {
    const bars = [
      { high: 10, low: 8, close: 9 },
      // TR 2, hl2 10: bands 12 / 8; close 10 is not above 12 -> down, line 12
      { high: 11, low: 9, close: 10 },
      // TR 3, hl2 12: basic 15 / 9; upper keeps 12 (15 is higher, previous close below it), lower rises to 9;
      // close 12.5 > 12 -> up, line 9
      { high: 13, low: 11, close: 12.5 },
      // TR 4.5, hl2 10: basic 14.5 / 5.5; upper resets to 14.5 (previous close was above 12), lower keeps 9;
      // close 8.5 < 9 -> down, line 14.5
      { high: 12, low: 8, close: 8.5 },
    ];
    const out = supertrend(bars, { period: 1, multiplier: 1 });
    expect(Array.from(out.supertrend)).toEqual([Number.NaN, 12, 9, 14.5]);
    expect(Array.from(out.direction)).toEqual([Number.NaN, -1, 1, -1]);
  });

  it.each([
    [10, 3],
    [7, 2],
  ])(
    'matches trading-signals 8.3 SuperTrend on S&P 500 bars once the ATRs agree (%i, %f)',
    (period, multiplier) => {
      // trading-signals' ATR counts the first bar's high - low; the difference decays and the trend states meet
      // at the next flip, here before bar 400.
      const ours = supertrend(sp, { period, multiplier });
      expect(ours.supertrend[period - 1]).toBeNaN();
      const ts = tsSeries(new TsSuperTrend({ interval: period, multiplier }), sp.bars, (r) => r.supertrend);
      expect(expectSeriesClose(ours.supertrend, (i) => ts[i] as number, { from: 400 })).toBe(sp.length - 400);
      const directions = new Set(Array.from(ours.direction.subarray(period)));
      expect(directions).toEqual(new Set([1, -1]));
    },
  );

  it('rejects invalid periods and multipliers', () => {
    expectBadPeriods(
      [0, -1, 1.5, Number.NaN],
      (p) => new Supertrend(p),
      (p) => supertrend([], { period: p }),
    );
    expectInvalidArgument(() => new Supertrend(10, 0));
    expectInvalidArgument(() => supertrend([], { multiplier: Number.NaN }));
  });

  itHonoursTheIndicatorContract({
    make: () => new Supertrend(10, 3),
    inputs: sp.bars.slice(0, 80),
    batch: () => supertrend(sp.bars.slice(0, 80)).supertrend,
    warmup: 10,
    bad: BAD_BARS,
    extras: (ind) => [ind.direction],
  });
});
