import { Socket } from 'node:net';
import { RxtradeError } from '@rxtrade/core';
import { type ChannelModel, connect } from 'amqplib';
import { backoffDelay, sleep } from './backoff';
import type { ResolvedOptions } from './options';

/** A live connection and its generation: every reconnect starts a new generation. */
export interface Live {
  readonly model: ChannelModel;
  readonly generation: number;
}

/** Something that keeps channels on the connection: re-created on each generation. */
export interface ConnectionListener {
  /** Sets up on a new connection. Throwing drops the connection and retries after a backoff. */
  onConnect(live: Live): Promise<void>;
  /** The connection of `generation` is gone (its channels with it). */
  onDisconnect(generation: number): void;
}

type State = 'idle' | 'connecting' | 'connected' | 'closed';

/**
 * Owns the AMQP connection: connects, notices loss (amqplib emits both `error` and `close`; only
 * `close` drives recovery, so one loss is handled once), reconnects with capped exponential backoff
 * and re-runs every listener's setup, in registration order, on the new connection. amqplib's own
 * recovery is not used because the bus must re-create channels, consumers and unconfirmed publishes
 * in a known order.
 */
export class ConnectionManager {
  readonly #options: ResolvedOptions;
  readonly #listeners: ConnectionListener[] = [];
  #state: State = 'idle';
  #live: Live | undefined;
  #generation = 0;
  #reconnects = 0;
  #waiters: Array<() => void> = [];
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** Resolves on close(): ends a wait on a caller-supplied connection that will not close itself. */
  #closeSignal: () => void = () => {};
  readonly #closed = new Promise<void>((resolve) => {
    this.#closeSignal = resolve;
  });

  constructor(options: ResolvedOptions) {
    this.#options = options;
  }

  /** The connection when it is set up, else undefined. */
  get live(): Live | undefined {
    return this.#state === 'connected' ? this.#live : undefined;
  }

  get reconnects(): number {
    return this.#reconnects;
  }

  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** Connects once; rejects with `NOT_CONNECTED` if that first attempt fails (fail fast at startup). */
  async start(): Promise<void> {
    const model = await this.#open().catch((cause: unknown) => {
      throw new RxtradeError({
        code: 'NOT_CONNECTED',
        message: `cannot connect to RabbitMQ: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause,
      });
    });
    this.#loop = this.#run(model);
    await this.whenConnected();
  }

  /** Adds a listener; if a connection is up, sets the listener up on it now (errors propagate). */
  async add(listener: ConnectionListener): Promise<void> {
    this.#listeners.push(listener);
    const live = this.live;
    if (live) await listener.onConnect(live);
  }

  remove(listener: ConnectionListener): void {
    const index = this.#listeners.indexOf(listener);
    if (index >= 0) this.#listeners.splice(index, 1);
  }

  /** Resolves when a connection is set up (at once if it is), or when the manager closes. */
  whenConnected(): Promise<void> {
    if (this.#state === 'connected' || this.#state === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Drops the current connection (e.g. after an unexpected channel error); recovery follows. */
  recycle(generation: number, reason: string): void {
    const live = this.#live;
    if (!live || live.generation !== generation || this.#options.connection) return;
    this.#options.logger.warn({ reason }, 'rabbitmq: recycling connection');
    live.model.close().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#wake?.();
    this.#closeSignal();
    const live = this.#live;
    if (live && !this.#options.connection) await live.model.close().catch(() => {});
    this.#flushWaiters();
    await this.#loop;
  }

  async #open(): Promise<ChannelModel> {
    if (this.#options.connection) return this.#options.connection;
    const url = new URL(this.#options.url ?? '');
    if (!url.searchParams.has('heartbeat'))
      url.searchParams.set('heartbeat', String(this.#options.heartbeatSeconds));
    // noDelay: without it Nagle's algorithm and delayed ACKs add ~40 ms to every lone confirm round trip.
    const model = await connect(url.toString(), {
      noDelay: true,
      clientProperties: { connection_name: this.#options.connectionName },
    });
    coalesceWrites(model);
    return model;
  }

  async #run(first: ChannelModel): Promise<void> {
    let model: ChannelModel | undefined = first;
    let attempt = 0;
    while (this.#state !== 'closed') {
      if (!model) {
        try {
          model = await this.#open();
          if (this.closed) {
            await model.close().catch(() => {});
            break;
          }
        } catch (error) {
          this.#options.logger.warn({ err: error, attempt }, 'rabbitmq: reconnect failed');
        }
      }
      if (model) {
        const lost = new Promise<void>((resolve) => {
          model?.once('close', () => resolve());
        });
        // amqplib emits `error` before `close`; without a listener an `error` would crash the process.
        model.on('error', (error: unknown) =>
          this.#options.logger.warn({ err: error }, 'rabbitmq: connection error'),
        );
        model.on('blocked', (reason: string) =>
          this.#options.logger.warn({ reason }, 'rabbitmq: connection blocked by the broker'),
        );
        const live: Live = { model, generation: ++this.#generation };
        this.#live = live;
        if (!this.closed) this.#state = 'connecting';
        let setUp = false;
        try {
          // Index loop: listeners added while setting up are set up too.
          for (let i = 0; i < this.#listeners.length && !this.closed; i++) {
            await this.#listeners[i]?.onConnect(live);
          }
          setUp = true;
        } catch (error) {
          this.#options.logger.warn({ err: error }, 'rabbitmq: setup after connect failed; reconnecting');
          if (!this.#options.connection) model.close().catch(() => {});
        }
        if (setUp && !this.closed) {
          this.#state = 'connected';
          attempt = 0;
          this.#flushWaiters();
        }
        await Promise.race([lost, this.#closed]);
        if (this.#live === live) this.#live = undefined;
        for (const listener of [...this.#listeners]) listener.onDisconnect(live.generation);
        model = undefined;
        if (this.closed) break;
        this.#state = 'connecting';
        if (this.#options.connection) {
          this.#options.logger.error({}, 'rabbitmq: caller-supplied connection closed; cannot reconnect');
          this.#state = 'closed';
          this.#flushWaiters();
          break;
        }
        this.#reconnects++;
      }
      const delay = backoffDelay(this.#options.reconnect, attempt++);
      await Promise.race([sleep(delay), new Promise<void>((resolve) => (this.#wake = resolve))]);
    }
  }

  #flushWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/**
 * amqplib writes each frame it has queued (a publish, an ack) to the socket on its own: one system
 * call and, with noDelay, one TCP segment each. Corking the socket while its write loop runs sends
 * what the loop found in one `writev`, which the broker also reads in one go. Reaches into amqplib's
 * connection (`connection.stream`, `connection.muxer._readIncoming`, stable since 0.5); where those are
 * not found, the connection is left as it is.
 */
export function coalesceWrites(model: ChannelModel): boolean {
  const connection = (model as unknown as { connection?: AmqplibConnection }).connection;
  const socket = connection?.stream;
  const muxer = connection?.muxer;
  if (!(socket instanceof Socket) || typeof muxer?._readIncoming !== 'function') return false;
  const writeLoop = muxer._readIncoming.bind(muxer);
  muxer._readIncoming = () => {
    socket.cork();
    try {
      writeLoop();
    } finally {
      socket.uncork();
    }
  };
  return true;
}

interface AmqplibConnection {
  readonly stream?: unknown;
  readonly muxer?: { _readIncoming?: () => void };
}
