import { KeltnerChannels as TiKeltner } from 'technicalindicators';
import { KeltnerChannels as TsKeltner } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { KeltnerChannel, keltnerChannel } from './keltner-channel';
import {
  alignEnd,
  BAD_BARS,
  expectBadPeriods,
  expectInvalidArgument,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  tsSeries,
} from './test-support';

const sp = loadSp500();

describe('KeltnerChannel', () => {
  it('matches a hand-computed example (EMA 2, ATR 1, multiplier 2)', () => {
    const bars = [
      { high: 10, low: 8, close: 9 },
      { high: 11, low: 9, close: 10 }, // EMA seed 9.5, TR 2
      { high: 13, low: 11, close: 12.5 }, // EMA 12.5 * 2/3 + 9.5 / 3 = 11.5, TR 3
    ];
    const out = keltnerChannel(bars, { period: 2, atrPeriod: 1, multiplier: 2 });
    const round = (xs: Float64Array) => Array.from(xs, (x) => Number(x.toFixed(12)));
    expect(round(out.middle)).toEqual([Number.NaN, 9.5, 11.5]);
    expect(round(out.upper)).toEqual([Number.NaN, 13.5, 17.5]);
    expect(round(out.lower)).toEqual([Number.NaN, 5.5, 5.5]);
  });

  it.each([
    [20, 10, 2],
    [10, 20, 1.5],
  ])(
    'matches technicalindicators 3.1 KeltnerChannels on S&P 500 bars (%i, %i, %f)',
    (period, atrPeriod, multiplier) => {
      const ours = keltnerChannel(sp, { period, atrPeriod, multiplier });
      const from = Math.max(period - 1, atrPeriod);
      expect(ours.middle[from - 1]).toBeNaN();
      const ti = TiKeltner.calculate({
        high: Array.from(sp.high),
        low: Array.from(sp.low),
        close: Array.from(sp.close),
        maPeriod: period,
        atrPeriod,
        useSMA: false,
        multiplier,
      });
      const n = sp.length - from;
      expect(ti.length).toBe(n);
      for (const key of ['middle', 'upper', 'lower'] as const) {
        const ref = alignEnd(
          ti.map((r) => r[key]),
          sp.length,
        );
        expect(expectSeriesClose(ours[key], ref, { from })).toBe(n);
      }
    },
  );

  it('converges to trading-signals 8.3 KeltnerChannels (EMA and ATR seeded differently)', () => {
    const ours = keltnerChannel(sp);
    const ts = tsSeries(new TsKeltner(), sp.bars, (r) => r.upper);
    expect(expectSeriesClose(ours.upper, (i) => ts[i] as number, { from: 300 })).toBe(sp.length - 300);
  });

  it('rejects invalid periods and multipliers', () => {
    expectBadPeriods(
      [0, -1, 1.5, Number.NaN],
      (p) => new KeltnerChannel(p),
      (p) => keltnerChannel([], { atrPeriod: p }),
    );
    expectInvalidArgument(() => new KeltnerChannel(20, 10, -2));
  });

  itHonoursTheIndicatorContract({
    make: () => new KeltnerChannel(),
    inputs: sp.bars.slice(0, 60),
    batch: () => keltnerChannel(sp.bars.slice(0, 60)).middle,
    warmup: 19,
    bad: BAD_BARS,
    extras: (ind) => [ind.upper, ind.lower, ind.middle],
  });
});
