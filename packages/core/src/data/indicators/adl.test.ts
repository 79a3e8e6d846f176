import { IndicatorsSync } from '@ixjb94/indicators';
import { AD as TsAd } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Adl, adl } from './adl';
import {
  alignEnd,
  BAD_BARS,
  expectInvalidArgument,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  tsSeries,
} from './test-support';

const sp = loadSp500();

const VOLUME_BARS = [
  { high: 10, low: 8, close: 9, volume: 100 }, // close mid-range: multiplier 0
  { high: 11, low: 9, close: 11, volume: 50 }, // close at the high: +1 * 50
  { high: 13, low: 11, close: 11, volume: 10 }, // close at the low: -1 * 10
  { high: 5, low: 5, close: 5, volume: 7 }, // no range: 0
];

describe('Adl', () => {
  it('matches a hand-computed example', () => {
    expect(Array.from(adl(VOLUME_BARS))).toEqual([0, 50, 40, 40]);
  });

  it('matches trading-signals 8.3 AD and @ixjb94/indicators 1.2 ad on S&P 500 bars', () => {
    const ours = adl(sp);
    const ts = tsSeries(new TsAd(), sp.bars);
    // A cumulative line near zero: compare relative to a scale of one day's volume.
    const scale = { scale: () => 1e9 };
    expect(expectSeriesClose(ours, (i) => ts[i] as number, { from: 0, ...scale })).toBe(sp.length);
    const ix = new IndicatorsSync().ad(
      Array.from(sp.high),
      Array.from(sp.low),
      Array.from(sp.close),
      Array.from(sp.volume),
    );
    expect(expectSeriesClose(ours, alignEnd(ix, sp.length), { from: 0, ...scale })).toBe(sp.length);
  });

  it('requires a volume', () => {
    expectInvalidArgument(() => adl({ high: sp.high, low: sp.low, close: sp.close }));
    expectInvalidArgument(() => new Adl().update({ high: 1, low: 1, close: 1, volume: -1 }));
  });

  itHonoursTheIndicatorContract({
    make: () => new Adl(),
    inputs: sp.bars.slice(0, 40),
    batch: () => adl(sp.bars.slice(0, 40)),
    warmup: 0,
    bad: [...BAD_BARS, { high: 2, low: 1, close: 1, volume: Number.NaN }],
  });
});
