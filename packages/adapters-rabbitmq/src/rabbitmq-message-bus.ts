import { randomUUID } from 'node:crypto';
import {
  assertValidTopic,
  type BusBatchHandler,
  type BusEnvelope,
  type BusHandler,
  type BusSubscription,
  checkMaxBatch,
  DEAD_LETTERS_METRIC,
  type MessageBus,
  type PublishOptions,
  parseEnvelope,
  RxtradeError,
  type SubscribeBatchesOptions,
  type SubscribeOptions,
} from '@rxtrade/core';
import { z } from 'zod';
import { ConnectionManager } from './connection';
import { DeadLetterQueue } from './dead-letters';
import { GroupSubscription } from './group-subscription';
import { type RabbitMqMessageBusOptions, resolveOptions } from './options';
import { PrivateSubscription } from './private-subscription';
import { ConfirmingPublisher, type PublisherStats } from './publisher';
import type { ConsumerStats } from './queue-consumer';
import {
  type ReplyOptions,
  Requester,
  type RequestHandler,
  type RequestOptions,
  Responder,
} from './request-reply';
import { HASH_HEADER, rpcExchange, rpcQueue } from './topology';

/** Counters of one bus, for health checks and metrics. */
export interface RabbitMqBusStats {
  readonly connected: boolean;
  /** Connections re-established after a loss. */
  readonly reconnects: number;
  readonly publisher: PublisherStats;
  readonly consumer: Readonly<ConsumerStats>;
  /** Partitions this process consumes, per group subscription (`<group> <pattern>`). */
  readonly partitions: Readonly<Record<string, readonly number[]>>;
}

/** The exchanges and queues a bus declared, so an operator (or a test) can find or remove them. */
export interface RabbitMqTopology {
  readonly exchanges: readonly string[];
  readonly queues: readonly string[];
}

/**
 * The {@link MessageBus} over RabbitMQ, plus request/reply and introspection. At-least-once: a
 * confirmed publish is on disk (quorum: on a majority) and survives reconnects; a handler may see a
 * message again, which the dedupe window and idempotent handlers absorb.
 */
export interface RabbitMqMessageBus extends MessageBus {
  /** Sends a request to one responder of `topic` and resolves with its reply envelope. */
  request(topic: string, message: BusEnvelope, options?: RequestOptions): Promise<BusEnvelope>;
  /** Answers requests whose topic matches `pattern`; responders of one pattern share the load. */
  reply(pattern: string, handler: RequestHandler, options?: ReplyOptions): Promise<BusSubscription>;
  stats(): RabbitMqBusStats;
  topology(): RabbitMqTopology;
}

