import { IndicatorsSync } from '@ixjb94/indicators';
import { HMA as TsHma } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Hma, hma } from './hma';
import {
  alignEnd,
  BAD_NUMBERS,
  expectBadPeriods,
  expectSameRejection,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  tsSeries,
} from './test-support';

const sp = loadSp500();

describe('Hma', () => {
  it('matches a hand-computed example (period 4: WMA(2), WMA(4), then WMA(2) of 2 * half - full)', () => {
    // x = 1 2 4 8 16: WMA2 = (x[-1] + 2x) / 3; WMA4 = (1a + 2b + 3c + 4d) / 10
    // i=3: WMA2 = (4 + 16) / 3 = 20/3, WMA4 = (1 + 4 + 12 + 32) / 10 = 4.9  -> raw 40/3 - 4.9
    // i=4: WMA2 = (8 + 32) / 3 = 40/3, WMA4 = (2 + 8 + 24 + 64) / 10 = 9.8 -> raw 80/3 - 9.8
    const r3 = 40 / 3 - 4.9;
    const r4 = 80 / 3 - 9.8;
    const out = hma([1, 2, 4, 8, 16], 4);
    expect(Array.from(out.subarray(0, 4))).toEqual([Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
    expect(out[4]).toBeCloseTo((r3 + 2 * r4) / 3, 12);
  });

  it.each([2, 4, 9, 16, 55])(
    'matches trading-signals 8.3 HMA and @ixjb94/indicators 1.2 hma on S&P 500 closes (period %i)',
    (period) => {
      const ours = hma(sp.close, period);
      const from = period + Math.floor(Math.sqrt(period)) - 2;
      expect(ours[from - 1]).toBeNaN();
      const ts = tsSeries(new TsHma(period), sp.close);
      expect(expectSeriesClose(ours, (i) => ts[i] as number, { from })).toBe(sp.length - from);
      const ix = alignEnd(new IndicatorsSync().hma(Array.from(sp.close), period), sp.length);
      expect(expectSeriesClose(ours, ix, { from })).toBe(sp.length - from);
    },
  );

  it('batches exactly the streamed values (periods 2-55, short and long input, plain arrays)', () => {
    for (const period of [2, 3, 4, 9, 16, 55]) {
      for (const len of [0, 1, period - 1, period, period + 1, 80, sp.length]) {
        const values = sp.close.subarray(0, len);
        const ind = new Hma(period);
        const streamed = Array.from(values, (v) => ind.update(v));
        expect(Array.from(hma(values, period)), `period ${period} len ${len}`).toEqual(streamed);
        if (len === 80) expect(Array.from(hma(Array.from(values), period))).toEqual(streamed);
      }
    }
  });

  it('rejects a non-finite value in the batch with the streaming error of the first bad value', () => {
    const values = Array.from(sp.close.subarray(0, 40));
    values[30] = Number.NEGATIVE_INFINITY;
    values[5] = Number.NaN;
    expectSameRejection(
      () => hma(values, 9),
      () => new Hma(9).update(Number.NaN),
    );
  });

  it('rejects invalid periods (at least 2)', () => {
    expectBadPeriods(
      [0, 1, -1, 1.5, Number.NaN],
      (p) => new Hma(p),
      (p) => hma([1, 2], p),
    );
  });

  itHonoursTheIndicatorContract({
    make: () => new Hma(9),
    inputs: sp.close.subarray(0, 60),
    batch: () => hma(sp.close.subarray(0, 60), 9),
    warmup: 10,
    bad: BAD_NUMBERS,
  });
});
