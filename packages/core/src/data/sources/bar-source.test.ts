import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../model/market-data';
import { fromArray } from './array-source';
import { fromAsyncIterable } from './async-iterable-source';
import { barChunks, toObservable } from './bar-source';

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

describe('toObservable', () => {
  it('emits an array synchronously and completes', () => {
    const seen: number[] = [];
    let completed = false;
    toObservable(fromArray([bar(1), bar(2)])).subscribe({
      next: (b) => seen.push(b.ts),
      complete: () => {
        completed = true;
      },
    });
    expect(seen).toEqual([1, 2]);
    expect(completed).toBe(true);
  });

  it('is cold: each subscription reads the source again', async () => {
    let reads = 0;
    const source = fromAsyncIterable(async function* () {
      reads++;
      yield bar(1);
      yield bar(2);
    });
    const bars$ = toObservable(source);
    expect(reads).toBe(0);
    expect((await firstValueFrom(bars$.pipe(toArray()))).map((b) => b.ts)).toEqual([1, 2]);
    expect((await firstValueFrom(bars$.pipe(toArray()))).map((b) => b.ts)).toEqual([1, 2]);
    expect(reads).toBe(2);
  });

  it('stops the upstream on unsubscribe', async () => {
    let finalized = false;
    let produced = 0;
    const source = fromAsyncIterable(async function* () {
      try {
        for (let i = 1; i <= 1000; i++) {
          produced++;
          yield bar(i);
        }
      } finally {
        finalized = true;
      }
    });
    const first = await firstValueFrom(toObservable(source).pipe(take(3), toArray()));
    expect(first.map((b) => b.ts)).toEqual([1, 2, 3]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(finalized).toBe(true);
    expect(produced).toBeLessThan(10);
  });

  it('delivers a source error as an error notification', async () => {
    const source = fromAsyncIterable(async function* () {
      yield bar(2);
      yield bar(1);
    });
    await expect(firstValueFrom(toObservable(source).pipe(toArray()))).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
    });
  });
});

describe('barChunks', () => {
  it('slices plain iterables and passes async iterables bar by bar', async () => {
    const sizes: number[] = [];
    for await (const chunk of barChunks([bar(1), bar(2), bar(3)], 2)) sizes.push(chunk.length);
    expect(sizes).toEqual([2, 1]);
    const single: number[] = [];
    async function* gen(): AsyncGenerator<Bar> {
      yield bar(1);
      yield bar(2);
    }
    for await (const chunk of barChunks(gen())) single.push(chunk.length);
    expect(single).toEqual([1, 1]);
  });
});
