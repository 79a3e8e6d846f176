import { z } from 'zod';
import { RxtradeError } from '../errors';
import { type Clock, systemClock } from './clock';

/**
 * One limit of a venue: at most `limit` units of weight in any window of `windowMs` (a sliding
 * window, so it also holds for the venue's own fixed windows whatever the offset between clocks).
 * E.g. Binance: `ip-weight` 6,000 per 60,000 ms, `uid-orders` 100 per 10,000 ms.
 */
export interface RateBucketSpec {
  readonly limit: number;
  readonly windowMs: number;
}

/** The buckets of a limiter, by name. */
export type RateBuckets = Readonly<Record<string, RateBucketSpec>>;

/** What one request takes: weight per bucket name, e.g. `{ 'ip-weight': 1, 'uid-orders': 1 }`. */
export type RateCosts = Readonly<Record<string, number>>;

/**
 * A rate limiter that may be shared by several processes (the Redis one is): requests of everyone
 * sharing it stay together under each bucket's limit. `tryAcquire` takes from all named buckets at
 * once or from none; `penalize` makes everyone sharing it wait (a 429/418 and its `Retry-After`).
 * Use {@link acquireRate} to wait for a grant.
 */
export interface RateLimiter {
  /** Takes `costs` from every bucket atomically and resolves 0, or takes nothing and resolves the ms to wait. */
  tryAcquire(costs: RateCosts): Promise<number>;
  /** No grant to anyone sharing this limiter for `retryAfterMs` (extends, never shortens, a penalty). */
  penalize(retryAfterMs: number): Promise<void>;
  close(): Promise<void>;
}

const BucketsSchema = z
  .record(
    z.string().min(1),
    z.strictObject({
      limit: z.number().int().positive(),
      windowMs: z.number().int().positive(),
    }),
  )
  .refine((b) => Object.keys(b).length > 0, 'at least one bucket');

/** Validates bucket specs (zod), throwing `INVALID_CONFIG`. For implementations of {@link RateLimiter}. */
export function parseRateBuckets(buckets: RateBuckets): RateBuckets {
  const parsed = BucketsSchema.safeParse(buckets);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `invalid rate buckets: ${z.prettifyError(parsed.error)}`,
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/**
 * Checks `costs` against `buckets` and returns them as `[name, weight]` pairs (zero weights dropped):
 * `INVALID_ARGUMENT` for an unknown bucket, a weight that is not a non-negative integer, or a weight
 * larger than the bucket's limit (it could never be granted).
 */
export function checkRateCosts(buckets: RateBuckets, costs: RateCosts): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const [name, weight] of Object.entries(costs)) {
    const spec = buckets[name];
    if (!spec) throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: `unknown rate bucket "${name}"` });
    if (!(Number.isInteger(weight) && weight >= 0) || weight > spec.limit) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: `weight ${weight} for bucket "${name}" must be an integer in [0, ${spec.limit}]`,
      });
    }
    if (weight > 0) out.push([name, weight]);
  }
  return out;
}

/** Options of {@link acquireRate}. */
export interface AcquireRateOptions {
  /** Longest to wait for a grant before refusing with `RATE_LIMITED`. Default 30,000 ms. */
  readonly maxWaitMs?: number;
  readonly signal?: AbortSignal;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `limiter` grants `costs` (retrying after the delay it answers). A request that would
 * wait past `maxWaitMs` is refused with `ADAPTER_FAILURE`, `details.reason` `RATE_LIMITED` and
 * `outcome` `NOT_SENT`: nothing was taken and nothing was sent.
 *
 * @example
 * await acquireRate(limiter, { 'ip-weight': 1, 'uid-orders': 1 });
 */
export async function acquireRate(
  limiter: RateLimiter,
  costs: RateCosts,
  options: AcquireRateOptions = {},
): Promise<void> {
  const maxWaitMs = options.maxWaitMs ?? 30_000;
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const wait = await limiter.tryAcquire(costs);
    if (wait <= 0) return;
    if (Date.now() + wait > deadline) {
      throw new RxtradeError({
        code: 'ADAPTER_FAILURE',
        message: `RATE_LIMITED: would wait ${wait} ms, past maxWaitMs ${maxWaitMs}`,
        details: { reason: 'RATE_LIMITED', outcome: 'NOT_SENT', waitMs: wait },
      });
    }
    await sleep(wait);
  }
}

/** Options of {@link createMemoryRateLimiter}. */
export interface MemoryRateLimiterOptions {
  readonly buckets: RateBuckets;
  /** Default the system clock; tests pass a {@link ManualClock}. */
  readonly clock?: Clock;
}

interface Grant {
  readonly at: number;
  readonly weight: number;
}

/**
 * The in-process {@link RateLimiter}: a sliding log per bucket (each grant with its time and weight),
 * the same algorithm as the Redis limiter. For one process; several processes on one account share
 * `createRedisRateLimiter` from `@rxtrade/redis`.
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions): RateLimiter {
  const buckets = parseRateBuckets(options.buckets);
  const clock = options.clock ?? systemClock;
  const logs = new Map<string, { grants: Grant[]; head: number; total: number }>();
  for (const name of Object.keys(buckets)) logs.set(name, { grants: [], head: 0, total: 0 });
  let penaltyUntil = 0;
  let closed = false;

  const ensureOpen = (): void => {
    if (closed) throw new RxtradeError({ code: 'CLOSED', message: 'rate limiter closed' });
  };

  return {
    async tryAcquire(costs) {
      ensureOpen();
      const wanted = checkRateCosts(buckets, costs);
      const now = clock.now();
      if (penaltyUntil > now) return penaltyUntil - now;
      let wait = 0;
      for (const [name, weight] of wanted) {
        const spec = buckets[name] as RateBucketSpec;
        const log = logs.get(name) as { grants: Grant[]; head: number; total: number };
        while (log.head < log.grants.length && (log.grants[log.head] as Grant).at <= now - spec.windowMs) {
          log.total -= (log.grants[log.head] as Grant).weight;
          log.head++;
        }
        if (log.head > 1024 && log.head * 2 > log.grants.length) {
          log.grants = log.grants.slice(log.head);
          log.head = 0;
        }
        let excess = log.total + weight - spec.limit;
        for (let i = log.head; excess > 0 && i < log.grants.length; i++) {
          const grant = log.grants[i] as Grant;
          excess -= grant.weight;
          if (excess <= 0) wait = Math.max(wait, grant.at + spec.windowMs - now);
        }
      }
      if (wait > 0) return wait;
      for (const [name, weight] of wanted) {
        const log = logs.get(name) as { grants: Grant[]; head: number; total: number };
        log.grants.push({ at: now, weight });
        log.total += weight;
      }
      return 0;
    },
    async penalize(retryAfterMs) {
      ensureOpen();
      if (retryAfterMs > 0) penaltyUntil = Math.max(penaltyUntil, clock.now() + retryAfterMs);
    },
    async close() {
      closed = true;
    },
  };
}
