import { IndicatorsSync } from '@ixjb94/indicators';
import { EMA as TiEma } from 'technicalindicators';
import { TEMA as TsTema } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Tema, tema } from './tema';
import {
  alignEnd,
  BAD_NUMBERS,
  expectBadPeriods,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  tsSeries,
} from './test-support';

const sp = loadSp500();
const closes = Array.from(sp.close);

describe('Tema', () => {
  it('matches a hand-computed example (period 2: a linear input is tracked exactly)', () => {
    // EMA1 1.5 2.5 3.5 4.5 5.5; EMA2 2 3 4 5; EMA3 2.5 3.5 4.5; TEMA = 3 (e1 - e2) + e3 = 4 5 6
    const out = Array.from(tema([1, 2, 3, 4, 5, 6], 2));
    expect(out.slice(0, 3)).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    expect(out.slice(3).map((x) => Number(x.toFixed(12)))).toEqual([4, 5, 6]);
  });

  it.each([2, 10, 30])(
    'equals 3 e1 - 3 e2 + e3 built from technicalindicators 3.1 EMAs on S&P 500 closes (period %i)',
    (period) => {
      const e1 = TiEma.calculate({ period, values: closes });
      const e2 = TiEma.calculate({ period, values: e1 });
      const e3 = TiEma.calculate({ period, values: e2 });
      const [a, b, c] = [e1, e2, e3].map((e) => alignEnd(e, sp.length)) as [
        (i: number) => number,
        (i: number) => number,
        (i: number) => number,
      ];
      const ours = tema(sp.close, period);
      const from = 3 * (period - 1);
      expect(ours[from - 1]).toBeNaN();
      expect(expectSeriesClose(ours, (i) => 3 * a(i) - 3 * b(i) + c(i), { from })).toBe(sp.length - from);
    },
  );

  it('converges to trading-signals 8.3 and @ixjb94/indicators 1.2 (EMAs seeded with the first input)', () => {
    const ours = tema(sp.close, 20);
    const ts = tsSeries(new TsTema(20), sp.close);
    const ix = alignEnd(new IndicatorsSync().tema(closes, 20), sp.length);
    expect(expectSeriesClose(ours, (i) => ts[i] as number, { from: 400 })).toBe(sp.length - 400);
    expect(expectSeriesClose(ours, ix, { from: 400 })).toBe(sp.length - 400);
  });

  it('rejects invalid periods', () => {
    expectBadPeriods(
      [0, -1, 1.5, Number.NaN],
      (p) => new Tema(p),
      (p) => tema([1, 2], p),
    );
  });

  itHonoursTheIndicatorContract({
    make: () => new Tema(8),
    inputs: sp.close.subarray(0, 80),
    batch: () => tema(sp.close.subarray(0, 80), 8),
    warmup: 21,
    bad: BAD_NUMBERS,
  });
});
