import { describe, expect, it } from 'vitest';
import { reconnectBackoff, redisClientOptions, redisVersionAtLeast } from './connection';
import { createRedisLockManager } from './lock-manager';
import { createRedisMarketDataCache } from './market-data-cache';
import { createRedisStateStore } from './state-store';
import { createRedisStreamConsumer } from './streams';

describe('redisClientOptions', () => {
  it('fails fast instead of queueing, never re-sends blindly, and keeps reconnecting', () => {
    const options = redisClientOptions();
    expect(options).toMatchObject({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: 1_000,
    });
    expect(options.retryStrategy?.(1_000)).toBeTypeOf('number');
    expect(redisClientOptions({ commandTimeout: 50 }).commandTimeout).toBe(50);
  });

  it('backs off from 100 ms, doubling, to a cap, with ±20 % jitter', () => {
    const delay = reconnectBackoff(1_000);
    for (let i = 0; i < 50; i++) {
      const first = delay(1);
      expect(first).toBeGreaterThanOrEqual(80);
      expect(first).toBeLessThanOrEqual(120);
      expect(delay(3)).toBeGreaterThanOrEqual(320);
      expect(delay(40)).toBeLessThanOrEqual(1_200);
      expect(delay(40)).toBeGreaterThanOrEqual(800);
    }
  });
});

describe('option validation (before any connection is made)', () => {
  const invalidConfig = expect.objectContaining({ name: 'RxtradeError', code: 'INVALID_CONFIG' });
  it('rejects bad options with INVALID_CONFIG', () => {
    expect(() => createRedisStateStore({ url: '' })).toThrow(invalidConfig);
    expect(() => createRedisStateStore({ url: 'redis://x' }, { dedupeTtlSeconds: 0 })).toThrow(invalidConfig);
    expect(() => createRedisLockManager({ url: 'redis://x' }, { prefix: 1 as unknown as string })).toThrow(
      invalidConfig,
    );
    expect(() => createRedisMarketDataCache({ url: 'redis://x' }, { maxBars: -1 })).toThrow(invalidConfig);
    expect(() =>
      createRedisStreamConsumer(
        { url: 'redis://x' },
        { stream: 's', group: '', consumer: 'c', handler: () => {} },
      ),
    ).toThrow(invalidConfig);
  });
});

describe('redisVersionAtLeast', () => {
  it('compares major.minor of redis_version; an unknown version is not enough', () => {
    expect(redisVersionAtLeast('7.0.15', 7, 0)).toBe(true);
    expect(redisVersionAtLeast('7.2.4', 7, 0)).toBe(true);
    expect(redisVersionAtLeast('10.0.0', 7, 0)).toBe(true);
    expect(redisVersionAtLeast('6.2.14', 7, 0)).toBe(false);
    expect(redisVersionAtLeast('6.2.14', 6, 2)).toBe(true);
    expect(redisVersionAtLeast(undefined, 7, 0)).toBe(false);
    expect(redisVersionAtLeast('unknown', 7, 0)).toBe(false);
  });
});
