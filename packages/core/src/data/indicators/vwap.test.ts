import { VWAP as TiVwap } from 'technicalindicators';
import { VWAP as TsVwap } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import {
  BAD_BARS,
  expectInvalidArgument,
  expectSameRejection,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
} from './test-support';
import type { IndicatorVolumeBar } from './types';
import { Vwap, vwap } from './vwap';

const sp = loadSp500();

function directVwap(bars: readonly IndicatorVolumeBar[], from: number, to: number): number {
  let pv = 0;
  let v = 0;
  for (let i = from; i <= to; i++) {
    const b = bars[i] as IndicatorVolumeBar;
    pv += ((b.high + b.low + b.close) / 3) * b.volume;
    v += b.volume;
  }
  return pv / v;
}

describe('Vwap', () => {
  it('matches a hand-computed example (typical price)', () => {
    const bars = [
      { high: 12, low: 9, close: 9, volume: 100 }, // tp 10
      { high: 22, low: 18, close: 20, volume: 300 }, // tp 20
    ];
    expect(Array.from(vwap(bars))).toEqual([10, (10 * 100 + 20 * 300) / 400]);
  });

  it('matches technicalindicators and trading-signals on S&P 500 bars (cumulative)', () => {
    const ours = vwap(sp.bars);
    const ti = TiVwap.calculate({
      high: Array.from(sp.high),
      low: Array.from(sp.low),
      close: Array.from(sp.close),
      volume: Array.from(sp.volume),
    });
    expect(ti.length).toBe(sp.length);
    expect(expectSeriesClose(ours, (i) => ti[i] as number, { from: 0 })).toBe(sp.length);
    const ts = new TsVwap();
    const tsOut = sp.bars.map((b) => ts.update(b, false) ?? Number.NaN);
    expectSeriesClose(ours, (i) => tsOut[i] as number, { from: 0 });
    expect(Array.from(vwap({ high: sp.high, low: sp.low, close: sp.close, volume: sp.volume }))).toEqual(
      Array.from(ours),
    );
  });

  it('restarts every sessionLength bars', () => {
    const out = vwap(sp.bars, { sessionLength: 20 });
    for (let i = 0; i < 200; i++) {
      const start = i - (i % 20);
      expect(out[i]).toBeCloseTo(directVwap(sp.bars, start, i), 9);
    }
    expect(new Vwap({ sessionLength: 20 }).period).toBe(20);
    const columns = { high: sp.high, low: sp.low, close: sp.close, volume: sp.volume };
    expect(Array.from(vwap(columns, { sessionLength: 20 }))).toEqual(Array.from(out));
  });

  it('rejects a bad row of columns like the streaming class, with the same error', () => {
    const columns = (volume: number, close = 3) => ({
      high: [4, 4],
      low: [2, 2],
      close: [3, close],
      volume: [10, volume],
    });
    expectInvalidArgument(() => vwap(columns(-1)));
    expectInvalidArgument(() => vwap(columns(Number.POSITIVE_INFINITY)));
    expectInvalidArgument(() => vwap(columns(10, Number.NaN)));
    expectSameRejection(
      () => vwap(columns(-1)),
      () => new Vwap().update({ high: 4, low: 2, close: 3, volume: -1 }),
    );
  });

  it('restarts when the newSession predicate says so (here: a new calendar year)', () => {
    const dated = sp.bars.map((b, i) => ({ ...b, year: 2000 + Math.floor(i / 252) }));
    let year = -1;
    const ind = new Vwap<(typeof dated)[number]>({
      newSession: (b) => {
        const changed = b.year !== year;
        year = b.year;
        return changed;
      },
    });
    let start = 0;
    for (let i = 0; i < dated.length; i++) {
      if (i > 0 && dated[i]?.year !== dated[i - 1]?.year) start = i;
      const got = ind.update(dated[i] as (typeof dated)[number]);
      const want = directVwap(sp.bars, start, i);
      if (Math.abs(got - want) > 1e-9 * want) expect.fail(`bar ${i}: ${got} vs ${want}`);
    }
  });

  it('is NaN and not ready while the session has no volume', () => {
    const ind = new Vwap();
    expect(ind.update({ high: 2, low: 1, close: 1.5, volume: 0 })).toBeNaN();
    expect(ind.isReady).toBe(false);
    expect(ind.update({ high: 4, low: 2, close: 3, volume: 10 })).toBe(3);
    expect(ind.isReady).toBe(true);
    expect(ind.sessionVolume).toBe(10);
    ind.reset();
    expect(ind.value).toBeNaN();
    expect(ind.sessionVolume).toBe(0);
  });

  it('rejects invalid options and volume-less input', () => {
    expectInvalidArgument(() => new Vwap({ sessionLength: 0 }));
    expectInvalidArgument(() => new Vwap({ sessionLength: 2, newSession: () => false }));
    expectInvalidArgument(() => new Vwap({ newSession: 5 as unknown as () => boolean }));
    expectInvalidArgument(() => vwap({ high: [1], low: [1], close: [1] }));
    expectInvalidArgument(() => vwap([{ high: 1, low: 1, close: 1 } as IndicatorVolumeBar]));
  });

  itHonoursTheIndicatorContract({
    make: () => new Vwap(),
    inputs: sp.bars.slice(0, 50),
    batch: () => vwap(sp.bars.slice(0, 50)),
    warmup: 0,
    bad: [
      ...BAD_BARS,
      { high: 2, low: 1, close: 1, volume: -5 },
      { high: 2, low: 1, close: 1, volume: Number.NaN },
    ],
    extras: (v) => [v.sessionVolume],
  });
});
