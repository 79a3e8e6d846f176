import { RSI as TiRsi } from 'technicalindicators';
import { RSI as TsRsi } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Rsi, rsi } from './rsi';
import {
  BAD_NUMBERS,
  expectInvalidArgument,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
} from './test-support';

const sp = loadSp500();

describe('Rsi', () => {
  it('matches a hand-computed example (Wilder smoothing)', () => {
    // changes +1 +1 -1 +1; period 2: seed gain 1 loss 0 -> 100; then gain (1+0)/2=.5 loss (0+1)/2=.5 -> 50;
    // then gain (.5+1)/2=.75 loss .25 -> 75
    expect(Array.from(rsi([1, 2, 3, 2, 3], 2))).toEqual([Number.NaN, Number.NaN, 100, 50, 75]);
  });

  it('handles flat and one-sided windows: no losses 100, no gains 0, neither 50', () => {
    expect(Array.from(rsi([1, 2, 3, 4], 2)).slice(2)).toEqual([100, 100]);
    expect(Array.from(rsi([4, 3, 2, 1], 2)).slice(2)).toEqual([0, 0]);
    expect(Array.from(rsi([5, 5, 5, 5], 2)).slice(2)).toEqual([50, 50]);
    // period 1 (trading-signals cannot do it: it never holds two prices): the sign of each change
    expect(Array.from(rsi([1, 2, 1, 1], 1))).toEqual([Number.NaN, 100, 0, 50]);
  });

  it.each([2, 14, 30])('matches trading-signals on S&P 500 closes (period %i)', (period) => {
    const ours = rsi(sp.close, period);
    const ts = new TsRsi(period);
    const tsOut = Array.from(sp.close, (x) => ts.update(x, false) ?? Number.NaN);
    expect(expectSeriesClose(ours, (i) => tsOut[i] as number, { from: 0 })).toBe(sp.length);
    expect(ours[period - 1]).toBeNaN();
    expect(Number.isFinite(ours[period])).toBe(true);
  });

  it('matches technicalindicators to its 2-decimal rounding', () => {
    const ours = rsi(sp.close, 14);
    const ti = TiRsi.calculate({ period: 14, values: Array.from(sp.close) });
    const offset = sp.length - ti.length;
    expect(offset).toBe(14);
    for (let i = offset; i < sp.length; i++) {
      expect(Math.abs((ours[i] as number) - (ti[i - offset] as number))).toBeLessThanOrEqual(0.005 + 1e-9);
    }
  });

  it('rejects invalid periods', () => {
    for (const p of [0, -14, 14.5, Number.NaN]) {
      expectInvalidArgument(() => new Rsi(p));
      expectInvalidArgument(() => rsi([1, 2], p));
    }
  });

  itHonoursTheIndicatorContract({
    make: () => new Rsi(14),
    inputs: sp.close.subarray(0, 120),
    batch: () => rsi(sp.close.subarray(0, 120), 14),
    warmup: 14,
    bad: BAD_NUMBERS,
  });
});
