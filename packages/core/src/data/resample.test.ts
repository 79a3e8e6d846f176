import { describe, expect, it } from 'vitest';
import type { Bar } from '../model/market-data';
import { BarAggregator, bucketStart, parseTimeframe, resampleBars } from './resample';
import { fromArray } from './sources/array-source';
import { fromAsyncIterable } from './sources/async-iterable-source';

const MIN = 60_000;
const DAY = 86_400_000;
/** `b(symbol, ts, open, high, low, close, volume)`. */
const b = (symbol: string, ts: number, ...[open, high, low, close, volume]: number[]): Bar => ({
  symbol,
  ts,
  open: open as number,
  high: high as number,
  low: low as number,
  close: close as number,
  volume: volume as number,
});

describe('parseTimeframe / bucketStart', () => {
  it('parses timeframes', () => {
    expect(parseTimeframe('5m')).toEqual({ count: 5, unit: 'm', ms: 5 * MIN });
    expect(parseTimeframe('1w')).toEqual({ count: 1, unit: 'w', ms: 7 * DAY });
    for (const bad of ['', '0m', '1M', 'm', '1.5h', '-1h', ' 1h'])
      expect(() => parseTimeframe(bad)).toThrow(/timeframe/);
  });

  it('starts weeks on Monday 00:00 UTC and days at 00:00 UTC', () => {
    const week = parseTimeframe('1w');
    // 2024-01-01 is a Monday.
    expect(bucketStart(Date.UTC(2024, 0, 1), week)).toBe(Date.UTC(2024, 0, 1));
    expect(bucketStart(Date.UTC(2024, 0, 7, 23, 59), week)).toBe(Date.UTC(2024, 0, 1)); // Sunday night
    expect(bucketStart(Date.UTC(2024, 0, 8), week)).toBe(Date.UTC(2024, 0, 8));
    expect(bucketStart(Date.UTC(2023, 11, 31), week)).toBe(Date.UTC(2023, 11, 25));
    expect(bucketStart(Date.UTC(2024, 0, 3, 15, 30), parseTimeframe('1d'))).toBe(Date.UTC(2024, 0, 3));
    expect(bucketStart(Date.UTC(2024, 0, 3, 15, 30), parseTimeframe('4h'))).toBe(Date.UTC(2024, 0, 3, 12));
  });
});

describe('resampleBars 1m -> 1h', () => {
  const T = Date.UTC(2024, 2, 5, 0, 0); // a Tuesday, 00:00 UTC
  const H = 60 * MIN;
  const minutes: Bar[] = [
    b('X', T + 9 * H + 58 * MIN, 100, 101, 99, 100.5, 10), // 09:58
    b('X', T + 9 * H + 59 * MIN, 100.5, 102, 100, 101, 20), // 09:59
    b('X', T + 10 * H, 101, 101.5, 100.2, 101.2, 5), // 10:00
    b('X', T + 10 * H + 17 * MIN, 101.2, 104, 101, 103, 7), // 10:17
    b('X', T + 10 * H + 59 * MIN, 103, 103.5, 98.5, 99, 8), // 10:59
    b('X', T + 11 * H + 30 * MIN, 99, 99.5, 98, 98.8, 1), // 11:30 (partial last hour)
  ];
  // By hand: 09:00 [100 / max(101,102)=102 / min(99,100)=99 / 101 / 30]
  //          10:00 [101 / max(101.5,104,103.5)=104 / min(100.2,101,98.5)=98.5 / 99 / 20]
  //          11:00 [99 / 99.5 / 98 / 98.8 / 1]
  const expected: Bar[] = [
    b('X', T + 9 * H, 100, 102, 99, 101, 30),
    b('X', T + 10 * H, 101, 104, 98.5, 99, 20),
    b('X', T + 11 * H, 99, 99.5, 98, 98.8, 1),
  ];

  it('array form', () => {
    expect(resampleBars(minutes, { timeframe: '1h' })).toEqual(expected);
  });

  it('streaming form (BarSource and plain async iterable)', async () => {
    const viaSource: Bar[] = [];
    for await (const chunk of resampleBars(fromArray(minutes, { chunkSize: 4 }), {
      timeframe: '1h',
    }).chunks()) {
      viaSource.push(...chunk);
    }
    expect(viaSource).toEqual(expected);
    const viaIterable: Bar[] = [];
    for await (const bar of resampleBars(
      fromAsyncIterable(() => toAsync(minutes)),
      { timeframe: '1h' },
    )) {
      viaIterable.push(bar);
    }
    expect(viaIterable).toEqual(expected);
  });

  it('a full generated day of minutes gives 24 hours with the right aggregates', () => {
    const day = Array.from({ length: 24 * 60 }, (_, i) =>
      b('X', T + i * MIN, 100 + i, 100.5 + i, 99.5 + i, 100.25 + i, 1),
    );
    const hours = resampleBars(day, { timeframe: '1h' });
    expect(hours).toHaveLength(24);
    hours.forEach((hour, h) => {
      const first = h * 60;
      const last = first + 59;
      expect(hour).toEqual(b('X', T + h * H, 100 + first, 100.5 + last, 99.5 + first, 100.25 + last, 60));
    });
  });
});

