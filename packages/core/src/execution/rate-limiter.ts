import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { z } from 'zod';
import { RxtradeError } from '../errors';

/** A rate: `ratePerSecond` on average, at most `burst` at once (default: one second's worth, at least 1). */
export interface RateLimit {
  readonly ratePerSecond: number;
  readonly burst?: number;
}

const RateLimitSchema = z.strictObject({
  ratePerSecond: z.number().positive().finite(),
  burst: z.number().int().positive().optional(),
});

/**
 * A token bucket on a scheduler's clock: holds up to `burst` tokens and refills at `ratePerSecond`.
 * In any window of T ms it grants at most `burst + ratePerSecond × T / 1000` tokens, which is the bound
 * the outbound order rate is tested against. Synchronous and allocation-free; it never waits itself.
 */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly #scheduler: SchedulerLike;
  #tokens: number;
  #last: number;

  constructor(limit: RateLimit, scheduler: SchedulerLike = asyncScheduler) {
    const parsed = RateLimitSchema.safeParse(limit);
    if (!parsed.success) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `invalid rate limit: ${z.prettifyError(parsed.error)}`,
        cause: parsed.error,
      });
    }
    this.ratePerSecond = parsed.data.ratePerSecond;
    this.burst = parsed.data.burst ?? Math.max(1, Math.floor(parsed.data.ratePerSecond));
    this.#scheduler = scheduler;
    this.#tokens = this.burst;
    this.#last = scheduler.now();
  }

  #refill(): void {
    const now = this.#scheduler.now();
    if (now > this.#last) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.ratePerSecond) / 1000);
      this.#last = now;
    }
  }

  /** Milliseconds until one token is available; 0 when one is available now. */
  delay(): number {
    this.#refill();
    // A hair of tolerance: 0.9999999 tokens after float refills is a whole token that arrived.
    if (this.#tokens >= 1 - 1e-9) return 0;
    return Math.ceil(((1 - this.#tokens) * 1000) / this.ratePerSecond);
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    if (this.delay() > 0) return false;
    this.#tokens = Math.max(0, this.#tokens - 1);
    return true;
  }

  /** Tokens available now (fractional). */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }
}

/** Options of {@link OrderRateLimiter}. */
export interface OrderRateLimiterOptions {
  /** The venue's outbound order rate, shared by every account. */
  readonly venue?: RateLimit;
  /** Each account's own outbound order rate. */
  readonly perAccount?: RateLimit;
  /** Timers and time. Default the RxJS `asyncScheduler`; tests pass a virtual-time scheduler. */
  readonly scheduler?: SchedulerLike;
  /** Longest an order may wait for a token before it is refused with `RATE_LIMITED`. Default 5,000 ms. */
  readonly maxWaitMs?: number;
  /** Most orders waiting at once; one more is refused at once. Default 1,000. */
  readonly maxQueue?: number;
}

interface Waiter {
  readonly accountId: string;
  readonly deadline: number;
  readonly resolve: () => void;
  readonly reject: (error: RxtradeError) => void;
}

/**
 * Outbound order-rate limiting per venue and per account: a token bucket for the venue and one per
 * account, both on an injected scheduler. `acquire` resolves when the order may be sent; orders leave
 * in the order they asked (FIFO), so a burst is smoothed, not reordered. An order that would wait
 * longer than `maxWaitMs`, or finds `maxQueue` orders already waiting, is refused with an
 * `RxtradeError` whose code is `ADAPTER_FAILURE` and `details.reason` `RATE_LIMITED`: it was never
 * sent, so its outcome is known (nothing is dropped silently).
 *
 * @example
 * const limiter = new OrderRateLimiter({ venue: { ratePerSecond: 10 }, perAccount: { ratePerSecond: 5 } });
 * await limiter.acquire(order.accountId); // then send
 */
export class OrderRateLimiter {
  readonly #venue: TokenBucket | undefined;
  readonly #perAccount: RateLimit | undefined;
  readonly #accounts = new Map<string, TokenBucket>();
  readonly #scheduler: SchedulerLike;
  readonly #maxWaitMs: number;
  readonly #maxQueue: number;
  readonly #queue: Waiter[] = [];
  #timer: Subscription | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(options: OrderRateLimiterOptions) {
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#venue = options.venue ? new TokenBucket(options.venue, this.#scheduler) : undefined;
    if (options.perAccount) new TokenBucket(options.perAccount, this.#scheduler); // validates now
    this.#perAccount = options.perAccount;
    this.#maxWaitMs = options.maxWaitMs ?? 5_000;
    this.#maxQueue = options.maxQueue ?? 1_000;
    if (!(this.#maxWaitMs >= 0) || !(this.#maxQueue >= 0)) {
      throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'maxWaitMs and maxQueue must be ≥ 0' });
    }
  }

  /** Orders waiting for a token now. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Resolves when an order of `accountId` may be sent; rejects with `RATE_LIMITED` (see the class). */
  acquire(accountId: string): Promise<void> {
    if (this.#closed)
      return Promise.reject(new RxtradeError({ code: 'CLOSED', message: 'rate limiter closed' }));
    if (this.#queue.length === 0 && this.#ready(accountId)) {
      this.#take(accountId);
      return Promise.resolve();
    }
    if (this.#queue.length >= this.#maxQueue) return Promise.reject(this.#limited(accountId, 'queue full'));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ accountId, deadline: this.#scheduler.now() + this.#maxWaitMs, resolve, reject });
      this.#pump();
    });
  }

  /** Refuses every waiting order with `CLOSED` and stops the timer. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    for (const waiter of this.#queue.splice(0)) {
      waiter.reject(new RxtradeError({ code: 'CLOSED', message: 'rate limiter closed' }));
    }
  }

  #account(accountId: string): TokenBucket | undefined {
    if (!this.#perAccount) return undefined;
    let bucket = this.#accounts.get(accountId);
    if (!bucket) {
      bucket = new TokenBucket(this.#perAccount, this.#scheduler);
      this.#accounts.set(accountId, bucket);
    }
    return bucket;
  }

  #delay(accountId: string): number {
    return Math.max(this.#venue?.delay() ?? 0, this.#account(accountId)?.delay() ?? 0);
  }

  #ready(accountId: string): boolean {
    return this.#delay(accountId) === 0;
  }

  #take(accountId: string): void {
    this.#venue?.tryTake();
    this.#account(accountId)?.tryTake();
  }

  #limited(accountId: string, why: string): RxtradeError {
    return new RxtradeError({
      code: 'ADAPTER_FAILURE',
      message: `RATE_LIMITED: order of account ${accountId} not sent (${why})`,
      details: { reason: 'RATE_LIMITED', outcome: 'NOT_SENT', accountId },
    });
  }

  #pump(): void {
    const now = this.#scheduler.now();
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as Waiter;
      const delay = this.#delay(head.accountId);
      if (delay === 0) {
        this.#queue.shift();
        this.#take(head.accountId);
        head.resolve();
        continue;
      }
      // Refuse everyone whose deadline falls before their turn could come.
      let expired = false;
      for (let i = this.#queue.length - 1; i >= 0; i--) {
        const waiter = this.#queue[i] as Waiter;
        if (waiter.deadline <= now || (i === 0 && waiter.deadline < now + delay)) {
          this.#queue.splice(i, 1);
          waiter.reject(this.#limited(waiter.accountId, `waited past ${this.#maxWaitMs} ms`));
          expired = true;
        }
      }
      if (expired) continue;
      this.#schedule(delay);
      return;
    }
  }

  #schedule(delay: number): void {
    const at = this.#scheduler.now() + delay;
    if (this.#timer && this.#timerAt <= at) return;
    this.#timer?.unsubscribe();
    this.#timerAt = at;
    this.#timer = this.#scheduler.schedule(() => {
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      this.#pump();
    }, delay);
  }
}
