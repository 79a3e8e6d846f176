import {
  assertValidTopic,
  type BusEnvelope,
  isRxtradeError,
  type Logger,
  noopLogger,
  parseEnvelope,
  RxtradeError,
} from '@rxtrade/core';
import { type Observable, Subject } from 'rxjs';
import { z } from 'zod';
import { openConnection, type RedisConnection } from './connection';
import { DEFAULT_PREFIX, redisKeys } from './keys';
import { loggerSchema, parseOptions } from './options';

/** Options for {@link createRedisPublisher} and {@link createRedisSubscriber}. */
export interface RedisPubSubOptions {
  readonly prefix?: string;
  /** Receives a warning for every message that fails validation (the subscriber drops it). */
  readonly logger?: Logger;
}

const OptionsSchema = z.object({ prefix: z.string().optional(), logger: loggerSchema.optional() });

/**
 * Publishes notifications over Redis pub/sub: AT-MOST-ONCE. A subscriber that is disconnected, slow
 * (Redis drops clients whose output buffer overflows) or not yet subscribed never sees the message, and
 * nothing is stored. Use it for "something changed, re-read it" signals and dashboards; use
 * {@link createRedisStreamProducer} for anything that must not be lost (orders, fills, positions).
 */
export interface RedisPublisher {
  /** Validates and publishes; resolves with how many subscribers Redis delivered it to (0 is not an error). */
  publish(topic: string, message: BusEnvelope): Promise<number>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** One message received by a {@link RedisSubscription}. */
export interface RedisPubSubMessage {
  readonly topic: string;
  readonly message: BusEnvelope;
}

/** An active subscription: `messages$` is live until `unsubscribe()` or the subscriber's `close()`. */
export interface RedisSubscription {
  /**
   * Hot, no replay: messages published after the subscription was confirmed, while the connection was
   * up. Completes on `unsubscribe()`/`close()`. Invalid messages are dropped (and logged), never errored.
   */
  readonly messages$: Observable<RedisPubSubMessage>;
  /** Idempotent. */
  unsubscribe(): Promise<void>;
}

/** Subscribes to pub/sub topics on a dedicated connection (Redis reserves a subscribed connection). */
export interface RedisSubscriber {
  /**
   * Resolves once Redis confirmed the subscription. `topic` is a dotted topic, or a Redis glob pattern
   * when it contains `*` (Redis glob: `*` also matches dots, unlike AMQP's `*`).
   */
  subscribe(topic: string): Promise<RedisSubscription>;
  /** Unsubscribes everything, completes every `messages$`, closes the connection. Idempotent. */
  close(): Promise<void>;
}

/** A pub/sub {@link RedisPublisher}. It can share a `{ client }` with the other adapters. */
export function createRedisPublisher(
  connection: RedisConnection,
  options: RedisPubSubOptions = {},
): RedisPublisher {
  const parsed = parseOptions(OptionsSchema, options, 'RedisPublisher');
  const keys = redisKeys(parsed.prefix ?? DEFAULT_PREFIX);
  const conn = openConnection(connection, {
    component: 'RedisPublisher',
    logger: parsed.logger ?? noopLogger,
  });
  return {
    async publish(topic, message) {
      conn.ensureOpen();
      assertValidTopic(topic);
      const checked = parseEnvelope(message);
      return conn.run({ operation: 'Publisher.publish', key: topic }, (client) =>
        client.publish(keys.channel(topic), JSON.stringify(checked)),
      );
    },
    close() {
      return conn.close();
    },
  };
}

const PATTERN = /^[A-Za-z0-9_\-:*]+(\.[A-Za-z0-9_\-:*]+)*$/;

/**
 * A pub/sub {@link RedisSubscriber}. With `{ client }` it duplicates your client for its own
 * connection (and closes that duplicate, never your client). After a reconnect ioredis re-subscribes
 * by itself (`autoResubscribe`); what was published in between is lost — that is pub/sub.
 */
export function createRedisSubscriber(
  connection: RedisConnection,
  options: RedisPubSubOptions = {},
): RedisSubscriber {
  const parsed = parseOptions(OptionsSchema, options, 'RedisSubscriber');
  const keys = redisKeys(parsed.prefix ?? DEFAULT_PREFIX);
  const logger = parsed.logger ?? noopLogger;
  const channelPrefix = keys.channel('');
  const conn = openConnection(connection, {
    component: 'RedisSubscriber',
    logger,
    dedicated: true,
    // A subscribed connection receives data only when something is published: no socket timeout.
    overrides: { socketTimeout: undefined, enableAutoPipelining: false },
  });
  const client = conn.client;
  /** Redis channel (or pattern) → the subjects of its subscriptions. */
  const subjects = new Map<string, Set<Subject<RedisPubSubMessage>>>();

  const dispatch = (channelOrPattern: string, channel: string, raw: string): void => {
    const targets = subjects.get(channelOrPattern);
    if (!targets || targets.size === 0) return;
    const topic = channel.slice(channelPrefix.length);
    let message: BusEnvelope;
    try {
      message = parseEnvelope(JSON.parse(raw));
    } catch (error) {
      logger.warn(
        { topic, err: error instanceof Error ? error.message : String(error) },
        'dropped an invalid pub/sub message',
      );
      return;
    }
    for (const subject of targets) subject.next({ topic, message });
  };
  const onMessage = (channel: string, raw: string): void => dispatch(channel, channel, raw);
  const onPMessage = (pattern: string, channel: string, raw: string): void => dispatch(pattern, channel, raw);
  client.on('message', onMessage);
  client.on('pmessage', onPMessage);

  const release = async (redisChannel: string, isPattern: boolean, subject: Subject<RedisPubSubMessage>) => {
    const set = subjects.get(redisChannel);
    if (!set?.delete(subject)) return;
    subject.complete();
    if (set.size > 0) return;
    subjects.delete(redisChannel);
    if (client.status !== 'ready') return; // nothing to undo on a dead connection; the resubscribe list is ioredis's
    await conn.run({ operation: 'Subscriber.unsubscribe', key: redisChannel }, (c) =>
      isPattern ? c.punsubscribe(redisChannel) : c.unsubscribe(redisChannel),
    );
  };

  return {
    async subscribe(topic) {
      conn.ensureOpen();
      if (typeof topic !== 'string' || !PATTERN.test(topic)) {
        throw new RxtradeError({
          code: 'INVALID_ARGUMENT',
          message: `invalid topic ${JSON.stringify(topic)}`,
        });
      }
      const isPattern = topic.includes('*');
      if (!isPattern) assertValidTopic(topic);
      const redisChannel = keys.channel(topic);
      await conn.run({ operation: 'Subscriber.subscribe', key: topic }, (c) =>
        isPattern ? c.psubscribe(redisChannel) : c.subscribe(redisChannel),
      );
      const subject = new Subject<RedisPubSubMessage>();
      let set = subjects.get(redisChannel);
      if (!set) {
        set = new Set();
        subjects.set(redisChannel, set);
      }
      set.add(subject);
      return {
        messages$: subject.asObservable(),
        async unsubscribe() {
          try {
            await release(redisChannel, isPattern, subject);
          } catch (error) {
            // The local side is already torn down; a failed UNSUBSCRIBE only leaves a channel we ignore.
            if (!isRxtradeError(error)) throw error;
            logger.warn({ topic, err: error.message }, 'UNSUBSCRIBE failed; messages on it are ignored');
          }
        },
      };
    },
    async close() {
      for (const set of subjects.values()) for (const subject of set) subject.complete();
      subjects.clear();
      client.off('message', onMessage);
      client.off('pmessage', onPMessage);
      await conn.close();
    },
  };
}
