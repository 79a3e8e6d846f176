import { randomUUID } from 'node:crypto';
import {
  type BusEnvelope,
  type BusSubscription,
  type DeliveryContext,
  parseEnvelope,
  RxtradeError,
} from '@rxtrade/core';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { ConnectionListener, ConnectionManager, Live } from './connection';
import type { ResolvedOptions } from './options';
import { ERROR_HEADER, rpcExchange, rpcQueue } from './topology';

/** Answers one request with a reply envelope. Throwing sends the requester an error. */
export type RequestHandler = (
  request: BusEnvelope,
  context: DeliveryContext,
) => BusEnvelope | Promise<BusEnvelope>;

/** Options for `request`. */
export interface RequestOptions {
  /** Rejects with `TIMEOUT` after this long; the request also expires on the broker then. Default 5,000 ms. */
  readonly timeoutMs?: number;
}

/** Options for `reply`. */
export interface ReplyOptions {
  /** Requests handled at once by this responder. Default 10. */
  readonly prefetch?: number;
}

const REPLY_TO = 'amq.rabbitmq.reply-to';

interface Waiting {
  readonly resolve: (reply: BusEnvelope) => void;
  readonly reject: (error: RxtradeError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Request/reply over RabbitMQ direct reply-to: no reply queue is declared; replies come back on the
 * requester's channel. Requests are transient and expire with their timeout — they are for queries
 * and commands that are safe to lose (the caller sees `TIMEOUT` and decides), not for orders.
 * Published `mandatory`, so a request with no responder fails at once (`NO_RESPONDER`).
 */
export class Requester implements ConnectionListener {
  readonly #options: ResolvedOptions;
  readonly #connection: ConnectionManager;
  readonly #waiting = new Map<string, Waiting>();
  #channel: Channel | undefined;
  #generation = 0;

  constructor(options: ResolvedOptions, connection: ConnectionManager) {
    this.#options = options;
    this.#connection = connection;
  }

  async onConnect(live: Live): Promise<void> {
    const channel = await live.model.createChannel();
    channel.on('error', (error: unknown) =>
      this.#options.logger.warn({ err: error }, 'rabbitmq: request channel error'),
    );
    channel.on('close', () => {
      if (this.#channel !== channel) return;
      this.#lost();
      this.#connection.recycle(live.generation, 'request channel closed');
    });
    channel.on('return', (message: ConsumeMessage) =>
      this.#fail(
        String(message.properties.correlationId),
        new RxtradeError({
          code: 'ADAPTER_FAILURE',
          message: `no responder for ${message.fields.routingKey}`,
          details: { reason: 'NO_RESPONDER', topic: message.fields.routingKey },
        }),
      ),
    );
    await channel.assertExchange(rpcExchange(this.#options.exchange), 'topic', { durable: true });
    await channel.consume(REPLY_TO, (message) => message && this.#onReply(message), { noAck: true });
    this.#channel = channel;
    this.#generation = live.generation;
  }

  onDisconnect(generation: number): void {
    if (generation === this.#generation) this.#lost();
  }

  request(topic: string, envelope: BusEnvelope, timeoutMs: number): Promise<BusEnvelope> {
    const channel = this.#channel;
    if (!channel) {
      return Promise.reject(
        new RxtradeError({ code: 'NOT_CONNECTED', message: 'not connected to RabbitMQ' }),
      );
    }
    const correlationId = randomUUID();
    return new Promise<BusEnvelope>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.#fail(
            correlationId,
            new RxtradeError({
              code: 'TIMEOUT',
              message: `no reply to ${topic} within ${timeoutMs} ms`,
              details: { topic, requestId: envelope.id },
            }),
          ),
        timeoutMs,
      );
      this.#waiting.set(correlationId, { resolve, reject, timer });
      try {
        channel.publish(rpcExchange(this.#options.exchange), topic, Buffer.from(JSON.stringify(envelope)), {
          mandatory: true,
          replyTo: REPLY_TO,
          correlationId,
          messageId: envelope.id,
          contentType: 'application/json',
          type: envelope.type,
          expiration: String(timeoutMs),
        });
      } catch (cause) {
        this.#fail(
          correlationId,
          new RxtradeError({ code: 'NOT_CONNECTED', message: 'request not sent', cause }),
        );
      }
    });
  }

  /** Fails every waiting request with `CLOSED`. */
  close(): void {
    for (const id of [...this.#waiting.keys()]) {
      this.#fail(id, new RxtradeError({ code: 'CLOSED', message: 'bus closed before the reply arrived' }));
    }
    const channel = this.#channel;
    this.#channel = undefined;
    channel?.close().catch(() => {});
  }

  #onReply(message: ConsumeMessage): void {
    const id = String(message.properties.correlationId);
    const failure = message.properties.headers?.[ERROR_HEADER];
    if (failure !== undefined) {
      this.#fail(
        id,
        new RxtradeError({
          code: 'ADAPTER_FAILURE',
          message: `the responder failed: ${String(failure)}`,
          details: { reason: 'HANDLER_FAILED' },
        }),
      );
      return;
    }
    const waiting = this.#waiting.get(id);
    if (!waiting) return; // Late reply after a timeout.
    try {
      const reply = parseEnvelope(JSON.parse(message.content.toString('utf8')));
      this.#waiting.delete(id);
      clearTimeout(waiting.timer);
      waiting.resolve(reply);
    } catch (cause) {
      this.#fail(
        id,
        cause instanceof RxtradeError
          ? cause
          : new RxtradeError({ code: 'INVALID_MESSAGE', message: 'unparseable reply', cause }),
      );
    }
  }

  #fail(id: string, error: RxtradeError): void {
    const waiting = this.#waiting.get(id);
    if (!waiting) return;
    this.#waiting.delete(id);
    clearTimeout(waiting.timer);
    waiting.reject(error);
  }

  #lost(): void {
    this.#channel = undefined;
    for (const id of [...this.#waiting.keys()]) {
      this.#fail(
        id,
        new RxtradeError({
          code: 'NOT_CONNECTED',
          message: 'connection lost while waiting for the reply; the request may have been handled',
        }),
      );
    }
  }
}

