import { z } from 'zod';
import { RxtradeError } from '../errors';

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
}

export interface DeliveryContext {
  readonly topic: string;
  /** 1 on first delivery. */
  readonly deliveryCount: number;
}

/** Resolving acknowledges the message; throwing (or rejecting) asks for redelivery. */
export type BusHandler = (message: BusEnvelope, context: DeliveryContext) => void | Promise<void>;

export interface BusSubscription {
  /** Stops delivery; messages in flight finish first. Idempotent. */
  unsubscribe(): Promise<void>;
}

/** Payload of a `MessageDeadLettered` envelope, published on `dead-letter.<group>`. */
export interface DeadLetterPayload {
  readonly topic: string;
  readonly reason: string;
  readonly deliveries: number;
  /** The original envelope, or the raw body when it could not be parsed. */
  readonly message: unknown;
}

/**
 * Transport between services, at-least-once: a handler may see a message again, so handlers are
 * idempotent by `message.id`. Topics are dotted (`bars.SPX`); patterns use `*` for one word and `#`
 * for zero or more. Messages failing `maxDeliveries` times, or failing validation, are published as
 * `MessageDeadLettered` envelopes on `dead-letter.<group>` (group `default` when none).
 *
 * Implementations: {@link createMemoryMessageBus}, `@rxtrade/rabbitmq`. Every implementation runs
 * `messageBusContract` from `@rxtrade/core/testing`.
 */
export interface MessageBus {
  /** Resolves when the message is safely accepted (for a broker: confirmed). Rejects otherwise. */
  publish(topic: string, message: BusEnvelope, options?: PublishOptions): Promise<void>;
  subscribe(pattern: string, handler: BusHandler, options?: SubscribeOptions): Promise<BusSubscription>;
  /** Drains in-flight work, then closes. Idempotent. */
  close(): Promise<void>;
}

/** AMQP-style topic match: `*` is one word, `#` is zero or more words. */
export function topicMatches(pattern: string, topic: string): boolean {
  const p = pattern.split('.');
  const t = topic.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === t.length;
    const word = p[i];
    if (word === '#') {
      for (let k = j; k <= t.length; k++) if (match(i + 1, k)) return true;
      return false;
    }
    if (j === t.length) return false;
    return (word === '*' || word === t[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

const TOPIC = /^[A-Za-z0-9_\-:]+(\.[A-Za-z0-9_\-:]+)*$/;

/** Validates a topic name (no wildcards). */
export function assertValidTopic(topic: string): void {
  if (!TOPIC.test(topic)) {
    throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: `invalid topic ${JSON.stringify(topic)}` });
  }
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

/** The in-memory {@link MessageBus}: one process; messages are delivered asynchronously, in order per member. */
export function createMemoryMessageBus(): MessageBus {
  const groups = new Map<string, Group>();
  let anonymous = 0;
  let closed = false;

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
    if (!item.topic.startsWith('dead-letter.')) {
      const payload: DeadLetterPayload = {
        topic: item.topic,
        reason,
        deliveries,
        message: item.message,
      };
      route(`dead-letter.${group.name.startsWith('~') ? 'default' : group.name}`, {
        v: 1,
        type: 'MessageDeadLettered',
        id: `dl-${item.message.id}`,
        ts: item.message.ts,
        correlationId: item.message.correlationId,
        payload,
      });
    }
  };

  const drain = (member: Member, group: Group): void => {
    if (member.draining) return;
    member.draining = (async () => {
      // Yield first so publish never runs a handler synchronously.
      await Promise.resolve();
      for (let item = member.queue.shift(); item; item = member.queue.shift())
        await deliver(member, group, item);
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

  const ensureOpen = (): void => {
    if (closed) throw new RxtradeError({ code: 'CLOSED', message: 'message bus is closed' });
  };

  return {
    async publish(topic, message, options) {
      ensureOpen();
      assertValidTopic(topic);
      const checked = parseEnvelope(message);
      // Copy so a publisher mutating its object later cannot change what was sent.
      route(topic, structuredClone(checked), options?.key);
    },
    async subscribe(pattern, handler, options = {}) {
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
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const group of groups.values()) for (const member of group.members) await member.draining;
    },
  };
}