describe('resampleBars 1d -> 1w', () => {
  const d = (y: number, m: number, day: number) => Date.UTC(y, m - 1, day);
  const days: Bar[] = [
    b('SPX', d(2023, 12, 28), 10, 11, 9, 10.5, 100), // Thu
    b('SPX', d(2023, 12, 29), 10.5, 12, 10, 11, 200), // Fri
    b('SPX', d(2024, 1, 2), 11, 11.5, 8, 9, 300), // Tue (Mon 1 Jan is a holiday)
    b('SPX', d(2024, 1, 3), 9, 10, 8.5, 9.5, 50), // Wed
    b('SPX', d(2024, 1, 5), 9.5, 13, 9.4, 12.5, 70), // Fri
    b('SPX', d(2024, 1, 7), 12.5, 12.6, 12.4, 12.45, 1), // Sun: still the week of Mon 1 Jan
    b('SPX', d(2024, 1, 8), 12, 12.2, 11.8, 12.1, 5), // Mon: new week, partial
  ];
  const expected: Bar[] = [
    b('SPX', d(2023, 12, 25), 10, 12, 9, 11, 300),
    b('SPX', d(2024, 1, 1), 11, 13, 8, 12.45, 421),
    b('SPX', d(2024, 1, 8), 12, 12.2, 11.8, 12.1, 5),
  ];

  it('buckets Monday-to-Sunday weeks in UTC', () => {
    expect(resampleBars(days, { timeframe: '1w' })).toEqual(expected);
  });
});

describe('resampleBars with several symbols', () => {
  it('aggregates each symbol separately and flushes in first-seen order', () => {
    const out = resampleBars(
      [
        b('A', 0, 1, 2, 1, 2, 1),
        b('B', 0, 5, 6, 5, 6, 1),
        b('A', MIN, 2, 3, 2, 3, 1),
        b('B', 5 * MIN, 6, 7, 6, 7, 1),
        b('A', 5 * MIN, 3, 4, 3, 4, 1),
      ],
      { timeframe: '5m' },
    );
    expect(out).toEqual([
      b('B', 0, 5, 6, 5, 6, 1),
      b('A', 0, 1, 3, 1, 3, 2),
      b('A', 5 * MIN, 3, 4, 3, 4, 1),
      b('B', 5 * MIN, 6, 7, 6, 7, 1),
    ]);
  });
});

describe('BarAggregator', () => {
  it('returns a completed bar when the next bucket starts, and the partial one on flush', () => {
    const agg = new BarAggregator({ timeframe: '5m' });
    expect(agg.update(b('X', 0, 1, 2, 0.5, 1.5, 1))).toBeUndefined();
    expect(agg.update(b('X', 4 * MIN, 1.5, 3, 1, 2.5, 2))).toBeUndefined();
    expect(agg.update(b('X', 5 * MIN, 2.5, 2.6, 2.4, 2.55, 4))).toEqual(b('X', 0, 1, 3, 0.5, 2.5, 3));
    // A gap: the 10m bucket is simply absent.
    expect(agg.update(b('X', 16 * MIN, 3, 3.1, 2.9, 3.05, 8))).toEqual(
      b('X', 5 * MIN, 2.5, 2.6, 2.4, 2.55, 4),
    );
    expect(agg.flush()).toEqual(b('X', 15 * MIN, 3, 3.1, 2.9, 3.05, 8));
    expect(agg.flush()).toBeUndefined();
  });

  it('rejects out-of-order bars, another symbol and a bad timeframe', () => {
    const agg = new BarAggregator({ timeframe: '1h' });
    agg.update(b('X', 10 * MIN, 1, 1, 1, 1, 1));
    expect(() => agg.update(b('X', 10 * MIN, 1, 1, 1, 1, 1))).toThrow(/not after/);
    expect(() => agg.update(b('Y', 20 * MIN, 1, 1, 1, 1, 1))).toThrow(/one per symbol/);
    expect(() => new BarAggregator({ timeframe: '1y' })).toThrow(/timeframe/);
  });
});

async function* toAsync(bars: readonly Bar[]): AsyncGenerator<Bar> {
  for (const bar of bars) yield bar;
}
