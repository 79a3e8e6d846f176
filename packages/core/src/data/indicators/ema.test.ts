import { EMA as TiEma } from 'technicalindicators';
import { EMA as TsEma } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Ema, ema } from './ema';
import {
  BAD_NUMBERS,
  expectInvalidArgument,
  expectSameRejection,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
} from './test-support';

const sp = loadSp500();

/** Direct definition: SMA seed over the first `period` values, then the recurrence. */
function referenceEma(values: ArrayLike<number>, period: number): number[] {
  const out: number[] = [];
  const alpha = 2 / (period + 1);
  let e = Number.NaN;
  for (let i = 0; i < values.length; i++) {
    if (i < period - 1) out.push(Number.NaN);
    else if (i === period - 1) {
      let s = 0;
      for (let j = 0; j < period; j++) s += values[j] as number;
      e = s / period;
      out.push(e);
    } else {
      e = alpha * (values[i] as number) + (1 - alpha) * e;
      out.push(e);
    }
  }
  return out;
}

describe('Ema', () => {
  it('matches a hand-computed example (SMA seed)', () => {
    // seed mean(1,2,3) = 2; alpha = 0.5: 2 + (4-2)/2 = 3, 3 + (8-3)/2 = 5.5
    expect(Array.from(ema([1, 2, 3, 4, 8], 3))).toEqual([Number.NaN, Number.NaN, 2, 3, 5.5]);
    expect(new Ema(3).alpha).toBe(0.5);
  });

  it.each([1, 2, 12, 26, 50, 200])(
    'matches technicalindicators and the direct formula on S&P 500 closes (period %i)',
    (period) => {
      const ours = ema(sp.close, period);
      const ti = TiEma.calculate({ period, values: Array.from(sp.close) });
      const offset = sp.length - ti.length;
      expect(offset).toBe(period - 1);
      expect(expectSeriesClose(ours, (i) => ti[i - offset] as number, { from: period - 1 })).toBeGreaterThan(
        4000,
      );
      const ref = referenceEma(sp.close, period);
      expectSeriesClose(ours, (i) => ref[i] as number, { from: 0 });
    },
  );

  it('differs from trading-signals only by its first-input seed, which decays away', () => {
    // trading-signals seeds with the first input: documented convention difference, not a bug on either side.
    const ts = new TsEma(20);
    const tsOut = Array.from(sp.close, (x) => ts.update(x, false) as number);
    const ours = ema(sp.close, 20);
    expect(Math.abs((ours[19] as number) - (tsOut[19] as number))).toBeGreaterThan(1e-6);
    expectSeriesClose(ours, (i) => tsOut[i] as number, { from: 1000 });
  });

  it('batch: shorter inputs than the period are all warm-up', () => {
    expect(Array.from(ema([1, 2], 3))).toEqual([Number.NaN, Number.NaN]);
    expect(Array.from(ema([1, 2, 3], 3))).toEqual([Number.NaN, Number.NaN, 2]);
    expect(Array.from(ema([], 3))).toEqual([]);
  });

  it('rejects a non-finite value in the batch, in the warm-up or after it, with the streaming error', () => {
    for (const values of [
      [1, Number.NaN, 3, 4, 5],
      [1, 2, 3, 4, Number.POSITIVE_INFINITY, 6],
    ]) {
      expectSameRejection(
        () => ema(values, 3),
        () => {
          const ind = new Ema(3);
          for (const v of values) ind.update(v);
        },
      );
    }
  });

  it('rejects invalid periods', () => {
    for (const p of [0, -3, 2.5, Number.NaN]) {
      expectInvalidArgument(() => new Ema(p));
      expectInvalidArgument(() => ema([1, 2, 3], p));
    }
  });

  itHonoursTheIndicatorContract({
    make: () => new Ema(12),
    inputs: sp.close.subarray(0, 200),
    batch: () => ema(sp.close.subarray(0, 200), 12),
    warmup: 11,
    bad: BAD_NUMBERS,
  });
});
