import { z } from 'zod';
import { RxtradeError } from '../errors';
import {
  DEAD_LETTERS_METRIC,
  type DeadLetter,
  type DeadLetterPayload,
  type DeadLetterQuery,
  deadLetterMatches,
  parseDeadLetterQuery,
  type ReplayReport,
} from './dead-letters';
import { type Logger, noopLogger } from './logger';
import { type MetricsSink, noopMetrics } from './metrics-sink';
import { assertValidTopic, topicMatches } from './topics';

/**
 * The envelope of every message that crosses a process boundary. `id` makes redelivery idempotent;
 * `correlationId` follows a bar → signal → order → fill chain across services.
 */
export interface BusEnvelope<TPayload = unknown> {
  readonly v: 1;
  readonly type: string;
  readonly id: string;
  readonly ts: number;
  readonly correlationId: string;
  readonly payload: TPayload;
}

export const BusEnvelopeSchema = z.object({
  v: z.literal(1),
  type: z.string().min(1).max(200),
  id: z.string().min(1).max(200),
  ts: z.number().int().nonnegative(),
  correlationId: z.string().min(1).max(200),
  payload: z.unknown(),
});

/** Parses an envelope from untrusted input; throws `INVALID_MESSAGE` naming what is wrong. */
export function parseEnvelope(input: unknown): BusEnvelope {
  const result = BusEnvelopeSchema.safeParse(input);
  if (!result.success) {
    throw new RxtradeError({
      code: 'INVALID_MESSAGE',
      message: `invalid bus envelope: ${z.prettifyError(result.error)}`,
      cause: result.error,
    });
  }
  return result.data as BusEnvelope;
}

export interface PublishOptions {
  /**
   * Partition key (e.g. the symbol). Messages with the same key reach the same member of a
   * consumer group, in publish order.
   */
  readonly key?: string;
  /**
   * `false`: the broker may lose the message if it restarts before delivering it (RabbitMQ: a
   * transient message, not written to disk, so it costs the broker far less and is confirmed sooner).
   * Only for messages a consumer can get again elsewhere when one is missing — the fleet's bar frames,
   * which are kept in its journal. A confirmed transient message is still delivered at least once while
   * the broker runs. Default `true`.
   */
  readonly persistent?: boolean;
}

export interface SubscribeOptions {
  /**
   * Consumer group. Subscribers in one group share the messages (each message to one member);
   * each group gets every message. Without a group, the subscriber gets its own copy of everything
   * and nothing is kept for it while it is away.
   */
  readonly group?: string;
  /** Deliveries before a failing message is dead-lettered. Default 5. */
  readonly maxDeliveries?: number;
  /** Messages in flight to this handler at once. Default 1 (keeps per-key order). */
  readonly prefetch?: number;
  /**
   * On a broker whose groups are split into partitions held by members: when a member joins,
   * `'rebalance'` (the default) has the others hand it their share at once, keys and all;
   * `'on-failure'` moves a partition that has delivered a message only when its member is gone
   * (unsubscribed, crashed, disconnected) — a joining member takes free partitions only. For handlers
   * that keep state per key and cannot give a key back mid-stream. Members that join before any
   * message still share evenly.
   */
  readonly handOver?: 'rebalance' | 'on-failure';
}

export interface DeliveryContext {
  readonly topic: string;
  /** 1 on first delivery. */
  readonly deliveryCount: number;
}

/** Resolving acknowledges the message; throwing (or rejecting) asks for redelivery. */
export type BusHandler = (message: BusEnvelope, context: DeliveryContext) => void | Promise<void>;

/** One message of a batch, with its delivery context. */
export interface BusDelivery {
  readonly message: BusEnvelope;
  readonly context: DeliveryContext;
}

/**
 * Handles a batch: messages that were already waiting for one subscriber, in delivery order.
 * Resolving acknowledges all of them; throwing asks for them again, one by one (so one bad message
 * is retried and dead-lettered alone, and the others go through).
 */
export type BusBatchHandler = (deliveries: readonly BusDelivery[]) => void | Promise<void>;

/** Options of {@link MessageBus.subscribeBatches}. */
export interface SubscribeBatchesOptions extends SubscribeOptions {
  /** Most messages in one batch. Default 100. */
  readonly maxBatch?: number;
}

export interface BusSubscription {
  /** Stops delivery; messages in flight finish first. Idempotent. */
  unsubscribe(): Promise<void>;
}

