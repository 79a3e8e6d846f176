import {
  assertValidTopic,
  type BusEnvelope,
  type Clock,
  type DeadLetterPayload,
  type Logger,
  noopLogger,
  parseEnvelope,
  RxtradeError,
  systemClock,
} from '@rxtrade/core';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { openConnection, type RedisConnection } from './connection';
import { DEFAULT_PREFIX, redisKeys } from './keys';
import { clockSchema, loggerSchema, parseOptions } from './options';

/** The one field of a stream entry: the envelope as JSON. */
const FIELD = 'm';

/** Options for {@link createRedisStreamProducer}. */
export interface RedisStreamProducerOptions {
  readonly prefix?: string;
  /**
   * Approximate cap on the stream's length (`XADD MAXLEN ~`), default 100,000. Trimming is by length,
   * NOT by acknowledgement: an entry a slow or absent consumer group has not read yet is deleted
   * when the stream grows past the cap. Size it above the largest backlog you tolerate.
   */
  readonly maxLen?: number;
  readonly logger?: Logger;
}

/** Appends to Redis Streams: durable (as durable as Redis's persistence), read by consumer groups. */
export interface RedisStreamProducer {
  /** Validates and appends; resolves with the entry id once Redis has it. */
  append(stream: string, message: BusEnvelope): Promise<string>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** Where a delivered message came from. */
export interface StreamDeliveryContext {
  readonly stream: string;
  /** The stream entry id. */
  readonly id: string;
  /** 1 on first delivery; counts redeliveries (pending recovery) too. */
  readonly deliveryCount: number;
}

/** Resolving acknowledges (XACK) the entry; throwing leaves it pending, to be redelivered after `claimIdleMs`. */
export type StreamHandler = (message: BusEnvelope, context: StreamDeliveryContext) => void | Promise<void>;

/** Options for {@link createRedisStreamConsumer}. */
export interface RedisStreamConsumerOptions {
  readonly stream: string;
  /** Consumer group: each entry goes to one consumer of the group; every group sees every entry. */
  readonly group: string;
  /** This consumer's name, stable across restarts so it recovers its own pending entries. */
  readonly consumer: string;
  readonly handler: StreamHandler;
  readonly prefix?: string;
  /** Entries per read. Default 10. */
  readonly batchSize?: number;
  /** How long one read blocks waiting for new entries, ms. Default 1,000 (also bounds `stop()`). */
  readonly blockMs?: number;
  /** An entry pending (unacknowledged) this long on any consumer is claimed by this one. Default 30,000. */
  readonly claimIdleMs?: number;
  /** How often to look for such entries, ms. Default `claimIdleMs / 2`. */
  readonly claimIntervalMs?: number;
  /** Deliveries before an entry is moved to the dead-letter stream. Default 5. */
  readonly maxDeliveries?: number;
  /** Where a new group starts: `'beginning'` (default, every entry still in the stream) or `'end'`. */
  readonly startFrom?: 'beginning' | 'end';
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/** A consumer-group reader. At-least-once: a handler may see an entry again, so it must be idempotent by `message.id`. */
export interface RedisStreamConsumer {
  /** Creates the group if needed (typed error if Redis is unreachable), then reads in the background. */
  start(): Promise<void>;
  /** Finishes the entry in hand, stops reading, closes the connection. Idempotent. */
  stop(): Promise<void>;
}

const ProducerOptionsSchema = z.object({
  prefix: z.string().optional(),
  maxLen: z.number().int().positive().optional(),
  logger: loggerSchema.optional(),
});

const ConsumerOptionsSchema = z.object({
  stream: z.string().min(1),
  group: z.string().min(1).max(200),
  consumer: z.string().min(1).max(200),
  handler: z.custom<StreamHandler>((value) => typeof value === 'function', 'handler must be a function'),
  prefix: z.string().optional(),
  batchSize: z.number().int().positive().max(10_000).optional(),
  blockMs: z.number().int().positive().max(60_000).optional(),
  claimIdleMs: z.number().int().positive().optional(),
  claimIntervalMs: z.number().int().positive().optional(),
  maxDeliveries: z.number().int().positive().optional(),
  startFrom: z.enum(['beginning', 'end']).optional(),
  logger: loggerSchema.optional(),
  clock: clockSchema.optional(),
});

const DEFAULT_MAX_LEN = 100_000;

/** A {@link RedisStreamProducer}. It can share a `{ client }` with the other adapters. */
export function createRedisStreamProducer(
  connection: RedisConnection,
  options: RedisStreamProducerOptions = {},
): RedisStreamProducer {
  const parsed = parseOptions(ProducerOptionsSchema, options, 'RedisStreamProducer');
  const keys = redisKeys(parsed.prefix ?? DEFAULT_PREFIX);
  const maxLen = parsed.maxLen ?? DEFAULT_MAX_LEN;
  const conn = openConnection(connection, {
    component: 'RedisStreamProducer',
    logger: parsed.logger ?? noopLogger,
  });
  return {
    async append(stream, message) {
      conn.ensureOpen();
      assertValidTopic(stream);
      const checked = parseEnvelope(message);
      const id = await conn.run({ operation: 'StreamProducer.append', key: stream }, (client) =>
        client.xadd(keys.stream(stream), 'MAXLEN', '~', maxLen, '*', FIELD, JSON.stringify(checked)),
      );
      if (typeof id !== 'string') {
        throw new RxtradeError({ code: 'ADAPTER_FAILURE', message: `XADD on ${stream} returned no id` });
      }
      return id;
    },
    close() {
      return conn.close();
    },
  };
}

type Entry = [id: string, fields: string[] | null];

interface DeadLetterInput {
  readonly id: string;
  readonly raw: string | undefined;
  readonly reason: string;
  readonly deliveries: number;
}
type ReadReply = Array<[key: string, entries: Entry[]]> | null;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * A Redis Streams consumer-group reader with at-least-once delivery:
 * - new entries with `XREADGROUP … >`, acknowledged with `XACK` after the handler resolves;
 * - on start, this consumer's own pending entries (read before a crash, never acked) are re-read first;
 * - every `claimIntervalMs`, entries pending on ANY consumer for `claimIdleMs` are taken over with
 *   `XAUTOCLAIM` (a crashed replica's work is not stuck) — so a handler that fails is retried then;
 * - an entry delivered more than `maxDeliveries` times, or that is not a valid envelope, is appended to
 *   `<stream>:dead-letter` as a `MessageDeadLettered` envelope and acknowledged (atomically, MULTI);
 * - an entry trimmed away (MAXLEN) before it was acknowledged is logged as lost.
 * Entries are handled one at a time, in order; a failed one is retried after later ones.
 */
export function createRedisStreamConsumer(
  connection: RedisConnection,
  options: RedisStreamConsumerOptions,
): RedisStreamConsumer {
  const parsed = parseOptions(ConsumerOptionsSchema, options, 'RedisStreamConsumer');
  assertValidTopic(parsed.stream);
  const keys = redisKeys(parsed.prefix ?? DEFAULT_PREFIX);
  const logger = (parsed.logger ?? noopLogger).child({
    component: 'RedisStreamConsumer',
    stream: parsed.stream,
    group: parsed.group,
    consumer: parsed.consumer,
  });
  const clock = parsed.clock ?? systemClock;
  const { stream, group, consumer, handler } = parsed;
  const key = keys.stream(stream);
  const deadLetterKey = keys.deadLetter(stream);
  const batchSize = parsed.batchSize ?? 10;
  const blockMs = parsed.blockMs ?? 1_000;
  const claimIdleMs = parsed.claimIdleMs ?? 30_000;
  const claimIntervalMs = parsed.claimIntervalMs ?? Math.max(Math.floor(claimIdleMs / 2), 10);
  const maxDeliveries = parsed.maxDeliveries ?? 5;
  // A blocking read must not trip the command or socket timeouts meant for ordinary commands.
  const conn = openConnection(connection, {
    component: 'RedisStreamConsumer',
    logger,
    dedicated: true,
    overrides: {
      commandTimeout: blockMs + 2_000,
      socketTimeout: blockMs + 3_000,
      enableAutoPipelining: false,
    },
  });

  let state: 'new' | 'running' | 'stopped' = 'new';
  let reading = false;
  let loopDone: Promise<void> = Promise.resolve();
  let stopping: Promise<void> | undefined;

  const run = <T>(operation: string, fn: (client: Redis) => Promise<T>): Promise<T> =>
    conn.run({ operation: `StreamConsumer.${operation}`, key: stream }, fn);

  const ensureGroup = async (): Promise<void> => {
    try {
      await run('createGroup', (c) =>
        c.xgroup('CREATE', key, group, parsed.startFrom === 'end' ? '$' : '0', 'MKSTREAM'),
      );
    } catch (error) {
      if (!errorText(error).includes('BUSYGROUP')) throw error;
    }
  };

  const deliveryCounts = async (ids: readonly string[]): Promise<Map<string, number>> => {
    const counts = new Map<string, number>();
    if (ids.length === 0) return counts;
    const results = await run('xpending', (c) => {
      const pipeline = c.pipeline();
      for (const id of ids) pipeline.xpending(key, group, id, id, 1);
      return pipeline.exec();
    });
    ids.forEach((id, i) => {
      const [, rows] = results?.[i] ?? [];
      const row = Array.isArray(rows) ? (rows[0] as [string, string, number, number] | undefined) : undefined;
      if (row) counts.set(id, Number(row[3]));
    });
    return counts;
  };

  const deadLetter = async ({ id, raw, reason, deliveries }: DeadLetterInput): Promise<void> => {
    let original: unknown = raw;
    try {
      original = raw === undefined ? undefined : JSON.parse(raw);
    } catch {
      // keep the raw text
    }
    const envelope = original as Partial<BusEnvelope> | undefined;
    const payload: DeadLetterPayload = { topic: stream, reason, deliveries, message: original };
    const dead: BusEnvelope<DeadLetterPayload> = {
      v: 1,
      type: 'MessageDeadLettered',
      id: `dl-${stream}-${id}`,
      ts: typeof envelope?.ts === 'number' ? envelope.ts : clock.now(),
      correlationId: typeof envelope?.correlationId === 'string' ? envelope.correlationId : `dl-${id}`,
      payload,
    };
    await run('deadLetter', (c) =>
      c
        .multi()
        .xadd(deadLetterKey, 'MAXLEN', '~', DEFAULT_MAX_LEN, '*', FIELD, JSON.stringify(dead))
        .xack(key, group, id)
        .exec(),
    );
    logger.warn({ id, reason, deliveries }, 'stream entry dead-lettered');
  };

  const handle = async (id: string, fields: string[] | null, deliveryCount: number): Promise<void> => {
    if (fields === null) {
      // Trimmed by MAXLEN while pending (Redis 6.2 reports it this way): nothing left to deliver.
      logger.warn({ id }, 'pending stream entry was trimmed before it was acknowledged: lost');
      await run('xack', (c) => c.xack(key, group, id));
      return;
    }
    let raw: string | undefined;
    for (let f = 0; f + 1 < fields.length; f += 2) if (fields[f] === FIELD) raw = fields[f + 1];
    if (deliveryCount > maxDeliveries) {
      await deadLetter({
        id,
        raw,
        reason: `delivered ${deliveryCount} times (maxDeliveries ${maxDeliveries})`,
        deliveries: deliveryCount,
      });
      return;
    }
    let message: BusEnvelope;
    try {
      if (raw === undefined) throw new Error(`entry has no "${FIELD}" field`);
      message = parseEnvelope(JSON.parse(raw));
    } catch (error) {
      await deadLetter({
        id,
        raw,
        reason: `INVALID_MESSAGE: ${errorText(error)}`,
        deliveries: deliveryCount,
      });
      return;
    }
    try {
      await handler(message, { stream, id, deliveryCount });
    } catch (error) {
      logger.warn(
        { id, deliveryCount, err: errorText(error) },
        'handler failed; entry stays pending for redelivery',
      );
      return;
    }
    await run('xack', (c) => c.xack(key, group, id));
  };

  const handleBatch = async (entries: Entry[], fresh: boolean): Promise<void> => {
    const counts = fresh ? undefined : await deliveryCounts(entries.map(([id]) => id));
    for (const [id, fields] of entries) {
      if (state !== 'running') return;
      await handle(id, fields, counts?.get(id) ?? 1);
    }
  };

  /** This consumer's own pending entries, e.g. read just before a crash: handled before anything new. */
  const recoverOwn = async (): Promise<void> => {
    let from = '0';
    while (state === 'running') {
      const reply = (await run('recoverOwn', (c) =>
        c.xreadgroup('GROUP', group, consumer, 'COUNT', batchSize, 'STREAMS', key, from),
      )) as ReadReply;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) return;
      await handleBatch(entries, false);
      from = entries[entries.length - 1]?.[0] ?? from;
    }
  };

  /** Takes over entries idle on any consumer for claimIdleMs (XAUTOCLAIM), one round over the PEL. */
  const claimIdle = async (): Promise<void> => {
    let cursor = '0-0';
    do {
      const [next, entries, deleted] = (await run('xautoclaim', (c) =>
        c.xautoclaim(key, group, consumer, claimIdleMs, cursor, 'COUNT', batchSize),
      )) as [string, Entry[], string[] | undefined];
      for (const id of deleted ?? []) {
        logger.warn({ id }, 'pending stream entry was trimmed before it was acknowledged: lost');
      }
      if (entries.length > 0) await handleBatch(entries, false);
      cursor = next;
    } while (cursor !== '0-0' && state === 'running');
  };

  const loop = async (): Promise<void> => {
    let failures = 0;
    let recovered = false;
    let nextClaimAt = clock.now() + claimIntervalMs;
    while (state === 'running') {
      try {
        if (!recovered) {
          await recoverOwn();
          recovered = true;
        }
        if (clock.now() >= nextClaimAt) {
          await claimIdle();
          nextClaimAt = clock.now() + claimIntervalMs;
        }
        reading = true;
        const reply = (await run('read', (c) =>
          c.xreadgroup('GROUP', group, consumer, 'COUNT', batchSize, 'BLOCK', blockMs, 'STREAMS', key, '>'),
        )) as ReadReply;
        reading = false;
        await handleBatch(reply?.[0]?.[1] ?? [], true);
        failures = 0;
      } catch (error) {
        reading = false;
        if (state !== 'running') return;
        failures++;
        if (errorText(error).includes('NOGROUP')) {
          // The stream or group was deleted under us: recreate and carry on.
          await ensureGroup().catch(() => {});
        }
        const delay = Math.min(100 * 2 ** Math.min(failures - 1, 5), 2_000);
        if (failures === 1 || failures % 20 === 0) {
          logger.warn({ err: errorText(error), failures, retryInMs: delay }, 'stream read failed; retrying');
        }
        await sleep(delay);
      }
    }
  };

  return {
    async start() {
      if (state === 'running') return;
      if (state === 'stopped')
        throw new RxtradeError({ code: 'CLOSED', message: 'stream consumer was stopped' });
      await ensureGroup();
      state = 'running';
      loopDone = loop();
    },
    stop() {
      stopping ??= (async () => {
        const wasRunning = state === 'running';
        state = 'stopped';
        // A blocked read would hold stop() for up to blockMs: cut it. Entries it had been handed stay
        // pending for this consumer name and are recovered on the next start (or claimed by another).
        if (wasRunning && reading) conn.client.disconnect();
        await loopDone;
        await conn.close();
      })();
      return stopping;
    },
  };
}
