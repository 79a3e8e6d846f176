import { ADX as TiAdx } from 'technicalindicators';
import { describe, expect, it } from 'vitest';
import { Adx, adx } from './adx';
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

/** Direct definition, recomputed from the first bar for every output (O(n²), small inputs only). */
function referenceAdx(bars: readonly IndicatorBar[], p: number, end: number) {
  let tr = 0;
  let pdm = 0;
  let mdm = 0;
  const dxs: number[] = [];
  let pdi = Number.NaN;
  let mdi = Number.NaN;
  for (let i = 1; i <= end; i++) {
    const b = bars[i] as IndicatorBar;
    const a = bars[i - 1] as IndicatorBar;
    const up = b.high - a.high;
    const down = a.low - b.low;
    const t = Math.max(b.high - b.low, Math.abs(b.high - a.close), Math.abs(b.low - a.close));
    const pd = up > down && up > 0 ? up : 0;
    const md = down > up && down > 0 ? down : 0;
    if (i <= p) {
      tr += t;
      pdm += pd;
      mdm += md;
      if (i < p) continue;
    } else {
      tr = tr - tr / p + t;
      pdm = pdm - pdm / p + pd;
      mdm = mdm - mdm / p + md;
    }
    pdi = (100 * pdm) / tr;
    mdi = (100 * mdm) / tr;
    dxs.push(pdi + mdi === 0 ? 0 : (100 * Math.abs(pdi - mdi)) / (pdi + mdi));
  }
  if (dxs.length < p) return { adx: Number.NaN, pdi: Number.NaN, mdi: Number.NaN };
  let value = dxs.slice(0, p).reduce((s, x) => s + x, 0) / p;
  for (const dx of dxs.slice(p)) value = (value * (p - 1) + dx) / p;
  return { adx: value, pdi, mdi };
}