/**
 * Transport between services, at-least-once: a handler may see a message again, so handlers are
 * idempotent by `message.id`. Topics are dotted (`bars.SPX`); patterns use `*` for one word and `#`
 * for zero or more.
 *
 * Dead letters: a message failing `maxDeliveries` times, or failing validation, is kept in the bus's
 * dead-letter queue (declared by the bus, so kept with no one listening), counted in
 * `dead_letters_total{group}`, logged at warn with its reason, and also published as a
 * `MessageDeadLettered` envelope on `dead-letter.<group>` (group `default` when none) for alerting.
 * {@link MessageBus.deadLetters} lists them; {@link MessageBus.replayDeadLetters} sends them back.
 *
 * Implementations: {@link createMemoryMessageBus}, `@rxtrade/rabbitmq`. Every implementation runs
 * `messageBusContract` from `@rxtrade/core/testing`.
 */
export interface MessageBus {
  /** Resolves when the message is safely accepted (for a broker: confirmed). Rejects otherwise. */
  publish(topic: string, message: BusEnvelope, options?: PublishOptions): Promise<void>;
  subscribe(pattern: string, handler: BusHandler, options?: SubscribeOptions): Promise<BusSubscription>;
  /**
   * As {@link subscribe}, with the same groups, keys, order and redelivery, but the messages that are
   * waiting when the handler is free come to it together (one key's, or for the in-memory bus the
   * member's, in order, at most `maxBatch`): a handler that journals or publishes what it received
   * pays one round trip for the batch, not one per message. Optional: {@link subscribeInBatches}
   * falls back to `subscribe`, one message per batch, on a bus without it.
   */
  subscribeBatches?(
    pattern: string,
    handler: BusBatchHandler,
    options?: SubscribeBatchesOptions,
  ): Promise<BusSubscription>;
  /** The oldest dead letters matching `query`, without removing them. */
  deadLetters(query?: DeadLetterQuery): Promise<readonly DeadLetter[]>;
  /**
   * Sends matching dead letters back, oldest first: each original envelope (same id and payload) is
   * delivered again to the subscription that failed it (its group and pattern, on its key's
   * partition), not to every subscriber of the topic, and leaves the dead-letter queue once the bus
   * accepted it. A replayed message that fails again is dead-lettered again.
   */
  replayDeadLetters(query?: DeadLetterQuery): Promise<ReplayReport>;
  /**
   * Removes matching dead letters for good (after you inspected them: `deadLetters` first), oldest
   * first, and resolves with how many. Logged at warn.
   */
  discardDeadLetters(query?: DeadLetterQuery): Promise<number>;
  /** Drains in-flight work, then closes. Idempotent. */
  close(): Promise<void>;
}

export { assertValidTopic, topicMatches } from './topics';

/** `bus.subscribeBatches` where the bus has it, else `bus.subscribe` with batches of one. */
export function subscribeInBatches(
  bus: MessageBus,
  subscription: { readonly pattern: string; readonly handler: BusBatchHandler },
  options?: SubscribeBatchesOptions,
): Promise<BusSubscription> {
  const { pattern, handler } = subscription;
  if (bus.subscribeBatches !== undefined) return bus.subscribeBatches(pattern, handler, options);
  const { maxBatch: _, ...single } = options ?? {};
  return bus.subscribe(pattern, (message, context) => handler([{ message, context }]), single);
}

const DEFAULT_MAX_BATCH = 100;

/** `maxBatch` checked: an integer from 1 to 10,000. */
export function checkMaxBatch(maxBatch: number | undefined): number {
  const max = maxBatch ?? DEFAULT_MAX_BATCH;
  if (!Number.isInteger(max) || max < 1 || max > 10_000) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `maxBatch must be an integer from 1 to 10000, got ${String(maxBatch)}`,
    });
  }
  return max;
}

function hashKey(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return h >>> 0;
}

interface QueuedMessage {
  readonly topic: string;
  readonly message: BusEnvelope;
  readonly key: string | undefined;
}

interface Member {
  readonly handler: BusHandler;
  /** With `subscribeBatches`: the batch handler and the most messages per batch. */
  readonly batch: { readonly handler: BusBatchHandler; readonly max: number } | undefined;
  readonly maxDeliveries: number;
  readonly queue: QueuedMessage[];
  draining: Promise<void> | undefined;
  active: boolean;
}

interface Group {
  readonly name: string;
  readonly pattern: string;
  readonly members: Member[];
  next: number;
}

/** Options of {@link createMemoryMessageBus}. */
export interface MemoryMessageBusOptions {
  /** Where dead letters are logged (warn). Default: discards. */
  readonly logger?: Logger;
  /** Where `dead_letters_total{group}` is counted. Default: discards. */
  readonly metrics?: MetricsSink;
  /**
   * Dead letters kept in memory. Past it the oldest is discarded, logged at error and counted in
   * `dead_letters_discarded_total`. Default 10,000.
   */
  readonly maxDeadLetters?: number;
}

