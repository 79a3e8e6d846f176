import { describe, expect, it } from 'vitest';
import { isRxtradeError } from '../errors';
import { rateLimiterContract } from '../testing/contracts/rate-limiter-contract';
import { ManualClock } from './clock';
import { createMemoryRateLimiter } from './rate-limiter';

describe('createMemoryRateLimiter', () => {
  rateLimiterContract({
    create: (buckets, options) => {
      const limiter = createMemoryRateLimiter({ buckets, ...options });
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

  it('with flights, never lets more than the limit reach the venue in any window, whatever the network delay', async () => {
    const clock = new ManualClock(0);
    const windowMs = 1_000;
    const limiter = createMemoryRateLimiter({ buckets: { w: { limit: 20, windowMs } }, clock });
    const arrivals: number[] = [];
    const landings = new Map<string, number>();
    let seed = 11;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    for (let ms = 0, id = 0; ms < 20_000; ms++) {
      clock.set(ms);
      for (const [flightId, at] of landings) {
        if (at > ms) continue;
        landings.delete(flightId);
        await limiter.land(flightId);
      }
      for (let k = random(3); k > 0; k--) {
        const flightId = `r${++id}`;
        if ((await limiter.tryAcquire({ w: 1 }, { flightId })) !== 0) continue;
        const arrival = ms + (random(10) === 0 ? 400 + random(600) : random(30)); // now and then a slow one
        arrivals.push(arrival);
        landings.set(flightId, arrival + random(40)); // its answer comes back later still
      }
    }
    arrivals.sort((x, y) => x - y);
    for (let i = 0, j = 0; i < arrivals.length; i++) {
      while ((arrivals[j] as number) <= (arrivals[i] as number) - windowMs) j++;
      expect(i - j + 1).toBeLessThanOrEqual(20); // arrivals in (arrival − window, arrival]
    }
    expect(arrivals.length).toBeGreaterThan(250);
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
