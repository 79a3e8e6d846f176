import { IndicatorsSync } from '@ixjb94/indicators';
import { AwesomeOscillator as TiAo } from 'technicalindicators';
import { AO as TsAo } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { AwesomeOscillator, awesomeOscillator } from './awesome-oscillator';
import {
  alignEnd,
  BAD_BARS,
  expectBadPeriods,
  expectInvalidArgument,
  expectSameRejection,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  stream,
  tsSeries,
} from './test-support';

const sp = loadSp500();
/** AO crosses zero: compare relative to a scale of 1 price unit. */
const scale = { scale: () => 1 };

describe('AwesomeOscillator', () => {
  it('matches a hand-computed example (fast 1, slow 2)', () => {
    // medians 10, 14, 11: SMA1 - SMA2 = 14 - 12 = 2, 11 - 12.5 = -1.5
    const hl = (high: number, low: number) => ({ high, low, close: low });
    const out = awesomeOscillator([hl(12, 8), hl(15, 13), hl(12, 10)], { fast: 1, slow: 2 });
    expect(Array.from(out)).toEqual([Number.NaN, 2, -1.5]);
  });

  it('matches technicalindicators 3.1, trading-signals 8.3 and @ixjb94/indicators 1.2 on S&P 500 bars (5, 34)', () => {
    const ours = awesomeOscillator(sp);
    const from = 33;
    expect(ours[from - 1]).toBeNaN();
    const n = sp.length - from;
    const high = Array.from(sp.high);
    const low = Array.from(sp.low);
    const ti = TiAo.calculate({ fastPeriod: 5, slowPeriod: 34, high, low });
    expect(expectSeriesClose(ours, alignEnd(ti, sp.length), { from, ...scale })).toBe(n);
    const ts = tsSeries(new TsAo(5, 34), sp.bars);
    expect(expectSeriesClose(ours, (i) => ts[i] as number, { from, ...scale })).toBe(n);
    const ix = new IndicatorsSync().ao(high, low);
    expect(expectSeriesClose(ours, alignEnd(ix, sp.length), { from, ...scale })).toBe(n);
  });

  it.each([
    [3, 10],
    [1, 2],
    [8, 9],
    [9, 40],
    [5, 34],
  ])(
    'batches columns to exactly the streamed values (fast %i, slow %i), and rejects a non-finite column value',
    (fast, slow) => {
      const ind = new AwesomeOscillator(fast, slow);
      const streamed = stream((b: (typeof sp.bars)[number]) => ind.update(b), sp.bars);
      const columns = { high: Array.from(sp.high), low: Array.from(sp.low), close: Array.from(sp.close) };
      expect(Array.from(awesomeOscillator(columns, { fast, slow }))).toEqual(Array.from(streamed));
      expect(Array.from(awesomeOscillator(sp.bars, { fast, slow }))).toEqual(Array.from(streamed));
      expect(
        Array.from(
          awesomeOscillator(
            {
              ...columns,
              close: columns.close.slice(0, 3),
              high: columns.high.slice(0, 3),
              low: columns.low.slice(0, 3),
            },
            { fast, slow },
          ),
        ),
      ).toEqual(Array.from(streamed.subarray(0, 3)));
      columns.close[40] = Number.NaN;
      columns.high[60] = Number.POSITIVE_INFINITY;
      expectSameRejection(
        () => awesomeOscillator(columns, { fast, slow }),
        () => new AwesomeOscillator(fast, slow).update({ high: 1, low: 1, close: Number.NaN }),
      );
    },
  );

  it('rejects invalid periods and fast >= slow', () => {
    expectBadPeriods(
      [0, -1, 1.5, Number.NaN],
      (p) => new AwesomeOscillator(1, p),
      (p) => awesomeOscillator([], { fast: p }),
    );
    expectInvalidArgument(() => new AwesomeOscillator(34, 34));
  });

  itHonoursTheIndicatorContract({
    make: () => new AwesomeOscillator(),
    inputs: sp.bars.slice(0, 80),
    batch: () => awesomeOscillator(sp.bars.slice(0, 80)),
    warmup: 33,
    bad: BAD_BARS,
  });
});
