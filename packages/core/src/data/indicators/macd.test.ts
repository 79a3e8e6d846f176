import { MACD as TiMacd } from 'technicalindicators';
import { describe, expect, it } from 'vitest';
import { Macd, macd } from './macd';
import {
  BAD_NUMBERS,
  expectInvalidArgument,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
} from './test-support';

const sp = loadSp500();

/** Direct definition: SMA-seeded EMAs, each from its own first input. */
function referenceEma(values: readonly number[], period: number): number[] {
  const alpha = 2 / (period + 1);
  const out: number[] = [];
  let e = Number.NaN;
  for (let i = 0; i < values.length; i++) {
    if (i === period - 1) e = values.slice(0, period).reduce((a, b) => a + b, 0) / period;
    else if (i >= period) e = alpha * (values[i] as number) + (1 - alpha) * e;
    out.push(e);
  }
  return out;
}

describe('Macd', () => {
  it('matches a hand-computed example', () => {
    // fast 2 (alpha 2/3), slow 3 (alpha 1/2), signal 2 on 1,2,4,8,16
    // fast: seed 1.5 @1, 2/3*4+1/3*1.5 = 3.1666.. @2, 2/3*8 + 1/3*3.1666 = 6.3888.. @3, 2/3*16+6.3888/3 = 12.796.. @4
    // slow: seed 7/3 @2, (8 + 7/3)/2 = 5.1666.. @3, (16 + 5.1666)/2 = 10.583.. @4
    // line: 0.8333.. @2, 1.2222.. @3, 2.2129.. @4; signal seed (0.8333 + 1.2222)/2 @3, then 2/3*2.2129 + 1/3*seed @4
    const f3 = (2 / 3) * 8 + (1 / 3) * ((2 / 3) * 4 + (1 / 3) * 1.5);
    const f4 = (2 / 3) * 16 + (1 / 3) * f3;
    const s3 = (8 + 7 / 3) / 2;
    const s4 = (16 + s3) / 2;
    const l2 = (2 / 3) * 4 + (1 / 3) * 1.5 - 7 / 3;
    const l3 = f3 - s3;
    const l4 = f4 - s4;
    const sig3 = (l2 + l3) / 2;
    const sig4 = (2 / 3) * l4 + (1 / 3) * sig3;
    const out = macd([1, 2, 4, 8, 16], { fast: 2, slow: 3, signal: 2 });
    expect(Array.from(out.macd.subarray(0, 3))).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    expect(out.macd[3]).toBeCloseTo(l3, 12);
    expect(out.signal[3]).toBeCloseTo(sig3, 12);
    expect(out.macd[4]).toBeCloseTo(l4, 12);
    expect(out.signal[4]).toBeCloseTo(sig4, 12);
    expect(out.histogram[4]).toBeCloseTo(l4 - sig4, 12);
  });

  it.each([
    [12, 26, 9],
    [5, 35, 5],
    [3, 10, 16],
  ])(
    'matches technicalindicators (EMA oscillator and signal) on S&P 500 closes (%i/%i/%i)',
    (fast, slow, signal) => {
      const ours = macd(sp.close, { fast, slow, signal });
      const ti = TiMacd.calculate({
        fastPeriod: fast,
        slowPeriod: slow,
        signalPeriod: signal,
        SimpleMAOscillator: false,
        SimpleMASignal: false,
        values: Array.from(sp.close),
      });
      const offset = sp.length - ti.length;
      expect(offset).toBe(slow - 1); // technicalindicators emits the line before the signal exists
      const from = slow + signal - 2;
      expect(ours.macd[from - 1]).toBeNaN();
      // The histogram is a difference of two close numbers: compare it at the scale of its operands.
      const scale = (i: number) => Math.abs(ours.macd[i] as number) + Math.abs(ours.signal[i] as number);
      expectSeriesClose(ours.macd, (i) => ti[i - offset]?.MACD as number, { from, scale });
      expectSeriesClose(ours.signal, (i) => ti[i - offset]?.signal as number, { from, scale });
      expect(
        expectSeriesClose(ours.histogram, (i) => ti[i - offset]?.histogram as number, { from, scale }),
      ).toBeGreaterThan(4000);
    },
  );

  it('matches the direct definition on S&P 500 closes', () => {
    const closes = Array.from(sp.close);
    const fast = referenceEma(closes, 12);
    const slow = referenceEma(closes, 26);
    const line = closes.map((_, i) => (fast[i] as number) - (slow[i] as number));
    const signal = referenceEma(line.slice(25), 9);
    const ours = macd(sp.close);
    const scale = (i: number) => Math.abs(line[i] as number) + 1;
    expectSeriesClose(ours.macd, (i) => line[i] as number, { from: 33, scale });
    expectSeriesClose(ours.signal, (i) => signal[i - 25] as number, { from: 33, scale });
  });

  it('rejects invalid arguments', () => {
    expectInvalidArgument(() => new Macd(26, 12, 9));
    expectInvalidArgument(() => new Macd(12, 12, 9));
    expectInvalidArgument(() => new Macd(0, 26, 9));
    expectInvalidArgument(() => new Macd(12, 26, 0));
    expectInvalidArgument(() => new Macd(12, 26.5, 9));
    expectInvalidArgument(() => macd([1, 2], { signal: -1 }));
    const m = new Macd();
    expect([m.fastPeriod, m.slowPeriod, m.signalPeriod, m.period, m.warmup]).toEqual([12, 26, 9, 26, 33]);
  });

  itHonoursTheIndicatorContract({
    make: () => new Macd(12, 26, 9),
    inputs: sp.close.subarray(0, 150),
    batch: () => macd(sp.close.subarray(0, 150)).macd,
    warmup: 33,
    bad: BAD_NUMBERS,
    extras: (m) => [m.signal, m.histogram],
  });
});
