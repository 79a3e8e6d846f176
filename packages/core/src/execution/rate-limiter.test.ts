import { type SchedulerAction, type SchedulerLike, Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { isRxtradeError } from '../errors';
import { OrderRateLimiter, TokenBucket } from './rate-limiter';

/** A scheduler whose time moves only when the test says so; due actions run in time order. */
class StepScheduler implements SchedulerLike {
  #now = 0;
  #seq = 0;
  readonly #actions: { at: number; seq: number; run: () => void; sub: Subscription }[] = [];

  now(): number {
    return this.#now;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    const sub = new Subscription(() => {
      const i = this.#actions.findIndex((a) => a.sub === sub);
      if (i >= 0) this.#actions.splice(i, 1);
    });
    const action = { at: this.#now + delay, seq: this.#seq++, sub, run: () => work.call({} as never, state) };
    this.#actions.push(action);
    return sub;
  }

  /** Moves time forward `ms`, running due actions and letting promise callbacks run after each. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      this.#actions.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#actions[0];
      if (!next || next.at > end) break;
      this.#actions.shift();
      this.#now = Math.max(this.#now, next.at);
      next.run();
      await flushMicrotasks();
    }
    this.#now = end;
    await flushMicrotasks();
  }
}

const flushMicrotasks = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('TokenBucket', () => {
  it('grants the burst at once, then one token per 1/rate', async () => {
    const scheduler = new StepScheduler();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3 }, scheduler);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(bucket.delay()).toBe(100);
    await scheduler.advance(99);
    expect(bucket.tryTake()).toBe(false);
    await scheduler.advance(1);
    expect(bucket.tryTake()).toBe(true);
  });

  it('never holds more than the burst', async () => {
    const scheduler = new StepScheduler();
    const bucket = new TokenBucket({ ratePerSecond: 100, burst: 2 }, scheduler);
    await scheduler.advance(60_000);
    expect(bucket.available).toBe(2);
  });

  it('refuses a non-positive rate as a typed config error', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(/invalid rate limit/);
  });
});

describe('OrderRateLimiter', () => {
  it('offered 1,000 orders in one second, sends at most burst + rate × window in every window', async () => {
    const scheduler = new StepScheduler();
    const limiter = new OrderRateLimiter({
      venue: { ratePerSecond: 50, burst: 5 },
      scheduler,
      maxWaitMs: 60_000,
      maxQueue: 10_000,
    });
    const sentAt: number[] = [];
    for (let i = 0; i < 1000; i++) {
      // One order each millisecond.
      void limiter.acquire('a').then(() => sentAt.push(scheduler.now()));
      await scheduler.advance(1);
    }
    await scheduler.advance(30_000);
    expect(sentAt).toHaveLength(1000);
    for (const windowMs of [100, 1000, 5000]) {
      const bound = 5 + (50 * windowMs) / 1000;
      let worst = 0;
      for (let i = 0, j = 0; i < sentAt.length; i++) {
        while ((sentAt[i] as number) - (sentAt[j] as number) >= windowMs) j++;
        worst = Math.max(worst, i - j + 1);
      }
      expect(worst).toBeLessThanOrEqual(bound);
    }
    // And it is not just slow: the average is the configured rate.
    const span = (sentAt.at(-1) as number) - (sentAt[0] as number);
    expect(995 / (span / 1000)).toBeCloseTo(50, 0);
  });

  it('limits each account on its own and the venue across accounts', async () => {
    const scheduler = new StepScheduler();
    const limiter = new OrderRateLimiter({
      venue: { ratePerSecond: 100, burst: 100 },
      perAccount: { ratePerSecond: 2, burst: 2 },
      scheduler,
      maxWaitMs: 0,
    });
    const results = await Promise.allSettled([
      limiter.acquire('a'),
      limiter.acquire('a'),
      limiter.acquire('a'),
      limiter.acquire('b'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  });

  it('refuses with a typed RATE_LIMITED error (never sent) once an order would wait too long', async () => {
    const scheduler = new StepScheduler();
    const limiter = new OrderRateLimiter({
      venue: { ratePerSecond: 10, burst: 1 },
      scheduler,
      maxWaitMs: 250,
    });
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      limiter.acquire('a').then(
        () => outcomes.push('sent'),
        (error: unknown) =>
          outcomes.push(
            isRxtradeError(error)
              ? `${error.code}:${error.details?.['reason']}:${error.details?.['outcome']}`
              : 'bare',
          ),
      );
    }
    await scheduler.advance(1000);
    expect(outcomes.filter((o) => o === 'sent')).toHaveLength(3); // t=0, 100, 200
    expect(outcomes.filter((o) => o === 'ADAPTER_FAILURE:RATE_LIMITED:NOT_SENT')).toHaveLength(3);
  });

  it('close() refuses the waiting orders and is idempotent', async () => {
    const scheduler = new StepScheduler();
    const limiter = new OrderRateLimiter({ venue: { ratePerSecond: 1, burst: 1 }, scheduler });
    await limiter.acquire('a');
    const waiting = limiter.acquire('a');
    limiter.close();
    limiter.close();
    await expect(waiting).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(limiter.acquire('a')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
