import { isRxtradeError } from '@rxtrade/core';
import { lockManagerContract } from '@rxtrade/core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, requireRedis, sleep, uniquePrefix } from '../test/helpers';
import { redisKeys } from './keys';
import { createRedisLockManager } from './lock-manager';
import { createRedisStateStore } from './state-store';

const redisUp = await requireRedis();
const run = uniquePrefix('locks');
const fresh = () => `${run}${Math.random().toString(36).slice(2)}:`;

describe.skipIf(!redisUp)('RedisLockManager', () => {
  afterAll(() => deletePrefix(REDIS_URL, run));

  lockManagerContract({
    create: () => {
      const prefix = fresh();
      return {
        locks: createRedisLockManager({ url: REDIS_URL }, { prefix }),
        store: createRedisStateStore({ url: REDIS_URL }, { prefix }),
      };
    },
  });

  describe('beyond the contract', () => {
    let admin: Redis;
    beforeAll(() => {
      admin = new Redis(REDIS_URL);
    });
    afterAll(() => admin.quit());

    const pair = () => {
      const prefix = fresh();
      return {
        prefix,
        locks: createRedisLockManager({ url: REDIS_URL }, { prefix }),
        store: createRedisStateStore({ url: REDIS_URL }, { prefix }),
      };
    };

    it('refuses a stale holder as soon as a newer lease is granted, before the new holder writes', async () => {
      const { locks, store } = pair();
      try {
        const stale = await locks.acquire('acct-1', { ttlMs: 100 });
        await sleep(200);
        const next = await locks.acquire('acct-1', { ttlMs: 5_000 });
        expect(next?.token).toBe((stale?.token ?? 0) + 1);
        expect(
          await store.apply({
            fence: { resource: 'acct-1', token: stale?.token ?? 0 },
            ops: [{ op: 'set', key: 'position:acct-1:X', fields: { owner: 'stale' } }],
          }),
        ).toEqual({ applied: false, reason: 'STALE_FENCING_TOKEN' });
        expect(await store.get('position:acct-1:X')).toBeUndefined();
        // The current holder writes with its own token.
        expect(
          await store.apply({
            fence: { resource: 'acct-1', token: next?.token ?? 0 },
            ops: [{ op: 'set', key: 'position:acct-1:X', fields: { owner: 'fresh' } }],
          }),
        ).toEqual({ applied: true });
      } finally {
        await locks.close();
        await store.close();
      }
    });

    it('hands out tokens that keep growing across manager instances and above tokens the store has seen', async () => {
      const { prefix, locks, store } = pair();
      const other = createRedisLockManager({ url: REDIS_URL }, { prefix });
      try {
        const a = await locks.acquire('r', { ttlMs: 1_000 });
        await a?.release();
        const b = await other.acquire('r', { ttlMs: 1_000 });
        expect(b?.token).toBe((a?.token ?? 0) + 1);
        await b?.release();
        await store.apply({ fence: { resource: 'r', token: 50 }, ops: [] });
        const c = await locks.acquire('r', { ttlMs: 1_000 });
        expect(c?.token).toBe(51);
        await c?.release();
      } finally {
        await Promise.all([locks.close(), other.close(), store.close()]);
      }
    });

    it('keeps the lease in Redis with the token and a PX TTL, and renew moves the TTL', async () => {
      const { prefix, locks, store } = pair();
      try {
        const lease = await locks.acquire('acct-2', { ttlMs: 2_000 });
        const key = redisKeys(prefix).lease('acct-2');
        expect(await admin.get(key)).toBe(String(lease?.token));
        expect(await admin.pttl(key)).toBeLessThanOrEqual(2_000);
        const before = lease?.expiresAt ?? 0;
        expect(await lease?.renew(10_000)).toBe(true);
        expect(await admin.pttl(key)).toBeGreaterThan(5_000);
        expect(lease?.expiresAt ?? 0).toBeGreaterThan(before);
        await expect(lease?.renew(0)).rejects.toSatisfy(
          (e) => isRxtradeError(e) && e.code === 'INVALID_ARGUMENT',
        );
        expect(await lease?.release()).toBe(true);
        expect(await admin.exists(key)).toBe(0);
      } finally {
        await locks.close();
        await store.close();
      }
    });

    it('does not let an expired holder release or renew the next holder’s lease', async () => {
      const { prefix, locks, store } = pair();
      try {
        const old = await locks.acquire('acct-3', { ttlMs: 50 });
        await sleep(120);
        const current = await locks.acquire('acct-3', { ttlMs: 5_000 });
        expect(await old?.release()).toBe(false);
        expect(await old?.renew(60_000)).toBe(false);
        expect(await admin.get(redisKeys(prefix).lease('acct-3'))).toBe(String(current?.token));
        await current?.release();
      } finally {
        await locks.close();
        await store.close();
      }
    });

    it('is closed after close()', async () => {
      const { locks, store } = pair();
      await locks.close();
      await locks.close();
      await store.close();
      await expect(locks.acquire('x', { ttlMs: 100 })).rejects.toSatisfy(
        (e) => isRxtradeError(e) && e.code === 'CLOSED',
      );
    });
  });
});
