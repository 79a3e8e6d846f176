import { IndicatorsSync } from '@ixjb94/indicators';
import { EMA as TiEma } from 'technicalindicators';
import { DEMA as TsDema } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Dema, dema } from './dema';
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

describe('Dema', () => {
  it('matches a hand-computed example (period 2, alpha 2/3: a linear input is tracked exactly)', () => {
    // EMA1 = 1.5 (seed), 2.5, 3.5, 4.5; EMA2 = 2 (seed of 1.5, 2.5), 3, 4; DEMA = 2 * EMA1 - EMA2 = 3, 4, 5
    const out = Array.from(dema([1, 2, 3, 4, 5], 2));
    expect(out.slice(0, 2)).toEqual([Number.NaN, Number.NaN]);
    expect(out.slice(2).map((x) => Number(x.toFixed(12)))).toEqual([3, 4, 5]);
  });

  it.each([2, 10, 20, 50])(
    'equals 2 * EMA - EMA(EMA) built from technicalindicators 3.1 EMAs on S&P 500 closes (period %i)',
    (period) => {
      const e1 = TiEma.calculate({ period, values: closes });
      const e2 = TiEma.calculate({ period, values: e1 });
      const inner = alignEnd(e1, sp.length);
      const outer = alignEnd(e2, sp.length);
      const ours = dema(sp.close, period);
      expect(ours[2 * (period - 1) - 1]).toBeNaN();
      const compared = expectSeriesClose(ours, (i) => 2 * inner(i) - outer(i), { from: 2 * (period - 1) });
      expect(compared).toBe(sp.length - 2 * (period - 1));
    },
  );

  it('converges to trading-signals 8.3 and @ixjb94/indicators 1.2 (EMAs seeded with the first input)', () => {
    // Their seed differs from the SMA seed; the gap decays by (1 - alpha) per input, so compare after 400 inputs.
    const ours = dema(sp.close, 20);
    const ts = tsSeries(new TsDema(20), sp.close);
    const ix = alignEnd(new IndicatorsSync().dema(closes, 20), sp.length);
    expect(Math.abs((ours[38] as number) - (ts[38] as number))).toBeGreaterThan(1e-3); // the seeds do differ
    expect(expectSeriesClose(ours, (i) => ts[i] as number, { from: 400 })).toBe(sp.length - 400);
    expect(expectSeriesClose(ours, ix, { from: 400 })).toBe(sp.length - 400);
  });

  it('rejects invalid periods', () => {
    expectBadPeriods(
      [0, -1, 1.5, Number.NaN],
      (p) => new Dema(p),
      (p) => dema([1, 2], p),
    );
  });

  itHonoursTheIndicatorContract({
    make: () => new Dema(10),
    inputs: sp.close.subarray(0, 80),
    batch: () => dema(sp.close.subarray(0, 80), 10),
    warmup: 18,
    bad: BAD_NUMBERS,
  });
});
