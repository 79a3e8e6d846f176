import * as ti from 'technicalindicators';
import { describe, expect, it } from 'vitest';
import {
  Doji,
  doji,
  Engulfing,
  EveningStar,
  engulfing,
  eveningStar,
  Hammer,
  Harami,
  hammer,
  harami,
  MorningStar,
  morningStar,
  ShootingStar,
  shootingStar,
  ThreeBlackCrows,
  ThreeWhiteSoldiers,
  threeBlackCrows,
  threeWhiteSoldiers,
} from './candle-patterns';
import { BAD_BARS, expectInvalidArgument, itHonoursTheIndicatorContract, loadSp500 } from './test-support';
import type { IndicatorCandle, StreamingIndicator } from './types';

const k = (open: number, high: number, low: number, close: number): IndicatorCandle => ({
  open,
  high,
  low,
  close,
});
/** The pattern's answer on the last of `bars`. */
const last = (out: Float64Array): number => out[out.length - 1] as number;
/** technicalindicators 3.1's answer for the last bars (its pattern functions take columns and look at the end). */
function tiSays(
  fn: (data: { open: number[]; high: number[]; low: number[]; close: number[] }) => boolean,
  bars: readonly IndicatorCandle[],
): boolean {
  return fn({
    open: bars.map((b) => b.open),
    high: bars.map((b) => b.high),
    low: bars.map((b) => b.low),
    close: bars.map((b) => b.close),
  });
}

const sp = loadSp500();
const candles: IndicatorCandle[] = sp.bars.map((b, i) => ({ ...b, open: sp.open[i] as number }));

describe('Doji', () => {
  it('finds a body of at most 10% of the range, and agrees with technicalindicators on a clear doji', () => {
    const clear = k(10, 11, 9, 10.005);
    expect(doji([clear])[0]).toBe(1);
    expect(tiSays(ti.doji, [clear])).toBe(true);
    expect(doji([k(10, 12, 9, 11.5)])[0]).toBe(0);
    expect(tiSays(ti.doji, [k(10, 12, 9, 11.5)])).toBe(false);
    expect(doji([k(5, 5, 5, 5)])[0]).toBe(1); // four-price doji
    expect(doji([k(10, 11, 9, 10.3)], 0.2)[0]).toBe(1); // 0.3 <= 0.2 * 2
  });

  it('differs from technicalindicators, which ignores the range: a 0.09% move in a 0.3% range', () => {
    const narrow = k(10, 10.02, 9.99, 10.009);
    expect(doji([narrow])[0]).toBe(0); // body 0.009 > 10% of the 0.03 range
    expect(tiSays(ti.doji, [narrow])).toBe(true); // open and close within 0.1% of the open
  });

  it('rejects a ratio outside (0, 1]', () => {
    for (const r of [0, -0.1, 1.5, Number.NaN]) expectInvalidArgument(() => new Doji(r));
  });
});

describe('Hammer', () => {
  const shape = k(10.8, 11, 9, 10.9); // lower shadow 1.8 >= 2 * 0.1, upper shadow 0.1 <= 10% of 2
  it('is a hammer after a decline and a hanging man after a rise', () => {
    expect(last(hammer([k(12.5, 12.6, 11.9, 12), shape]))).toBe(1);
    expect(last(hammer([k(9, 9.6, 8.9, 9.5), shape]))).toBe(-1);
    expect(last(hammer([k(10.8, 11, 10.7, 10.85), shape]))).toBe(0); // previous close inside the body: no trend
    expect(last(hammer([k(12.5, 12.6, 11.9, 12), k(10, 11, 9.5, 10.9)]))).toBe(0); // lower shadow < 2 bodies
    expect(last(hammer([k(12.5, 12.6, 11.9, 12), k(10.8, 11.5, 9, 10.9)]))).toBe(0); // upper shadow too long
  });
});

describe('ShootingStar', () => {
  const shape = k(9.1, 11, 9, 9.2); // upper shadow 1.8 >= 2 * 0.1, lower shadow 0.1 <= 10% of 2
  it('is a shooting star after a rise and an inverted hammer after a decline', () => {
    expect(last(shootingStar([k(8, 8.6, 7.9, 8.5), shape]))).toBe(-1);
    expect(last(shootingStar([k(10, 10.1, 9.4, 9.5), shape]))).toBe(1);
    expect(last(shootingStar([k(9, 9.3, 9, 9.15), shape]))).toBe(0);
    expect(last(shootingStar([k(8, 8.6, 7.9, 8.5), k(9.1, 11, 8.5, 9.2)]))).toBe(0); // lower shadow too long
  });
});