describe('Adx', () => {
  it('matches a hand-computed example (period 1: DI from the bar itself, ADX = DX)', () => {
    const bars = [
      { high: 10, low: 8, close: 9 },
      { high: 12, low: 9, close: 11 }, // up 2, down -1: +DM 2, -DM 0, TR 3 -> +DI 66.67, -DI 0, DX 100
      { high: 11, low: 7, close: 8 }, // up -1, down 2: +DM 0, -DM 2, TR 4 -> +DI 0, -DI 50, DX 100
    ];
    const out = adx(bars, 1);
    expect(Array.from(out.adx)).toEqual([Number.NaN, 100, 100]);
    expect(out.plusDi[1]).toBeCloseTo(200 / 3, 12);
    expect(out.minusDi[2]).toBe(50);
    expect(out.plusDi[2]).toBe(0);
  });

  it('matches the direct definition on random bars, including the warm-up boundary', () => {
    const bars = randomBars(200, 8);
    for (const p of [2, 5, 14]) {
      const ours = adx(bars, p);
      for (let i = 0; i < bars.length; i++) {
        const ref = referenceAdx(bars, p, i);
        if (Number.isNaN(ref.adx)) {
          expect(ours.adx[i], `adx ${i}`).toBeNaN();
          continue;
        }
        expect(i).toBeGreaterThanOrEqual(2 * p - 1);
        expect(Math.abs((ours.adx[i] as number) - ref.adx)).toBeLessThanOrEqual(1e-9 * ref.adx);
        expect(Math.abs((ours.plusDi[i] as number) - ref.pdi)).toBeLessThanOrEqual(
          1e-9 * Math.max(1, ref.pdi),
        );
        expect(Math.abs((ours.minusDi[i] as number) - ref.mdi)).toBeLessThanOrEqual(
          1e-9 * Math.max(1, ref.mdi),
        );
      }
      expect(ours.adx[2 * p - 2]).toBeNaN();
      expect(Number.isFinite(ours.adx[2 * p - 1])).toBe(true);
    }
  });

  it.each([5, 14, 30])('matches technicalindicators on S&P 500 bars (period %i)', (period) => {
    const ours = adx(sp, period);
    const ti = TiAdx.calculate({
      period,
      high: Array.from(sp.high),
      low: Array.from(sp.low),
      close: Array.from(sp.close),
    });
    const offset = sp.length - ti.length;
    expect(offset).toBe(2 * period - 1);
    const from = offset;
    const scale = () => 1; // oscillators in [0, 100]: compare at the scale of one point
    expect(expectSeriesClose(ours.adx, (i) => ti[i - offset]?.adx as number, { from, scale })).toBe(
      sp.length - from,
    );
    expectSeriesClose(ours.plusDi, (i) => ti[i - offset]?.pdi as number, { from, scale });
    expectSeriesClose(ours.minusDi, (i) => ti[i - offset]?.mdi as number, { from, scale });
  });

  it('batches columns to exactly the streamed ADX and DIs, and rejects a non-finite column value', () => {
    const bars = randomBars(300, 9);
    const ind = new Adx(7);
    const streamed = bars.map((b) => [ind.update(b), ind.plusDi, ind.minusDi]);
    const columns = {
      high: bars.map((b) => b.high),
      low: bars.map((b) => b.low),
      close: bars.map((b) => b.close),
    };
    for (const out of [adx(columns, 7), adx(bars, 7)]) {
      expect(Array.from(out.adx)).toEqual(streamed.map((r) => r[0]));
      expect(Array.from(out.plusDi)).toEqual(streamed.map((r) => r[1]));
      expect(Array.from(out.minusDi)).toEqual(streamed.map((r) => r[2]));
    }
    columns.low[50] = Number.POSITIVE_INFINITY;
    expectInvalidArgument(() => adx(columns, 7));
  });

  it('batches columns exactly like streaming for short series and tiny periods (warm-up rows)', () => {
    const bars = randomBars(40, 11);
    for (const p of [1, 2, 3, 7]) {
      for (const len of [0, 1, 2, 2 * p - 1, 2 * p, 2 * p + 1, 40]) {
        const slice = bars.slice(0, len);
        const ind = new Adx(p);
        const streamed = slice.map((b) => [ind.update(b), ind.plusDi, ind.minusDi]);
        const out = adx(
          {
            high: slice.map((b) => b.high),
            low: slice.map((b) => b.low),
            close: slice.map((b) => b.close),
          },
          p,
        );
        expect(Array.from(out.adx), `p ${p} len ${len}`).toEqual(streamed.map((r) => r[0]));
        expect(Array.from(out.plusDi)).toEqual(streamed.map((r) => r[1]));
        expect(Array.from(out.minusDi)).toEqual(streamed.map((r) => r[2]));
      }
    }
  });

  it('rejects a bad column row with the streaming error of the first bad row', () => {
    const bars = randomBars(60, 12);
    const columns = {
      high: bars.map((b) => b.high),
      low: bars.map((b) => b.low),
      close: bars.map((b) => b.close),
    };
    columns.close[3] = Number.NaN; // a warm-up row
    columns.high[40] = Number.NEGATIVE_INFINITY;
    const ind = new Adx(7);
    expectSameRejection(
      () => adx(columns, 7),
      () => ind.update({ high: 1, low: 1, close: Number.NaN }),
    );
    columns.close[3] = 1;
    expectSameRejection(
      () => adx(columns, 7),
      () => ind.update({ high: Number.NEGATIVE_INFINITY, low: 1, close: 1 }),
    );
  });

  it('rejects invalid periods', () => {
    for (const p of [0, -1, 1.5, Number.NaN]) {
      expectInvalidArgument(() => new Adx(p));
      expectInvalidArgument(() => adx([], p));
    }
    expect(new Adx().warmup).toBe(27);
  });

  itHonoursTheIndicatorContract({
    make: () => new Adx(14),
    inputs: sp.bars.slice(0, 120),
    batch: () => adx(sp.bars.slice(0, 120), 14).adx,
    warmup: 27,
    bad: BAD_BARS,
    extras: (a) => [a.plusDi, a.minusDi],
  });
});
