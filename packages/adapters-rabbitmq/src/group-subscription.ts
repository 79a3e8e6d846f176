import { randomInt } from 'node:crypto';
import { type BusSubscription, RxtradeError } from '@rxtrade/core';
import type { Channel } from 'amqplib';
import type { ConnectionListener, ConnectionManager, Live } from './connection';
import { type ConsumerContext, QueueConsumer } from './queue-consumer';
import { type GroupTopology, groupTopology, HASH_HEADER, RING_WEIGHT } from './topology';

interface Held {
  readonly consumer: QueueConsumer;
  readonly generation: number;
}

/** What a group member needs besides its consumer context. */
export interface GroupSettings {
  readonly group: string;
  readonly pattern: string;
  readonly prefetch: number;
  readonly connection: ConnectionManager;
  readonly consumer: Omit<ConsumerContext, 'onUnexpectedClose' | 'queueType'>;
  /** See `SubscribeOptions.handOver`: with `'on-failure'`, only partitions that delivered nothing are handed over. */
  readonly handOver: 'rebalance' | 'on-failure';
}

/**
 * One member of a consumer group. The group's messages are split by key over `partitions` durable
 * queues by a consistent-hash exchange; each partition is consumed by one member at a time:
 *
 * - ownership is an exclusive (connection-scoped) lock queue per partition, so it ends when the
 *   owner's connection does, crash included;
 * - every partition queue is also single-active-consumer, so even a stale consumer racing a new owner
 *   cannot run a key out of order: the broker activates the next consumer only after the previous
 *   one is gone and its unacked messages are back at the head of the queue;
 * - members count each other through a presence queue and take `ceil(partitions / members)` each,
 *   rebalancing every `rebalanceIntervalMs`. A member over its share hands partitions over
 *   gracefully: it finishes running handlers, then closes the channel, returning the rest in order.
 *   With `handOver: 'on-failure'` it hands over only partitions that have delivered nothing to it.
 */
export class GroupSubscription implements ConnectionListener, BusSubscription {
  readonly #settings: GroupSettings;
  readonly #topology: GroupTopology;
  readonly #partitions: number;
  readonly #held = new Map<number, Held>();
  /** Consumers of a lost connection whose handlers may still be running. */
  #orphans: QueueConsumer[] = [];
  #live: Live | undefined;
  #control: Channel | undefined;
  #presence: Channel | undefined;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #active = true;
  #unsubscribed: Promise<void> | undefined;
  readonly #offset: number;