describe('Engulfing', () => {
  it('finds bullish and bearish engulfing bodies, like technicalindicators', () => {
    const bull = [k(11, 11.2, 9.8, 10), k(9.9, 11.5, 9.7, 11.2)];
    expect(last(engulfing(bull))).toBe(1);
    expect(tiSays(ti.bullishengulfingpattern, bull)).toBe(true);
    const bear = [k(10, 11.2, 9.8, 11), k(11.1, 11.3, 9.7, 9.9)];
    expect(last(engulfing(bear))).toBe(-1);
    expect(tiSays(ti.bearishengulfingpattern, bear)).toBe(true);
    expect(last(engulfing([k(11, 11.2, 9.8, 10), k(10.2, 11.5, 9.7, 10.8)]))).toBe(0); // inside, not engulfing
    expect(last(engulfing([k(10, 11.2, 9.8, 11), k(9.9, 11.5, 9.7, 11.2)]))).toBe(0); // same colour
  });

  it('differs from technicalindicators on an equal edge: TA-Lib accepts one equal side, technicalindicators none', () => {
    const equalOpen = [k(11, 11.2, 9.8, 10), k(10, 11.5, 9.7, 11.2)]; // opens exactly at the previous close
    expect(last(engulfing(equalOpen))).toBe(1);
    expect(tiSays(ti.bullishengulfingpattern, equalOpen)).toBe(false);
  });
});

describe('Harami', () => {
  it('finds a body inside the previous body, like technicalindicators', () => {
    const bull = [k(12, 12.2, 9.8, 10), k(10.5, 11.2, 10.4, 11)];
    expect(last(harami(bull))).toBe(1);
    expect(tiSays(ti.bullishharami, bull)).toBe(true);
    const bear = [k(10, 12.2, 9.8, 12), k(11.5, 11.6, 10.8, 11)];
    expect(last(harami(bear))).toBe(-1);
    expect(tiSays(ti.bearishharami, bear)).toBe(true);
    expect(last(harami([k(12, 12.2, 9.8, 10), k(9.5, 11.2, 9.4, 11)]))).toBe(0); // body sticks out below
    expect(last(harami([k(12, 12.2, 9.8, 10), k(11, 11, 11, 11)]))).toBe(1); // a doji inside: the harami cross
  });

  it('differs from technicalindicators, which also compares shadows: an inside body with a higher high', () => {
    const tallShadow = [k(12, 12.2, 9.8, 10), k(10.5, 12.5, 10.4, 11)];
    expect(last(harami(tallShadow))).toBe(1);
    expect(tiSays(ti.bullishharami, tallShadow)).toBe(false);
  });
});

describe('MorningStar and EveningStar', () => {
  const morning = [k(12, 12.1, 9.9, 10), k(9.3, 9.5, 9, 9.2), k(9.6, 11.6, 9.55, 11.5)];
  const evening = [k(10, 12.1, 9.9, 12), k(12.7, 13, 12.5, 12.8), k(12.4, 12.45, 10.4, 10.5)];

  it('find the three-bar reversals, like technicalindicators on gapped examples', () => {
    expect(Array.from(morningStar(morning))).toEqual([Number.NaN, Number.NaN, 1]);
    expect(tiSays(ti.morningstar, morning)).toBe(true);
    expect(Array.from(eveningStar(evening))).toEqual([Number.NaN, Number.NaN, -1]);
    expect(tiSays(ti.eveningstar, evening)).toBe(true);
    // the third bar must close beyond the first body's midpoint (11)
    expect(last(morningStar([...morning.slice(0, 2), k(9.6, 11, 9.55, 10.9)]))).toBe(0);
    // the star's body must be small (at most 30% of the first body)
    expect(
      last(
        morningStar([morning[0] as IndicatorCandle, k(9.8, 9.9, 8.5, 8.9), morning[2] as IndicatorCandle]),
      ),
    ).toBe(0);
    // and the first bar long (body at least half its range)
    expect(last(morningStar([k(12, 14, 8, 11), ...morning.slice(1)]))).toBe(0);
  });

  it('differ from technicalindicators, which also wants a gap before the third bar', () => {
    const noSecondGap = [...morning.slice(0, 2), k(9.4, 11.6, 9.35, 11.5)];
    expect(last(morningStar(noSecondGap))).toBe(1);
    expect(tiSays(ti.morningstar, noSecondGap)).toBe(false);
  });
});

