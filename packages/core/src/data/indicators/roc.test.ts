import { ROC as TiRoc } from 'technicalindicators';
import { ROC as TsRoc } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Roc, roc } from './roc';
import {
  BAD_NUMBERS,
  expectInvalidArgument,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
} from './test-support';

const sp = loadSp500();

describe('Roc', () => {
  it('matches a hand-computed example (percent)', () => {
    const out = roc([100, 110, 121, 99], 1);
    expect(out[0]).toBeNaN();
    expect(out[1]).toBeCloseTo(10, 12);
    expect(out[2]).toBeCloseTo(10, 12);
    expect(out[3]).toBeCloseTo(((99 - 121) / 121) * 100, 12);
    expect(Array.from(roc([50, 1, 2, 100], 2)).slice(2)).toEqual([-96, 9900]);
  });

  it.each([1, 10, 12, 100])(
    'matches technicalindicators and trading-signals (x100) on S&P 500 closes (period %i)',
    (period) => {
      const ours = roc(sp.close, period);
      const ti = TiRoc.calculate({ period, values: Array.from(sp.close) });
      const offset = sp.length - ti.length;
      expect(offset).toBe(period);
      // ROC crosses zero: compare relative to the size of the move's denominator scale (1 percent point).
      expect(
        expectSeriesClose(ours, (i) => ti[i - offset] as number, { from: period, scale: () => 1 }),
      ).toBeGreaterThan(4000);
      const ts = new TsRoc(period);
      const tsOut = Array.from(sp.close, (x) => {
        const r = ts.update(x, false);
        return r === null ? Number.NaN : r * 100;
      });
      expectSeriesClose(ours, (i) => tsOut[i] as number, { from: 0, scale: () => 1 });
    },
  );

  it('rejects invalid periods', () => {
    for (const p of [0, -1, 1.1, Number.NaN]) {
      expectInvalidArgument(() => new Roc(p));
      expectInvalidArgument(() => roc([1, 2], p));
    }
  });

  itHonoursTheIndicatorContract({
    make: () => new Roc(10),
    inputs: sp.close.subarray(0, 60),
    batch: () => roc(sp.close.subarray(0, 60), 10),
    warmup: 10,
    bad: BAD_NUMBERS,
  });
});
