import { Stochastic as TiStochastic } from 'technicalindicators';
import { StochasticOscillator as TsStochastic } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { Stochastic, stochastic } from './stochastic';
import {
  BAD_BARS,
  expectInvalidArgument,
  expectSameRejection,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
  randomBars,
} from './test-support';
import type { IndicatorBar } from './types';

const sp = loadSp500();

/** Direct definition: rescan the window for every bar, SMAs recomputed from scratch. */
function referenceStochastic(bars: readonly IndicatorBar[], [kp, dp, sk]: readonly [number, number, number]) {
  const raw = bars.map((b, i) => {
    if (i < kp - 1) return Number.NaN;
    const w = bars.slice(i - kp + 1, i + 1);
    const hh = Math.max(...w.map((x) => x.high));
    const ll = Math.min(...w.map((x) => x.low));
    return hh === ll ? 0 : ((b.close - ll) / (hh - ll)) * 100;
  });
  const mean = (xs: number[], i: number, p: number) => {
    if (i < p - 1) return Number.NaN;
    let s = 0;
    for (let j = i - p + 1; j <= i; j++) s += xs[j] as number;
    return s / p;
  };
  const k = raw.map((_, i) => mean(raw, i, sk));
  const d = k.map((_, i) => mean(k, i, dp));
  return { k, d };
}

describe('Stochastic', () => {
  it('matches a hand-computed example', () => {
    const bars = [
      { high: 10, low: 5, close: 7 },
      { high: 12, low: 6, close: 11 }, // %K(2): hh 12 ll 5 -> (11-5)/7*100
      { high: 11, low: 8, close: 8 }, // hh 12 ll 6 -> (8-6)/6*100
      { high: 9, low: 9, close: 9 }, // hh 11 ll 8 -> (9-8)/3*100
    ];
    const { k, d } = stochastic(bars, { kPeriod: 2, dPeriod: 2 });
    const k1 = (6 / 7) * 100;
    const k2 = (2 / 6) * 100;
    const k3 = (1 / 3) * 100;
    expect(k[1]).toBeNaN();
    expect(k[2]).toBeCloseTo(k2, 12);
    expect(d[2]).toBeCloseTo((k1 + k2) / 2, 12);
    expect(k[3]).toBeCloseTo(k3, 12);
    expect(d[3]).toBeCloseTo((k2 + k3) / 2, 12);
    // zero range -> raw %K 0
    expect(stochastic([{ high: 5, low: 5, close: 5 }], { kPeriod: 1, dPeriod: 1 }).k[0]).toBe(0);
  });

  it.each([
    [14, 3],
    [5, 5],
    [1, 1],
  ])('matches technicalindicators (fast, smoothK 1) on S&P 500 bars (%i, %i)', (kPeriod, dPeriod) => {
    const ours = stochastic(sp, { kPeriod, dPeriod });
    const ti = TiStochastic.calculate({
      period: kPeriod,
      signalPeriod: dPeriod,
      high: Array.from(sp.high),
      low: Array.from(sp.low),
      close: Array.from(sp.close),
    });
    const offset = sp.length - ti.length;
    expect(offset).toBe(kPeriod - 1); // technicalindicators emits %K before %D exists
    const from = kPeriod + dPeriod - 2;
    if (from > 0) expect(ours.k[from - 1]).toBeNaN();
    // %K touches 0: compare at the scale of the oscillator (one point).
    const scale = () => 1;
    expect(expectSeriesClose(ours.k, (i) => ti[i - offset]?.k as number, { from, scale })).toBeGreaterThan(
      4000,
    );
    expectSeriesClose(ours.d, (i) => ti[i - offset]?.d as number, { from, scale });
  });

  it.each([
    [14, 3, 3],
    [5, 3, 2],
  ])('matches trading-signals (slow) on S&P 500 bars (%i, %i, %i)', (kPeriod, dPeriod, smoothK) => {
    const ours = stochastic(sp.bars, { kPeriod, dPeriod, smoothK });
    const ts = new TsStochastic({ kPeriod, dPeriod, kSlowingPeriod: smoothK });
    const tsOut = sp.bars.map((b) => ts.update(b, false));
    const scale = () => 1;
    expect(expectSeriesClose(ours.k, (i) => tsOut[i]?.stochK ?? Number.NaN, { from: 0, scale })).toBe(
      sp.length,
    );
    expectSeriesClose(ours.d, (i) => tsOut[i]?.stochD ?? Number.NaN, { from: 0, scale });
  });

  it('matches a rescanning direct computation on 20k random bars (deque correctness)', () => {
    const bars = randomBars(20_000, 4);
    for (const [kp, dp, sk] of [
      [14, 3, 3],
      [7, 1, 1],
      [40, 5, 2],
      [20, 12, 10], // smoothing windows above 8 take the compensated running-sum path
    ] as const) {
      const ours = stochastic(bars, { kPeriod: kp, dPeriod: dp, smoothK: sk });
      const ref = referenceStochastic(bars, [kp, dp, sk]);
      const scale = () => 1;
      expectSeriesClose(ours.k, (i) => ref.k[i] as number, { from: kp + dp + sk - 3, scale });
      expectSeriesClose(ours.d, (i) => ref.d[i] as number, { from: kp + dp + sk - 3, scale });
    }
  });

  it('rejects invalid periods', () => {
    expectInvalidArgument(() => new Stochastic(0));
    expectInvalidArgument(() => new Stochastic(14, 0));
    expectInvalidArgument(() => new Stochastic(14, 3, 1.5));
    expectInvalidArgument(() => stochastic([], { kPeriod: -1 }));
    const s = new Stochastic();
    expect([s.period, s.dPeriod, s.smoothK, s.warmup]).toEqual([14, 3, 1, 15]);
  });

  it('batches columns to exactly the streamed %K and %D, and rejects a bad row like the class', () => {
    const columnsOf = (bars: readonly { high: number; low: number; close: number }[]) => ({
      high: bars.map((b) => b.high),
      low: bars.map((b) => b.low),
      close: bars.map((b) => b.close),
    });
    for (const [kPeriod, dPeriod, smoothK] of [
      [1, 1, 1],
      [5, 3, 1],
      [14, 3, 3],
    ] as const) {
      for (const len of [0, 1, kPeriod, 300]) {
        const bars = sp.bars.slice(0, len);
        const ind = new Stochastic(kPeriod, dPeriod, smoothK);
        const streamed = bars.map((b) => [ind.update(b), ind.d]);
        const out = stochastic(columnsOf(bars), { kPeriod, dPeriod, smoothK });
        expect(Array.from(out.k), `${kPeriod} ${len}`).toEqual(streamed.map((r) => r[0]));
        expect(Array.from(out.d)).toEqual(streamed.map((r) => r[1]));
      }
    }
    const bad = columnsOf(sp.bars.slice(0, 30));
    bad.low[4] = Number.NaN;
    expectSameRejection(
      () => stochastic(bad),
      () => new Stochastic().update({ high: 1, low: Number.NaN, close: 1 }),
    );
  });

  itHonoursTheIndicatorContract({
    make: () => new Stochastic(14, 3, 3),
    inputs: sp.bars.slice(0, 100),
    batch: () => stochastic(sp.bars.slice(0, 100), { kPeriod: 14, dPeriod: 3, smoothK: 3 }).k,
    warmup: 17,
    bad: BAD_BARS,
    extras: (s) => [s.d],
  });
});
