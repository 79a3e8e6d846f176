import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Outcome of one request against a key's bucket. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Whole tokens left after this request. */
  readonly remaining: number;
  /** When refused: milliseconds until one token is back (≥ 1). 0 when allowed. */
  readonly retryAfterMs: number;
}

/** A per-key limiter. Implementations: {@link createMemoryRateLimiter}, {@link createRedisRateLimiter}. */
export interface RateLimiter {
  /** Bucket size: the burst a key may send at once. */
  readonly capacity: number;
  /** Takes one token from `key`'s bucket if there is one. */
  consume(key: string): Promise<RateLimitDecision>;
}

/** Token bucket parameters. */
export interface TokenBucketOptions {
  /** Burst size. */
  readonly capacity: number;
  /** Sustained rate. */
  readonly refillPerSecond: number;
}

function checkOptions(options: TokenBucketOptions): void {
  if (!(Number.isInteger(options.capacity) && options.capacity >= 1)) {
    throw new RangeError('rate limit capacity must be an integer ≥ 1');
  }
  if (!(Number.isFinite(options.refillPerSecond) && options.refillPerSecond > 0)) {
    throw new RangeError('rate limit refillPerSecond must be > 0');
  }
}

/**
 * An in-process token bucket per key. Holds only within one process: use it for tests and a single
 * replica; behind a load balancer use {@link createRedisRateLimiter}. `now` is injectable for tests.
 */
export function createMemoryRateLimiter(
  options: TokenBucketOptions & { readonly now?: () => number; readonly maxKeys?: number },
): RateLimiter {
  checkOptions(options);
  const { capacity, refillPerSecond } = options;
  const rate = refillPerSecond / 1_000;
  const now = options.now ?? (() => performance.timeOrigin + performance.now());
  const maxKeys = options.maxKeys ?? 100_000;
  const buckets = new Map<string, { tokens: number; ts: number }>();
  return {
    capacity,
    async consume(key) {
      const t = now();
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string);
        bucket = { tokens: capacity, ts: t };
        buckets.set(key, bucket);
      }
      bucket.tokens = Math.min(capacity, bucket.tokens + Math.max(0, t - bucket.ts) * rate);
      bucket.ts = t;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterMs: 0 };
      }
      return {
        allowed: false,
        remaining: 0,
        retryAfterMs: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)),
      };
    },
  };
}

/**
 * Atomic token bucket. Time is Redis's own (`TIME`), so replicas with skewed clocks share one
 * bucket correctly. Takes up to `ARGV[4]` tokens at once (a lease; 1 when absent) and answers how
 * many it gave. Tokens are kept as a string to keep fractions; the reply is integers only (Lua
 * numbers are truncated to integers in replies).
 */
