import { ATR as TiAtr } from 'technicalindicators';
import { describe, expect, it } from 'vitest';
import { Atr, atr } from './atr';
import {
  BAD_BARS,
  expectInvalidArgument,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
} from './test-support';

const sp = loadSp500();

describe('Atr', () => {
  it('matches a hand-computed example (Wilder, first bar only seeds the close)', () => {
    const bars = [
      { high: 10, low: 8, close: 9 },
      { high: 12, low: 9, close: 11 }, // TR = max(3, |12-9|, |9-9|) = 3
      { high: 11, low: 10, close: 10.5 }, // TR = max(1, 0, 1) = 1
      { high: 15, low: 12, close: 14 }, // TR = max(3, 4.5, 1.5) = 4.5
      { high: 14, low: 9, close: 9.5 }, // TR = max(5, 0, 5) = 5
    ];
    // period 2: seed (3 + 1) / 2 = 2; then (2 + 4.5) / 2 = 3.25; then (3.25 + 5) / 2 = 4.125
    expect(Array.from(atr(bars, 2))).toEqual([Number.NaN, Number.NaN, 2, 3.25, 4.125]);
  });

  it.each([1, 5, 14, 50])('matches technicalindicators on S&P 500 bars (period %i)', (period) => {
    const ours = atr(sp, period);
    const ti = TiAtr.calculate({
      period,
      high: Array.from(sp.high),
      low: Array.from(sp.low),
      close: Array.from(sp.close),
    });
    const offset = sp.length - ti.length;
    expect(offset).toBe(period);
    expect(expectSeriesClose(ours, (i) => ti[i - offset] as number, { from: period })).toBe(
      sp.length - period,
    );
  });

  it('accepts bar objects and columns alike', () => {
    const a = atr(sp.bars, 14);
    const b = atr({ high: sp.high, low: sp.low, close: sp.close }, 14);
    expect(Array.from(a)).toEqual(Array.from(b));
    expectInvalidArgument(() => atr({ high: sp.high, low: sp.low.subarray(1), close: sp.close }, 14));
  });

  it('rejects invalid periods', () => {
    for (const p of [0, -1, 1.5, Number.NaN]) {
      expectInvalidArgument(() => new Atr(p));
      expectInvalidArgument(() => atr([], p));
    }
  });

  itHonoursTheIndicatorContract({
    make: () => new Atr(14),
    inputs: sp.bars.slice(0, 100),
    batch: () => atr(sp.bars.slice(0, 100), 14),
    warmup: 14,
    bad: BAD_BARS,
  });
});