/** Responders for one pattern share a queue: each request goes to one of them. */
export class Responder implements ConnectionListener, BusSubscription {
  readonly #options: ResolvedOptions;
  readonly #connection: ConnectionManager;
  readonly #pattern: string;
  readonly #handler: RequestHandler;
  readonly #prefetch: number;
  readonly #inflight = new Set<Promise<void>>();
  #channel: Channel | undefined;
  #generation = 0;
  #unsubscribed: Promise<void> | undefined;

  constructor(
    options: ResolvedOptions,
    connection: ConnectionManager,
    spec: { pattern: string; handler: RequestHandler; prefetch: number },
  ) {
    this.#options = options;
    this.#connection = connection;
    this.#pattern = spec.pattern;
    this.#handler = spec.handler;
    this.#prefetch = spec.prefetch;
  }

  async onConnect(live: Live): Promise<void> {
    if (this.#unsubscribed) return;
    const channel = await live.model.createChannel();
    channel.on('error', (error: unknown) =>
      this.#options.logger.warn({ err: error }, 'rabbitmq: responder channel error'),
    );
    channel.on('close', () => {
      if (this.#channel === channel) this.#connection.recycle(live.generation, 'responder channel closed');
    });
    const exchange = rpcExchange(this.#options.exchange);
    const queue = rpcQueue(this.#options.exchange, this.#pattern);
    await channel.assertExchange(exchange, 'topic', { durable: true });
    await channel.assertQueue(queue, { durable: false, autoDelete: true });
    await channel.bindQueue(queue, exchange, this.#pattern);
    await channel.prefetch(this.#prefetch);
    await channel.consume(queue, (message) => {
      if (!message) return;
      const run = this.#answer(channel, message);
      this.#inflight.add(run);
      void run.finally(() => this.#inflight.delete(run));
    });
    this.#channel = channel;
    this.#generation = live.generation;
  }

  onDisconnect(generation: number): void {
    if (generation === this.#generation) this.#channel = undefined;
  }

  unsubscribe(): Promise<void> {
    this.#unsubscribed ??= (async () => {
      this.#connection.remove(this);
      const channel = this.#channel;
      this.#channel = undefined;
      while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
      await channel?.close().catch(() => {});
    })();
    return this.#unsubscribed;
  }

  async #answer(channel: Channel, message: ConsumeMessage): Promise<void> {
    const { replyTo, correlationId } = message.properties;
    let body = Buffer.alloc(0);
    const headers: Record<string, string> = {};
    try {
      const request = parseEnvelope(JSON.parse(message.content.toString('utf8')));
      const reply = parseEnvelope(
        await this.#handler(request, { topic: message.fields.routingKey, deliveryCount: 1 }),
      );
      body = Buffer.from(JSON.stringify(reply));
    } catch (error) {
      headers[ERROR_HEADER] = error instanceof Error ? error.message : String(error);
    }
    try {
      if (typeof replyTo === 'string' && replyTo.length > 0) {
        channel.publish('', replyTo, body, { correlationId, contentType: 'application/json', headers });
      }
      channel.ack(message);
    } catch (error) {
      // The channel is gone; the requester times out or sees NOT_CONNECTED.
      this.#options.logger.warn({ err: error }, 'rabbitmq: reply not sent');
    }
  }
}
