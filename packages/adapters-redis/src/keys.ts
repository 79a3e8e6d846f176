import { RxtradeError } from '@rxtrade/core';

/** The default key prefix: every key this package writes starts with it. */
export const DEFAULT_PREFIX = 'rxtrade:';

/**
 * The Redis key of everything `@rxtrade/redis` stores, for one prefix. It is the single source of the
 * key layout (docs/adapters/redis.md lists the same table), so operators can inspect or repair state
 * with `redis-cli` and tests can plant bad data where the adapter will read it.
 *
 * Several applications share one Redis by using different prefixes. For Redis Cluster, put a hash tag
 * in the prefix (`{myapp}:`) so every key of one application lands in one slot; the Lua scripts touch
 * several keys at once and Cluster only allows that within a slot.
 */
export interface RedisKeys {
  readonly prefix: string;
  /** StateStore record (hash). */
  state(key: string): string;
  /** StateStore index: every record's Redis key in a sorted set (score 0, ordered by key). */
  stateIndex(): string;
  /** Set once the index holds every record written before it existed (string, no expiry). */
  stateIndexReady(): string;
  /** StateStore event-id marker (string, expires after the dedupe TTL). */
  event(eventId: string): string;
  /** Highest fencing token seen or granted for a resource (string integer, no expiry). */
  fence(resource: string): string;
  /** Current lease on a resource (string holding the token, PX TTL). */
  lease(resource: string): string;
  /** Last N bars of a symbol (list of JSON bars, oldest first). */
  bars(symbol: string): string;
  /** Latest quote of a symbol (string, JSON tick). */
  quote(symbol: string): string;
  /** Pub/sub channel for a topic. */
  channel(topic: string): string;
  /** Stream for a topic. */
  stream(name: string): string;
  /** Dead-letter stream of a stream. */
  deadLetter(name: string): string;
  /** Rate limiter grants of one bucket: sorted set, score = Redis time (ms), member `<id>:<weight>`. */
  rateLog(limiter: string, bucket: string): string;
  /** Sum of the weights in {@link rateLog} (string integer). Both expire one window after the last grant. */
  rateTotal(limiter: string, bucket: string): string;
  /** Rate limiter penalty: Redis time (ms) until which nothing is granted (string, PX = the penalty). */
  ratePenalty(limiter: string): string;
}

/** The {@link RedisKeys} for `prefix` (default {@link DEFAULT_PREFIX}). */
export function redisKeys(prefix: string = DEFAULT_PREFIX): RedisKeys {
  if (typeof prefix !== 'string') {
    throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'prefix must be a string' });
  }
  return {
    prefix,
    state: (key) => `${prefix}state:${key}`,
    stateIndex: () => `${prefix}index:state`,
    stateIndexReady: () => `${prefix}index:state:ready`,
    event: (eventId) => `${prefix}event:${eventId}`,
    fence: (resource) => `${prefix}fence:${resource}`,
    lease: (resource) => `${prefix}lease:${resource}`,
    bars: (symbol) => `${prefix}md:bars:${symbol}`,
    quote: (symbol) => `${prefix}md:quote:${symbol}`,
    channel: (topic) => `${prefix}ps:${topic}`,
    stream: (name) => `${prefix}stream:${name}`,
    deadLetter: (name) => `${prefix}stream:${name}:dead-letter`,
    rateLog: (limiter, bucket) => `${prefix}rate:${limiter}:${bucket}:log`,
    rateTotal: (limiter, bucket) => `${prefix}rate:${limiter}:${bucket}:total`,
    ratePenalty: (limiter) => `${prefix}rate:${limiter}:penalty`,
  };
}

/** Escapes Redis glob metacharacters so `prefix` matches itself literally in `SCAN MATCH`. */
export function escapeGlob(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, '\\$&');
}
