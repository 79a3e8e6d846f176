import { IchimokuCloud as TiIchimoku } from 'technicalindicators';
import { IchimokuCloud as TsIchimoku } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Ichimoku, ichimoku } from './ichimoku';
import {
  alignEnd,
  BAD_BARS,
  expectBadPeriods,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  tsSeries,
} from './test-support';

const sp = loadSp500();

describe('Ichimoku', () => {
  it('matches a hand-computed example (conversion 1, base 2, span B 3)', () => {
    const hl = (high: number, low: number) => ({ high, low, close: low });
    const out = ichimoku([hl(10, 8), hl(11, 9), hl(13, 11)], { conversion: 1, base: 2, spanB: 3 });
    expect(out.conversion[1]).toBeNaN();
    // conversion (13 + 11) / 2, base (13 + 9) / 2, span A their mean, span B (13 + 8) / 2
    expect([out.conversion[2], out.base[2], out.spanA[2], out.spanB[2]]).toEqual([12, 11, 11.5, 10.5]);
  });

  it('matches technicalindicators 3.1 and trading-signals 8.3 IchimokuCloud on S&P 500 bars (9, 26, 52)', () => {
    const ours = ichimoku(sp);
    expect(ours.conversion[50]).toBeNaN();
    const ti = TiIchimoku.calculate({
      high: Array.from(sp.high),
      low: Array.from(sp.low),
      conversionPeriod: 9,
      basePeriod: 26,
      spanPeriod: 52,
      displacement: 26,
    });
    const n = sp.length - 51;
    for (const key of ['conversion', 'base', 'spanA', 'spanB'] as const) {
      const ref = alignEnd(
        ti.map((r) => r[key]),
        sp.length,
      );
      expect(expectSeriesClose(ours[key], ref, { from: 51 })).toBe(n);
      const ts = tsSeries(new TsIchimoku(), sp.bars, (r) => r[key]);
      expect(expectSeriesClose(ours[key], (i) => ts[i] as number, { from: 51 })).toBe(n);
    }
  });

  it('rejects invalid periods', () => {
    expectBadPeriods(
      [0, -1, 1.5, Number.NaN],
      (p) => new Ichimoku(9, p),
      (p) => ichimoku([], { spanB: p }),
    );
  });

  itHonoursTheIndicatorContract({
    make: () => new Ichimoku(),
    inputs: sp.bars.slice(0, 90),
    batch: () => ichimoku(sp.bars.slice(0, 90)).conversion,
    warmup: 51,
    bad: BAD_BARS,
    extras: (ind) => [ind.conversion, ind.base, ind.spanA, ind.spanB],
  });
});
