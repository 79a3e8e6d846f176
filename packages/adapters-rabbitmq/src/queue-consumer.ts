import { randomUUID } from 'node:crypto';
import {
  type BusBatchHandler,
  type BusDelivery,
  type BusEnvelope,
  type BusHandler,
  type Counter,
  type DeadLetterPayload,
  parseEnvelope,
} from '@rxtrade/core';
import type { Channel, ConsumeMessage } from 'amqplib';
import { sleep } from './backoff';
import type { ResolvedOptions } from './options';
import type { ConfirmingPublisher } from './publisher';
import { DEAD_HEADERS, HASH_HEADER, REPLAY_HEADER } from './topology';

/** How long a graceful stop waits after the last ack before closing the channel. */
const ACK_GRACE_MS = 250;

/** Counters shared by every consumer of one bus. */
export interface ConsumerStats {
  delivered: number;
  processed: number;
  /** Deliveries skipped because their id was in the dedupe window. */
  duplicates: number;
  /** Handler attempts after the first (a throw asked for redelivery). */
  retries: number;
  deadLettered: number;
}

/** What a consumer needs from the bus and its subscription. */
export interface ConsumerContext {
  readonly options: ResolvedOptions;
  readonly publisher: ConfirmingPublisher;
  readonly handler: BusHandler;
  /**
   * With `subscribeBatches`: the messages waiting in a lane go to this handler together (at most
   * `max`), acked together once it resolved; if it throws they go one by one through `handler`.
   */
  readonly batch?: { readonly handler: BusBatchHandler; readonly max: number };
  readonly maxDeliveries: number;
  /** Dedupe scope: the group, or the private subscription's own name. */
  readonly scope: string;
  /** `dead-letter.<group>`, or `dead-letter.default`. */
  readonly deadLetterTopic: string;
  /** The group and pattern subscribed, recorded in dead letters so a replay finds its way back. */
  readonly group: string | undefined;
  readonly pattern: string;
  /** `dead_letters_total{group}`. */
  readonly deadLettersTotal: Counter;
  /** Quorum queues count deliveries (`x-delivery-count`); classic ones only flag a redelivery. */
  readonly queueType: 'quorum' | 'classic';
  readonly stats: ConsumerStats;
  /** The channel closed without being asked to (queue deleted, consumer timeout, …). */
  readonly onUnexpectedClose: () => void;
}

/**
 * Consumes one queue on its own channel: manual acks, `prefetch` unacked at a time, and handlers run
 * in per-key lanes (the `x-rxtrade-hash` header; unkeyed messages share one lane), so prefetch > 1
 * adds concurrency across keys without reordering any key. A message is acked only after its handler
 * resolved and its id was recorded, or after it was dead-lettered and that was confirmed.
 */
export class QueueConsumer {
  readonly #context: ConsumerContext;
  readonly #channel: Channel;
  readonly #queue: string;
  readonly #prefetch: number;
  /** Messages waiting per key; a lane exists while it has work and is drained by one loop. */
  readonly #lanes = new Map<string, ConsumeMessage[]>();
  #busyLanes = 0;
  #idle: Array<() => void> = [];
  /** Set when stopping or when the channel is gone: nothing more starts, nothing more is acked. */
  #stopped = false;
  #open = true;
  #closing = false;
  #lastAckAt = Number.NEGATIVE_INFINITY;
  #delivered = 0;

