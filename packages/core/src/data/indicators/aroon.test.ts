import { IndicatorsSync } from '@ixjb94/indicators';
import { Aroon as TsAroon } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Aroon, aroon } from './aroon';
import {
  alignEnd,
  BAD_BARS,
  expectBadPeriods,
  expectSameRejection,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  tsSeries,
} from './test-support';

const sp = loadSp500();

describe('Aroon', () => {
  it('matches a hand-computed example (period 4: windows of 5 bars)', () => {
    const hl = (high: number, low: number) => ({ high, low, close: (high + low) / 2 });
    const bars = [hl(10, 5), hl(12, 6), hl(11, 4), hl(9, 7), hl(10, 8), hl(13, 9)];
    const out = aroon(bars, 4);
    expect(Array.from(out.up.subarray(0, 4))).toEqual([Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
    // bar 4: high 12 was 3 bars ago -> up 25; low 4 was 2 bars ago -> down 50
    expect([out.up[4], out.down[4], out.oscillator[4]]).toEqual([25, 50, -25]);
    // bar 5: high 13 now -> 100; low 4 3 bars ago -> 25
    expect([out.up[5], out.down[5], out.oscillator[5]]).toEqual([100, 25, 75]);
  });

  it('counts the most recent of equal highs', () => {
    const bar = { high: 5, low: 5, close: 5 };
    const out = aroon([bar, bar, bar], 2);
    expect([out.up[2], out.down[2]]).toEqual([100, 100]);
  });

  it.each([1, 14, 25])(
    'matches trading-signals 8.3 Aroon and @ixjb94/indicators 1.2 aroon/aroonosc on S&P 500 bars (period %i)',
    (period) => {
      const ours = aroon(sp, period);
      expect(ours.oscillator[period - 1]).toBeNaN();
      const n = sp.length - period;
      const ts = new TsAroon(period);
      const tsUp = tsSeries(ts, sp.bars, (r) => r.aroonUp);
      expect(expectSeriesClose(ours.up, (i) => tsUp[i] as number, { from: period })).toBe(n);
      const ix = new IndicatorsSync();
      const high = Array.from(sp.high);
      const low = Array.from(sp.low);
      const [down, up] = ix.aroon(high, low, period) as unknown as [number[], number[]];
      expect(expectSeriesClose(ours.up, alignEnd(up, sp.length), { from: period })).toBe(n);
      expect(expectSeriesClose(ours.down, alignEnd(down, sp.length), { from: period })).toBe(n);
      const osc = alignEnd(ix.aroonosc(high, low, period), sp.length);
      expect(expectSeriesClose(ours.oscillator, osc, { from: period })).toBe(n);
    },
  );

  it('rejects invalid periods', () => {
    expectBadPeriods(
      [0, -1, 1.5, Number.NaN],
      (p) => new Aroon(p),
      (p) => aroon([], p),
    );
  });

  it('batches columns to exactly the streamed values, and rejects a bad row like the class', () => {
    const columnsOf = (bars: readonly { high: number; low: number; close: number }[]) => ({
      high: bars.map((b) => b.high),
      low: bars.map((b) => b.low),
      close: bars.map((b) => b.close),
    });
    for (const period of [1, 2, 25]) {
      for (const len of [0, 1, period, period + 1, 300]) {
        const bars = sp.bars.slice(0, len);
        const ind = new Aroon(period);
        const streamed = bars.map((b) => [ind.update(b), ind.up, ind.down]);
        const out = aroon(columnsOf(bars), period);
        expect(Array.from(out.oscillator), `${period} ${len}`).toEqual(streamed.map((r) => r[0]));
        expect(Array.from(out.up)).toEqual(streamed.map((r) => r[1]));
        expect(Array.from(out.down)).toEqual(streamed.map((r) => r[2]));
      }
    }
    const bad = columnsOf(sp.bars.slice(0, 30));
    bad.high[2] = Number.NaN;
    expectSameRejection(
      () => aroon(bad),
      () => new Aroon().update({ high: Number.NaN, low: 1, close: 1 }),
    );
  });

  itHonoursTheIndicatorContract({
    make: () => new Aroon(14),
    inputs: sp.bars.slice(0, 60),
    batch: () => aroon(sp.bars.slice(0, 60), 14).oscillator,
    warmup: 14,
    bad: BAD_BARS,
    extras: (ind) => [ind.up, ind.down],
  });
});
