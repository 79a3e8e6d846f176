import {
  type AcquireOptions,
  assertValidAcquire,
  type Clock,
  type Lease,
  type LockManager,
  type Logger,
  noopLogger,
  RxtradeError,
  systemClock,
} from '@rxtrade/core';
import { z } from 'zod';
import { LuaScript, openConnection, type RedisConnection } from './connection';
import { DEFAULT_PREFIX, redisKeys } from './keys';
import { clockSchema, loggerSchema, parseOptions } from './options';

/** Options for {@link createRedisLockManager}. */
export interface RedisLockManagerOptions {
  /** Key prefix (default `rxtrade:`); use the same one as the {@link createRedisStateStore} you fence. */
  readonly prefix?: string;
  /** Where `Lease.expiresAt` comes from. Default: the system clock. */
  readonly clock?: Clock;
  readonly logger?: Logger;
}

const OptionsSchema = z.object({
  prefix: z.string().optional(),
  clock: clockSchema.optional(),
  logger: loggerSchema.optional(),
});

/**
 * KEYS: lease, fence. ARGV: ttlMs. A free resource gets the next token from INCR on the fence key (the
 * same key the StateStore checks, so granting a token immediately fences older holders) and a lease
 * key holding that token with a PX TTL. Returns the token, or nil if the lease is held.
 */
const ACQUIRE = new LuaScript(`
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'string' then return false end
if t ~= 'none' then
  return redis.error_reply('RXT_CORRUPT ' .. cjson.encode({key = KEYS[1], reason = 'lease is a ' .. t .. ', not a string'}))
end
local token = redis.pcall('INCR', KEYS[2])
if type(token) == 'table' and token.err then
  return redis.error_reply('RXT_CORRUPT ' .. cjson.encode({key = KEYS[2], reason = 'fence token: ' .. token.err}))
end
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token
`);

/** KEYS: lease. ARGV: token. Compare-and-delete: only the holder of this token releases. */
const RELEASE = new LuaScript(`
if redis.pcall('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** KEYS: lease. ARGV: token, ttlMs. Compare-and-pexpire: only the holder of this token renews. */
const RENEW = new LuaScript(`
if redis.pcall('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The Redis {@link LockManager}: a lease is `SET <prefix>lease:<resource> <token> PX <ttl>` taken by a
 * Lua script only when the key is absent; the token comes from `INCR <prefix>fence:<resource>`, the
 * key the {@link createRedisStateStore} checks fences against. Release and renew compare the token
 * first, so a holder whose lease expired cannot remove or extend the next holder's lease.
 *
 * Limits (see docs/adapters/redis.md): one Redis instance, no Redlock. A failover to a replica that
 * had not received the lease, a restart without fsynced AOF, or a clock jump on the Redis host can
 * let two holders overlap. A lease is therefore only a hint; what keeps state correct is the fencing
 * token on every write, checked atomically by the store. `expiresAt` is computed before the request
 * is sent, so it is never later than Redis's own expiry.
 */
export function createRedisLockManager(
  connection: RedisConnection,
  options: RedisLockManagerOptions = {},
): LockManager {
  const parsed = parseOptions(OptionsSchema, options, 'RedisLockManager');
  const keys = redisKeys(parsed.prefix ?? DEFAULT_PREFIX);
  const clock = parsed.clock ?? systemClock;
  const conn = openConnection(connection, {
    component: 'RedisLockManager',
    logger: parsed.logger ?? noopLogger,
  });
  let closed = false;

  const validTtl = (ttlMs: number): void => {
    if (!(Number.isInteger(ttlMs) && ttlMs > 0)) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: `ttlMs must be a positive integer, got ${ttlMs}`,
      });
    }
  };

  const tryAcquire = async (resource: string, ttlMs: number): Promise<Lease | undefined> => {
    const leaseKey = keys.lease(resource);
    const sentAt = clock.now();
    const token = await conn.script(
      { operation: 'LockManager.acquire', key: resource },
      {
        script: ACQUIRE,
        keys: [leaseKey, keys.fence(resource)],
        args: [ttlMs],
      },
    );
    if (token === null) return undefined;
    if (typeof token !== 'number') {
      throw new RxtradeError({
        code: 'ADAPTER_FAILURE',
        message: `LockManager.acquire ${resource}: unexpected token ${JSON.stringify(token)}`,
      });
    }
    let expiresAt = sentAt + ttlMs;
    return {
      resource,
      token,
      get expiresAt() {
        return expiresAt;
      },
      async renew(ms) {
        validTtl(ms);
        const at = clock.now();
        const renewed = await conn.script(
          { operation: 'Lease.renew', key: resource },
          {
            script: RENEW,
            keys: [leaseKey],
            args: [token, ms],
          },
        );
        if (renewed === 1) expiresAt = at + ms;
        return renewed === 1;
      },
      async release() {
        const released = await conn.script(
          { operation: 'Lease.release', key: resource },
          {
            script: RELEASE,
            keys: [leaseKey],
            args: [token],
          },
        );
        return released === 1;
      },
    };
  };

  return {
    async acquire(resource: string, opts: AcquireOptions) {
      conn.ensureOpen();
      assertValidAcquire(resource, opts);
      // Count attempts (as the in-memory manager does) rather than watch a clock that may be manual.
      const delay = opts.retryDelayMs ?? 50;
      const attempts = 1 + Math.ceil((opts.waitMs ?? 0) / Math.max(delay, 1));
      for (let attempt = 1; ; attempt++) {
        const lease = await tryAcquire(resource, opts.ttlMs);
        if (lease || attempt >= attempts || closed) return lease;
        await sleep(delay);
      }
    },
    async close() {
      closed = true;
      await conn.close();
    },
  };
}
