import { RxtradeError } from '@rxtrade/core';
import type { ConfirmChannel, Options } from 'amqplib';
import type { ConnectionListener, ConnectionManager, Live } from './connection';
import type { ResolvedOptions } from './options';

/** One message for {@link ConfirmingPublisher.publish}. */
export interface OutboundMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  readonly properties: Options.Publish;
}

interface Outbound {
  readonly seq: number;
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  readonly properties: Options.Publish;
  readonly resolve: () => void;
  readonly reject: (error: RxtradeError) => void;
  /** `queued`: waiting to be written; `sent`: written on `token`'s channel, waiting for its confirm. */
  state: 'queued' | 'sent' | 'settled';
  token: number;
  readonly deadline: number;
}

/** Counters for the confirming publisher (`ConfirmingPublisher`). */
export interface PublisherStats {
  readonly queued: number;
  readonly unconfirmed: number;
  readonly confirmed: number;
  readonly nacked: number;
  readonly retransmitted: number;
  readonly rejectedFull: number;
  readonly timedOut: number;
}

/**
 * Publishes on a ConfirmChannel and settles each message exactly once: resolved on the broker's ack,
 * rejected on its nack, on timeout, or on close. Messages written but unconfirmed when the channel
 * dies are written again, in their original order, on the next connection — so a confirmed message
 * is never lost and a message may arrive twice (consumers dedupe by id). The buffer holding queued
 * and unconfirmed messages is bounded; when full, `publish` rejects at once.
 */
export class ConfirmingPublisher implements ConnectionListener {
  readonly #options: ResolvedOptions;
  readonly #connection: ConnectionManager;
  /** Waiting to be written, in publish order (retransmissions first). */
  #queue: Outbound[] = [];
  /** Written on the current channel, waiting for a confirm. */
  readonly #unconfirmed = new Map<number, Outbound>();
  #channel: ConfirmChannel | undefined;
  #channelToken = 0;
  #writable = false;
  #seq = 0;
  /** Every unsettled message in publish order, for timeouts: one sweeping timer, not one per message. */
  readonly #unsettled = new Map<number, Outbound>();
  #sweeper: NodeJS.Timeout | undefined;
  #idle: Array<() => void> = [];
  readonly #counts = { confirmed: 0, nacked: 0, retransmitted: 0, rejectedFull: 0, timedOut: 0 };

  constructor(options: ResolvedOptions, connection: ConnectionManager) {
    this.#options = options;
    this.#connection = connection;
  }

