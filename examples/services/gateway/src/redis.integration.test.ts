import { randomUUID } from 'node:crypto';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import {
  createRedisKeyStore,
  createRedisRateLimiter,
  mintApiKey,
  type RateLimiter,
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
    // Uncached, so the corrupt record written by hand below is read at once (the cache: next test).
    const store = createRedisKeyStore({ client, prefix, cache: false });
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

  it('caches key records per replica: a delete through any replica is refused by all within revocationMs, a hand edit within ttlMs', async () => {
    let t = 0;
    const cache = { ttlMs: 5_000, revocationMs: 500, now: () => t };
    const [a, b] = [
      createRedisKeyStore({ client, prefix, cache }),
      createRedisKeyStore({ client, prefix, cache }),
    ];
    const { key, record } = mintApiKey({ scopes: ['trade'], accounts: ['acct-a'] });
    await b.put(record);
    expect(await verifyApiKey(a, key)).toEqual(record);
    expect(await verifyApiKey(a, tamper(key))).toBeUndefined(); // the presented key is still hashed and compared
    expect(await b.delete(record.id)).toBe(true);
    expect(await verifyApiKey(a, key)).toEqual(record); // a's copy, trusted for revocationMs
    t += 501;
    expect(await verifyApiKey(a, key)).toBeUndefined(); // b's delete bumped the version: a dropped its copy

    await b.put(record);
    t += 501;
    expect(await verifyApiKey(a, key)).toEqual(record);
    await client.set(`${prefix}apikey:${record.id}`, '{"corrupt":true}'); // by hand: no version bump
    t += 501;
    expect(await verifyApiKey(a, key)).toEqual(record);
    t += 5_000;
    expect(await verifyApiKey(a, key)).toBeUndefined();
  });

  it('a busy key leases tokens in chunks: far fewer Redis calls than requests, never more passes than the shared bucket holds', async () => {
    let calls = 0;
    const counted = new Proxy(client, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'evalsha' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls++;
          return value.apply(target, args);
        };
      },
    });
    const bucket = `lease-${randomUUID()}`;
    // capacity 200: leases of up to 20 tokens; time stands still, so no lease lapses and none refills
    const limiterFor = () =>
      createRedisRateLimiter({
        client: counted,
        prefix,
        capacity: 200,
        refillPerSecond: 0.001,
        now: () => 0,
      });
    const replicas = [limiterFor(), limiterFor()];
    const results = [];
    for (let round = 0; round < 15; round++) {
      results.push(
        ...(await Promise.all(
          Array.from({ length: 20 }, (_, i) => (replicas[i % 2] as RateLimiter).consume(bucket)),
        )),
      );
    }
    const allowed = results.filter((r) => r.allowed).length;
    expect(allowed).toBeLessThanOrEqual(200);
    expect(allowed).toBeGreaterThanOrEqual(200 - 2 * 20); // at most a lease left with each replica
    expect(results.filter((r) => !r.allowed).every((r) => r.retryAfterMs >= 1)).toBe(true);
    expect(calls).toBeLessThan(60); // 300 requests; one call per request before leases
  });
});
