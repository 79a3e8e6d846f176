import { isRxtradeError } from '@rxtrade/core';
import { rateLimiterContract } from '@rxtrade/core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from '../test/helpers';
import { requireRedisServerBinary, suiteRedis } from '../test/redis-server';
import { redisKeys } from './keys';
import { createRedisRateLimiter } from './rate-limiter';

const redisUp = await requireRedis();
const run = uniquePrefix('rate');
let n = 0;

describe.skipIf(!redisUp)('RedisRateLimiter', () => {
  afterAll(() => deletePrefix(REDIS_URL, run));

  rateLimiterContract({
    create: (buckets, options) => {
      const name = `limiter-${++n}`;
      // Two handles, each with its own connection, as two processes would hold.
      return {
        a: createRedisRateLimiter({ url: REDIS_URL }, { name, buckets, prefix: run, ...options }),
        b: createRedisRateLimiter({ url: REDIS_URL }, { name, buckets, prefix: run, ...options }),
      };
    },
  });

  describe('beyond the contract', () => {
    let admin: Redis;
    beforeAll(() => {
      admin = new Redis(REDIS_URL);
    });
    afterAll(() => admin.quit());

    it('keys expire one window after the last grant; the penalty after its own length', async () => {
      const name = `ttl-${++n}`;
      const limiter = createRedisRateLimiter(
        { url: REDIS_URL },
        { name, buckets: { w: { limit: 5, windowMs: 2_000 } }, prefix: run },
      );
      const keys = redisKeys(run);
      expect(await limiter.tryAcquire({ w: 2 })).toBe(0);
      await limiter.penalize(1_500);
      for (const key of [keys.rateLog(name, 'w'), keys.rateTotal(name, 'w')]) {
        const ttl = await admin.pttl(key);
        expect(ttl).toBeGreaterThan(1_000);
        expect(ttl).toBeLessThanOrEqual(2_000);
      }
      expect(await admin.get(keys.rateTotal(name, 'w'))).toBe('2');
      const penaltyTtl = await admin.pttl(keys.ratePenalty(name));
      expect(penaltyTtl).toBeGreaterThan(1_000);
      expect(penaltyTtl).toBeLessThanOrEqual(1_500);
      await limiter.close();
    });

    it('rejects bad options with INVALID_CONFIG', () => {
      const error = (() => {
        try {
          createRedisRateLimiter({ url: REDIS_URL }, { name: '', buckets: { w: { limit: 1, windowMs: 1 } } });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(isRxtradeError(error) && error.code).toBe('INVALID_CONFIG');
    });
  });
});

// SCRIPT FLUSH empties every client's script cache: on a server of its own, never the shared one.
describe.skipIf(!redisUp || !(await requireRedisServerBinary()))(
  'RedisRateLimiter after SCRIPT FLUSH',
  () => {
    const own = suiteRedis();

    it('re-sends as EVAL on NOSCRIPT and keeps counting', async () => {
      const limiter = createRedisRateLimiter(
        { url: own.server.url },
        { name: 'flush', buckets: { w: { limit: 3, windowMs: 10_000 } } },
      );
      expect(await limiter.tryAcquire({ w: 2 })).toBe(0);
      await own.admin.script('FLUSH');
      expect(await limiter.tryAcquire({ w: 1 })).toBe(0);
      expect(await limiter.tryAcquire({ w: 1 })).toBeGreaterThan(0);
      await limiter.close();
    });
  },
);
