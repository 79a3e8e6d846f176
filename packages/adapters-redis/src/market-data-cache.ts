import {
  type Bar,
  BarSchema,
  type Logger,
  noopLogger,
  RxtradeError,
  type Tick,
  TickSchema,
} from '@rxtrade/core';
import { z } from 'zod';
import { LuaScript, openConnection, type RedisConnection } from './connection';
import { DEFAULT_PREFIX, redisKeys } from './keys';
import { loggerSchema, parseOptions } from './options';

/** Options for {@link createRedisMarketDataCache}. */
export interface RedisMarketDataCacheOptions {
  readonly prefix?: string;
  /** Bars kept per symbol; older ones are trimmed on every push. Default 1,000. */
  readonly maxBars?: number;
  readonly logger?: Logger;
}

/** What {@link RedisMarketDataCache.pushBar} did. */
export type PushBarResult = 'appended' | 'replaced' | 'stale';

/**
 * The last N bars and the latest quote per symbol, shared by every process on the same Redis (a data
 * service writes, strategy replicas read). Memory is bounded: `maxBars` bars plus one quote per symbol.
 * Everything read back is validated; an entry that does not parse is `CORRUPT_STATE` naming the key.
 */
export interface RedisMarketDataCache {
  /**
   * Appends a bar. A bar with the same `ts` as the newest one replaces it (a bar still forming);
   * an older bar changes nothing and returns `'stale'` (out-of-order delivery).
   */
  pushBar(bar: Bar): Promise<PushBarResult>;
  /** The newest `limit` bars (default: all kept), oldest first. */
  bars(symbol: string, limit?: number): Promise<Bar[]>;
  /** Stores the latest quote unless a newer one is already there (`'stale'`). */
  setQuote(tick: Tick): Promise<'updated' | 'stale'>;
  quote(symbol: string): Promise<Tick | undefined>;
  /** Idempotent. Later calls reject with `CLOSED`. */
  close(): Promise<void>;
}

const OptionsSchema = z.object({
  prefix: z.string().optional(),
  maxBars: z.number().int().positive().max(1_000_000).optional(),
  logger: loggerSchema.optional(),
});

const corrupt = (reason: string): string =>
  `return redis.error_reply('RXT_CORRUPT ' .. cjson.encode({key = KEYS[1], reason = ${reason}}))`;

/**
 * KEYS: bars list. ARGV: bar JSON, ts, maxBars. Compares with the newest bar's ts, then appends and
 * trims (LTRIM) in one step, so the list never holds more than maxBars.
 */
const PUSH_BAR = new LuaScript(`
local t = redis.call('TYPE', KEYS[1])['ok']
if t ~= 'list' and t ~= 'none' then ${corrupt("'is a ' .. t .. ', not a list'")} end
local last = redis.call('LINDEX', KEYS[1], -1)
if last then
  local ok, bar = pcall(cjson.decode, last)
  if not ok or type(bar) ~= 'table' or type(bar.ts) ~= 'number' then ${corrupt("'newest bar does not parse'")} end
  local ts = tonumber(ARGV[2])
  if ts < bar.ts then return 'stale' end
  if ts == bar.ts then
    redis.call('LSET', KEYS[1], -1, ARGV[1])
    return 'replaced'
  end
end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1)
return 'appended'
`);

/** KEYS: quote. ARGV: tick JSON, ts. Keeps the newest quote by ts. */
const SET_QUOTE = new LuaScript(`
local t = redis.call('TYPE', KEYS[1])['ok']
if t ~= 'string' and t ~= 'none' then ${corrupt("'is a ' .. t .. ', not a string'")} end
local current = redis.call('GET', KEYS[1])
if current then
  local ok, tick = pcall(cjson.decode, current)
  if ok and type(tick) == 'table' and type(tick.ts) == 'number' and tick.ts > tonumber(ARGV[2]) then
    return 'stale'
  end
end
redis.call('SET', KEYS[1], ARGV[1])
return 'updated'
`);

