import { IndicatorsSync } from '@ixjb94/indicators';
import { CCI as TiCci } from 'technicalindicators';
import { CCI as TsCci } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Cci, cci } from './cci';
import {
  alignEnd,
  BAD_BARS,
  expectBadPeriods,
  expectSameRejection,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  tsSeries,
} from './test-support';

const sp = loadSp500();
const cols = { high: Array.from(sp.high), low: Array.from(sp.low), close: Array.from(sp.close) };
/** CCI crosses zero; compare relative to a scale of 1 (its usual range is ±100s). */
const scale = { scale: () => 1 };

describe('Cci', () => {
  it('matches a hand-computed example (period 3)', () => {
    // typical prices 2, 4, 9 (bars with high = low = close): mean 5, mean deviation (3 + 1 + 4) / 3 = 8/3
    // CCI = (9 - 5) / (0.015 * 8/3) = 100
    const bar = (x: number) => ({ high: x, low: x, close: x });
    const out = cci([bar(2), bar(4), bar(9)], 3);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeCloseTo(100, 10);
  });

  it('gives 0 for a flat window (no mean deviation)', () => {
    const bar = { high: 5, low: 5, close: 5 };
    expect(Array.from(cci([bar, bar, bar], 2)).slice(1)).toEqual([0, 0]);
    // long windows take the mean from a running sum; a flat one must still give exactly 0
    for (const x of [0.1, 3.3, 99.99, 1234.567, 1e-7]) {
      const flat = Array.from({ length: 60 }, () => ({ high: x, low: x, close: x }));
      expect(
        Array.from(cci(flat, 20).subarray(19)).every((v) => v === 0),
        String(x),
      ).toBe(true);
    }
  });

  it.each([2, 14, 20, 50])(
    'matches technicalindicators 3.1, trading-signals 8.3 and @ixjb94/indicators 1.2 on S&P 500 bars (period %i)',
    (period) => {
      const ours = cci(sp, period);
      expect(ours[period - 2]).toBeNaN();
      const ti = TiCci.calculate({ period, ...cols });
      expect(sp.length - ti.length).toBe(period - 1);
      expect(expectSeriesClose(ours, alignEnd(ti, sp.length), { from: period - 1, ...scale })).toBe(
        sp.length - period + 1,
      );
      const ts = tsSeries(new TsCci(period), sp.bars);
      expect(expectSeriesClose(ours, (i) => ts[i] as number, { from: period - 1, ...scale })).toBe(
        sp.length - period + 1,
      );
      // Tulip's cci starts later (its lookback is 2 * (period - 1)); compare where it has values.
      const ix = new IndicatorsSync().cci(cols.high, cols.low, cols.close, period);
      const from = sp.length - ix.length;
      expect(expectSeriesClose(ours, alignEnd(ix, sp.length), { from, ...scale })).toBe(ix.length);
    },
  );

  it('batches columns to exactly the streamed values, and rejects a bad row like the class', () => {
    for (const period of [1, 2, 3, 5, 8, 9, 14, 20]) {
      const ind = new Cci(period);
      const streamed = sp.bars.slice(0, 300).map((b) => ind.update(b));
      const columns = {
        high: cols.high.slice(0, 300),
        low: cols.low.slice(0, 300),
        close: cols.close.slice(0, 300),
      };
      expect(Array.from(cci(columns, period)), `period ${period}`).toEqual(streamed);
    }
    const bad = { high: cols.high.slice(0, 40), low: cols.low.slice(0, 40), close: cols.close.slice(0, 40) };
    bad.low[25] = Number.NaN;
    expectSameRejection(
      () => cci(bad, 20),
      () => new Cci(20).update({ high: 1, low: Number.NaN, close: 1 }),
    );
  });

  it('rejects invalid periods', () => {
    expectBadPeriods(
      [0, -1, 1.5, Number.NaN],
      (p) => new Cci(p),
      (p) => cci([], p),
    );
  });

  itHonoursTheIndicatorContract({
    make: () => new Cci(20),
    inputs: sp.bars.slice(0, 60),
    batch: () => cci(sp.bars.slice(0, 60), 20),
    warmup: 19,
    bad: BAD_BARS,
  });
});
