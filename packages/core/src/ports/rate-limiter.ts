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

/** Options of {@link RateLimiter.tryAcquire}. */
export interface RateAcquireOptions {
  /**
   * Grant *in flight*: it counts in every window from now until {@link RateLimiter.land} dates it at
   * the moment the venue has surely seen the request (its answer came back), so a request that takes
   * long to get there cannot land in the same venue window as requests granted a window later. Unique
   * among the handle's flights; land it on the same handle. {@link withRate} does both for a call.
   */
  readonly flightId?: string;
}

/**
 * A rate limiter that may be shared by several processes (the Redis one is): requests of everyone
 * sharing it stay together under each bucket's limit. `tryAcquire` takes from all named buckets at
 * once or from none; `penalize` makes everyone sharing it wait (a 429/418 and its `Retry-After`).
 * Use {@link withRate} around a venue call (or {@link acquireRate} to just wait for a grant).
 */
export interface RateLimiter {
  /** Takes `costs` from every bucket atomically and resolves 0, or takes nothing and resolves the ms to wait. */
  tryAcquire(costs: RateCosts, options?: RateAcquireOptions): Promise<number>;
  /**
   * Ends a flight ({@link RateAcquireOptions.flightId}): its grant counts from now for one window, like
   * a grant made now. An unknown or landed flight: nothing. A flight never landed (its caller died)
   * ends by itself after the limiter's `flightTtlMs`.
   */
  land(flightId: string): Promise<void>;
  /** No grant to anyone sharing this limiter for `retryAfterMs` (extends, never shortens, a penalty). */
  penalize(retryAfterMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Default longest a flight counts before it ends by itself (a caller that died mid-request): 60 s. */
export const DEFAULT_FLIGHT_TTL_MS = 60_000;

/**
 * What a limiter answers when only flights (not yet landed) stand in the way: ask again this much
 * later, since nobody knows when they land.
 */
export const FLIGHT_POLL_MS = 20;

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

/**
 * The flight id of a {@link RateLimiter.tryAcquire} call, if any, refusing one the handle has in
 * flight already (`INVALID_ARGUMENT`: a second grant under it would be landed with the first). For
 * implementations of {@link RateLimiter}.
 */
export function newFlightId(
  inFlight: { has(flightId: string): boolean },
  options: RateAcquireOptions | undefined,
): string | undefined {
  const flightId = options?.flightId;
  if (flightId !== undefined && inFlight.has(flightId)) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `flight "${flightId}" is in flight already`,
    });
  }
  return flightId;
}