  constructor(settings: GroupSettings) {
    this.#settings = settings;
    const { options } = settings.consumer;
    this.#partitions = options.partitions;
    this.#topology = groupTopology({
      exchange: options.exchange,
      group: settings.group,
      pattern: settings.pattern,
      partitions: options.partitions,
    });
    this.#offset = randomInt(options.partitions);
  }

  /** Names of what this member declared, for operators and test clean-up. */
  get topology(): GroupTopology {
    return this.#topology;
  }

  /** Partitions this member consumes now. */
  get partitions(): number[] {
    return [...this.#held.keys()].sort((a, b) => a - b);
  }

  async onConnect(live: Live): Promise<void> {
    if (!this.#active) return;
    for (const orphan of this.#orphans) await orphan.settled();
    this.#orphans = [];
    const { options } = this.#settings.consumer;
    const topology = this.#topology;
    const control = await this.#controlChannel(live);
    await control.assertExchange(options.exchange, 'topic', { durable: true });
    try {
      await control.assertExchange(topology.hashExchange, 'x-consistent-hash', {
        durable: true,
        arguments: { 'hash-header': HASH_HEADER },
      });
    } catch (cause) {
      // 403: the user may not declare it (its configure permission); anything else: the plugin.
      const refused = (cause as { code?: unknown } | undefined)?.code === 403;
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: refused
          ? `access refused to declare ${topology.hashExchange}: the user's configure permission does not cover it`
          : 'cannot declare an x-consistent-hash exchange: enable the plugin with `rabbitmq-plugins enable rabbitmq_consistent_hash_exchange`',
        cause,
      });
    }
    await control.bindExchange(topology.hashExchange, options.exchange, this.#settings.pattern);
    for (const queue of topology.partitions) {
      await control.assertQueue(queue, {
        durable: true,
        arguments: { 'x-queue-type': options.queueType, 'x-single-active-consumer': true },
      });
      await control.bindQueue(queue, topology.hashExchange, RING_WEIGHT);
    }
    // Not durable, expires a minute after its last member left.
    await control.assertQueue(topology.presence, { durable: false, arguments: { 'x-expires': 60_000 } });
    const presence = await live.model.createChannel();
    presence.on('error', () => {});
    await presence.consume(topology.presence, () => {}, { noAck: true });
    this.#presence = presence;
    this.#live = live;
    await this.#schedule();
    if (!this.#timer) {
      this.#timer = setInterval(() => void this.#schedule(), options.rebalanceIntervalMs);
      this.#timer.unref();
    }
  }

  onDisconnect(generation: number): void {
    if (this.#live?.generation !== generation) return;
    this.#live = undefined;
    this.#control = undefined;
    this.#presence = undefined;
    for (const held of this.#held.values()) {
      held.consumer.abandon();
      this.#orphans.push(held.consumer);
    }
    this.#held.clear();
  }

  unsubscribe(): Promise<void> {
    this.#unsubscribed ??= this.#stop();
    return this.#unsubscribed;
  }

  async #stop(): Promise<void> {
    this.#active = false;
    clearInterval(this.#timer);
    this.#settings.connection.remove(this);
    await this.#chain;
    await Promise.all([...this.#held.keys()].map((partition) => this.#release(partition)));
    for (const orphan of this.#orphans) await orphan.settled();
    await this.#presence?.close().catch(() => {});
    await this.#control?.close().catch(() => {});
    this.#presence = undefined;
    this.#control = undefined;
  }

  /** Runs one rebalance after any running one; never two at once. */
  #schedule(): Promise<void> {
    this.#chain = this.#chain.then(() =>
      this.#rebalance().catch((error: unknown) =>
        this.#settings.consumer.options.logger.warn({ err: error }, 'rabbitmq: rebalance failed'),
      ),
    );
    return this.#chain;
  }

  async #rebalance(): Promise<void> {
    const live = this.#live;
    if (!live || !this.#active) return;
    const control = await this.#controlChannel(live);
    const { consumerCount } = await control.checkQueue(this.#topology.presence);
    const share = Math.ceil(this.#partitions / Math.max(1, consumerCount));
    if (this.#held.size > share) {
      const movable = [...this.#held.entries()]
        .filter(([, held]) => this.#settings.handOver === 'rebalance' || held.consumer.delivered === 0)
        .map(([partition]) => partition);
      const surplus = movable.sort((a, b) => b - a).slice(0, this.#held.size - share);
      await Promise.all(surplus.map((partition) => this.#release(partition)));
      return;
    }
    if (this.#held.size >= share) return;
    const free: number[] = [];
    for (let i = 0; i < this.#partitions; i++) {
      const partition = (this.#offset + i) % this.#partitions;
      if (this.#held.has(partition)) continue;
      if (this.#live !== live || !this.#active) return;
      const queue = this.#topology.partitions[partition] ?? '';
      const probe = await (await this.#controlChannel(live)).checkQueue(queue);
      if (probe.consumerCount === 0) free.push(partition);
    }
    // Acquire concurrently (each on its own channels), so a new owner starts on all at once.
    await Promise.all(
      free.slice(0, share - this.#held.size).map((partition) => this.#acquire(partition, live)),
    );
  }

  async #acquire(partition: number, live: Live): Promise<void> {
    // A refused lock closes the channel it was asked on, so ask on a throwaway one.
    const lockChannel = await live.model.createChannel();
    lockChannel.on('error', () => {});
    try {
      await lockChannel.assertQueue(this.#topology.locks[partition] ?? '', {
        exclusive: true,
        durable: false,
      });
    } catch {
      return; // Someone else owns it.
    }
    await lockChannel.close().catch(() => {});
    const channel = await live.model.createChannel();
    const consumer = new QueueConsumer(
      {
        ...this.#settings.consumer,
        queueType: this.#settings.consumer.options.queueType,
        onUnexpectedClose: () => {
          if (this.#held.get(partition)?.consumer === consumer) {
            this.#settings.connection.recycle(live.generation, `partition ${partition} consumer closed`);
          }
        },
      },
      { channel, queue: this.#topology.partitions[partition] ?? '', prefetch: this.#settings.prefetch },
    );
    this.#held.set(partition, { consumer, generation: live.generation });
    await consumer.start();
  }

  async #release(partition: number): Promise<void> {
    const held = this.#held.get(partition);
    if (!held) return;
    this.#held.delete(partition);
    await held.consumer.stop();
    const live = this.#live;
    if (live && live.generation === held.generation) {
      const control = await this.#controlChannel(live).catch(() => undefined);
      await control?.deleteQueue(this.#topology.locks[partition] ?? '').catch(() => {});
    }
  }

  async #controlChannel(live: Live): Promise<Channel> {
    if (this.#control) return this.#control;
    const channel = await live.model.createChannel();
    channel.on('error', () => {});
    channel.on('close', () => {
      if (this.#control === channel) this.#control = undefined;
    });
    this.#control = channel;
    return channel;
  }
}
