import { describe, expect, it } from 'vitest';
import type { Bar } from '../../model/market-data';
import { fromAsyncIterable } from './async-iterable-source';

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

async function* generate(bars: readonly Bar[]): AsyncGenerator<Bar> {
  for (const b of bars) {
    await Promise.resolve();
    yield b;
  }
}

async function collect(source: AsyncIterable<Bar>): Promise<Bar[]> {
  const out: Bar[] = [];
  for await (const b of source) out.push(b);
  return out;
}

describe('fromAsyncIterable', () => {
  it('passes valid bars through, bar by bar and in one-bar chunks', async () => {
    const bars = [bar(1), bar(2), bar(3)];
    const source = fromAsyncIterable(() => generate(bars));
    expect(await collect(source)).toEqual(bars);
    const chunks: (readonly Bar[])[] = [];
    for await (const chunk of source.chunks()) chunks.push(chunk);
    expect(chunks).toEqual(bars.map((b) => [b]));
  });

  it('is re-readable with a factory; a one-shot generator reads once', async () => {
    const bars = [bar(1), bar(2)];
    const fromFactory = fromAsyncIterable(() => generate(bars));
    expect(await collect(fromFactory)).toHaveLength(2);
    expect(await collect(fromFactory)).toHaveLength(2);
    const oneShot = fromAsyncIterable(generate(bars));
    expect(await collect(oneShot)).toHaveLength(2);
    expect(await collect(oneShot)).toHaveLength(0);
  });

  it('fails on a bad bar with its position', async () => {
    const source = fromAsyncIterable(generate([bar(1), bar(2), bar(3, { volume: -1 })]));
    await expect(collect(source)).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
      details: { index: 2, field: 'volume' },
    });
  });

  it("skips and counts bad bars under 'skip'", async () => {
    const source = fromAsyncIterable(() => generate([bar(1), bar(1), bar(2, { low: 20 }), bar(3)]), {
      onInvalid: 'skip',
      order: 'skip',
    });
    expect((await collect(source)).map((b) => b.ts)).toEqual([1, 3]);
    expect(source.stats).toEqual({ rows: 4, bars: 2, skipped: 2 });
  });

  it('rejects a non-iterable input', () => {
    expect(() => fromAsyncIterable([] as unknown as AsyncIterable<Bar>)).toThrow(/async iterable/);
  });
});