export const TOKEN_BUCKET_LUA = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local want = tonumber(ARGV[4] or '1')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(data[1])
local ts = tonumber(data[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
local elapsed = now - ts
if elapsed < 0 then elapsed = 0 end
tokens = math.min(capacity, tokens + elapsed * rate)
local granted = math.min(want, math.floor(tokens))
local retry = 0
if granted >= 1 then
  tokens = tokens - granted
else
  granted = 0
  retry = math.ceil((1 - tokens) / rate)
  if retry < 1 then retry = 1 end
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], ttl)
return { granted, math.floor(tokens), retry }
`;

const TOKEN_BUCKET_SHA = createHash('sha1').update(TOKEN_BUCKET_LUA).digest('hex');

/** Options of {@link createRedisRateLimiter}. */
export interface RedisRateLimiterOptions extends TokenBucketOptions {
  readonly client: Redis;
  /** Key prefix, e.g. per deployment or per test run. Default `rxtrade:gateway:`. Buckets at `<prefix>rl:<key>`. */
  readonly prefix?: string;
  /**
   * Most tokens a replica takes from a key's bucket in one round trip. Default 64, and never more
   * than a tenth of `capacity` (so 1, a round trip per request, for buckets under 20). A key starts
   * at 1 and doubles its lease while it uses each one up within `leaseMs`.
   */
  readonly maxLease?: number;
  /** Leased tokens not used within this long are dropped, never handed back. Default 1 s. */
  readonly leaseMs?: number;
  /**
   * Used when Redis fails (down, timeout): the gateway keeps serving with a per-replica limit
   * instead of failing every request or dropping the limit. Default: an in-memory bucket with the
   * same parameters. `onFallback` is told each time.
   */
  readonly insurance?: RateLimiter;
  readonly onFallback?: (error: unknown) => void;
  /** Monotonic milliseconds for leases and refusals. Default `performance.now`; injectable for tests. */
  readonly now?: () => number;
  /** Most keys with a lease held at once (least recently leased dropped). Default 100,000. */
  readonly maxKeys?: number;
}

/** A replica's share of one key's bucket. */
interface Lease {
  /** Tokens taken from Redis and not yet used. */
  tokens: number;
  /** When `tokens` lapse. */
  expires: number;
  /** Tokens asked for next time. */
  size: number;
  /** When the last lease came back. */
  leasedAt: number;
  /** Redis's whole tokens left after the last lease. */
  remaining: number;
  /** Refused until then without asking Redis (an empty bucket only refills with time). */
  refusedUntil: number;
  pending: Promise<void> | undefined;
}

/**
 * A token bucket per key held in Redis by one Lua script (atomic: no race between replicas), so the
 * limit holds across every gateway replica sharing that Redis.
 *
 * A busy key does not cost a round trip per request: the replica leases several tokens at once (see
 * `maxLease`), serves requests from them and leases the next ones in the background before they run
 * out. Every request let through used a token the shared bucket gave, so the replicas together never
 * exceed it over time; a lease may let a replica use tokens taken up to `leaseMs` earlier, and a
 * replica holding leased tokens may leave another one refused slightly early. A refusal is remembered
 * until its `Retry-After` (the bucket cannot refill sooner), so a client hammering an empty bucket
 * costs no Redis traffic.
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  checkOptions(options);
  const { client, capacity, refillPerSecond } = options;
  const prefix = options.prefix ?? 'rxtrade:gateway:';
  const rate = refillPerSecond / 1_000;
  const ttl = Math.ceil((capacity / rate) * 2) + 1_000;
  const maxLease = Math.max(1, Math.min(options.maxLease ?? 64, Math.floor(capacity / 10)));
  const leaseMs = options.leaseMs ?? 1_000;
  const maxKeys = options.maxKeys ?? 100_000;
  const now = options.now ?? (() => performance.now());
  const insurance = options.insurance ?? createMemoryRateLimiter({ capacity, refillPerSecond });
  const leases = new Map<string, Lease>();

  const run = async (key: string, want: number): Promise<[number, number, number]> => {
    const args = [1, `${prefix}rl:${key}`, capacity, rate, ttl, want] as const;
    try {
      return (await client.evalsha(TOKEN_BUCKET_SHA, ...args)) as [number, number, number];
    } catch (error) {
      if (!(error instanceof Error && error.message.includes('NOSCRIPT'))) throw error;
      return (await client.eval(TOKEN_BUCKET_LUA, ...args)) as [number, number, number];
    }
  };

  /** Takes `lease.size` tokens (fewer if the bucket has fewer) and adds them to the lease. */
  const refill = (key: string, lease: Lease): Promise<void> =>
    (lease.pending ??= (async () => {
      try {
        const [granted, remaining, retry] = await run(key, lease.size);
        const t = now();
        if (granted > 0) {
          // Used up within leaseMs: this key is busy, ask for more next time.
          if (lease.tokens < 1 && t - lease.leasedAt < leaseMs)
            lease.size = Math.min(maxLease, lease.size * 2);
          lease.tokens = (t < lease.expires ? lease.tokens : 0) + granted;
          lease.expires = t + leaseMs;
          lease.leasedAt = t;
        } else {
          lease.refusedUntil = t + retry;
        }
        lease.remaining = remaining;
      } finally {
        lease.pending = undefined;
      }
    })());

  const leaseOf = (key: string): Lease => {
    let lease = leases.get(key);
    if (lease === undefined) {
      if (leases.size >= maxKeys) leases.delete(leases.keys().next().value as string);
      lease = {
        tokens: 0,
        expires: 0,
        size: 1,
        leasedAt: Number.NEGATIVE_INFINITY,
        remaining: 0,
        refusedUntil: 0,
        pending: undefined,
      };
      leases.set(key, lease);
    }
    return lease;
  };

  const consume = async (key: string): Promise<RateLimitDecision> => {
    const lease = leaseOf(key);
    for (;;) {
      const t = now();
      if (lease.tokens >= 1 && t < lease.expires) {
        lease.tokens -= 1;
        // Lease the next tokens before these run out, so a busy key rarely waits for Redis.
        if (lease.size > 1 && lease.tokens < lease.size / 2) refill(key, lease).catch(() => {});
        return { allowed: true, remaining: lease.remaining + Math.floor(lease.tokens), retryAfterMs: 0 };
      }
      if (lease.tokens > 0) {
        lease.tokens = 0; // lapsed: this key is quieter than its lease
        lease.size = Math.max(1, Math.ceil(lease.size / 2));
      }
      if (t < lease.refusedUntil) {
        return { allowed: false, remaining: 0, retryAfterMs: Math.max(1, Math.ceil(lease.refusedUntil - t)) };
      }
      // Every pass either gets tokens from Redis (shared out in arrival order: the request that asked
      // comes first) or learns the bucket is empty until `refusedUntil`.
      await refill(key, lease);
    }
  };

  return {
    capacity,
    async consume(key) {
      try {
        return await consume(key);
      } catch (error) {
        options.onFallback?.(error);
        return insurance.consume(key);
      }
    },
  };
}
