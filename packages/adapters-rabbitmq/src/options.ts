import {
  type Clock,
  type Logger,
  type MetricsSink,
  noopLogger,
  noopMetrics,
  RxtradeError,
  systemClock,
} from '@rxtrade/core';
import type { ChannelModel } from 'amqplib';
import { z } from 'zod';
import type { BackoffPolicy } from './backoff';
import { createMemoryDedupeStore, type DedupeStore } from './dedupe-store';

/** Reconnect backoff: capped exponential with jitter. */
export interface ReconnectOptions {
  /** Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Default 10,000 ms. */
  readonly maxDelayMs?: number;
  /** Default 2. */
  readonly factor?: number;
  /** 0–1. Default 0.2. */
  readonly jitter?: number;
}

/** Options shared by both ways of creating a {@link RabbitMqMessageBus}. */
export interface RabbitMqBusSettings {
  /** The durable topic exchange every topic is published to. Default `rxtrade`. */
  readonly exchange?: string;
  /**
   * Default prefetch for subscriptions that do not set one: unacked messages per queue the member
   * consumes (per partition for a group). Per-key order holds at any value. Default 50.
   */
  readonly prefetch?: number;
  /**
   * Messages accepted by `publish` but not yet confirmed (sent or waiting for a connection). When full,
   * `publish` rejects at once with `ADAPTER_FAILURE` (`details.reason: 'OUTBOUND_BUFFER_FULL'`);
   * nothing is dropped silently. Default 10,000.
   */
  readonly outboundBufferSize?: number;
  /** A publish not confirmed within this rejects with `TIMEOUT` (outcome unknown). Default 30,000 ms. */
  readonly publishTimeoutMs?: number;
  /** How long `close()` waits for confirms and handlers before giving up on them. Default 10,000 ms. */
  readonly closeTimeoutMs?: number;
  /**
   * Partition queues per consumer group. Messages with the same key land in the same partition; each
   * partition has one active consumer at a time. Fixed per group: changing it re-maps keys. Default 8.
   */
  readonly partitions?: number;
  /** Group queue type. `quorum` (default) is replicated and counts deliveries; `classic` is for single nodes. */
  readonly queueType?: 'quorum' | 'classic';
  /** How often a group member rebalances partitions with the others. Default 1,000 ms. */
  readonly rebalanceIntervalMs?: number;
  /** Backoff between handler retries of one delivery. Default 50 ms doubling to 5,000 ms. */
  readonly retryDelay?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly reconnect?: ReconnectOptions;
  /** Dedupe window for consumed message ids. Default: an in-memory LRU of 100,000 ids. */
  readonly dedupe?: DedupeStore;
  /** Dead letters are logged here at warn, with their reason. */
  readonly logger?: Logger;
  /** Counts `dead_letters_total{group}`. Default: discards. */
  readonly metrics?: MetricsSink;
  readonly clock?: Clock;
}

/** Connect by URL: the bus owns the connection and reconnects it. */
export interface RabbitMqUrlOptions extends RabbitMqBusSettings {
  /** `amqp://user:pass@host:5672/vhost`. */
  readonly url: string;
  /** Shown in the management UI and `rabbitmqctl list_connections`. Default `rxtrade`. */
  readonly connectionName?: string;
  /** AMQP heartbeat; a dead peer is noticed after about two. Default 10 s. */
  readonly heartbeatSeconds?: number;
}

/**
 * Use a connection you opened. The bus opens its own channels on it, never closes it, and cannot
 * reconnect it: when it closes, outstanding publishes fail with `NOT_CONNECTED`.
 */
export interface RabbitMqConnectionOptions extends RabbitMqBusSettings {
  readonly connection: ChannelModel;
}

export type RabbitMqMessageBusOptions = RabbitMqUrlOptions | RabbitMqConnectionOptions;

const NAME = /^[A-Za-z0-9_\-:.]{1,100}$/;
const positiveInt = z.number().int().positive();

const SettingsSchema = z.object({
  exchange: z.string().regex(NAME).default('rxtrade'),
  prefetch: positiveInt.max(65_535).default(50),
  outboundBufferSize: positiveInt.default(10_000),
  publishTimeoutMs: positiveInt.default(30_000),
  closeTimeoutMs: positiveInt.default(10_000),
  partitions: positiveInt.max(1024).default(8),
  queueType: z.enum(['quorum', 'classic']).default('quorum'),
  rebalanceIntervalMs: positiveInt.default(1_000),
  retryDelay: z
    .object({ initialMs: z.number().int().nonnegative().default(50), maxMs: positiveInt.default(5_000) })
    .default({ initialMs: 50, maxMs: 5_000 }),
  reconnect: z
    .object({
      initialDelayMs: positiveInt.default(100),
      maxDelayMs: positiveInt.default(10_000),
      factor: z.number().min(1).default(2),
      jitter: z.number().min(0).max(1).default(0.2),
    })
    .default({ initialDelayMs: 100, maxDelayMs: 10_000, factor: 2, jitter: 0.2 }),
  url: z.string().min(1).optional(),
  connectionName: z.string().min(1).max(200).default('rxtrade'),
  heartbeatSeconds: z.number().int().nonnegative().default(10),
});

/** Everything the bus runs on, with defaults filled in. */
export interface ResolvedOptions {
  readonly exchange: string;
  readonly prefetch: number;
  readonly outboundBufferSize: number;
  readonly publishTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly partitions: number;
  readonly queueType: 'quorum' | 'classic';
  readonly rebalanceIntervalMs: number;
  readonly retryDelay: { readonly initialMs: number; readonly maxMs: number };
  readonly reconnect: BackoffPolicy;
  readonly url: string | undefined;
  readonly connection: ChannelModel | undefined;
  readonly connectionName: string;
  readonly heartbeatSeconds: number;
  readonly dedupe: DedupeStore;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  readonly clock: Clock;
}

/** Validates options once, at the edge; throws `INVALID_CONFIG` naming what is wrong. */
export function resolveOptions(options: RabbitMqMessageBusOptions): ResolvedOptions {
  const { dedupe, logger, metrics, clock, ...rest } = options;
  const connection = 'connection' in options ? options.connection : undefined;
  const { connection: _ignored, ...plain } = rest as typeof rest & { connection?: unknown };
  const parsed = SettingsSchema.safeParse(plain);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `invalid RabbitMQ bus options: ${z.prettifyError(parsed.error)}`,
      cause: parsed.error,
    });
  }
  if ((parsed.data.url === undefined) === (connection === undefined)) {
    throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'pass exactly one of `url` or `connection`' });
  }
  return {
    ...parsed.data,
    reconnect: {
      initialDelayMs: parsed.data.reconnect.initialDelayMs,
      maxDelayMs: parsed.data.reconnect.maxDelayMs,
      factor: parsed.data.reconnect.factor,
      jitter: parsed.data.reconnect.jitter,
    },
    url: parsed.data.url,
    connection,
    dedupe: dedupe ?? createMemoryDedupeStore(),
    logger: logger ?? noopLogger,
    metrics: metrics ?? noopMetrics,
    clock: clock ?? systemClock,
  };
}
