import { DonchianChannels as TsDonchian } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { DonchianChannel, donchianChannel } from './donchian-channel';
import {
  BAD_BARS,
  expectInvalidArgument,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  randomBars,
} from './test-support';

const sp = loadSp500();

describe('DonchianChannel', () => {
  it('matches a hand-computed example (current bar included)', () => {
    const bars = [
      { high: 10, low: 5, close: 7 },
      { high: 12, low: 6, close: 11 },
      { high: 11, low: 8, close: 8 },
      { high: 9, low: 7, close: 8 },
    ];
    const { upper, lower, middle } = donchianChannel(bars, 2);
    expect(Array.from(upper)).toEqual([Number.NaN, 12, 12, 11]);
    expect(Array.from(lower)).toEqual([Number.NaN, 5, 6, 7]);
    expect(Array.from(middle)).toEqual([Number.NaN, 8.5, 9, 9]);
  });

  it.each([1, 5, 20, 55])('matches trading-signals on S&P 500 bars (period %i)', (period) => {
    const ours = donchianChannel(sp.bars, period);
    const ts = new TsDonchian(period);
    const tsOut = sp.bars.map((b) => ts.update(b, false));
    expect(expectSeriesClose(ours.upper, (i) => tsOut[i]?.upper ?? Number.NaN, { from: 0 })).toBe(sp.length);
    expectSeriesClose(ours.lower, (i) => tsOut[i]?.lower ?? Number.NaN, { from: 0 });
    expectSeriesClose(ours.middle, (i) => tsOut[i]?.middle ?? Number.NaN, { from: 0 });
  });

  it('matches a rescan of the window on 50k random bars (deque correctness, ties included)', () => {
    // Rounded prices create many equal highs/lows, the edge case of a monotonic deque.
    const bars = randomBars(50_000, 12).map((b) => ({
      high: Math.round(b.high),
      low: Math.round(b.low) - 1,
      close: b.close,
    }));
    for (const period of [2, 7, 64]) {
      const ours = donchianChannel(bars, period);
      for (let i = period - 1; i < bars.length; i++) {
        let hi = Number.NEGATIVE_INFINITY;
        let lo = Number.POSITIVE_INFINITY;
        for (let j = i - period + 1; j <= i; j++) {
          hi = Math.max(hi, bars[j]?.high as number);
          lo = Math.min(lo, bars[j]?.low as number);
        }
        if (ours.upper[i] !== hi || ours.lower[i] !== lo) {
          expect.fail(`period ${period} bar ${i}: ${ours.upper[i]}/${ours.lower[i]} vs ${hi}/${lo}`);
        }
      }
    }
  });

  it('rejects invalid periods', () => {
    for (const p of [0, -1, 1.5, Number.NaN]) {
      expectInvalidArgument(() => new DonchianChannel(p));
      expectInvalidArgument(() => donchianChannel([], p));
    }
  });

  itHonoursTheIndicatorContract({
    make: () => new DonchianChannel(20),
    inputs: sp.bars.slice(0, 80),
    batch: () => donchianChannel(sp.bars.slice(0, 80), 20).middle,
    warmup: 19,
    bad: BAD_BARS,
    extras: (d) => [d.upper, d.lower, d.middle],
  });
});
