import { randomBytes } from 'node:crypto';
import {
  checkRateCosts,
  DEFAULT_FLIGHT_TTL_MS,
  FLIGHT_POLL_MS,
  type Logger,
  newFlightId,
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
  /** Longest a flight counts before it ends by itself (its process died). Default {@link DEFAULT_FLIGHT_TTL_MS}. */
  readonly flightTtlMs?: number;
  /** Key prefix (default `rxtrade:`). For Redis Cluster put a hash tag in it (`{desk-a}:`). */
  readonly prefix?: string;
  readonly logger?: Logger;
}

const OptionsSchema = z.object({
  name: z.string().min(1),
  buckets: z.record(z.string(), z.unknown()),
  flightTtlMs: z.number().int().positive().optional(),
  prefix: z.string().optional(),
  logger: loggerSchema.optional(),
});

/**
 * KEYS: penalty, then per bucket its log and total. ARGV: member, flight ttl (0: no flight), then per
 * bucket limit, windowMs, weight. Time is Redis's own (TIME), so the clocks of the machines sharing
 * the limiter do not matter. Drops each bucket's grants older than its window, then either grants
 * from every bucket and returns 0, or grants nothing and returns the ms until the penalty ends or
 * enough old grants leave the window (FLIGHT_POLL_MS when only flights stand in the way). A grant is
 * a log member scored with its time; a flight is scored at its end (now + ttl), later than every
 * grant, until LAND scores it with the landing time. Keys expire once nothing in them counts.
 */
const ACQUIRE = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local penalty = tonumber(redis.call('GET', KEYS[1]) or '0')
if penalty > now then return penalty - now end
local ttl = tonumber(ARGV[2])
local n = (#KEYS - 1) / 2
local wait = 0
for i = 1, n do
  local log, total = KEYS[2 * i], KEYS[2 * i + 1]
  local limit, window, weight = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
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
        local at = tonumber(page[j + 1])
        local w = ${FLIGHT_POLL_MS}
        if at <= now then w = at + window - now end
        if w > wait then wait = w end
        break
      end
    end
    from = from + 64
  end
end
if wait > 0 then return wait end
local score = now
if ttl > 0 then score = now + ttl end
for i = 1, n do
  local log, total = KEYS[2 * i], KEYS[2 * i + 1]
  local window, weight = tonumber(ARGV[3 * i + 1]), ARGV[3 * i + 2]
  redis.call('ZADD', log, score, ARGV[1] .. ':' .. weight)
  redis.call('INCRBY', total, weight)
  local keep = score - now + window
  if redis.call('PTTL', log) < keep then redis.call('PEXPIRE', log, keep) end
  if redis.call('PTTL', total) < keep then redis.call('PEXPIRE', total, keep) end
end
return 0
`);

/**
 * KEYS: per bucket its log and total. ARGV: per bucket the flight's member and windowMs. Scores each
 * member still in the log with Redis time (now); keys live at least one window more.
 */
const LAND = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS / 2 do
  local log, total = KEYS[2 * i - 1], KEYS[2 * i]
  local member, window = ARGV[2 * i - 1], tonumber(ARGV[2 * i])
  if redis.call('ZADD', log, 'XX', 'CH', now, member) == 1 then
    if redis.call('PTTL', log) < window then redis.call('PEXPIRE', log, window) end
    if redis.call('PTTL', total) < window then redis.call('PEXPIRE', total, window) end
  end
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
 * also bounds the exchange's own fixed windows whatever their offset. A flight (`withRate`) counts
 * until its handle lands it, or `flightTtlMs` if its process died. `penalize` (a 429/418 and its
 * `Retry-After`) stops every sharer until it ends. Keys expire once none of their grants counts.
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
  const flightTtlMs = parsed.flightTtlMs ?? DEFAULT_FLIGHT_TTL_MS;
  /** This handle's flights: the log members to land, with their buckets' keys and windows. */
  const flights = new Map<string, Array<string | number>>();
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
    async tryAcquire(costs, acquire) {
      conn.ensureOpen();
      const wanted = checkRateCosts(buckets, costs);
      const flightId = newFlightId(flights, acquire);
      const member = `${instance}-${++seq}`;
      const callKeys = [keys.ratePenalty(name)];
      const args: Array<string | number> = [member, flightId === undefined ? 0 : flightTtlMs];
      const landing: Array<string | number> = [];
      for (const [bucket, weight] of wanted) {
        const spec = buckets[bucket] as RateBucketSpec;
        callKeys.push(keys.rateLog(name, bucket), keys.rateTotal(name, bucket));
        args.push(spec.limit, spec.windowMs, weight);
        landing.push(
          keys.rateLog(name, bucket),
          keys.rateTotal(name, bucket),
          `${member}:${weight}`,
          spec.windowMs,
        );
      }
      const reply = await conn.script(
        { operation: 'RateLimiter.tryAcquire', key: name },
        { script: ACQUIRE, keys: callKeys, args },
      );
      const wait = asWait(reply, 'tryAcquire');
      if (wait === 0 && flightId !== undefined && landing.length > 0) flights.set(flightId, landing);
      return wait;
    },
    async land(flightId) {
      conn.ensureOpen();
      const landing = flights.get(flightId);
      if (!landing) return;
      flights.delete(flightId);
      const landKeys: string[] = [];
      const args: Array<string | number> = [];
      for (let i = 0; i < landing.length; i += 4) {
        landKeys.push(String(landing[i]), String(landing[i + 1]));
        args.push(landing[i + 2] as string, landing[i + 3] as number);
      }
      await conn.script({ operation: 'RateLimiter.land', key: name }, { script: LAND, keys: landKeys, args });
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
