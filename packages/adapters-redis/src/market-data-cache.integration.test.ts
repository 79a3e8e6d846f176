import { type Bar, isRxtradeError } from '@rxtrade/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from '../test/helpers';
import { redisKeys } from './keys';
import { createRedisMarketDataCache, type RedisMarketDataCache } from './market-data-cache';

const redisUp = await requireRedis();
const prefix = uniquePrefix('md');

const bar = (ts: number, close = 100): Bar => ({
  symbol: 'BTCUSD',
  ts,
  open: 100,
  high: Math.max(101, close),
  low: Math.min(99, close),
  close,
  volume: 3.5,
});

describe.skipIf(!redisUp)('RedisMarketDataCache', () => {
  let cache: RedisMarketDataCache;
  let admin: Redis;
  beforeAll(() => {
    cache = createRedisMarketDataCache({ url: REDIS_URL }, { prefix, maxBars: 5 });
    admin = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await cache.close();
    await admin.quit();
    await deletePrefix(REDIS_URL, prefix);
  });

  it('keeps only the last maxBars bars, oldest first', async () => {
    for (let i = 1; i <= 12; i++) expect(await cache.pushBar(bar(i * 60_000, 100 + i))).toBe('appended');
    const bars = await cache.bars('BTCUSD');
    expect(bars.map((b) => b.ts / 60_000)).toEqual([8, 9, 10, 11, 12]);
    expect(await admin.llen(redisKeys(prefix).bars('BTCUSD'))).toBe(5);
    expect((await cache.bars('BTCUSD', 2)).map((b) => b.close)).toEqual([111, 112]);
    expect(await cache.bars('NOPE')).toEqual([]);
  });

  it('replaces a bar with the same ts (still forming) and ignores an older one', async () => {
    expect(await cache.pushBar(bar(12 * 60_000, 150))).toBe('replaced');
    expect(await cache.pushBar(bar(3 * 60_000, 1))).toBe('stale');
    const bars = await cache.bars('BTCUSD');
    expect(bars).toHaveLength(5);
    expect(bars.at(-1)).toEqual(bar(12 * 60_000, 150));
  });

  it('keeps the newest quote and round-trips prices exactly', async () => {
    expect(await cache.quote('ETHUSD')).toBeUndefined();
    const tick = { symbol: 'ETHUSD', ts: 2_000, price: 0.1 + 0.2, size: 1.25, bid: 3000.01, ask: 3000.02 };
    expect(await cache.setQuote(tick)).toBe('updated');
    expect(await cache.setQuote({ ...tick, ts: 1_000, price: 1 })).toBe('stale');
    expect(await cache.quote('ETHUSD')).toEqual(tick);
    expect(await cache.setQuote({ symbol: 'ETHUSD', ts: 3_000, price: 2, size: 1 })).toBe('updated');
    expect(await cache.quote('ETHUSD')).toEqual({ symbol: 'ETHUSD', ts: 3_000, price: 2, size: 1 });
  });

  it('rejects invalid bars and quotes with INVALID_ARGUMENT, storing nothing', async () => {
    const invalid = (e: unknown) => isRxtradeError(e) && e.code === 'INVALID_ARGUMENT';
    await expect(cache.pushBar({ ...bar(1), symbol: 'BAD', high: 50 })).rejects.toSatisfy(invalid);
    await expect(cache.setQuote({ symbol: 'BAD', ts: 1, price: Number.NaN, size: 1 })).rejects.toSatisfy(
      invalid,
    );
    await expect(cache.bars('BTCUSD', 0)).rejects.toSatisfy(invalid);
    expect(await admin.exists(redisKeys(prefix).bars('BAD'), redisKeys(prefix).quote('BAD'))).toBe(0);
  });
});
