import { describe, expect, it } from 'vitest';
import type { Bar } from '../../model/market-data';
import { fromArray } from './array-source';
import type { SkippedRow } from './bar-checks';

const bar = (ts: number, overrides: Partial<Bar> = {}): Bar => ({
  symbol: 'AAA',
  ts,
  open: 10,
  high: 12,
  low: 9,
  close: 11,
  volume: 1,
  ...overrides,
});

describe('fromArray', () => {
  it('iterates synchronously, asynchronously and in chunks', async () => {
    const bars = Array.from({ length: 10 }, (_, i) => bar(i * 1000));
    const source = fromArray(bars, { chunkSize: 4 });
    expect([...source]).toEqual(bars);
    expect(source.length).toBe(10);
    const viaAsync: Bar[] = [];
    for await (const b of source) viaAsync.push(b);
    expect(viaAsync).toEqual(bars);
    const sizes: number[] = [];
    for await (const chunk of source.chunks()) sizes.push(chunk.length);
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('copies its input', () => {
    const bars = [bar(1)];
    const source = fromArray(bars);
    bars.push(bar(2));
    expect([...source]).toHaveLength(1);
  });

  it('throws INVALID_MESSAGE with the index of a bad bar', () => {
    expect(() => fromArray([bar(1), bar(2, { high: 1 })])).toThrow(/bar 1: invalid bar field "high"/);
    expect(() => fromArray([bar(2), bar(2)])).toThrow(/bar 1: invalid bar field "ts"/);
  });

  it("drops and reports bad bars under 'skip'", () => {
    const skipped: SkippedRow[] = [];
    const source = fromArray([bar(1), bar(2, { close: Number.NaN }), bar(1), bar(3)], {
      onInvalid: 'skip',
      order: 'skip',
      onSkip: (s) => skipped.push(s),
    });
    expect([...source].map((b) => b.ts)).toEqual([1, 3]);
    expect(skipped.map((s) => [s.index, s.field])).toEqual([
      [1, 'close'],
      [2, 'ts'],
    ]);
    expect(source.stats).toEqual({ rows: 4, bars: 2, skipped: 2 });
  });
});
