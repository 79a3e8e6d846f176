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
 * bucket correctly. Tokens are kept as a string to keep fractions; the reply is integers only
 * (Lua numbers are truncated to integers in replies).
 */
export const TOKEN_BUCKET_LUA = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
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
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.ceil((1 - tokens) / rate)
  if retry < 1 then retry = 1 end
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], ttl)
return { allowed, math.floor(tokens), retry }
`;

const TOKEN_BUCKET_SHA = createHash('sha1').update(TOKEN_BUCKET_LUA).digest('hex');

/** Options of {@link createRedisRateLimiter}. */
export interface RedisRateLimiterOptions extends TokenBucketOptions {
  readonly client: Redis;
  /** Key prefix, e.g. per deployment or per test run. Default `rxtrade:gateway:`. Buckets at `<prefix>rl:<key>`. */
  readonly prefix?: string;
  /**
   * Used when Redis fails (down, timeout): the gateway keeps serving with a per-replica limit
   * instead of failing every request or dropping the limit. Default: an in-memory bucket with the
   * same parameters. `onFallback` is told each time.
   */
  readonly insurance?: RateLimiter;
  readonly onFallback?: (error: unknown) => void;
}

/**
 * A token bucket per key held in Redis by one Lua script (atomic: no race between replicas), so the
 * limit holds across every gateway replica sharing that Redis.
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  checkOptions(options);
  const { client, capacity, refillPerSecond } = options;
  const prefix = options.prefix ?? 'rxtrade:gateway:';
  const rate = refillPerSecond / 1_000;
  const ttl = Math.ceil((capacity / rate) * 2) + 1_000;
  const insurance = options.insurance ?? createMemoryRateLimiter({ capacity, refillPerSecond });
  const run = async (key: string): Promise<[number, number, number]> => {
    const args = [1, `${prefix}rl:${key}`, capacity, rate, ttl] as const;
    try {
      return (await client.evalsha(TOKEN_BUCKET_SHA, ...args)) as [number, number, number];
    } catch (error) {
      if (!(error instanceof Error && error.message.includes('NOSCRIPT'))) throw error;
      return (await client.eval(TOKEN_BUCKET_LUA, ...args)) as [number, number, number];
    }
  };
  return {
    capacity,
    async consume(key) {
      try {
        const [allowed, remaining, retry] = await run(key);
        return { allowed: allowed === 1, remaining, retryAfterMs: allowed === 1 ? 0 : retry };
      } catch (error) {
        options.onFallback?.(error);
        return insurance.consume(key);
      }
    },
  };
}
