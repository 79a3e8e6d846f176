import { describe, expect, it } from 'vitest';
import type { Bar } from '../../model/market-data';
import { fromArray } from './array-source';
import { barsBetween, mergeBarSources } from './combine';

const bar = (symbol: string, ts: number): Bar => ({
  symbol,
  ts,
  open: 1,
  high: 1,
  low: 1,
  close: 1,
  volume: 0,
});

async function all(source: AsyncIterable<Bar>): Promise<string[]> {
  const out: string[] = [];
  for await (const b of source) out.push(`${b.symbol}${b.ts}`);
  return out;
}

describe('mergeBarSources', () => {
  it('merges inputs by time, ties in input order, across chunk boundaries', async () => {
    const a = [1, 3, 5, 7].map((t) => bar('A', t));
    const b = [2, 3, 6].map((t) => bar('B', t));
    const c = [10].map((t) => bar('C', t));
    const merged = mergeBarSources([fromArray(a), b, fromArray(c)]);
    expect(await all(merged)).toEqual(['A1', 'B2', 'A3', 'B3', 'A5', 'B6', 'A7', 'C10']);
    // Re-readable, and chunked for the backtest loop.
    let chunks = 0;
    for await (const _ of merged.chunks()) chunks++;
    expect(chunks).toBe(1);
    expect(await all(merged)).toHaveLength(8);
  });

  it('streams many bars in bounded chunks', async () => {
    const a = Array.from({ length: 5000 }, (_, i) => bar('A', i * 2));
    const b = Array.from({ length: 5000 }, (_, i) => bar('B', i * 2 + 1));
    const sizes: number[] = [];
    let last = -1;
    for await (const chunk of mergeBarSources([a, b]).chunks()) {
      sizes.push(chunk.length);
      for (const x of chunk) {
        expect(x.ts).toBeGreaterThan(last);
        last = x.ts;
      }
    }
    expect(sizes.reduce((n, s) => n + s, 0)).toBe(10_000);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2048);
  });

  it('refuses no inputs', () => {
    expect(() => mergeBarSources([])).toThrow(/at least one input/);
  });
});

describe('barsBetween', () => {
  it('keeps from ≤ ts < to and stops reading at to', async () => {
    const bars = [1, 2, 3, 4, 5].map((t) => bar('A', t));
    let read = 0;
    const counting = (async function* () {
      for (const b of bars) {
        read++;
        yield b;
      }
    })();
    expect(await all(barsBetween(counting, { from: 2, to: 4 }))).toEqual(['A2', 'A3']);
    expect(read).toBe(4);
    expect(await all(barsBetween(bars, { from: 4 }))).toEqual(['A4', 'A5']);
    expect(await all(barsBetween(bars, { to: 2 }))).toEqual(['A1']);
    expect(() => barsBetween(bars, { from: 5, to: 5 })).toThrow(/from must be before to/);
  });
});
