import { BollingerBands as TiBollinger } from 'technicalindicators';
import { BollingerBands as TsBollinger } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { BollingerBands, bollingerBands } from './bollinger-bands';
import {
  BAD_NUMBERS,
  close,
  expectInvalidArgument,
  expectSeriesClose,
  freshMoments,
  itHonoursTheIndicatorContract,
  loadSp500,
  regimeSeries,
} from './test-support';

const sp = loadSp500();

describe('BollingerBands', () => {
  it('matches a hand-computed example (population σ)', () => {
    // [1,2,3,4]: mean 2.5, population variance 1.25
    const { middle, upper, lower } = bollingerBands([1, 2, 3, 4], { period: 4, multiplier: 1 });
    expect(middle[3]).toBe(2.5);
    expect(upper[3]).toBeCloseTo(2.5 + Math.sqrt(1.25), 14);
    expect(lower[3]).toBeCloseTo(2.5 - Math.sqrt(1.25), 14);
    expect(upper[2]).toBeNaN();
    const bb = new BollingerBands(4, 1);
    for (const x of [1, 2, 3, 4]) bb.update(x);
    expect(bb.stdDev).toBeCloseTo(Math.sqrt(1.25), 14);
    expect(bb.middle).toBe(bb.value);
  });

  it.each([
    [20, 2],
    [10, 1.5],
    [50, 2.5],
  ])('matches technicalindicators and trading-signals on S&P 500 closes (period %i, k %d)', (period, k) => {
    const ours = bollingerBands(sp.close, { period, multiplier: k });
    const ti = TiBollinger.calculate({ period, stdDev: k, values: Array.from(sp.close) });
    const offset = sp.length - ti.length;
    expect(offset).toBe(period - 1);
    const from = period - 1;
    expect(expectSeriesClose(ours.middle, (i) => ti[i - offset]?.middle as number, { from })).toBeGreaterThan(
      4000,
    );
    expectSeriesClose(ours.upper, (i) => ti[i - offset]?.upper as number, { from });
    expectSeriesClose(ours.lower, (i) => ti[i - offset]?.lower as number, { from });
    const ts = new TsBollinger(period, k);
    const tsOut = Array.from(sp.close, (x) => ts.update(x, false));
    expectSeriesClose(ours.middle, (i) => tsOut[i]?.middle ?? Number.NaN, { from: 0 });
    expectSeriesClose(ours.upper, (i) => tsOut[i]?.upper ?? Number.NaN, { from: 0 });
    expectSeriesClose(ours.lower, (i) => tsOut[i]?.lower ?? Number.NaN, { from: 0 });
  });

  it('stays within 1e-9 of a fresh computation over 1.2M hostile values', () => {
    const n = 1_200_000;
    const period = 20;
    const values = regimeSeries(n, 9);
    const bb = new BollingerBands(period, 2);
    let checked = 0;
    for (let i = 0; i < n; i++) {
      bb.update(values[i] as number);
      if (i < period - 1) continue;
      const { mean, sd } = freshMoments(values, i, period);
      const floor = 1e-14 * Math.abs(mean);
      if (!close(bb.middle, mean)) expect.fail(`middle at ${i}: ${bb.middle} vs ${mean}`);
      if (!close(bb.upper, mean + 2 * sd)) expect.fail(`upper at ${i}: ${bb.upper} vs ${mean + 2 * sd}`);
      if (!close(bb.lower, mean - 2 * sd)) expect.fail(`lower at ${i}: ${bb.lower} vs ${mean - 2 * sd}`);
      if (!close(bb.stdDev, sd, floor / 1e-9)) expect.fail(`σ at ${i}: ${bb.stdDev} vs ${sd}`);
      checked++;
    }
    expect(checked).toBe(n - period + 1);
  });

  it('rejects invalid arguments', () => {
    for (const p of [0, -1, 1.5, Number.NaN]) {
      expectInvalidArgument(() => new BollingerBands(p));
      expectInvalidArgument(() => bollingerBands([1], { period: p }));
    }
    for (const k of [0, -2, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectInvalidArgument(() => new BollingerBands(20, k));
    }
  });

  itHonoursTheIndicatorContract({
    make: () => new BollingerBands(20, 2),
    inputs: sp.close.subarray(0, 100),
    batch: () => bollingerBands(sp.close.subarray(0, 100)).middle,
    warmup: 19,
    bad: BAD_NUMBERS,
    extras: (bb) => [bb.upper, bb.lower, bb.middle, bb.stdDev],
  });
});
