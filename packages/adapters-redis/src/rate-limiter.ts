import { randomBytes } from 'node:crypto';
import {
  checkRateCosts,
  type Logger,
  noopLogger,
  parseRateBuckets,
  type RateBucketSpec,
  type RateBuckets,
  type RateLimiter,
  RxtradeError,
} from '@rxtrade/core';
import { z } from 'zod';
import { LuaScript, openConnection, type RedisConnection } from './connection';
import { DEFAULT_PREFIX, redisKeys } from './keys';
import { loggerSchema, parseOptions } from './options';

/** Options for {@link createRedisRateLimiter}. */
export interface RedisRateLimiterOptions {
  /**
   * Which shared limiter: every process using the same prefix and name shares its buckets, e.g.
   * `binance:acct-1` for one exchange account (its per-IP buckets under a name per egress IP).
   */
  readonly name: string;
  /** The limits, by bucket name (as for `createMemoryRateLimiter`). Give every sharer the same. */
  readonly buckets: RateBuckets;
  /** Key prefix (default `rxtrade:`). For Redis Cluster put a hash tag in it (`{desk-a}:`). */
  readonly prefix?: string;
  readonly logger?: Logger;
}

const OptionsSchema = z.object({
  name: z.string().min(1),
  buckets: z.record(z.string(), z.unknown()),
  prefix: z.string().optional(),
  logger: loggerSchema.optional(),
});

/**
 * KEYS: penalty, then per bucket its log and total. ARGV: call id, then per bucket limit, windowMs,
 * weight. Time is Redis's own (TIME), so the clocks of the machines sharing the limiter do not
 * matter. Drops each bucket's grants older than its window, then either grants from every bucket
 * (ZADD + INCRBY, both keys PEXPIRE one window) and returns 0, or grants nothing and returns the ms
 * until the penalty ends or enough old grants leave the window.
 */
const ACQUIRE = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local penalty = tonumber(redis.call('GET', KEYS[1]) or '0')
if penalty > now then return penalty - now end
local n = (#KEYS - 1) / 2
local wait = 0
for i = 1, n do
  local log, total = KEYS[2 * i], KEYS[2 * i + 1]
  local limit, window, weight = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1])
  local sum = tonumber(redis.call('GET', total) or '0')
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', log, '-inf', now - window)) do
    sum = sum - tonumber(string.match(m, ':(%d+)$'))
  end
  redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
  if sum < 0 or (sum > 0 and redis.call('EXISTS', log) == 0) then
    sum = 0
    for _, m in ipairs(redis.call('ZRANGE', log, 0, -1)) do sum = sum + tonumber(string.match(m, ':(%d+)$')) end
  end
  if sum <= 0 then
    sum = 0
    redis.call('DEL', total)
  else
    redis.call('SET', total, sum, 'KEEPTTL')
    if redis.call('PTTL', total) < 0 then redis.call('PEXPIRE', total, window) end
  end
  local excess = sum + weight - limit
  local from = 0
  while excess > 0 do
    local page = redis.call('ZRANGE', log, from, from + 63, 'WITHSCORES')
    if #page == 0 then break end
    for j = 1, #page, 2 do
      excess = excess - tonumber(string.match(page[j], ':(%d+)$'))
      if excess <= 0 then
        local w = tonumber(page[j + 1]) + window - now
        if w > wait then wait = w end
        break
      end
    end
    from = from + 64
  end
end
if wait > 0 then return wait end
for i = 1, n do
  local log, total = KEYS[2 * i], KEYS[2 * i + 1]
  local window, weight = ARGV[3 * i], ARGV[3 * i + 1]
  redis.call('ZADD', log, now, ARGV[1] .. ':' .. weight)
  redis.call('INCRBY', total, weight)
  redis.call('PEXPIRE', log, window)
  redis.call('PEXPIRE', total, window)
end
return 0
`);

/** KEYS: penalty. ARGV: ms. Sets the penalty to Redis time + ms unless one lasts longer already. */
const PENALIZE = new LuaScript(`
local t = redis.call('TIME')
local untilMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < untilMs then redis.call('SET', KEYS[1], untilMs, 'PX', ARGV[1]) end
return 0
`);

/**
 * The Redis {@link RateLimiter}: several processes and machines on one exchange account share its
 * buckets and stay together under the limits. One Lua script checks and takes from every bucket of
 * a request atomically, on Redis's clock (`TIME`); each bucket is a sliding log (sorted set of
 * grants plus their total), so at most `limit` weight is granted in any window of `windowMs`, which
 * also bounds the exchange's own fixed windows whatever their offset. `penalize` (a 429/418 and its
 * `Retry-After`) stops every sharer until it ends. Keys expire one window after their last grant.
 *
 * @example
 * const limiter = createRedisRateLimiter({ url }, {
 *   name: 'binance:acct-1',
 *   buckets: { 'ip-weight': { limit: 6_000, windowMs: 60_000 }, 'uid-orders': { limit: 100, windowMs: 10_000 } },
 * });
 * await acquireRate(limiter, { 'ip-weight': 1, 'uid-orders': 1 });
 */
export function createRedisRateLimiter(
  connection: RedisConnection,
  options: RedisRateLimiterOptions,
): RateLimiter {
  const parsed = parseOptions(OptionsSchema, options, 'RedisRateLimiter');
  const buckets = parseRateBuckets(options.buckets);
  const keys = redisKeys(parsed.prefix ?? DEFAULT_PREFIX);
  const name = parsed.name;
  const conn = openConnection(connection, {
    component: 'RedisRateLimiter',
    logger: parsed.logger ?? noopLogger,
  });
  const instance = randomBytes(6).toString('hex');
  let seq = 0;

  const asWait = (reply: unknown, operation: string): number => {
    if (typeof reply !== 'number') {
      throw new RxtradeError({
        code: 'ADAPTER_FAILURE',
        message: `RateLimiter.${operation} ${name}: unexpected reply ${JSON.stringify(reply)}`,
      });
    }
    return reply;
  };

  return {
    async tryAcquire(costs) {
      conn.ensureOpen();
      const wanted = checkRateCosts(buckets, costs);
      const callKeys = [keys.ratePenalty(name)];
      const args: Array<string | number> = [`${instance}-${++seq}`];
      for (const [bucket, weight] of wanted) {
        const spec = buckets[bucket] as RateBucketSpec;
        callKeys.push(keys.rateLog(name, bucket), keys.rateTotal(name, bucket));
        args.push(spec.limit, spec.windowMs, weight);
      }
      const reply = await conn.script(
        { operation: 'RateLimiter.tryAcquire', key: name },
        { script: ACQUIRE, keys: callKeys, args },
      );
      return asWait(reply, 'tryAcquire');
    },
    async penalize(retryAfterMs) {
      conn.ensureOpen();
      const ms = Math.ceil(retryAfterMs);
      if (!(ms > 0)) return;
      await conn.script(
        { operation: 'RateLimiter.penalize', key: name },
        { script: PENALIZE, keys: [keys.ratePenalty(name)], args: [ms] },
      );
    },
    async close() {
      await conn.close();
    },
  };
}
