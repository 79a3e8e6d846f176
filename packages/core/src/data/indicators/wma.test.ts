import { WMA as TiWma } from 'technicalindicators';
import { WMA as TsWma } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import {
  BAD_NUMBERS,
  expectInvalidArgument,
  expectSameRejection,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  randomWalk,
} from './test-support';
import { Wma, wma } from './wma';

const sp = loadSp500();

function directWma(values: ArrayLike<number>, end: number, period: number): number {
  let num = 0;
  for (let k = 0; k < period; k++) num += (k + 1) * (values[end - period + 1 + k] as number);
  return num / ((period * (period + 1)) / 2);
}

describe('Wma', () => {
  it('matches a hand-computed example', () => {
    // (1*1 + 2*2 + 3*3) / 6 = 14/6, (1*2 + 2*3 + 3*4) / 6 = 20/6
    const out = wma([1, 2, 3, 4], 3);
    expect(out[0]).toBeNaN();
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeCloseTo(14 / 6, 14);
    expect(out[3]).toBeCloseTo(20 / 6, 14);
  });

  it.each([1, 2, 9, 20, 100])(
    'matches technicalindicators and trading-signals on S&P 500 closes (period %i)',
    (period) => {
      const ours = wma(sp.close, period);
      const ti = TiWma.calculate({ period, values: Array.from(sp.close) });
      const offset = sp.length - ti.length;
      expect(offset).toBe(period - 1);
      expect(expectSeriesClose(ours, (i) => ti[i - offset] as number, { from: period - 1 })).toBeGreaterThan(
        4000,
      );
      const ts = new TsWma(period);
      const tsOut = Array.from(sp.close, (x) => ts.update(x, false) ?? Number.NaN);
      expectSeriesClose(ours, (i) => tsOut[i] as number, { from: 0 });
    },
  );

  it('does not drift: within 1e-9 of the direct formula over 1.2M values', () => {
    const values = randomWalk(1_200_000, 3);
    const period = 30;
    const ind = new Wma(period);
    let worst = 0;
    for (let i = 0; i < values.length; i++) {
      const got = ind.update(values[i] as number);
      if (i >= period - 1 && i % 7 === 0) {
        const want = directWma(values, i, period);
        worst = Math.max(worst, Math.abs(got - want) / Math.abs(want));
      }
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it('batches exactly the streamed values (periods 1-100, short and long input, plain arrays)', () => {
    for (const period of [1, 2, 9, 20, 100]) {
      for (const len of [0, 1, period - 1, period, period + 1, 250, sp.length]) {
        const values = sp.close.subarray(0, len);
        const ind = new Wma(period);
        const streamed = Array.from(values, (v) => ind.update(v));
        expect(Array.from(wma(values, period)), `period ${period} len ${len}`).toEqual(streamed);
        if (len === 250) expect(Array.from(wma(Array.from(values), period))).toEqual(streamed);
      }
    }
  });

  it('rejects a non-finite value in the batch with the streaming error of the first bad value', () => {
    const values = [1, 2, 3, Number.POSITIVE_INFINITY, 5, Number.NaN];
    expectSameRejection(
      () => wma(values, 2),
      () => new Wma(2).update(Number.POSITIVE_INFINITY),
    );
  });

  it('rejects invalid periods', () => {
    for (const p of [0, -1, 0.5, Number.POSITIVE_INFINITY]) {
      expectInvalidArgument(() => new Wma(p));
      expectInvalidArgument(() => wma([1], p));
    }
  });

  itHonoursTheIndicatorContract({
    make: () => new Wma(10),
    inputs: sp.close.subarray(0, 100),
    batch: () => wma(sp.close.subarray(0, 100), 10),
    warmup: 9,
    bad: BAD_NUMBERS,
  });
});
