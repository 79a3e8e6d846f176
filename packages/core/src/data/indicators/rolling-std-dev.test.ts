import { SD as TiSd } from 'technicalindicators';
import { getStandardDeviation } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { RollingStdDev, rollingStdDev } from './rolling-std-dev';
import {
  BAD_NUMBERS,
  expectInvalidArgument,
  expectSeriesClose,
  freshMoments,
  itHonoursTheIndicatorContract,
  loadSp500,
  regimeSeries,
} from './test-support';

const sp = loadSp500();

describe('RollingStdDev', () => {
  it('matches a hand-computed example (population)', () => {
    const out = rollingStdDev([2, 4, 4, 4, 5, 5, 7, 9], 8);
    expect(out[7]).toBe(2);
    expect(Array.from(rollingStdDev([1, 3, 5], 2))).toEqual([Number.NaN, 1, 1]);
    expect(Array.from(rollingStdDev([4, 4, 4], 1))).toEqual([0, 0, 0]);
  });

  it.each([2, 10, 20, 100])(
    'matches technicalindicators and trading-signals on S&P 500 closes (period %i)',
    (period) => {
      const ours = rollingStdDev(sp.close, period);
      // Two equal closes give σ = 0 here but ~1e-13 from a fresh computation: absolute floor 1e-14 × level.
      const scale = (i: number) => 1e-5 * (sp.close[i] as number);
      const ti = TiSd.calculate({ period, values: Array.from(sp.close) });
      const offset = sp.length - ti.length;
      expect(offset).toBe(period - 1);
      expect(
        expectSeriesClose(ours, (i) => ti[i - offset] as number, { from: period - 1, scale }),
      ).toBeGreaterThan(4000);
      expectSeriesClose(
        ours,
        (i) => getStandardDeviation(Array.from(sp.close.subarray(i - period + 1, i + 1))),
        {
          from: period - 1,
          scale,
        },
      );
    },
  );

  it('stays within 1e-9 of a fresh two-pass computation over 1.2M hostile values (a naive sum of squares does not)', () => {
    const n = 1_200_000;
    const period = 20;
    const values = regimeSeries(n);
    const ind = new RollingStdDev(period);
    let s1 = 0;
    let s2 = 0;
    let worst = 0;
    let worstNaive = 0;
    let flatWindows = 0;
    for (let i = 0; i < n; i++) {
      const x = values[i] as number;
      const got = ind.update(x);
      const y = i >= period ? (values[i - period] as number) : 0;
      s1 += x - y;
      s2 += x * x - y * y;
      if (i < period - 1) continue;
      const { mean, sd } = freshMoments(values, i, period);
      // Absolute floor: a fresh two-pass result is itself only good to ~1e-16 of the level.
      const floor = 1e-14 * Math.abs(mean);
      if (sd === 0) flatWindows++;
      worst = Math.max(worst, Math.abs(got - sd) / Math.max(sd, floor / 1e-9));
      const naive = Math.sqrt(Math.max(0, s2 / period - (s1 / period) ** 2));
      worstNaive = Math.max(worstNaive, Math.abs(naive - sd) / Math.max(sd, floor / 1e-9));
      if (Math.abs(ind.mean - mean) > 1e-9 * Math.abs(mean))
        expect.fail(`mean at ${i}: ${ind.mean} vs ${mean}`);
    }
    expect(flatWindows).toBeGreaterThan(1000);
    expect(worst).toBeLessThan(1e-9);
    expect(worstNaive).toBeGreaterThan(1e-9); // the data is hostile enough to break the textbook formula
  });

  it('batches to exactly the streamed values (re-centrings and flat windows included), and rejects a bad value', () => {
    const values = regimeSeries(40_000);
    for (const period of [1, 2, 3, 20, 57]) {
      for (const len of [0, 1, period - 1, period, period + 1, values.length]) {
        const slice = values.subarray(0, len);
        const ind = new RollingStdDev(period);
        const streamed = Array.from(slice, (x) => ind.update(x));
        expect(Array.from(rollingStdDev(slice, period)), `period ${period} len ${len}`).toEqual(streamed);
      }
    }
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const values2 = Array.from(values.subarray(0, 50));
      values2[30] = bad;
      expect(() => new RollingStdDev(20).update(bad)).toThrow(String(bad));
      expectInvalidArgument(() => rollingStdDev(values2, 20));
      expect(() => rollingStdDev(values2, 20)).toThrow(String(bad));
    }
  });

  it('rejects invalid periods', () => {
    for (const p of [0, -1, 1.5, Number.NaN]) {
      expectInvalidArgument(() => new RollingStdDev(p));
      expectInvalidArgument(() => rollingStdDev([1], p));
    }
  });

  itHonoursTheIndicatorContract({
    make: () => new RollingStdDev(20),
    inputs: sp.close.subarray(0, 100),
    batch: () => rollingStdDev(sp.close.subarray(0, 100), 20),
    warmup: 19,
    bad: BAD_NUMBERS,
    extras: (ind) => [ind.mean],
  });
});