  get stats(): PublisherStats {
    return { queued: this.#queue.length, unconfirmed: this.#unconfirmed.size, ...this.#counts };
  }

  /** Buffers one message; resolves on its confirm. */
  publish(message: OutboundMessage): Promise<void> {
    const { exchange, routingKey, body, properties } = message;
    if (this.#queue.length + this.#unconfirmed.size >= this.#options.outboundBufferSize) {
      this.#counts.rejectedFull++;
      return Promise.reject(
        new RxtradeError({
          code: 'ADAPTER_FAILURE',
          message: `outbound buffer full (${this.#options.outboundBufferSize} messages unconfirmed); not sent`,
          details: { reason: 'OUTBOUND_BUFFER_FULL', size: this.#options.outboundBufferSize },
        }),
      );
    }
    if (this.#connection.closed) {
      return Promise.reject(
        new RxtradeError({ code: 'NOT_CONNECTED', message: 'RabbitMQ connection is gone; not sent' }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const item: Outbound = {
        seq: ++this.#seq,
        exchange,
        routingKey,
        body,
        properties,
        resolve,
        reject,
        state: 'queued',
        token: 0,
        deadline: performance.now() + this.#options.publishTimeoutMs,
      };
      this.#unsettled.set(item.seq, item);
      this.#sweeper ??= setInterval(() => this.#sweep(), Math.min(1_000, this.#options.publishTimeoutMs / 2));
      this.#sweeper.unref();
      this.#queue.push(item);
      this.#pump();
    });
  }

  /** Fails messages past their deadline with `TIMEOUT`: oldest first, so it stops at the first young one. */
  #sweep(): void {
    const now = performance.now();
    for (const item of this.#unsettled.values()) {
      if (item.deadline > now) break;
      this.#counts.timedOut++;
      this.#settle(
        item,
        new RxtradeError({
          code: 'TIMEOUT',
          message: `not confirmed within ${this.#options.publishTimeoutMs} ms; it may or may not have been delivered`,
          details: { messageId: item.properties.messageId },
        }),
      );
    }
  }

  /** Resolves when nothing is queued or unconfirmed, or after `timeoutMs`; then fails what is left. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.#queue.length + this.#unconfirmed.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#idle.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    const left = [...this.#queue, ...this.#unconfirmed.values()];
    for (const item of left) {
      this.#settle(
        item,
        new RxtradeError({ code: 'CLOSED', message: 'bus closed before the broker confirmed this message' }),
      );
    }
  }

  async onConnect(live: Live): Promise<void> {
    const channel = await live.model.createConfirmChannel();
    const token = ++this.#channelToken;
    channel.on('error', (error: unknown) =>
      this.#options.logger.warn({ err: error }, 'rabbitmq: publish channel error'),
    );
    channel.on('close', () => {
      if (this.#channelToken !== token) return;
      this.#lost();
      // A channel closed by the broker while the connection lives (e.g. the exchange was deleted):
      // start over on a fresh connection, which re-declares the topology.
      this.#connection.recycle(live.generation, 'publish channel closed');
    });
    channel.on('drain', () => {
      if (this.#channelToken !== token) return;
      this.#writable = true;
      this.#pump();
    });
    await channel.assertExchange(this.#options.exchange, 'topic', { durable: true });
    this.#channel = channel;
    this.#writable = true;
    this.#pump();
  }

  onDisconnect(): void {
    this.#lost();
  }

  /** Closes the publish channel (after `drain`); needed when the connection is the caller's. */
  async close(): Promise<void> {
    const channel = this.#channel;
    this.#channelToken++;
    this.#channel = undefined;
    await channel?.close().catch(() => {});
  }

  /** The channel is gone: everything unconfirmed goes back to the front of the queue, in order. */
  #lost(): void {
    this.#channel = undefined;
    this.#channelToken++;
    this.#writable = false;
    if (this.#unconfirmed.size === 0) return;
    const back = [...this.#unconfirmed.values()].sort((a, b) => a.seq - b.seq);
    this.#unconfirmed.clear();
    for (const item of back) item.state = 'queued';
    this.#counts.retransmitted += back.length;
    this.#queue = [...back, ...this.#queue];
  }

  #pump(): void {
    const channel = this.#channel;
    if (!channel) return;
    const token = this.#channelToken;
    while (this.#writable && this.#queue.length > 0) {
      const item = this.#queue.shift();
      if (item?.state !== 'queued') continue;
      item.state = 'sent';
      item.token = token;
      this.#unconfirmed.set(item.seq, item);
      try {
        this.#writable = channel.publish(
          item.exchange,
          item.routingKey,
          item.body,
          item.properties,
          (error) => this.#confirmed(item, token, error),
        );
      } catch {
        // The channel closed under us; its close handler requeues everything unconfirmed.
        this.#writable = false;
        if (this.#channelToken === token) this.#lost();
        return;
      }
    }
  }

  #confirmed(item: Outbound, token: number, error: unknown): void {
    if (item.state !== 'sent' || item.token !== token) return;
    if (!error) {
      this.#counts.confirmed++;
      this.#settle(item, undefined);
      return;
    }
    if (error instanceof Error && error.message === 'message nacked') {
      this.#counts.nacked++;
      this.#settle(
        item,
        new RxtradeError({
          code: 'ADAPTER_FAILURE',
          message: 'the broker refused the message (basic.nack)',
          details: { reason: 'NACKED', messageId: item.properties.messageId },
        }),
      );
    }
    // Any other error is the channel closing: `#lost` puts the message back for retransmission.
  }

  #settle(item: Outbound, error: RxtradeError | undefined): void {
    if (item.state === 'settled') return;
    const wasQueued = item.state === 'queued';
    item.state = 'settled';
    this.#unsettled.delete(item.seq);
    this.#unconfirmed.delete(item.seq);
    if (this.#unsettled.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
    if (wasQueued) {
      const index = this.#queue.indexOf(item);
      if (index >= 0) this.#queue.splice(index, 1);
    }
    if (error) item.reject(error);
    else item.resolve();
    if (this.#queue.length + this.#unconfirmed.size === 0 && this.#idle.length > 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
  }
}