describe('ThreeWhiteSoldiers and ThreeBlackCrows', () => {
  const soldiers = [k(10, 11.05, 9.9, 11), k(10.5, 12.05, 10.4, 12), k(11.5, 13.05, 11.4, 13)];
  const crows = [k(13, 13.1, 11.95, 12), k(12.5, 12.6, 10.95, 11), k(11.5, 11.6, 9.95, 10)];

  it('find three strong bars in a row, like technicalindicators', () => {
    expect(Array.from(threeWhiteSoldiers(soldiers))).toEqual([Number.NaN, Number.NaN, 1]);
    expect(tiSays(ti.threewhitesoldiers, soldiers)).toBe(true);
    expect(Array.from(threeBlackCrows(crows))).toEqual([Number.NaN, Number.NaN, -1]);
    expect(tiSays(ti.threeblackcrows, crows)).toBe(true);
    // an open outside the previous body breaks the pattern
    expect(last(threeWhiteSoldiers([...soldiers.slice(0, 2), k(12.2, 13.05, 12.1, 13)]))).toBe(0);
    expect(last(threeBlackCrows([...crows.slice(0, 2), k(10.8, 11.6, 9.95, 10)]))).toBe(0);
  });

  it('differ from technicalindicators, which accepts long upper shadows', () => {
    const weakClose = [...soldiers.slice(0, 2), k(11.5, 14, 11.4, 12.5)];
    expect(last(threeWhiteSoldiers(weakClose))).toBe(0);
    expect(tiSays(ti.threewhitesoldiers, weakClose)).toBe(true);
  });
});

describe('candlestick patterns on S&P 500 daily bars', () => {
  it('fire on real data, and the bar-object and column forms agree', () => {
    const columns = { open: sp.open, high: sp.high, low: sp.low, close: sp.close };
    const counts: Record<string, number> = {};
    for (const [name, fn] of [
      ['doji', doji],
      ['hammer', hammer],
      ['shootingStar', shootingStar],
      ['engulfing', engulfing],
      ['harami', harami],
    ] as const) {
      const a = fn(candles);
      expect(Array.from(fn(columns))).toEqual(Array.from(a));
      counts[name] = a.filter((x) => x !== 0 && !Number.isNaN(x)).length;
    }
    for (const [name, n] of Object.entries(counts)) expect(n, name).toBeGreaterThan(10);
  });

  it('need an open', () => {
    expectInvalidArgument(() => doji({ high: sp.high, low: sp.low, close: sp.close } as never));
    expectInvalidArgument(() => new Engulfing().update({ high: 1, low: 1, close: 1 } as IndicatorCandle));
  });
});

const BAD_CANDLES: IndicatorCandle[] = [
  ...BAD_BARS.map((b) => ({ ...b, open: 1 })),
  { open: Number.NaN, high: 2, low: 1, close: 1 },
];

for (const [name, make, batch, warmup] of [
  ['Doji', () => new Doji(), doji, 0],
  ['Hammer', () => new Hammer(), hammer, 1],
  ['ShootingStar', () => new ShootingStar(), shootingStar, 1],
  ['Engulfing', () => new Engulfing(), engulfing, 1],
  ['Harami', () => new Harami(), harami, 1],
  ['MorningStar', () => new MorningStar(), morningStar, 2],
  ['EveningStar', () => new EveningStar(), eveningStar, 2],
  ['ThreeWhiteSoldiers', () => new ThreeWhiteSoldiers(), threeWhiteSoldiers, 2],
  ['ThreeBlackCrows', () => new ThreeBlackCrows(), threeBlackCrows, 2],
] as const) {
  describe(`${name} contract`, () => {
    const inputs = candles.slice(0, 200);
    itHonoursTheIndicatorContract<IndicatorCandle, StreamingIndicator<IndicatorCandle>>({
      make,
      inputs,
      batch: () => batch(inputs),
      warmup,
      bad: BAD_CANDLES,
    });
  });
}
