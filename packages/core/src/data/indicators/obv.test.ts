import { OBV as TiObv } from 'technicalindicators';
import { describe, expect, it } from 'vitest';
import { Obv, type ObvInput, obv } from './obv';
import {
  expectInvalidArgument,
  expectSeriesClose,
  itHonoursTheIndicatorContract,
  loadSp500,
} from './test-support';

const sp = loadSp500();

describe('Obv', () => {
  it('matches a hand-computed example (starts at 0)', () => {
    const out = obv({ close: [10, 11, 11, 10, 12], volume: [100, 200, 300, 400, 500] });
    expect(Array.from(out)).toEqual([0, 200, 200, -200, 300]);
    const ind = new Obv();
    expect(ind.period).toBe(Number.POSITIVE_INFINITY);
    expect(ind.update({ close: 5, volume: 7 })).toBe(0);
    expect(ind.isReady).toBe(true);
  });

  it('matches technicalindicators on S&P 500 bars', () => {
    const ours = obv(sp.bars);
    const ti = TiObv.calculate({ close: Array.from(sp.close), volume: Array.from(sp.volume) });
    const offset = sp.length - ti.length;
    expect(offset).toBe(1); // technicalindicators starts one bar later, from the same zero
    expect(ours[0]).toBe(0);
    // OBV crosses zero: compare at the scale of the total volume traded so far.
    let cumulative = 0;
    const scale = sp.volume.map((v) => {
      cumulative += v;
      return cumulative;
    });
    expect(
      expectSeriesClose(ours, (i) => ti[i - offset] as number, { from: 1, scale: (i) => scale[i] as number }),
    ).toBe(sp.length - 1);
    expect(Array.from(obv({ close: sp.close, volume: sp.volume }))).toEqual(Array.from(ours));
  });

  it('rejects bad batch input', () => {
    expectInvalidArgument(() => obv({ close: [1, 2], volume: [1] }));
    expectInvalidArgument(() => obv(null as unknown as []));
  });

  itHonoursTheIndicatorContract<ObvInput, Obv>({
    make: () => new Obv(),
    inputs: sp.bars.slice(0, 50),
    batch: () => obv(sp.bars.slice(0, 50)),
    warmup: 0,
    bad: [
      { close: Number.NaN, volume: 1 },
      { close: 1, volume: Number.NaN },
      { close: 1, volume: -1 },
      { close: 1, volume: Number.POSITIVE_INFINITY },
    ],
  });
});
