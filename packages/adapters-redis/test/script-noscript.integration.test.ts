import type { Bar } from '@rxtrade/core';
import { describe, expect, it } from 'vitest';
import { createRedisMarketDataCache } from '../src/market-data-cache';
import { requireRedisServerBinary, suiteRedis } from './redis-server';

// A server of our own: the test empties its script cache (SCRIPT FLUSH) while calls are in flight.
const binary = await requireRedisServerBinary();

const bar = (i: number): Bar => ({
  symbol: 'SEQ',
  ts: i * 60_000,
  open: 100 + i,
  high: 101 + i,
  low: 99 + i,
  close: 100 + i,
  volume: 1,
});

describe.skipIf(!binary)('unbatched scripts (market-data cache, lock manager) through NOSCRIPT', () => {
  const own = suiteRedis();

  it('keeps one caller’s order with several calls in flight: no bar overtaken and refused as stale', async () => {
    const cache = createRedisMarketDataCache({ url: own.server.url }, { prefix: 'nos:', maxBars: 10_000 });
    try {
      await cache.pushBar(bar(0));
      // One push per event-loop turn, never awaited: each goes out in its own pipeline while the ones
      // before it are still in flight, and the script cache is emptied every 7 pushes without waiting.
      // A later bar overtaking an earlier one that must go again as EVAL would make that one stale (it
      // did, before: about 80 of 600 were refused).
      const calls: Array<Promise<string>> = [];
      for (let i = 1; i <= 600; i++) {
        calls.push(cache.pushBar(bar(i)).catch((error: unknown) => `error: ${(error as Error).message}`));
        if (i % 7 === 0) void own.admin.script('FLUSH');
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(await Promise.all(calls)).toEqual(Array.from({ length: 600 }, () => 'appended'));
      expect((await cache.bars('SEQ')).map((b) => b.ts / 60_000)).toEqual(
        Array.from({ length: 601 }, (_, i) => i),
      );
      const stats = await own.admin.info('commandstats');
      expect(Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0)).toBeGreaterThan(0);
    } finally {
      await cache.close();
    }
  });
});
