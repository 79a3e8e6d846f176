import { afterEach, describe, expect, it } from 'vitest';
import { isRxtradeError } from '../../errors';
import { acquireRate, type RateBuckets, type RateLimiter, withRate } from '../../ports/rate-limiter';

/** Two handles on one shared limiter (for the in-memory one, the same object twice). */
export interface RateLimiterPair {
  readonly a: RateLimiter;
  readonly b: RateLimiter;
}

export interface RateLimiterContractOptions {
  /**
   * Fresh shared state with these buckets, and two handles on it (as two processes would hold);
   * `flightTtlMs` as the limiter's option of that name (default when absent).
   */
  readonly create: (
    buckets: RateBuckets,
    options: { readonly flightTtlMs?: number },
  ) => Promise<RateLimiterPair> | RateLimiterPair;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The behaviour every {@link RateLimiter} must have, on real time (windows of a few hundred ms). */
export function rateLimiterContract(options: RateLimiterContractOptions): void {
  describe('RateLimiter contract', () => {
    const open: RateLimiter[] = [];
    const make = async (
      buckets: RateBuckets,
      limiterOptions: { readonly flightTtlMs?: number } = {},
    ): Promise<RateLimiterPair> => {
      const pair = await options.create(buckets, limiterOptions);
      open.push(pair.a, pair.b);
      return pair;
    };
    afterEach(async () => {
      for (const limiter of new Set(open.splice(0))) await limiter.close();
    });

    it('grants up to the limit in a window, then answers a wait no longer than the window', async () => {
      const { a } = await make({ w: { limit: 5, windowMs: 400 } });
      for (let i = 0; i < 5; i++) expect(await a.tryAcquire({ w: 1 })).toBe(0);
      const wait = await a.tryAcquire({ w: 1 });
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(400);
      await sleep(wait + 20);
      expect(await a.tryAcquire({ w: 1 })).toBe(0);
    });

    it('counts weights, and a weight of 0 takes nothing', async () => {
      const { a } = await make({ w: { limit: 10, windowMs: 5_000 } });
      expect(await a.tryAcquire({ w: 4 })).toBe(0);
      expect(await a.tryAcquire({ w: 4 })).toBe(0);
      expect(await a.tryAcquire({ w: 4 })).toBeGreaterThan(0);
      expect(await a.tryAcquire({ w: 0 })).toBe(0);
      expect(await a.tryAcquire({ w: 2 })).toBe(0);
      expect(await a.tryAcquire({ w: 1 })).toBeGreaterThan(0);
    });

    it('takes from every bucket of a request or from none', async () => {
      const { a } = await make({ ip: { limit: 3, windowMs: 5_000 }, uid: { limit: 1, windowMs: 5_000 } });
      expect(await a.tryAcquire({ ip: 1, uid: 1 })).toBe(0);
      expect(await a.tryAcquire({ ip: 1, uid: 1 })).toBeGreaterThan(0); // uid full: ip untouched
      expect(await a.tryAcquire({ ip: 2 })).toBe(0); // 1 + 2 = 3: the refused call took nothing
      expect(await a.tryAcquire({ ip: 1 })).toBeGreaterThan(0);
    });

    it('keeps concurrent callers on two handles together under the limit', async () => {
      const { a, b } = await make({ w: { limit: 20, windowMs: 5_000 } });
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).tryAcquire({ w: 1 })),
      );
      expect(answers.filter((wait) => wait === 0)).toHaveLength(20);
    });

    it('a penalty stops every handle until it ends, and never shortens an earlier one', async () => {
      const { a, b } = await make({ w: { limit: 100, windowMs: 1_000 } });
      await a.penalize(400);
      await a.penalize(50);
      const wait = await b.tryAcquire({ w: 1 });
      expect(wait).toBeGreaterThan(250);
      expect(wait).toBeLessThanOrEqual(400);
      expect(await a.tryAcquire({ w: 1 })).toBeGreaterThan(0);
      await sleep(wait + 20);
      expect(await b.tryAcquire({ w: 1 })).toBe(0);
    });