const PATTERN = /^([A-Za-z0-9_\-:]+|\*|#)(\.([A-Za-z0-9_\-:]+|\*|#))*$/;

const SubscribeOptionsSchema = z.object({
  group: z
    .string()
    .regex(/^[A-Za-z0-9_\-:.]{1,100}$/)
    .optional(),
  maxDeliveries: z.number().int().min(1).max(1_000).optional(),
  prefetch: z.number().int().min(1).max(65_535).optional(),
  handOver: z.enum(['rebalance', 'on-failure']).optional(),
});

const KeySchema = z.string().min(1).max(200);

function invalid(message: string, cause?: unknown): RxtradeError {
  return new RxtradeError({ code: 'INVALID_ARGUMENT', message, ...(cause === undefined ? {} : { cause }) });
}

function assertPattern(pattern: string): void {
  if (!PATTERN.test(pattern)) throw invalid(`invalid topic pattern ${JSON.stringify(pattern)}`);
}

/**
 * Creates a {@link RabbitMqMessageBus} and connects it. Rejects with `NOT_CONNECTED` if the broker
 * cannot be reached now (fail fast at startup); after that, connection losses are recovered.
 *
 * @example
 * const bus = await createRabbitMqMessageBus({ url: 'amqp://guest:guest@127.0.0.1:5672' });
 * await bus.subscribe('bars.*', onBar, { group: 'strategy' });
 * await bus.publish('bars.SPX', envelope, { key: 'SPX' });
 */
export async function createRabbitMqMessageBus(
  options: RabbitMqMessageBusOptions,
): Promise<RabbitMqMessageBus> {
  const resolved = resolveOptions(options);
  const connection = new ConnectionManager(resolved);
  const publisher = new ConfirmingPublisher(resolved, connection);
  const deadLetterQueue = new DeadLetterQueue(resolved, connection);
  const deadLettersTotal = resolved.metrics.counter(DEAD_LETTERS_METRIC, {
    help: 'Messages moved to the dead-letter queue, by consumer group.',
    labelNames: ['group'],
  });
  const requester = new Requester(resolved, connection);
  const stats: ConsumerStats = { delivered: 0, processed: 0, duplicates: 0, retries: 0, deadLettered: 0 };
  const subscriptions = new Set<BusSubscription>();
  const members = new Map<GroupSubscription, string>();
  const declaredQueues = new Set<string>([deadLetterQueue.queue]);
  const declaredExchanges = new Set<string>([resolved.exchange, rpcExchange(resolved.exchange)]);
  // `draining`: no new subscriptions, but handlers may still publish; `closed`: nothing more.
  let draining = false;
  let closed = false;
  let closing: Promise<void> | undefined;

  // Declared before anything can be dead-lettered, so no dead letter is ever unroutable.
  await connection.add(deadLetterQueue);
  await connection.add(publisher);
  await connection.add(requester);
  await connection.start();

  const ensureOpen = (allowWhileDraining: boolean): void => {
    if (closed || (draining && !allowWhileDraining)) {
      throw new RxtradeError({ code: 'CLOSED', message: 'message bus is closed' });
    }
  };

  const attach = async (subscription: BusSubscription & Parameters<ConnectionManager['add']>[0]) => {
    await connection.whenConnected();
    if (connection.closed) {
      throw new RxtradeError({ code: 'NOT_CONNECTED', message: 'RabbitMQ connection is gone' });
    }
    try {
      await connection.add(subscription);
    } catch (error) {
      await subscription.unsubscribe().catch(() => {});
      throw error instanceof RxtradeError
        ? error
        : new RxtradeError({ code: 'ADAPTER_FAILURE', message: 'subscribe failed', cause: error });
    }
    subscriptions.add(subscription);
    return {
      async unsubscribe() {
        await subscription.unsubscribe();
        subscriptions.delete(subscription);
      },
    };
  };

  const addSubscription = async (
    subscriber: {
      readonly pattern: string;
      readonly handler: BusHandler;
      readonly batch: { readonly handler: BusBatchHandler; readonly max: number } | undefined;
    },
    subscribeOptions: SubscribeOptions,
  ): Promise<BusSubscription> => {
    const { pattern, handler, batch } = subscriber;
    ensureOpen(false);
    assertPattern(pattern);
    const parsed = SubscribeOptionsSchema.safeParse(subscribeOptions);
    if (!parsed.success) throw invalid(`invalid subscribe options: ${z.prettifyError(parsed.error)}`);
    const { group, maxDeliveries = 5, prefetch = resolved.prefetch } = parsed.data;
    const consumer = {
      options: resolved,
      publisher,
      handler,
      ...(batch === undefined ? {} : { batch }),
      maxDeliveries,
      stats,
      scope: group ?? `~${randomUUID()}`,
      deadLetterTopic: `dead-letter.${group ?? 'default'}`,
      group,
      pattern,
      deadLettersTotal,
    };
    if (group === undefined) {
      return attach(new PrivateSubscription({ pattern, prefetch, connection, consumer }));
    }
    const handOver = parsed.data.handOver ?? 'rebalance';
    const member = new GroupSubscription({ group, pattern, prefetch, connection, consumer, handOver });
    members.set(member, `${group} ${pattern}`);
    for (const name of member.topology.partitions) declaredQueues.add(name);
    declaredQueues.add(member.topology.presence);
    declaredExchanges.add(member.topology.hashExchange);
    const subscription = await attach(member).catch((error: unknown) => {
      members.delete(member);
      throw error;
    });
    return {
      async unsubscribe() {
        await subscription.unsubscribe();
        members.delete(member);
      },
    };
  };

  return {
    async publish(topic, message, publishOptions?: PublishOptions) {
      ensureOpen(true);
      assertValidTopic(topic);
      const checked = parseEnvelope(message);
      const key = publishOptions?.key;
      if (key !== undefined && !KeySchema.safeParse(key).success) throw invalid('invalid partition key');
      await publisher.publish({
        exchange: resolved.exchange,
        routingKey: topic,
        body: Buffer.from(JSON.stringify(checked)),
        properties: {
          messageId: checked.id,
          correlationId: checked.correlationId,
          type: checked.type,
          contentType: 'application/json',
          persistent: publishOptions?.persistent !== false,
          headers: { [HASH_HEADER]: key ?? checked.id },
        },
      });
    },

    subscribe(pattern: string, handler: BusHandler, subscribeOptions: SubscribeOptions = {}) {
      return addSubscription({ pattern, handler, batch: undefined }, subscribeOptions);
    },

    async subscribeBatches(pattern: string, handler: BusBatchHandler, options: SubscribeBatchesOptions = {}) {
      const { maxBatch, ...subscribeOptions } = options;
      const batch = { handler, max: checkMaxBatch(maxBatch) };
      const one: BusHandler = (message, context) => handler([{ message, context }]);
      return addSubscription({ pattern, handler: one, batch }, subscribeOptions);
    },

    async request(topic, message, requestOptions: RequestOptions = {}) {
      ensureOpen(true);
      assertValidTopic(topic);
      const timeoutMs = requestOptions.timeoutMs ?? 5_000;
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
        throw invalid('timeoutMs must be a positive integer');
      return requester.request(topic, parseEnvelope(message), timeoutMs);
    },

    async reply(pattern, handler, replyOptions: ReplyOptions = {}) {
      ensureOpen(false);
      assertPattern(pattern);
      const prefetch = replyOptions.prefetch ?? 10;
      if (!Number.isInteger(prefetch) || prefetch < 1) throw invalid('prefetch must be a positive integer');
      declaredQueues.add(rpcQueue(resolved.exchange, pattern));
      return attach(new Responder(resolved, connection, { pattern, handler, prefetch }));
    },

    async deadLetters(query) {
      return deadLetterQueue.list(query);
    },

    async discardDeadLetters(query) {
      return deadLetterQueue.discard(query);
    },

    async replayDeadLetters(query) {
      ensureOpen(true);
      return deadLetterQueue.replay(query);
    },

    stats() {
      return {
        connected: connection.live !== undefined,
        reconnects: connection.reconnects,
        publisher: publisher.stats,
        consumer: { ...stats },
        partitions: Object.fromEntries([...members].map(([member, name]) => [name, member.partitions])),
      };
    },

    topology() {
      return { exchanges: [...declaredExchanges], queues: [...declaredQueues] };
    },

    close() {
      closing ??= (async () => {
        draining = true;
        const deadline = resolved.closeTimeoutMs;
        const unsubscribed = Promise.allSettled([...subscriptions].map((s) => s.unsubscribe()));
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          unsubscribed.then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), deadline);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) resolved.logger.warn({ deadline }, 'rabbitmq: handlers still running at close');
        closed = true;
        await publisher.drain(deadline);
        requester.close();
        await publisher.close();
        await connection.close();
      })();
      return closing;
    },
  };
}