  constructor(context: ConsumerContext, source: { channel: Channel; queue: string; prefetch: number }) {
    const { channel, queue, prefetch } = source;
    this.#context = context;
    this.#channel = channel;
    this.#queue = queue;
    this.#prefetch = prefetch;
    channel.on('error', (error: unknown) =>
      context.options.logger.warn({ err: error, queue }, 'rabbitmq: consumer channel error'),
    );
    channel.on('close', () => {
      this.#open = false;
      this.#stopped = true;
      if (!this.#closing) context.onUnexpectedClose();
    });
  }

  async start(): Promise<void> {
    await this.#channel.prefetch(this.#prefetch);
    await this.#channel.consume(this.#queue, (message) => {
      if (message === null) {
        // The broker cancelled us (queue deleted or failed over).
        this.#context.onUnexpectedClose();
        return;
      }
      this.#dispatch(message);
    });
  }

  /** Resolves when every handler that started has finished. */
  settled(): Promise<void> {
    if (this.#busyLanes === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Stops gracefully: no new handler starts, running ones finish and are acked, then the channel is
   * closed, which hands every delivered-but-unstarted message back to the queue in its order.
   */
  async stop(): Promise<void> {
    if (this.#closing) return this.settled();
    this.#closing = true;
    this.#stopped = true;
    // No basic.cancel first: on a quorum queue, messages delivered between a cancel and the channel
    // close are returned behind newer ones (seen on 3.10), which would reorder a key at hand-over.
    // Closing the channel alone returns every unacked message in delivery order.
    await this.settled();
    // Quorum queues apply acks asynchronously; acks still in flight when the channel closes are lost
    // and those messages come back to the next owner (seen on 3.10 under load). Give recent acks a
    // moment to land; whatever still slips through is redelivered, flagged, and deduped by id.
    const sinceAck = performance.now() - this.#lastAckAt;
    if (this.#open && sinceAck < ACK_GRACE_MS) await sleep(ACK_GRACE_MS - sinceAck);
    if (this.#open) await this.#channel.close().catch(() => {});
  }

  /** The connection is gone: the broker requeued everything unacked; drop local state. */
  abandon(): void {
    this.#closing = true;
    this.#stopped = true;
    this.#open = false;
  }

  /** Messages this consumer was delivered (its partition has carried traffic to this member). */
  get delivered(): number {
    return this.#delivered;
  }

  #dispatch(message: ConsumeMessage): void {
    this.#context.stats.delivered++;
    this.#delivered++;
    const hash = message.properties.headers?.[HASH_HEADER];
    // The hash header is the key, or the message id when the publisher gave no key: unkeyed
    // messages share one lane, so a subscriber sees them in order as well.
    const lane = typeof hash === 'string' && hash !== message.properties.messageId ? hash : '';
    const waiting = this.#lanes.get(lane);
    if (waiting) {
      waiting.push(message);
      return;
    }
    const queue = [message];
    this.#lanes.set(lane, queue);
    this.#busyLanes++;
    void this.#drain(lane, queue);
  }

  async #drain(lane: string, queue: ConsumeMessage[]): Promise<void> {
    const max = this.#context.batch?.max ?? 1;
    while (queue.length > 0) {
      const batch = queue.splice(0, max);
      try {
        if (batch.length > 1 && (await this.#processBatch(batch))) continue;
        for (const message of batch) await this.#process(message);
      } catch (error) {
        this.#context.options.logger.error({ err: error, queue: this.#queue }, 'rabbitmq: delivery failed');
      }
    }
    this.#lanes.delete(lane);
    if (--this.#busyLanes === 0 && this.#idle.length > 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
  }

  /**
   * A lane's waiting messages through the batch handler at once, acked together. False, with nothing
   * acked, when any of them needs the one-by-one path (unparseable, a duplicate, delivered too often)
   * or the handler threw: then each goes through {@link #process}, which retries, deduplicates and
   * dead-letters it alone.
   */
  async #processBatch(messages: readonly ConsumeMessage[]): Promise<boolean> {
    const context = this.#context;
    const handler = context.batch?.handler;
    if (handler === undefined || this.#stopped) return false;
    const deliveries: BusDelivery[] = [];
    const dedupeIds: string[] = [];
    for (const message of messages) {
      let envelope: BusEnvelope;
      try {
        envelope = parseEnvelope(JSON.parse(message.content.toString('utf8')));
      } catch {
        return false;
      }
      const dedupeId = this.#dedupeId(message, envelope);
      const seen = context.options.dedupe.has(context.scope, dedupeId);
      if (seen === true || (seen !== false && (await seen))) return false;
      const prior = priorDeliveries(message, context.queueType);
      if (prior >= context.maxDeliveries) return false;
      deliveries.push({
        message: envelope,
        context: { topic: message.fields.routingKey, deliveryCount: prior + 1 },
      });
      dedupeIds.push(dedupeId);
    }
    try {
      await handler(deliveries);
    } catch {
      return false;
    }
    for (const dedupeId of dedupeIds) {
      const added = context.options.dedupe.add(context.scope, dedupeId);
      if (added) await added;
    }
    context.stats.processed += messages.length;
    for (const message of messages) this.#ack(message);
    return true;
  }

  /** A replay is deduped under its own token: the original id is already in the window. */
  #dedupeId(message: ConsumeMessage, envelope: BusEnvelope): string {
    const replay = message.properties.headers?.[REPLAY_HEADER];
    return typeof replay === 'string' ? `${envelope.id}~${replay}` : envelope.id;
  }

  async #process(message: ConsumeMessage): Promise<void> {
    if (this.#stopped) return;
    const context = this.#context;
    const topic = message.fields.routingKey;
    const text = message.content.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      await this.#deadLetter(message, {
        reason: `unparseable message body: ${error instanceof Error ? error.message : String(error)}`,
        message: text.length > 65_536 ? `${text.slice(0, 65_536)}…` : text,
        deliveries: 1,
      });
      return;
    }
    let envelope: BusEnvelope;
    try {
      envelope = parseEnvelope(parsed);
    } catch (error) {
      await this.#deadLetter(message, {
        reason: error instanceof Error ? error.message : String(error),
        message: parsed,
        deliveries: 1,
      });
      return;
    }
    const { dedupe } = context.options;
    const dedupeId = this.#dedupeId(message, envelope);
    const seen = dedupe.has(context.scope, dedupeId);
    if (seen === true || (seen !== false && (await seen))) {
      context.stats.duplicates++;
      this.#ack(message);
      return;
    }
    const prior = priorDeliveries(message, context.queueType);
    if (prior >= context.maxDeliveries) {
      await this.#deadLetter(
        message,
        {
          reason: `delivered ${prior} times without an acknowledgement (the consumer crashed or lost its connection while handling it)`,
          message: envelope,
          deliveries: prior,
        },
        { envelope, dedupeId },
      );
      return;
    }
    for (let attempt = 1; ; attempt++) {
      const deliveryCount = prior + attempt;
      try {
        await context.handler(envelope, { topic, deliveryCount });
        break;
      } catch (error) {
        if (deliveryCount >= context.maxDeliveries) {
          await this.#deadLetter(
            message,
            {
              reason: error instanceof Error ? error.message : String(error),
              message: envelope,
              deliveries: deliveryCount,
            },
            { envelope, dedupeId },
          );
          return;
        }
        // Stopping: leave it unacked; the broker hands it to whoever consumes next.
        if (this.#stopped) return;
        context.stats.retries++;
        const { initialMs, maxMs } = context.options.retryDelay;
        await sleep(Math.min(maxMs, initialMs * 2 ** (attempt - 1)));
        if (this.#stopped) return;
      }
    }
    const added = dedupe.add(context.scope, dedupeId);
    if (added) await added;
    context.stats.processed++;
    this.#ack(message);
  }

  async #deadLetter(
    message: ConsumeMessage,
    dead: Pick<DeadLetterPayload, 'reason' | 'message' | 'deliveries'>,
    original?: { readonly envelope: BusEnvelope; readonly dedupeId: string },
  ): Promise<void> {
    const context = this.#context;
    const envelope = original?.envelope;
    const topic = message.fields.routingKey;
    if (topic.startsWith('dead-letter.')) {
      // Never dead-letter a dead letter (it would loop); say so loudly instead.
      context.options.logger.error(
        { topic, reason: dead.reason },
        'rabbitmq: dropping a failing dead letter',
      );
      this.#ack(message);
      return;
    }
    const id = envelope?.id ?? message.properties.messageId ?? randomUUID();
    const hash = message.properties.headers?.[HASH_HEADER];
    const key = typeof hash === 'string' && hash !== id ? hash : undefined;
    const { group, pattern } = context;
    const payload: DeadLetterPayload = {
      topic,
      ...dead,
      ...(group === undefined ? {} : { group, pattern }),
      ...(key === undefined ? {} : { key }),
    };
    const deadLetter: BusEnvelope<DeadLetterPayload> = {
      v: 1,
      type: 'MessageDeadLettered',
      id: `dl-${id}`,
      ts: context.options.clock.now(),
      correlationId: envelope?.correlationId ?? String(message.properties.correlationId ?? id),
      payload,
    };
    try {
      await context.publisher.publish({
        exchange: context.options.exchange,
        routingKey: context.deadLetterTopic,
        body: Buffer.from(JSON.stringify(deadLetter)),
        properties: {
          messageId: deadLetter.id,
          contentType: 'application/json',
          persistent: true,
          type: deadLetter.type,
          correlationId: deadLetter.correlationId,
          headers: {
            [DEAD_HEADERS.reason]: dead.reason.slice(0, 1_000),
            [DEAD_HEADERS.deliveries]: dead.deliveries,
            [DEAD_HEADERS.topic]: topic,
            [DEAD_HEADERS.group]: group ?? 'default',
          },
        },
      });
    } catch (error) {
      // Not confirmed: keep the original. Hand it back so it is dead-lettered again later.
      context.options.logger.error({ err: error, topic }, 'rabbitmq: dead-letter publish failed; requeueing');
      if (this.#open && !this.#stopped) this.#channel.nack(message, false, true);
      return;
    }
    context.stats.deadLettered++;
    context.deadLettersTotal.add(1, { group: group ?? 'default' });
    context.options.logger.warn(
      {
        topic,
        group: group ?? 'default',
        reason: dead.reason,
        deliveries: dead.deliveries,
        id: deadLetter.id,
      },
      'message dead-lettered',
    );
    if (original) {
      const added = context.options.dedupe.add(context.scope, original.dedupeId);
      if (added) await added;
    }
    this.#ack(message);
  }

  #ack(message: ConsumeMessage): void {
    // An ack on a dead channel would be refused (unknown delivery tag); the broker redelivers instead.
    if (this.#open) {
      this.#channel.ack(message);
      this.#lastAckAt = performance.now();
    }
  }
}

/** Deliveries before this one. */
function priorDeliveries(message: ConsumeMessage, queueType: 'quorum' | 'classic'): number {
  const count = message.properties.headers?.['x-delivery-count'];
  if (queueType === 'quorum' && typeof count === 'number') return count;
  return message.fields.redelivered ? 1 : 0;
}