/** Options of {@link acquireRate} and {@link withRate}. */
export interface AcquireRateOptions {
  /** Longest to wait for a grant before refusing with `RATE_LIMITED`. Default 30,000 ms. */
  readonly maxWaitMs?: number;
  readonly signal?: AbortSignal;
  /** The grant is in flight until landed (see {@link RateAcquireOptions.flightId}). */
  readonly flightId?: string;
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
  const flight = options.flightId === undefined ? undefined : { flightId: options.flightId };
  for (;;) {
    options.signal?.throwIfAborted();
    const wait = await limiter.tryAcquire(costs, flight);
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

let flights = 0;

/** What {@link withRate} takes, and how long it waits. */
export interface WithRateOptions extends Omit<AcquireRateOptions, 'flightId'> {
  readonly costs: RateCosts;
}

/**
 * Runs `call` (one request to the venue) under `limiter`: waits for a grant of `costs`, held in
 * flight while the call runs and landed when it settles, so the grant counts in the venue window the
 * request reached whatever the network delay. Refused like {@link acquireRate} (`call` never runs).
 *
 * @example
 * const placed = await withRate(limiter, { costs: { 'ip-weight': 1, 'uid-orders': 1 } }, () => venue.place(o));
 */
export async function withRate<T>(
  limiter: RateLimiter,
  options: WithRateOptions,
  call: () => Promise<T>,
): Promise<T> {
  const flightId = `flight-${++flights}`;
  const { costs, ...wait } = options;
  await acquireRate(limiter, costs, { ...wait, flightId });
  try {
    return await call();
  } finally {
    // A limiter that cannot land it now (Redis away) ends the flight after its flightTtlMs; the
    // call's own outcome must not be lost to that.
    await limiter.land(flightId).catch(() => undefined);
  }
}

/** Options of {@link createMemoryRateLimiter}. */
export interface MemoryRateLimiterOptions {
  readonly buckets: RateBuckets;
  /** Longest a flight counts before it ends by itself. Default {@link DEFAULT_FLIGHT_TTL_MS}. */
  readonly flightTtlMs?: number;
  /** Default the system clock; tests pass a {@link ManualClock}. */
  readonly clock?: Clock;
}

interface Grant {
  readonly at: number;
  readonly weight: number;
}

interface Bucket {
  readonly spec: RateBucketSpec;
  /** Settled grants by time (landed flights at their landing). */
  grants: Grant[];
  head: number;
  /** Weight of the settled grants in the window. */
  total: number;
  /** Weight of the flights not yet landed. */
  flying: number;
}

interface Flight {
  readonly until: number;
  readonly costs: Array<[Bucket, number]>;
}

/**
 * The in-process {@link RateLimiter}: a sliding log per bucket (each grant with its time and weight),
 * the same algorithm as the Redis limiter; a flight counts until landed. For one process; several
 * processes on one account share `createRedisRateLimiter` from `@rxtrade/redis`.
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions): RateLimiter {
  const specs = parseRateBuckets(options.buckets);
  const clock = options.clock ?? systemClock;
  const flightTtlMs = options.flightTtlMs ?? DEFAULT_FLIGHT_TTL_MS;
  if (!(Number.isInteger(flightTtlMs) && flightTtlMs > 0)) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `flightTtlMs must be a positive integer, got ${flightTtlMs}`,
    });
  }
  const buckets = new Map<string, Bucket>();
  for (const [name, spec] of Object.entries(specs)) {
    buckets.set(name, { spec, grants: [], head: 0, total: 0, flying: 0 });
  }
  /** In grant order, so in order of `until`. */
  const flying = new Map<string, Flight>();
  let penaltyUntil = 0;
  let closed = false;

  const ensureOpen = (): void => {
    if (closed) throw new RxtradeError({ code: 'CLOSED', message: 'rate limiter closed' });
  };
  /** Makes a flight a grant at `at`, kept in time order (an expired flight ends before later grants). */
  const settle = (flight: Flight, at: number): void => {
    for (const [bucket, weight] of flight.costs) {
      bucket.flying -= weight;
      let i = bucket.grants.length;
      while (i > bucket.head && (bucket.grants[i - 1] as Grant).at > at) i--;
      bucket.grants.splice(i, 0, { at, weight });
      bucket.total += weight;
    }
  };
  const expireFlights = (now: number): void => {
    for (const [id, flight] of flying) {
      if (flight.until > now) break;
      flying.delete(id);
      settle(flight, flight.until);
    }
  };
  /** Drops grants that left the window; answers the ms until `weight` fits (0: now). */
  const waitFor = (bucket: Bucket, weight: number, now: number): number => {
    const { spec } = bucket;
    while (
      bucket.head < bucket.grants.length &&
      (bucket.grants[bucket.head] as Grant).at <= now - spec.windowMs
    ) {
      bucket.total -= (bucket.grants[bucket.head] as Grant).weight;
      bucket.head++;
    }
    if (bucket.head > 1024 && bucket.head * 2 > bucket.grants.length) {
      bucket.grants = bucket.grants.slice(bucket.head);
      bucket.head = 0;
    }
    let excess = bucket.total + bucket.flying + weight - spec.limit;
    if (excess <= 0) return 0;
    for (let i = bucket.head; i < bucket.grants.length; i++) {
      const grant = bucket.grants[i] as Grant;
      excess -= grant.weight;
      if (excess <= 0) return grant.at + spec.windowMs - now;
    }
    return FLIGHT_POLL_MS; // only flights in the way
  };

  return {
    async tryAcquire(costs, acquire) {
      ensureOpen();
      const wanted = checkRateCosts(specs, costs);
      const flightId = newFlightId(flying, acquire);
      const now = clock.now();
      if (penaltyUntil > now) return penaltyUntil - now;
      expireFlights(now);
      let wait = 0;
      const taken: Array<[Bucket, number]> = [];
      for (const [name, weight] of wanted) {
        const bucket = buckets.get(name) as Bucket;
        wait = Math.max(wait, waitFor(bucket, weight, now));
        taken.push([bucket, weight]);
      }
      if (wait > 0) return wait;
      if (flightId === undefined) {
        for (const [bucket, weight] of taken) {
          bucket.grants.push({ at: now, weight });
          bucket.total += weight;
        }
      } else {
        for (const [bucket, weight] of taken) bucket.flying += weight;
        flying.set(flightId, { until: now + flightTtlMs, costs: taken });
      }
      return 0;
    },
    async land(flightId) {
      ensureOpen();
      const flight = flying.get(flightId);
      if (!flight) return;
      flying.delete(flightId);
      settle(flight, clock.now());
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
