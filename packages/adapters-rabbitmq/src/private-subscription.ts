import type { BusSubscription } from '@rxtrade/core';
import type { ConnectionListener, ConnectionManager, Live } from './connection';
import { type ConsumerContext, QueueConsumer } from './queue-consumer';

/** What a private subscriber needs besides its consumer context. */
export interface PrivateSettings {
  readonly pattern: string;
  readonly prefetch: number;
  readonly connection: ConnectionManager;
  readonly consumer: Omit<ConsumerContext, 'onUnexpectedClose' | 'queueType'>;
}

/**
 * A subscriber without a group: its own exclusive, auto-delete queue bound with the pattern. It gets
 * a copy of every matching message while connected; nothing is kept for it while it is away, and
 * after a reconnect it starts again on a new queue.
 */
export class PrivateSubscription implements ConnectionListener, BusSubscription {
  readonly #settings: PrivateSettings;
  #consumer: QueueConsumer | undefined;
  #orphans: QueueConsumer[] = [];
  #generation = 0;
  #active = true;
  #unsubscribed: Promise<void> | undefined;

  constructor(settings: PrivateSettings) {
    this.#settings = settings;
  }

  async onConnect(live: Live): Promise<void> {
    if (!this.#active) return;
    for (const orphan of this.#orphans) await orphan.settled();
    this.#orphans = [];
    const { options } = this.#settings.consumer;
    const channel = await live.model.createChannel();
    await channel.assertExchange(options.exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(queue, options.exchange, this.#settings.pattern);
    const consumer: QueueConsumer = new QueueConsumer(
      {
        ...this.#settings.consumer,
        queueType: 'classic',
        onUnexpectedClose: () => {
          if (this.#consumer === consumer) {
            this.#settings.connection.recycle(live.generation, 'subscriber channel closed');
          }
        },
      },
      { channel, queue, prefetch: this.#settings.prefetch },
    );
    this.#consumer = consumer;
    this.#generation = live.generation;
    await consumer.start();
  }

  onDisconnect(generation: number): void {
    if (generation !== this.#generation || !this.#consumer) return;
    this.#consumer.abandon();
    this.#orphans.push(this.#consumer);
    this.#consumer = undefined;
  }

  unsubscribe(): Promise<void> {
    this.#unsubscribed ??= (async () => {
      this.#active = false;
      this.#settings.connection.remove(this);
      const consumer = this.#consumer;
      this.#consumer = undefined;
      await consumer?.stop();
      for (const orphan of this.#orphans) await orphan.settled();
    })();
    return this.#unsubscribed;
  }
}
