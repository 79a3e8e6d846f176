import { describe, expect, it } from 'vitest';
import { isRxtradeError } from '../errors';
import { rateLimiterContract } from '../testing/contracts/rate-limiter-contract';
import { ManualClock } from './clock';
import { createMemoryRateLimiter } from './rate-limiter';

describe('createMemoryRateLimiter', () => {
  rateLimiterContract({
    create: (buckets) => {
      const limiter = createMemoryRateLimiter({ buckets });
      return { a: limiter, b: limiter };
    },
  });

  it('never grants more than the limit in any window of windowMs (manual clock, random weights)', async () => {
    const clock = new ManualClock(1_000);
    const limiter = createMemoryRateLimiter({ buckets: { w: { limit: 50, windowMs: 1_000 } }, clock });
    const grants: Array<[number, number]> = [];
    let seed = 7;
    for (let i = 0; i < 5_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      const weight = 1 + (seed % 5);
      if ((await limiter.tryAcquire({ w: weight })) === 0) grants.push([clock.now(), weight]);
      clock.advance(seed % 7);
    }
    for (const [start] of grants) {
      const inWindow = grants.filter(([at]) => at >= start && at < start + 1_000);
      expect(inWindow.reduce((sum, [, w]) => sum + w, 0)).toBeLessThanOrEqual(50);
    }
    expect(grants.length).toBeGreaterThan(100);
  });

  it('refuses invalid buckets with INVALID_CONFIG and calls after close with CLOSED', async () => {
    const error = (() => {
      try {
        createMemoryRateLimiter({ buckets: { w: { limit: 0, windowMs: 1 } } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isRxtradeError(error) && error.code).toBe('INVALID_CONFIG');
    const limiter = createMemoryRateLimiter({ buckets: { w: { limit: 1, windowMs: 1 } } });
    await limiter.close();
    const closed = await limiter.tryAcquire({ w: 1 }).catch((e: unknown) => e);
    expect(isRxtradeError(closed) && closed.code).toBe('CLOSED');
  });
});
