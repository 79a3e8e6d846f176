import { IndicatorsSync } from '@ixjb94/indicators';
import { KAMA as TsKama } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Kama, kama } from './kama';
import {
  alignEnd,
  BAD_NUMBERS,
  expectBadPeriods,
  expectInvalidArgument,
  expectSameRejection,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  tsSeries,
} from './test-support';

const sp = loadSp500();

describe('Kama', () => {
  it('matches a hand-computed example (period 2, fast 2, slow 30)', () => {
    const fast = 2 / 3;
    const slow = 2 / 31;
    // seed x[1] = 12; i=2: ER = |14 - 10| / (2 + 2) = 1 -> sc = fast²; i=3: ER = |13 - 12| / (2 + 1) = 1/3
    const k2 = 12 + fast * fast * (14 - 12);
    const sc3 = ((1 / 3) * (fast - slow) + slow) ** 2;
    const k3 = k2 + sc3 * (13 - k2);
    const out = kama([10, 12, 14, 13], { period: 2 });
    expect(out[0]).toBeNaN();
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeCloseTo(k2, 12);
    expect(out[3]).toBeCloseTo(k3, 12);
  });

  it('uses ER = 1 when the window did not move at all', () => {
    // window 5 5 5: no noise; ER = 1 (TA-Lib, trading-signals), so kama moves at the fast rate toward x
    const out = kama([5, 5, 5, 5], { period: 2 });
    expect(Array.from(out.subarray(2))).toEqual([5, 5]);
  });

  it.each([2, 10, 30])(
    'matches trading-signals 8.3 KAMA and @ixjb94/indicators 1.2 kama on S&P 500 closes (period %i)',
    (period) => {
      // Both emit the seed x[period - 1] one input early; from index `period` on the values are the same.
      const ours = kama(sp.close, { period });
      expect(ours[period - 1]).toBeNaN();
      const ts = tsSeries(new TsKama(period), sp.close);
      expect(expectSeriesClose(ours, (i) => ts[i] as number, { from: period })).toBe(sp.length - period);
      const ix = alignEnd(new IndicatorsSync().kama(Array.from(sp.close), period), sp.length);
      expect(expectSeriesClose(ours, ix, { from: period })).toBe(sp.length - period);
    },
  );

  it('rejects invalid periods and fast >= slow', () => {
    expectBadPeriods(
      [0, -1, 1.5, Number.NaN],
      (p) => new Kama(p),
      (p) => kama([1, 2], { period: p }),
    );
    expectInvalidArgument(() => new Kama(10, 30, 30));
    expectInvalidArgument(() => kama([1], { fast: 0 }));
  });

  it('batches exactly the streamed values (direct and compensated noise windows, options, short input)', () => {
    for (const [period, fast, slow] of [
      [1, 2, 30],
      [2, 2, 30],
      [8, 3, 20],
      [9, 2, 30],
      [10, 2, 30],
      [30, 5, 40],
    ] as const) {
      for (const len of [0, 1, period, period + 1, 500]) {
        const values = sp.close.subarray(0, len);
        const ind = new Kama(period, fast, slow);
        const streamed = Array.from(values, (v) => ind.update(v));
        expect(Array.from(kama(values, { period, fast, slow })), `period ${period} len ${len}`).toEqual(
          streamed,
        );
      }
    }
    const bad = Array.from(sp.close.subarray(0, 40));
    bad[12] = Number.NaN;
    bad[30] = Number.POSITIVE_INFINITY;
    expectSameRejection(
      () => kama(bad),
      () => new Kama().update(Number.NaN),
    );
  });

  itHonoursTheIndicatorContract({
    make: () => new Kama(10),
    inputs: sp.close.subarray(0, 60),
    batch: () => kama(sp.close.subarray(0, 60), { period: 10 }),
    warmup: 10,
    bad: BAD_NUMBERS,
  });
});