function parseStored<T>(
  schema: z.ZodType<T>,
  raw: string,
  where: { key: string; redisKey: string; index?: number },
): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new RxtradeError({
      code: 'CORRUPT_STATE',
      message: `market-data cache: ${where.redisKey}${where.index === undefined ? '' : `[${where.index}]`} is not JSON`,
      cause: error,
      details: where,
    });
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw new RxtradeError({
      code: 'CORRUPT_STATE',
      message: `market-data cache: ${where.redisKey}${where.index === undefined ? '' : `[${where.index}]`} does not parse: ${z.prettifyError(result.error)}`,
      cause: result.error,
      details: where,
    });
  }
  return result.data;
}

function validInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `${what}: ${z.prettifyError(result.error)}`,
      cause: result.error,
    });
  }
  return result.data;
}

const assertSymbol = (symbol: unknown): void => {
  if (typeof symbol !== 'string' || symbol.length === 0) {
    throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: 'symbol must be a non-empty string' });
  }
};

/**
 * Creates a {@link RedisMarketDataCache}: bars in a capped list `<prefix>md:bars:<symbol>` (JSON, oldest
 * first), the quote in `<prefix>md:quote:<symbol>` (JSON). A list rather than a stream: readers want
 * "the last N", not consumer-group delivery, and LTRIM keeps the cap exact.
 */
export function createRedisMarketDataCache(
  connection: RedisConnection,
  options: RedisMarketDataCacheOptions = {},
): RedisMarketDataCache {
  const parsed = parseOptions(OptionsSchema, options, 'RedisMarketDataCache');
  const keys = redisKeys(parsed.prefix ?? DEFAULT_PREFIX);
  const maxBars = parsed.maxBars ?? 1_000;
  const conn = openConnection(connection, {
    component: 'RedisMarketDataCache',
    logger: parsed.logger ?? noopLogger,
  });

  return {
    async pushBar(bar) {
      conn.ensureOpen();
      const valid = validInput(BarSchema, bar, 'pushBar');
      const redisKey = keys.bars(valid.symbol);
      const reply = await conn.script(
        { operation: 'MarketDataCache.pushBar', key: redisKey },
        {
          script: PUSH_BAR,
          keys: [redisKey],
          args: [JSON.stringify(valid), valid.ts, maxBars],
        },
      );
      return reply as PushBarResult;
    },

    async bars(symbol, limit = maxBars) {
      conn.ensureOpen();
      assertSymbol(symbol);
      if (!(Number.isInteger(limit) && limit > 0)) {
        throw new RxtradeError({
          code: 'INVALID_ARGUMENT',
          message: `limit must be a positive integer, got ${limit}`,
        });
      }
      const redisKey = keys.bars(symbol);
      const raw = await conn.send<string[]>({ operation: 'MarketDataCache.bars', key: redisKey }, (p) =>
        p.lrange(redisKey, -limit, -1),
      );
      return raw.map((entry, index) => parseStored(BarSchema, entry, { key: symbol, redisKey, index }));
    },

    async setQuote(tick) {
      conn.ensureOpen();
      const valid = validInput(TickSchema, tick, 'setQuote');
      const redisKey = keys.quote(valid.symbol);
      const reply = await conn.script(
        { operation: 'MarketDataCache.setQuote', key: redisKey },
        {
          script: SET_QUOTE,
          keys: [redisKey],
          args: [JSON.stringify(valid), valid.ts],
        },
      );
      return reply as 'updated' | 'stale';
    },

    async quote(symbol) {
      conn.ensureOpen();
      assertSymbol(symbol);
      const redisKey = keys.quote(symbol);
      const raw = await conn.send<string | null>({ operation: 'MarketDataCache.quote', key: redisKey }, (p) =>
        p.get(redisKey),
      );
      // JSON has no `undefined`, so the parsed optional fields are absent, never undefined.
      return raw === null ? undefined : (parseStored(TickSchema, raw, { key: symbol, redisKey }) as Tick);
    },

    close() {
      return conn.close();
    },
  };
}
