import { randomUUID } from 'node:crypto';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import {
  createRedisKeyStore,
  createRedisRateLimiter,
  mintApiKey,
  verifyApiKey,
} from '@rxtrade/fleet/gateway';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, createFixture, type GatewayFixture, tamper } from './test-support';

const redisUp = await requireService('Redis', () => probeTcp('127.0.0.1', 6379));

describe.skipIf(!redisUp)('gateway on real Redis (127.0.0.1:6379)', () => {
  const prefix = `rxtrade:test:gateway:${randomUUID()}:`;
  let client: Redis;
  beforeAll(() => {
    client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false, maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  it('one token bucket per key holds across TWO gateway app instances: 429 with Retry-After', async () => {
    const limiterFor = () => createRedisRateLimiter({ client, prefix, capacity: 5, refillPerSecond: 0.2 });
    // Two replicas, each with its own limiter object, sharing only Redis and one key record.
    const shared = mintApiKey({ scopes: ['read'], accounts: ['acct-a'] });
    const withShared = [
      await createFixture({ rateLimit: limiterFor(), records: [shared.record] }),
      await createFixture({ rateLimit: limiterFor(), records: [shared.record] }),
    ];
    try {
      const statuses: number[] = [];
      const retryAfter: string[] = [];
      for (let i = 0; i < 8; i++) {
        const replica = withShared[i % 2] as GatewayFixture;
        const res = await replica.app.inject({ url: '/api/accounts', headers: auth(shared.key) });
        statuses.push(res.statusCode);
        if (res.statusCode === 429) {
          retryAfter.push(String(res.headers['retry-after']));
          expect(res.json()).toEqual({ error: { code: 'RATE_LIMITED', message: 'too many requests' } });
        }
      }
      // capacity 5 shared by both replicas: a per-replica limit would have allowed all 8
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
      for (const s of retryAfter) expect(Number(s)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter[0])).toBeLessThanOrEqual(5);
      // another key has its own bucket
      const other = withShared[1] as GatewayFixture;
      expect(
        (await other.app.inject({ url: '/api/accounts', headers: auth(other.keys.readA) })).statusCode,
      ).toBe(200);
    } finally {
      for (const a of withShared) await a.close();
    }
  });

  it('the Lua bucket is atomic under concurrency: exactly `capacity` of 50 parallel requests pass', async () => {
    const limiter = createRedisRateLimiter({ client, prefix, capacity: 10, refillPerSecond: 0.001 });
    const results = await Promise.all(Array.from({ length: 50 }, () => limiter.consume('burst')));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results.filter((r) => !r.allowed).every((r) => r.retryAfterMs >= 1)).toBe(true);
  });

  it('falls back to a per-replica bucket when Redis fails, and says so', async () => {
    const broken = new Redis({
      host: '127.0.0.1',
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    const errors: unknown[] = [];
    const limiter = createRedisRateLimiter({
      client: broken,
      prefix,
      capacity: 2,
      refillPerSecond: 0.001,
      onFallback: (e) => errors.push(e),
    });
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await limiter.consume('k')).allowed);
    expect(results).toEqual([true, true, false]);
    expect(errors).toHaveLength(3);
    broken.disconnect();
  });

  it('stores key records (hashes only) in Redis and verifies them', async () => {
    const store = createRedisKeyStore({ client, prefix });
    const { key, record } = mintApiKey({ scopes: ['read', 'trade'], accounts: ['acct-a'], label: 'ci' });
    await store.put(record);
    const raw = await client.get(`${prefix}apikey:${record.id}`);
    expect(raw).not.toContain(key.slice(21));
    expect(await verifyApiKey(store, key)).toEqual(record);
    expect(await verifyApiKey(store, tamper(key))).toBeUndefined();
    await client.set(`${prefix}apikey:${record.id}`, '{"corrupt":true}');
    expect(await verifyApiKey(store, key)).toBeUndefined();
    expect(await store.delete(record.id)).toBe(true);
  });
});
