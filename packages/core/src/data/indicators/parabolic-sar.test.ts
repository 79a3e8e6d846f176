import { IndicatorsSync } from '@ixjb94/indicators';
import { PSAR as TiPsar } from 'technicalindicators';
import { describe, expect, it } from 'vitest';
import { ParabolicSar, parabolicSar } from './parabolic-sar';
import {
  alignEnd,
  BAD_BARS,
  expectInvalidArgument,
  expectSameRejection,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
} from './test-support';

const sp = loadSp500();
const high = Array.from(sp.high);
const low = Array.from(sp.low);

describe('ParabolicSar', () => {
  it('matches a hand-computed example (step 0.02, max 0.2)', () => {
    const hl = (h: number, l: number) => ({ high: h, low: l, close: l });
    // bars 0-1: h + l rose -> long, SAR 8 (low 0), extreme 10 (high 0)
    // bar 1: 8 + 0.02 * 2 = 8.04 clamped to low 0 = 8; new high 11 -> af 0.04
    // bar 2: 8 + 0.04 * 3 = 8.12 clamped to 8; new high 12 -> af 0.06
    // bar 3: 8 + 0.06 * 4 = 8.24; low 7 < 8.24 -> reverse: SAR = extreme 12, short
    const ind = new ParabolicSar();
    const out = [hl(10, 8), hl(11, 9), hl(12, 10), hl(9, 7)].map((b) => ind.update(b));
    expect(out[0]).toBeNaN();
    expect(out.slice(1).map((x) => Number(x.toFixed(12)))).toEqual([8, 8, 12]);
    expect(ind.isLong).toBe(false);
  });

  it.each([
    [0.02, 0.2],
    [0.01, 0.1],
    [0.05, 0.5],
  ])('matches @ixjb94/indicators 1.2 psar (Tulip) on S&P 500 bars (step %f, max %f)', (step, max) => {
    const ours = parabolicSar(sp, { step, max });
    const ix = new IndicatorsSync().psar(high, low, step, max);
    expect(expectSeriesClose(ours, alignEnd(ix, sp.length), { from: 1 })).toBe(sp.length - 1);
  });

  it('agrees with technicalindicators 3.1 PSAR once its different start has worked through', () => {
    // technicalindicators starts from the first bar alone; on this data the two agree from bar 61 on.
    const ti = TiPsar.calculate({ high, low, step: 0.02, max: 0.2 });
    expect(expectSeriesClose(parabolicSar(sp), alignEnd(ti, sp.length), { from: 61 })).toBe(sp.length - 61);
  });

  it('rejects invalid steps', () => {
    for (const [step, max] of [
      [0, 0.2],
      [-0.02, 0.2],
      [Number.NaN, 0.2],
      [0.02, Number.POSITIVE_INFINITY],
      [0.2, 0.1],
    ] as const) {
      expectInvalidArgument(() => new ParabolicSar(step, max));
      expectInvalidArgument(() => parabolicSar([], { step, max }));
    }
  });

  it('batches columns to exactly the streamed values, and rejects a bad row like the class', () => {
    const columnsOf = (bars: readonly { high: number; low: number; close: number }[]) => ({
      high: bars.map((b) => b.high),
      low: bars.map((b) => b.low),
      close: bars.map((b) => b.close),
    });
    for (const len of [0, 1, 2, 3, 300]) {
      const bars = sp.bars.slice(0, len);
      const ind = new ParabolicSar();
      const streamed = bars.map((b) => ind.update(b));
      expect(Array.from(parabolicSar(columnsOf(bars))), `len ${len}`).toEqual(streamed);
    }
    const bad = columnsOf(sp.bars.slice(0, 30));
    bad.close[6] = Number.POSITIVE_INFINITY;
    expectSameRejection(
      () => parabolicSar(bad),
      () => new ParabolicSar().update({ high: 1, low: 1, close: Number.POSITIVE_INFINITY }),
    );
  });

  itHonoursTheIndicatorContract({
    make: () => new ParabolicSar(),
    inputs: sp.bars.slice(0, 80),
    batch: () => parabolicSar(sp.bars.slice(0, 80)),
    warmup: 1,
    bad: BAD_BARS,
  });
});