    it('acquireRate waits for a grant, and refuses RATE_LIMITED past maxWaitMs', async () => {
      const { a, b } = await make({ w: { limit: 2, windowMs: 300 } });
      await acquireRate(a, { w: 2 });
      const started = Date.now();
      await acquireRate(b, { w: 1 }, { maxWaitMs: 2_000 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      await acquireRate(a, { w: 1 });
      const refused = await acquireRate(b, { w: 2 }, { maxWaitMs: 50 }).catch((e: unknown) => e);
      expect(isRxtradeError(refused) && refused.details?.['reason']).toBe('RATE_LIMITED');
    });

    it('a flight counts in every window until landed, then for one window from landing, on every handle', async () => {
      const { a, b } = await make({ w: { limit: 1, windowMs: 200 } });
      expect(await a.tryAcquire({ w: 1 }, { flightId: 'f1' })).toBe(0);
      await sleep(300); // a grant made then would have left the window
      const waiting = await b.tryAcquire({ w: 1 });
      expect(waiting).toBeGreaterThan(0);
      expect(waiting).toBeLessThanOrEqual(200);
      await a.land('f1');
      await a.land('f1'); // landed already: nothing
      await a.land('never-flown');
      const wait = await b.tryAcquire({ w: 1 });
      expect(wait).toBeGreaterThan(100);
      expect(wait).toBeLessThanOrEqual(200);
      await sleep(wait + 20);
      expect(await b.tryAcquire({ w: 1 })).toBe(0);
    });

    it('a flight never landed ends by itself after flightTtlMs', async () => {
      const { a } = await make({ w: { limit: 1, windowMs: 100 } }, { flightTtlMs: 200 });
      expect(await a.tryAcquire({ w: 1 }, { flightId: 'lost' })).toBe(0);
      await sleep(120);
      expect(await a.tryAcquire({ w: 1 })).toBeGreaterThan(0);
      await sleep(250); // past its ttl and one window more
      expect(await a.tryAcquire({ w: 1 })).toBe(0);
    });

    it('withRate holds the grant while the call runs: the next call waits for its landing plus a window', async () => {
      const { a, b } = await make({ w: { limit: 1, windowMs: 200 } });
      const started = Date.now();
      let landedAt = 0;
      const slow = withRate(a, { costs: { w: 1 } }, async () => {
        await sleep(250);
        landedAt = Date.now();
        return 'slow';
      });
      await sleep(10);
      const next = withRate(b, { costs: { w: 1 }, maxWaitMs: 2_000 }, async () => Date.now());
      expect(await slow).toBe('slow');
      expect((await next) - landedAt).toBeGreaterThanOrEqual(180);
      expect(landedAt - started).toBeGreaterThanOrEqual(240);
      const failed = await withRate(a, { costs: { w: 1 }, maxWaitMs: 2_000 }, async () => {
        throw new Error('venue down');
      }).catch((e: unknown) => e);
      expect((failed as Error).message).toBe('venue down');
      // Landed all the same: the next one waits out the window from the landing (a flight still held
      // would answer only the short poll, FLIGHT_POLL_MS).
      const wait = await a.tryAcquire({ w: 1 });
      expect(wait).toBeGreaterThan(100);
      expect(wait).toBeLessThanOrEqual(200);
    });

    it('refuses a flight id the handle has in flight with INVALID_ARGUMENT; once landed it may fly again', async () => {
      const { a } = await make({ w: { limit: 5, windowMs: 1_000 } });
      expect(await a.tryAcquire({ w: 1 }, { flightId: 'f' })).toBe(0);
      const error = await a.tryAcquire({ w: 1 }, { flightId: 'f' }).catch((e: unknown) => e);
      expect(isRxtradeError(error) && error.code).toBe('INVALID_ARGUMENT');
      await a.land('f');
      expect(await a.tryAcquire({ w: 1 }, { flightId: 'f' })).toBe(0);
    });

    it('rejects an unknown bucket or a weight above the limit with INVALID_ARGUMENT', async () => {
      const { a } = await make({ w: { limit: 2, windowMs: 1_000 } });
      for (const costs of [{ nope: 1 }, { w: 3 }, { w: 0.5 }, { w: -1 }]) {
        const error = await a.tryAcquire(costs).catch((e: unknown) => e);
        expect(isRxtradeError(error) && error.code).toBe('INVALID_ARGUMENT');
      }
    });
  });
}