/** The in-memory {@link MessageBus}: one process; messages are delivered asynchronously, in order per member. */
export function createMemoryMessageBus(options: MemoryMessageBusOptions = {}): MessageBus {
  const logger = options.logger ?? noopLogger;
  const metrics = options.metrics ?? noopMetrics;
  const maxDeadLetters = options.maxDeadLetters ?? 10_000;
  const deadLettersTotal = metrics.counter(DEAD_LETTERS_METRIC, {
    help: 'Messages moved to the dead-letter queue, by consumer group.',
    labelNames: ['group'],
  });
  const discardedTotal = metrics.counter('dead_letters_discarded_total', {
    help: 'Dead letters discarded because the in-memory dead-letter queue was full.',
  });
  const groups = new Map<string, Group>();
  const deadLetters: BusEnvelope<DeadLetterPayload>[] = [];
  let anonymous = 0;
  let closed = false;

  const keep = (deadLetter: BusEnvelope<DeadLetterPayload>): void => {
    deadLetters.push(deadLetter);
    const { payload } = deadLetter;
    deadLettersTotal.add(1, { group: payload.group ?? 'default' });
    logger.warn(
      {
        topic: payload.topic,
        group: payload.group ?? 'default',
        reason: payload.reason,
        deliveries: payload.deliveries,
        id: deadLetter.id,
      },
      'message dead-lettered',
    );
    if (deadLetters.length > maxDeadLetters) {
      const dropped = deadLetters.shift();
      discardedTotal.add(1);
      logger.error(
        { id: dropped?.id, maxDeadLetters },
        'in-memory dead-letter queue full: discarded the oldest',
      );
    }
  };

  const deliver = async (member: Member, group: Group, item: QueuedMessage) => {
    let lastError: unknown;
    let deliveries = 0;
    for (let count = 1; count <= member.maxDeliveries; count++) {
      deliveries = count;
      try {
        const checked = parseEnvelope(item.message);
        await member.handler(checked, { topic: item.topic, deliveryCount: count });
        return;
      } catch (error) {
        lastError = error;
        if (error instanceof RxtradeError && error.code === 'INVALID_MESSAGE') break;
      }
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    if (item.topic.startsWith('dead-letter.')) {
      logger.error(
        { topic: item.topic, reason },
        'dropping a failing dead letter (never dead-lettered twice)',
      );
      return;
    }
    const named = !group.name.startsWith('~');
    const payload: DeadLetterPayload = {
      topic: item.topic,
      reason,
      deliveries,
      message: item.message,
      ...(named ? { group: group.name, pattern: group.pattern } : {}),
      ...(item.key === undefined ? {} : { key: item.key }),
    };
    const deadLetter: BusEnvelope<DeadLetterPayload> = {
      v: 1,
      type: 'MessageDeadLettered',
      id: `dl-${item.message.id}`,
      ts: item.message.ts,
      correlationId: item.message.correlationId,
      payload,
    };
    keep(deadLetter);
    route(`dead-letter.${named ? group.name : 'default'}`, deadLetter);
  };

  /** A batch to its handler: true when it took them all; false (a bad envelope, a throw) to go one by one. */
  const deliverBatch = async (member: Member, batch: readonly QueuedMessage[]): Promise<boolean> => {
    const deliveries: BusDelivery[] = [];
    for (const item of batch) {
      const checked = BusEnvelopeSchema.safeParse(item.message);
      if (!checked.success) return false;
      deliveries.push({
        message: checked.data as BusEnvelope,
        context: { topic: item.topic, deliveryCount: 1 },
      });
    }
    try {
      await member.batch?.handler(deliveries);
      return true;
    } catch {
      return false;
    }
  };

  const drain = (member: Member, group: Group): void => {
    if (member.draining) return;
    member.draining = (async () => {
      // Yield first so publish never runs a handler synchronously.
      await Promise.resolve();
      while (member.queue.length > 0) {
        const batch = member.queue.splice(0, member.batch?.max ?? 1);
        if (batch.length === 1 || !(await deliverBatch(member, batch))) {
          for (const item of batch) await deliver(member, group, item);
        }
      }
      member.draining = undefined;
    })();
  };

  const route = (topic: string, message: BusEnvelope, key?: string): void => {
    for (const group of groups.values()) {
      if (group.members.length === 0 || !topicMatches(group.pattern, topic)) continue;
      const index =
        key === undefined ? group.next++ % group.members.length : hashKey(key) % group.members.length;
      const member = group.members[index];
      if (!member) continue;
      member.queue.push({ topic, message, key });
      drain(member, group);
    }
  };

  const addMember = async (
    subscriber: { readonly pattern: string; readonly handler: BusHandler; readonly batch: Member['batch'] },
    options: SubscribeOptions,
  ): Promise<BusSubscription> => {
    const { pattern, handler, batch } = subscriber;
    ensureOpen();
    if (!/^([A-Za-z0-9_\-:]+|\*|#)(\.([A-Za-z0-9_\-:]+|\*|#))*$/.test(pattern)) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: `invalid topic pattern ${JSON.stringify(pattern)}`,
      });
    }
    const name = options.group ?? `~${++anonymous}`;
    const groupKey = `${name}\u0000${pattern}`;
    let group = groups.get(groupKey);
    if (!group) {
      group = { name, pattern, members: [], next: 0 };
      groups.set(groupKey, group);
    }
    const member: Member = {
      handler,
      batch,
      maxDeliveries: options.maxDeliveries ?? 5,
      queue: [],
      draining: undefined,
      active: true,
    };
    group.members.push(member);
    const owner = group;
    return {
      async unsubscribe() {
        if (!member.active) return;
        member.active = false;
        const index = owner.members.indexOf(member);
        if (index >= 0) owner.members.splice(index, 1);
        // Hand undelivered messages to the group's remaining members (nothing is lost), routed by
        // their key as at publish, so each key's messages stay in order on their new member.
        const pending = member.queue.splice(0);
        await member.draining;
        for (const item of pending) {
          const slot = hashKey(item.key ?? item.message.id) % Math.max(1, owner.members.length);
          const next = owner.members[slot];
          if (next) {
            next.queue.push(item);
            drain(next, owner);
          }
        }
      },
    };
  };

  const ensureOpen = (): void => {
    if (closed) throw new RxtradeError({ code: 'CLOSED', message: 'message bus is closed' });
  };

  const replayOne = (deadLetter: BusEnvelope<DeadLetterPayload>): string | undefined => {
    const { payload } = deadLetter;
    const parsed = BusEnvelopeSchema.safeParse(payload.message);
    if (!parsed.success) return 'the original body is not a valid envelope';
    if (payload.group === undefined || payload.pattern === undefined) {
      return 'dead-lettered by a subscriber without a group: nothing durable to replay it to';
    }
    const group = groups.get(`${payload.group}\u0000${payload.pattern}`);
    if (!group || group.members.length === 0) {
      return `no subscriber of group ${payload.group} on ${payload.pattern}`;
    }
    const key = payload.key;
    const index = hashKey(key ?? parsed.data.id) % group.members.length;
    const member = group.members[index];
    if (!member) return `no subscriber of group ${payload.group} on ${payload.pattern}`;
    member.queue.push({ topic: payload.topic, message: parsed.data as BusEnvelope, key });
    drain(member, group);
    return undefined;
  };

  return {
    async publish(topic, message, options) {
      ensureOpen();
      assertValidTopic(topic);
      const checked = parseEnvelope(message);
      // Copy so a publisher mutating its object later cannot change what was sent.
      route(topic, structuredClone(checked), options?.key);
    },
    subscribe(pattern, handler, options = {}) {
      return addMember({ pattern, handler, batch: undefined }, options);
    },
    async subscribeBatches(pattern, handler, options = {}) {
      const batch = { handler, max: checkMaxBatch(options.maxBatch) };
      const one: BusHandler = (message, context) => handler([{ message, context }]);
      return addMember({ pattern, handler: one, batch }, options);
    },
    async deadLetters(query) {
      const parsed = parseDeadLetterQuery(query);
      return deadLetters
        .filter((d) => deadLetterMatches(d.payload, parsed))
        .slice(0, parsed.limit)
        .map((envelope) => ({
          envelope: structuredClone(envelope),
          replayable: BusEnvelopeSchema.safeParse(envelope.payload.message).success,
        }));
    },
    async replayDeadLetters(query) {
      ensureOpen();
      const parsed = parseDeadLetterQuery(query);
      let replayed = 0;
      const skipped: { id: string; reason: string }[] = [];
      for (const deadLetter of deadLetters.filter((d) => deadLetterMatches(d.payload, parsed))) {
        if (replayed + skipped.length >= parsed.limit) break;
        const reason = replayOne(deadLetter);
        if (reason === undefined) {
          deadLetters.splice(deadLetters.indexOf(deadLetter), 1);
          replayed++;
        } else {
          skipped.push({ id: deadLetter.id, reason });
        }
      }
      return { replayed, skipped };
    },
    async discardDeadLetters(query) {
      const parsed = parseDeadLetterQuery(query);
      const doomed = deadLetters.filter((d) => deadLetterMatches(d.payload, parsed)).slice(0, parsed.limit);
      for (const deadLetter of doomed) deadLetters.splice(deadLetters.indexOf(deadLetter), 1);
      if (doomed.length > 0) logger.warn({ discarded: doomed.length, query }, 'dead letters discarded');
      return doomed.length;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const group of groups.values()) for (const member of group.members) await member.draining;
    },
  };
}
