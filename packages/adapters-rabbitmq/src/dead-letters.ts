import {
  BusEnvelopeSchema,
  type DeadLetter,
  type DeadLetterPayload,
  type DeadLetterQuery,
  deadLetterMatches,
  parseDeadLetterQuery,
  type ReplayReport,
  RxtradeError,
} from '@rxtrade/core';
import type { Channel, ConfirmChannel, GetMessage } from 'amqplib';
import { z } from 'zod';
import type { ConnectionListener, ConnectionManager, Live } from './connection';
import type { ResolvedOptions } from './options';
import { deadLetterQueue, groupHashExchange, HASH_HEADER, REPLAY_HEADER } from './topology';

const DeadLetterEnvelopeSchema = BusEnvelopeSchema.extend({
  type: z.literal('MessageDeadLettered'),
  payload: z.object({
    topic: z.string(),
    reason: z.string(),
    deliveries: z.number(),
    message: z.unknown(),
    group: z.string().optional(),
    pattern: z.string().optional(),
    key: z.string().optional(),
  }),
});

type Parsed = DeadLetter['envelope'];

/**
 * The bus's dead-letter queue: a durable classic queue `<exchange>.dead-letters` bound to the main
 * exchange with `dead-letter.#`, declared on every connect, so a dead letter is kept whether or not
 * anyone subscribed to `dead-letter.<group>`. Classic, not quorum: listing peeks by getting messages
 * and handing them back, which keeps a classic queue's order and counts no deliveries.
 */
export class DeadLetterQueue implements ConnectionListener {
  readonly #options: ResolvedOptions;
  readonly #connection: ConnectionManager;
  readonly queue: string;

  constructor(options: ResolvedOptions, connection: ConnectionManager) {
    this.#options = options;
    this.#connection = connection;
    this.queue = deadLetterQueue(options.exchange);
  }

  async onConnect(live: Live): Promise<void> {
    const channel = await live.model.createChannel();
    try {
      await channel.assertExchange(this.#options.exchange, 'topic', { durable: true });
      await channel.assertQueue(this.queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
      await channel.bindQueue(this.queue, this.#options.exchange, 'dead-letter.#');
    } finally {
      await channel.close().catch(() => {});
    }
  }

  onDisconnect(): void {}

  /** The oldest matching dead letters; every message looked at goes back in its place. */
  async list(query?: DeadLetterQuery): Promise<DeadLetter[]> {
    const parsed = parseDeadLetterQuery(query);
    return this.#withChannel(async (channel) => {
      const found: DeadLetter[] = [];
      for (let got = await this.#get(channel); got && found.length < parsed.limit; ) {
        const envelope = parse(got);
        if (envelope && deadLetterMatches(envelope.payload, parsed)) {
          found.push({ envelope, replayable: BusEnvelopeSchema.safeParse(envelope.payload.message).success });
        }
        if (found.length < parsed.limit) got = await this.#get(channel);
      }
      return found;
    });
  }

  /** Republishes matching dead letters to the group subscription that failed them, oldest first. */
  async replay(query?: DeadLetterQuery): Promise<ReplayReport> {
    const parsed = parseDeadLetterQuery(query);
    return this.#withChannel(async (channel, live) => {
      let replayed = 0;
      const skipped: { id: string; reason: string }[] = [];
      const exists = new Map<string, boolean>();
      while (replayed + skipped.length < parsed.limit) {
        const got = await this.#get(channel);
        if (!got) break;
        const envelope = parse(got);
        if (!envelope || !deadLetterMatches(envelope.payload, parsed)) continue;
        const skip = (reason: string) => skipped.push({ id: envelope.id, reason });
        const { payload } = envelope;
        const original = BusEnvelopeSchema.safeParse(payload.message);
        if (!original.success) {
          skip('the original body is not a valid envelope');
          continue;
        }
        if (payload.group === undefined || payload.pattern === undefined) {
          skip('dead-lettered by a subscriber without a group: nothing durable to replay it to');
          continue;
        }
        const target = groupHashExchange(this.#options.exchange, payload.group, payload.pattern);
        if (!exists.has(target)) exists.set(target, await exchangeExists(live, target));
        if (!exists.get(target)) {
          skip(`no subscription of group ${payload.group} on ${payload.pattern} (exchange ${target})`);
          continue;
        }
        const message = original.data;
        channel.publish(target, payload.topic, Buffer.from(JSON.stringify(message)), {
          messageId: message.id,
          correlationId: message.correlationId,
          type: message.type,
          contentType: 'application/json',
          persistent: true,
          headers: {
            [HASH_HEADER]: payload.key ?? message.id,
            // Unique to this dead letter: redeliveries of the replay dedupe among themselves, while the
            // original id (already in the group's dedupe window) does not hide the replay.
            [REPLAY_HEADER]: `${envelope.id}@${envelope.ts}`,
          },
        });
        await channel.waitForConfirms();
        channel.ack(got);
        replayed++;
      }
      if (replayed > 0) {
        this.#options.logger.info(
          { replayed, skipped: skipped.length, queue: this.queue },
          'dead letters replayed',
        );
      }
      return { replayed, skipped };
    });
  }

  /** Acks (removes) matching dead letters, oldest first; every other one goes back in its place. */
  async discard(query?: DeadLetterQuery): Promise<number> {
    const parsed = parseDeadLetterQuery(query);
    const discarded = await this.#withChannel(async (channel) => {
      let count = 0;
      while (count < parsed.limit) {
        const got = await this.#get(channel);
        if (!got) break;
        const envelope = parse(got);
        if (!envelope || !deadLetterMatches(envelope.payload, parsed)) continue;
        channel.ack(got);
        count++;
      }
      return count;
    });
    if (discarded > 0) {
      this.#options.logger.warn({ discarded, query, queue: this.queue }, 'dead letters discarded');
    }
    return discarded;
  }

  async #get(channel: Channel): Promise<GetMessage | undefined> {
    const got = await channel.get(this.queue, { noAck: false });
    return got === false ? undefined : got;
  }

  /**
   * Runs `work` on a channel of its own; closing it hands every message got but not acked back to
   * the queue in its original place.
   */
  async #withChannel<T>(work: (channel: ConfirmChannel, live: Live) => Promise<T>): Promise<T> {
    await this.#connection.whenConnected();
    const live = this.#connection.live;
    if (!live) throw new RxtradeError({ code: 'NOT_CONNECTED', message: 'RabbitMQ connection is gone' });
    const channel = await live.model.createConfirmChannel();
    let failure: unknown;
    channel.on('error', (error: unknown) => {
      failure = error;
    });
    try {
      return await work(channel, live);
    } catch (error) {
      throw new RxtradeError({
        code: 'ADAPTER_FAILURE',
        message: `dead-letter queue ${this.queue}: ${error instanceof Error ? error.message : String(error)}`,
        cause: failure ?? error,
      });
    } finally {
      await channel.close().catch(() => {});
    }
  }
}

function parse(got: GetMessage): Parsed | undefined {
  try {
    const result = DeadLetterEnvelopeSchema.safeParse(JSON.parse(got.content.toString('utf8')));
    return result.success ? (result.data as Parsed & { payload: DeadLetterPayload }) : undefined;
  } catch {
    return undefined;
  }
}

/** Asks on a throwaway channel: a missing exchange closes the channel it was asked on. */
async function exchangeExists(live: Live, name: string): Promise<boolean> {
  const channel = await live.model.createChannel();
  channel.on('error', () => {});
  try {
    await channel.checkExchange(name);
    await channel.close().catch(() => {});
    return true;
  } catch {
    return false;
  }
}
