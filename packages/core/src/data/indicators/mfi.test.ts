import { IndicatorsSync } from '@ixjb94/indicators';
import { MFI as TiMfi } from 'technicalindicators';
import { MFI as TsMfi } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Mfi, mfi } from './mfi';
import {
  alignEnd,
  BAD_BARS,
  expectBadPeriods,
  expectInvalidArgument,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  stream,
  tsSeries,
} from './test-support';

const sp = loadSp500();
const cols = {
  high: Array.from(sp.high),
  low: Array.from(sp.low),
  close: Array.from(sp.close),
  volume: Array.from(sp.volume),
};

describe('Mfi', () => {
  it('matches a hand-computed example (period 2)', () => {
    const bar = (tp: number, volume: number) => ({ high: tp, low: tp, close: tp, volume });
    // flows: +11*100 (up), -10*50 (down), neither (equal), +12*10 (up)
    const out = mfi([bar(10, 1), bar(11, 100), bar(10, 50), bar(10, 7), bar(12, 10)], 2);
    expect(Array.from(out.subarray(0, 2))).toEqual([Number.NaN, Number.NaN]);
    expect(out[2]).toBeCloseTo((100 * 1100) / 1600, 12); // window +1100, -500
    expect(out[3]).toBe(0); // window -500, 0
    expect(out[4]).toBe(100); // window 0, +120
    // no flow at all gives 50, like a flat RSI
    expect(Array.from(mfi([bar(5, 1), bar(5, 1), bar(5, 1)], 2)).slice(2)).toEqual([50]);
  });

  it.each([1, 14, 30])(
    'matches trading-signals 8.3 and @ixjb94/indicators 1.2 on S&P 500 bars (period %i)',
    (period) => {
      const ours = mfi(sp, period);
      expect(ours[period - 1]).toBeNaN();
      const ts = tsSeries(new TsMfi(period), sp.bars);
      expect(expectSeriesClose(ours, (i) => ts[i] as number, { from: period })).toBe(sp.length - period);
      const ix = new IndicatorsSync().mfi(cols.high, cols.low, cols.close, cols.volume, period);
      expect(expectSeriesClose(ours, alignEnd(ix, sp.length), { from: period })).toBe(sp.length - period);
    },
  );

  it('matches technicalindicators 3.1 MFI to its 2-decimal rounding (it starts one bar later)', () => {
    const ours = mfi(sp, 14);
    const ti = TiMfi.calculate({ period: 14, ...cols });
    const ref = alignEnd(ti, sp.length);
    expect(sp.length - ti.length).toBe(15);
    for (let i = 15; i < sp.length; i++) {
      expect(Math.abs((ours[i] as number) - ref(i))).toBeLessThanOrEqual(0.005 + 1e-9);
    }
  });

  it.each([1, 2, 8, 9, 14])('batches columns to exactly the streamed values (period %i)', (period) => {
    const ind = new Mfi(period);
    const streamed = stream((b: (typeof sp.bars)[number]) => ind.update(b), sp.bars);
    expect(Array.from(mfi(cols, period))).toEqual(Array.from(streamed));
    expect(Array.from(mfi(sp.bars, period))).toEqual(Array.from(streamed));
    const short = {
      high: cols.high.slice(0, 2),
      low: cols.low.slice(0, 2),
      close: cols.close.slice(0, 2),
      volume: cols.volume.slice(0, 2),
    };
    expect(Array.from(mfi(short, period))).toEqual(Array.from(streamed.subarray(0, 2)));
    expect(Array.from(mfi({ high: [], low: [], close: [], volume: [] }, period))).toEqual([]);
  });

  it('rejects a bad column value at its row', () => {
    for (const [field, value] of [
      ['close', Number.NaN],
      ['volume', -1],
      ['volume', Number.POSITIVE_INFINITY],
    ] as const) {
      const columns = { ...cols, [field]: cols[field].slice() };
      columns[field][40] = value;
      expectInvalidArgument(() => mfi(columns, 14));
    }
  });

  it('rejects invalid periods, bad volumes and series without volume', () => {
    expectBadPeriods(
      [0, -1, 1.5, Number.NaN],
      (p) => new Mfi(p),
      (p) => mfi([], p),
    );
    const ind = new Mfi(2);
    for (const volume of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectInvalidArgument(() => ind.update({ high: 1, low: 1, close: 1, volume }));
    }
    expectInvalidArgument(() => mfi({ high: cols.high, low: cols.low, close: cols.close }, 14));
  });

  itHonoursTheIndicatorContract({
    make: () => new Mfi(14),
    inputs: sp.bars.slice(0, 60),
    batch: () => mfi(sp.bars.slice(0, 60), 14),
    warmup: 14,
    bad: [...BAD_BARS, { high: 2, low: 1, close: 1, volume: -5 }],
  });
});
