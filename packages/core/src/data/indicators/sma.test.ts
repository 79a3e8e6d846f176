import { SMA as TiSma } from 'technicalindicators';
import { SMA as TsSma } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Sma, sma } from './sma';
import {
  BAD_NUMBERS,
  close,
  expectInvalidArgument,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  randomWalk,
  rng,
} from './test-support';

const sp = loadSp500();

describe('Sma', () => {
  it('matches a hand-computed example', () => {
    expect(Array.from(sma([1, 2, 3, 4, 5], 3))).toEqual([Number.NaN, Number.NaN, 2, 3, 4]);
    expect(Array.from(sma([7, -1], 1))).toEqual([7, -1]);
  });

  it.each([1, 2, 20, 50, 200])(
    'matches technicalindicators and trading-signals on S&P 500 closes (period %i)',
    (period) => {
      const ours = sma(sp.close, period);
      const ti = TiSma.calculate({ period, values: Array.from(sp.close) });
      const offset = sp.length - ti.length;
      expect(offset).toBe(period - 1);
      expect(expectSeriesClose(ours, (i) => ti[i - offset] as number, { from: period - 1 })).toBe(
        sp.length - period + 1,
      );
      const ts = new TsSma(period);
      const tsOut = Array.from(sp.close, (x) => ts.update(x, false) ?? Number.NaN);
      expectSeriesClose(ours, (i) => tsOut[i] as number, { from: 0 });
    },
  );

  it('stays within 1e-9 of a fresh window sum over 1.2M values, spikes included (and a naive running sum does not)', () => {
    const n = 1_200_000;
    const period = 20;
    const values = randomWalk(n, 7);
    const next = rng(11);
    // Every ~1000 values a spike twelve orders of magnitude above the level: a plain running sum keeps the
    // low bits it lost while the spike was in the window.
    for (let i = 500; i < n; i += 997) values[i] = 1e12 * (1 + next());
    const ind = new Sma(period);
    let naive = 0;
    let worstOurs = 0;
    let worstNaive = 0;
    for (let i = 0; i < n; i++) {
      const x = values[i] as number;
      const got = ind.update(x);
      naive += x - (i >= period ? (values[i - period] as number) : 0);
      if (i < period - 1) continue;
      let fresh = 0;
      for (let j = i - period + 1; j <= i; j++) fresh += values[j] as number;
      fresh /= period;
      worstOurs = Math.max(worstOurs, Math.abs(got - fresh) / Math.abs(fresh));
      worstNaive = Math.max(worstNaive, Math.abs(naive / period - fresh) / Math.abs(fresh));
    }
    expect(worstOurs).toBeLessThan(1e-9);
    expect(worstNaive).toBeGreaterThan(1e-9); // the test can fail: this data does break an uncompensated sum
  });

  it('rejects invalid periods', () => {
    for (const p of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 24 + 1]) {
      expectInvalidArgument(() => new Sma(p));
      expectInvalidArgument(() => sma([1, 2, 3], p));
    }
    expectInvalidArgument(() => sma(null as unknown as number[], 3));
    expect(close(new Sma(2 ** 24).period, 2 ** 24)).toBe(true);
  });

  itHonoursTheIndicatorContract({
    make: () => new Sma(20),
    inputs: sp.close.subarray(0, 300),
    batch: () => sma(sp.close.subarray(0, 300), 20),
    warmup: 19,
    bad: BAD_NUMBERS,
  });
});
