import { TRIX as TiTrix } from 'technicalindicators';
import { describe, expect, it } from 'vitest';
import {
  alignEnd,
  BAD_NUMBERS,
  expectBadPeriods,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
} from './test-support';
import { Trix, trix } from './trix';

const sp = loadSp500();

describe('Trix', () => {
  it('matches a hand-computed example (period 1: the EMAs are the input, TRIX its percent change)', () => {
    expect(Array.from(trix([100, 110, 99, 99], 1))).toEqual([Number.NaN, 10, -10, 0]);
    // a constant input has a flat triple EMA
    expect(Array.from(trix([5, 5, 5, 5, 5, 5], 2)).slice(4)).toEqual([0, 0]);
  });

  it.each([2, 5, 18, 30])('matches technicalindicators 3.1 TRIX on S&P 500 closes (period %i)', (period) => {
    const ti = TiTrix.calculate({ period, values: Array.from(sp.close) });
    const ours = trix(sp.close, period);
    const from = 3 * (period - 1) + 1;
    expect(sp.length - ti.length).toBe(from);
    // TRIX crosses zero: compare relative to a scale of 0.01 (percent), not to the value itself
    expect(expectSeriesClose(ours, alignEnd(ti, sp.length), { from, scale: () => 0.01 })).toBe(
      sp.length - from,
    );
  });

  // trading-signals 8.3 divides by the current triple EMA instead of the previous one, and @ixjb94/indicators 1.2
  // (Tulip) seeds its EMAs with the first input and differs by up to 1% of the value; neither is TA-Lib's TRIX.

  it('rejects invalid periods', () => {
    expectBadPeriods(
      [0, -1, 1.5, Number.NaN],
      (p) => new Trix(p),
      (p) => trix([1, 2], p),
    );
  });

  itHonoursTheIndicatorContract({
    make: () => new Trix(6),
    inputs: sp.close.subarray(0, 60),
    batch: () => trix(sp.close.subarray(0, 60), 6),
    warmup: 16,
    bad: BAD_NUMBERS,
  });
});
