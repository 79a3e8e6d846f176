import { createHash } from 'node:crypto';
import { type Logger, RxtradeError } from '@rxtrade/core';
import { type ChainableCommander, Command, type Pipeline, Redis, type RedisOptions } from 'ioredis';
import { type ErrorContext, toRxtradeError } from './errors';

/**
 * How an adapter reaches Redis.
 * - `{ url }`: the adapter creates and owns its connection (with {@link redisClientOptions}, overridable
 *   through `redisOptions`) and quits it on `close()`.
 * - `{ client }`: your ioredis client, shared as you like; `close()` leaves it open (you created it, you
 *   quit it). Create it with {@link createRedisClient} to get the same fail-fast behaviour.
 */
export type RedisConnection =
  | { readonly url: string; readonly redisOptions?: RedisOptions }
  | { readonly client: Redis };

/** Reconnect delays: 100 ms, doubling, capped (default 1 s), ±20 % jitter so a fleet does not reconnect in step. */
export function reconnectBackoff(maxDelayMs = 1_000): (attempt: number) => number {
  return (attempt) => {
    const base = Math.min(100 * 2 ** Math.min(attempt - 1, 16), maxDelayMs);
    return Math.round(base * (0.8 + Math.random() * 0.4));
  };
}

/**
 * The ioredis options this package uses for the connections it creates, chosen so that a call FAILS
 * FAST with a typed error while Redis is down and the client recovers by itself when Redis is back:
 *
 * - `enableOfflineQueue: false`: a command issued while disconnected is rejected at once
 *   (`NOT_CONNECTED`) instead of waiting in memory and running later, long after the caller gave up.
 * - `maxRetriesPerRequest: 0` + `autoResendUnfulfilledCommands: false`: a command in flight when the
 *   connection drops is rejected (`NOT_CONNECTED`, outcome unknown) instead of being re-sent blindly;
 *   re-sending a non-idempotent write could apply it twice. Retry it yourself with the same `eventId`.
 * - `commandTimeout: 1000`: no reply within 1 s → `TIMEOUT` (outcome unknown), e.g. a paused server.
 * - `socketTimeout: 2000`: a socket that stays silent with commands pending is declared dead and
 *   reconnected, so calls after it fail fast instead of each waiting for its own timeout.
 * - `retryStrategy`: reconnect for ever, 100 ms doubling to a 1 s cap, with jitter.
 * - `reconnectOnError`: reconnect on `READONLY` (after a failover we were talking to a replica).
 * - `enableAutoPipelining: false`: the adapters batch their own calls (everything issued in one
 *   event-loop turn goes out as one pipeline, in issue order, several batches in flight); ioredis's
 *   auto-pipelining keeps one batch in flight at a time, so client and server take turns.
 * - `keepAlive: 10000`: TCP keep-alive so an idle connection to a vanished host is noticed.
 */
export function redisClientOptions(overrides: RedisOptions = {}): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    socketTimeout: 2_000,
    keepAlive: 10_000,
    enableAutoPipelining: false,
    retryStrategy: reconnectBackoff(),
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
    ...overrides,
  };
}

/**
 * An ioredis client with {@link redisClientOptions}: create one and pass it as `{ client }` to several
 * adapters so they share a connection. You own it: call `quit()` when done.
 *
 * @example
 * const client = createRedisClient('redis://127.0.0.1:6379');
 * const store = createRedisStateStore({ client });
 * const locks = createRedisLockManager({ client });
 */
export function createRedisClient(url: string, overrides: RedisOptions = {}): Redis {
  return new Redis(url, redisClientOptions(overrides));
}

/** A script invocation: the script, its KEYS and its ARGV. */
export interface ScriptCall {
  readonly script: LuaScript;
  readonly keys: readonly string[];
  readonly args: ReadonlyArray<string | number>;
}

/**
 * How calls of one script share an EVALSHA (see {@link ConnectionHandle.batchScript}): the script takes
 * `header` then each call's ARGV, each call's KEYS in turn, and answers an array with one element
 * per call, in order.
 */
export interface ScriptBatchSpec {
  readonly script: LuaScript;
  /**
   * The script to send to a server of this version (`undefined`: not known yet, see
   * {@link ConnectionHandle.serverVersion}), chosen each time a batch is written. Default: `script`.
   * Every variant takes the same arguments and answers alike.
   */
  readonly scriptFor?: (serverVersion: string | undefined) => LuaScript;
  /** ARGV before the first call's, shared by every call of a batch. */
  readonly header: readonly string[];
  /** Most calls in one batch. */
  readonly maxCalls: number;
  /** A batch takes no more calls once it holds this many ARGV (one larger call still goes, alone). */
  readonly maxArgs: number;
  /** One call's element of the reply → its result; throws for an error of that call alone. */
  readonly decode: (reply: unknown) => unknown;
  readonly context: ErrorContext;
}

/** One adapter's view of its connection: readiness gate, error mapping, ownership. Internal. */
export interface ConnectionHandle {
  readonly client: Redis;
  /** Throws `CLOSED` once the adapter is closed. */
  ensureOpen(): void;
  /** Runs `fn` on a ready client; everything it throws comes out as an {@link RxtradeError}. */
  run<T>(context: ErrorContext, fn: (client: Redis) => Promise<T>): Promise<T>;
  /** Sends one command through the batcher (issue order kept); errors mapped as by `run`. */
  send<T>(context: ErrorContext, add: (pipeline: ChainableCommander) => void): Promise<T>;
  /**
   * Runs a Lua script through the batcher: EVALSHA, then EVAL if Redis answers NOSCRIPT, in issue
   * order like batched scripts (nothing issued later runs before the call that must go again).
   */
  script(context: ErrorContext, call: ScriptCall): Promise<unknown>;
  /**
   * Runs one call of a script that takes many (`spec`), through the batcher: `append` adds the call's
   * KEYS and ARGV to a batch, at once. Calls queued one after another (nothing else between them)
   * share one EVALSHA, up to `spec.maxCalls`; EVAL if Redis answers NOSCRIPT. Each call resolves
   * with its own element of the reply (through `spec.decode`); a failure of the whole command
   * (connection, timeout) rejects every call of the batch.
   */
  batchScript(spec: ScriptBatchSpec, append: (keys: string[], args: string[]) => void): Promise<unknown>;
  /** Resolves once every batched command issued so far has been written (multi-step calls start after it). */
  barrier(): Promise<void>;
  /**
   * `redis_version` of the server on the current connection (INFO server, asked on every connect),
   * or `undefined` until it has answered, while disconnected, if INFO is refused (ACL), or unless
   * the handle was opened with `askServerVersion`.
   */
  serverVersion(): string | undefined;
  /**
   * Idempotent. Calls issued before it complete (except those still waiting for a first connection,
   * which get `CLOSED`); later ones get `CLOSED`. Quits the client only if this handle created it.
   */
  close(): Promise<void>;
}

export interface OpenConnectionOptions {
  /** Named in errors and logs: `StateStore`, `LockManager`, … */
  readonly component: string;
  readonly logger: Logger;
  /** ioredis options for a connection this handle creates (before the user's `redisOptions`). */
  readonly overrides?: RedisOptions;
  /** Use a connection of our own even when the user passed a client (blocking reads, subscriber mode). */
  readonly dedicated?: boolean;
  /** Ask the server's version on every connect, for {@link ConnectionHandle.serverVersion}. */
  readonly askServerVersion?: boolean;
}

const noop = (): void => {};

/** Whether `version` (`redis_version`, e.g. `7.0.15`) is at least `major.minor`; `undefined` is not. */
export function redisVersionAtLeast(version: string | undefined, major: number, minor: number): boolean {
  const match = version === undefined ? null : /^(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [have, haveMinor] = [Number(match[1]), Number(match[2])];
  return have > major || (have === major && haveMinor >= minor);
}

/**
 * ioredis 5 arms one `socketTimeout` timer per client and clears it only when data arrives; if the
 * socket closes first (connection dropped with commands in flight), the timer survives and, when it
 * fires, destroys the NEXT socket — a healthy reconnected one (ioredis#2147, fixed in ioredis 6).
 * Clearing it whenever a socket closes keeps the reconnected connection up. A private field: if
 * ioredis renames it, this does nothing (and the test for it fails).
 */
function clearStaleSocketTimeout(this: Redis): void {
  const internals = this as unknown as { socketTimeoutTimer?: NodeJS.Timeout | undefined };
  if (internals.socketTimeoutTimer !== undefined) {
    clearTimeout(internals.socketTimeoutTimer);
    internals.socketTimeoutTimer = undefined;
  }
}

function notConnected(component: string, why: string): RxtradeError {
  return new RxtradeError({
    code: 'NOT_CONNECTED',
    message: `${component}: Redis is not connected (${why}); nothing was sent`,
    details: { outcome: 'not-applied' },
  });
}

/** Opens (or adopts) a connection. Internal to the adapters of this package. */
export function openConnection(
  connection: RedisConnection,
  options: OpenConnectionOptions,
): ConnectionHandle {
  const { component, logger } = options;
  let client: Redis;
  let owned: boolean;
  if ('client' in connection) {
    if (!(connection.client instanceof Object) || typeof connection.client.evalsha !== 'function') {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `${component}: client must be an ioredis client`,
      });
    }
    if (connection.client.options.keyPrefix) throw keyPrefixRefused(component, 'the client has');
    owned = options.dedicated === true;
    client = owned ? connection.client.duplicate(options.overrides) : connection.client;
  } else {
    if (typeof connection.url !== 'string' || connection.url.length === 0) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `${component}: url must be a non-empty string`,
      });
    }
    if (connection.redisOptions?.keyPrefix) throw keyPrefixRefused(component, 'redisOptions set');
    owned = true;
    client = new Redis(
      connection.url,
      redisClientOptions({ ...options.overrides, ...connection.redisOptions }),
    );
  }

  let closed = false;
  let closing: Promise<void> | undefined;
  let everReady = client.status === 'ready';
  let down = false;
  // Until the first connection is up, calls wait for it (bounded); after that they fail fast.
  const startupWaitMs = Math.max(client.options.connectTimeout ?? 2_000, 1_000);
  let startupTimer: NodeJS.Timeout | undefined;
  let firstReady: Promise<void> | undefined;
  let abandonStartup: (error: RxtradeError) => void = noop;
  if (!everReady) {
    firstReady = new Promise<void>((resolve, reject) => {
      abandonStartup = reject;
      startupTimer = setTimeout(
        () => reject(notConnected(component, `no connection within ${startupWaitMs} ms`)),
        startupWaitMs,
      );
      startupTimer.unref();
      client.once('ready', () => {
        clearTimeout(startupTimer);
        resolve();
      });
    });
    firstReady.catch(noop);
  }

  // Asked again on every connect: a reconnect may reach another server (failover, upgrade).
  let serverVersion: string | undefined;
  let versionEpoch = 0;
  const askVersion = (): void => {
    if (!options.askServerVersion) return;
    const epoch = ++versionEpoch;
    serverVersion = undefined;
    client.info('server').then((info) => {
      if (epoch === versionEpoch) serverVersion = /^redis_version:(\S+)/m.exec(info)?.[1];
    }, noop);
  };
  const forgetVersion = (): void => {
    versionEpoch++;
    serverVersion = undefined;
  };
  if (everReady) askVersion();

  const onReady = (): void => {
    // Before anything waiting for this connection is written: its reply comes first.
    askVersion();
    everReady = true;
    if (down) logger.info({ component }, 'Redis connection restored');
    down = false;
  };
  const onError = (error: Error): void => {
    if (!down)
      logger.warn(
        { component, err: error.message },
        'Redis connection lost; calls fail fast until it is back',
      );
    down = true;
  };
  client.on('ready', onReady);
  client.on('close', forgetVersion);
  // Only on our own connections: on yours, adding an 'error' listener would change what ioredis reports.
  if (owned) {
    client.on('error', onError);
    client.on('close', clearStaleSocketTimeout);
  }

  const ready = async (): Promise<void> => {
    const status = client.status;
    if (status === 'ready') return;
    if (status === 'wait') client.connect().catch(noop);
    if (status === 'end') throw notConnected(component, 'the client was closed');
    if (everReady || !firstReady) throw notConnected(component, `status ${status}`);
    await firstReady;
  };

  const batcher = new TurnBatcher(client, () => serverVersion);
  const closedError = (): RxtradeError =>
    new RxtradeError({ code: 'CLOSED', message: `${component} is closed` });
  /** Multi-step calls (`run`) started before close(): close() lets them finish first. */
  const running = new Set<Promise<unknown>>();

  const runScript = (context: ErrorContext, call: ScriptCall): Promise<unknown> => {
    if (closed) return Promise.reject(closedError());
    if (client.status !== 'ready') {
      return ready().then(
        () => runScript(context, call),
        (error: unknown) => Promise.reject(toRxtradeError(error, context)),
      );
    }
    return batcher.script(call).then(undefined, (error: unknown) => {
      throw toRxtradeError(error, context);
    });
  };

  const batchScript = (
    spec: ScriptBatchSpec,
    append: (keys: string[], args: string[]) => void,
  ): Promise<unknown> => {
    if (closed) return Promise.reject(closedError());
    if (client.status !== 'ready') {
      return ready().then(
        () => batchScript(spec, append),
        (error: unknown) => Promise.reject(toRxtradeError(error, spec.context)),
      );
    }
    return batcher.join(spec, append);
  };

  return {
    client,
    ensureOpen() {
      if (closed) throw closedError();
    },
    run(context, fn) {
      if (closed) return Promise.reject(closedError());
      const call = (async () => {
        try {
          if (client.status !== 'ready') await ready();
          return await fn(client);
        } catch (error) {
          throw toRxtradeError(error, context);
        }
      })();
      running.add(call);
      const forget = (): void => void running.delete(call);
      call.then(forget, forget);
      return call;
    },
    async send<T>(context: ErrorContext, add: (pipeline: ChainableCommander) => void): Promise<T> {
      if (closed) throw closedError();
      try {
        if (client.status !== 'ready') await ready();
        return await batcher.send<T>(add);
      } catch (error) {
        throw toRxtradeError(error, context);
      }
    },
    script: runScript,
    batchScript,
    barrier() {
      return batcher.barrier();
    },
    serverVersion() {
      return serverVersion;
    },
    close() {
      if (closing) return closing;
      closed = true;
      clearTimeout(startupTimer);
      // Calls still waiting for the first connection will not get one now.
      abandonStartup(closedError());
      client.off('ready', onReady);
      client.off('close', forgetVersion);
      closing = (async () => {
        // Calls issued before close() still complete: batched ones are written before QUIT (which
        // Redis answers after them), multi-step ones are awaited.
        await batcher.barrier();
        await Promise.allSettled(running);
        if (!owned) return;
        if (client.status === 'ready') {
          await Promise.race([client.quit().catch(noop), new Promise((r) => setTimeout(r, 1_000).unref())]);
        }
        client.disconnect();
        client.off('error', onError);
        client.off('close', clearStaleSocketTimeout);
        // Keep swallowing late socket errors of a closed connection.
        client.on('error', noop);
      })();
      return closing;
    },
  };
}

/** A Lua script and its SHA1, for EVALSHA (see {@link ConnectionHandle.script}). Internal. */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

/**
 * A command whose arguments are already one flat array of strings (a script call of many applies):
 * ioredis's Command constructor would copy them again with `Array.prototype.flat`, which costs about
 * 0.1 µs per argument — over 100 µs for a call of 64 applies, a sixth of the client's CPU. The
 * arguments are set after construction, where the constructor would have put its copy; ioredis
 * reads them only when it writes the command. It would skip ioredis's `keyPrefix` (the constructor
 * prefixes the keys), which is why a connection with one is refused at open.
 */
class FlatCommand extends Command {
  constructor(name: string, args: string[], client: Redis) {
    super(name, [], {
      replyEncoding: 'utf8',
      ...(client.options.showFriendlyErrorStack ? { errorStack: new Error() } : {}),
    });
    this.args = args;
  }
}

interface Pending {
  readonly add: (pipeline: ChainableCommander) => void;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** One call of an unbatched script (see {@link ConnectionHandle.script}): EVALSHA, or EVAL after NOSCRIPT. */
class ScriptItem {
  /** Answered NOSCRIPT: goes again as EVAL (with the script's source). */
  viaEval = false;

  constructor(
    readonly call: ScriptCall,
    readonly settle: { resolve: (value: unknown) => void; reject: (error: unknown) => void },
  ) {}

  args(): string[] {
    const { script, keys, args } = this.call;
    return [this.viaEval ? script.source : script.sha, String(keys.length), ...keys, ...args.map(String)];
  }
}

/** Calls of one script sharing an EVALSHA (see {@link ConnectionHandle.batchScript}). */
class ScriptBatch {
  readonly keys: string[] = [];
  readonly args: string[];
  readonly resolves: Array<(value: unknown) => void> = [];
  readonly rejects: Array<(error: unknown) => void> = [];
  /** Answered NOSCRIPT: goes again as EVAL (with the script's source). */
  viaEval = false;

  constructor(readonly spec: ScriptBatchSpec) {
    this.args = [...spec.header];
  }

  hasRoom(spec: ScriptBatchSpec): boolean {
    return (
      spec === this.spec &&
      this.resolves.length < spec.maxCalls &&
      this.args.length - spec.header.length < spec.maxArgs
    );
  }

  settle(reply: unknown): void {
    const { resolves, rejects, spec } = this;
    if (!Array.isArray(reply) || reply.length !== resolves.length) {
      this.fail(new Error(`unexpected script reply for ${resolves.length} calls: ${String(reply)}`));
      return;
    }
    for (let i = 0; i < resolves.length; i++) {
      let result: unknown;
      try {
        result = spec.decode(reply[i]);
      } catch (error) {
        (rejects[i] as (error: unknown) => void)(toRxtradeError(error, spec.context));
        continue;
      }
      (resolves[i] as (value: unknown) => void)(result);
    }
  }

  fail(error: unknown): void {
    const mapped = toRxtradeError(error, this.spec.context);
    for (const reject of this.rejects) reject(mapped);
  }
}

/** ioredis's keyPrefix would prefix commands but not SCAN patterns or the keys scripts build. */
function keyPrefixRefused(component: string, where: string): RxtradeError {
  return new RxtradeError({
    code: 'INVALID_CONFIG',
    message: `${component}: ${where} ioredis keyPrefix; use this package's \`prefix\` option instead (SCAN patterns and script keys must be prefixed consistently)`,
  });
}

const isNoScript = (error: unknown): boolean =>
  error instanceof Error && error.message.startsWith('NOSCRIPT');

/**
 * Collects the commands issued until the event loop turns (`setImmediate`: after the I/O callbacks
 * of this turn, so every reply that just arrived has had its caller issue its next call) and writes
 * them as one pipeline: one socket write for N concurrent calls instead of N, several batches in
 * flight at once, commands in issue order on the connection. A lone call waits one loop turn, no
 * extra round trip. Consecutive calls of a batched script ({@link join}) share one command.
 *
 * NOSCRIPT (the script cache was emptied: restart, failover, SCRIPT FLUSH) keeps the order too: the
 * script calls that got it are re-sent as EVAL, in their order, and nothing newer is written before
 * them — the batcher holds new commands until every pipeline already on the wire has answered, so a
 * later call cannot overtake an earlier one that must go again.
 */
class TurnBatcher {
  #pending: Array<Pending | ScriptBatch | ScriptItem> = [];
  #barriers: Array<() => void> = [];
  /** Pipelines written and not yet answered. */
  #inFlight = 0;
  /** Script calls that answered NOSCRIPT, in issue order, to re-send before anything else. */
  #again: Array<ScriptBatch | ScriptItem> = [];

  constructor(
    private readonly client: Redis,
    private readonly serverVersion: () => string | undefined,
  ) {}

  send<T>(add: (pipeline: ChainableCommander) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#enqueue({ add, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /** One call of an unbatched script, kept in order through NOSCRIPT like batched ones. */
  script(call: ScriptCall): Promise<unknown> {
    return new Promise((resolve, reject) => this.#enqueue(new ScriptItem(call, { resolve, reject })));
  }

  /** Adds a call to the last queued batch of `spec` if nothing was queued after it and it has room. */
  join(spec: ScriptBatchSpec, append: (keys: string[], args: string[]) => void): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const last = this.#pending[this.#pending.length - 1];
      let batch: ScriptBatch;
      if (last instanceof ScriptBatch && last.hasRoom(spec)) {
        batch = last;
      } else {
        batch = new ScriptBatch(spec);
        this.#enqueue(batch);
      }
      const keyCount = batch.keys.length;
      const argCount = batch.args.length;
      try {
        append(batch.keys, batch.args);
      } catch (error) {
        // Leave the batch as it was: the other calls in it must not see half of this one.
        batch.keys.length = keyCount;
        batch.args.length = argCount;
        reject(error);
        return;
      }
      batch.resolves.push(resolve);
      batch.rejects.push(reject);
    });
  }

  barrier(): Promise<void> {
    if (this.#pending.length === 0 && this.#again.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#barriers.push(resolve));
  }

  get #holding(): boolean {
    return this.#again.length > 0;
  }

  #enqueue(item: Pending | ScriptBatch | ScriptItem): void {
    this.#pending.push(item);
    if (this.#pending.length === 1 && !this.#holding) setImmediate(this.#flush);
  }

  #flush = (): void => {
    // Scheduled before a NOSCRIPT came back: wait until every earlier pipeline has answered.
    if (this.#holding && this.#inFlight > 0) return;
    // A call that threw in append() can leave an empty batch behind: nothing to send for it.
    const items = [...this.#again, ...this.#pending].filter(
      (item) => !(item instanceof ScriptBatch) || item.resolves.length > 0,
    );
    const barriers = this.#barriers;
    this.#again = [];
    this.#pending = [];
    this.#barriers = [];
    if (items.length === 0) {
      for (const release of barriers) release();
      return;
    }
    const pipeline = this.client.pipeline();
    const version = this.serverVersion();
    for (const item of items) {
      if (item instanceof ScriptItem) {
        const args = item.args();
        const name = item.viaEval ? 'eval' : 'evalsha';
        (pipeline as unknown as Pipeline).sendCommand(new FlatCommand(name, args, this.client));
        continue;
      }
      if (!(item instanceof ScriptBatch)) {
        item.add(pipeline);
        continue;
      }
      // Chosen again if it goes again after NOSCRIPT (nothing of it ran; the server may have changed).
      const { spec } = item;
      const script = spec.scriptFor ? spec.scriptFor(version) : spec.script;
      const [name, first] = item.viaEval
        ? (['eval', script.source] as const)
        : (['evalsha', script.sha] as const);
      const args = [first, String(item.keys.length)].concat(item.keys, item.args);
      // What client.pipeline() returns is a Pipeline; its type only shows the command methods.
      (pipeline as unknown as Pipeline).sendCommand(new FlatCommand(name, args, this.client));
    }
    this.#inFlight++;
    pipeline.exec().then(
      (results) => {
        items.forEach((item, i) => {
          const result = results?.[i];
          const error = result ? result[0] : new Error('Redis pipeline returned no reply');
          if (item instanceof ScriptItem) {
            if (!error) item.settle.resolve(result?.[1]);
            else if (!item.viaEval && isNoScript(error)) {
              // Nothing of it ran: it goes again, as EVAL, before anything issued after it.
              item.viaEval = true;
              this.#again.push(item);
            } else item.settle.reject(error);
          } else if (!(item instanceof ScriptBatch)) {
            if (error) item.reject(error);
            else item.resolve(result?.[1]);
          } else if (!error) {
            item.settle(result?.[1]);
          } else if (!item.viaEval && isNoScript(error)) {
            // Nothing of it ran: it goes again, as EVAL, before anything issued after it.
            item.viaEval = true;
            this.#again.push(item);
          } else {
            item.fail(error);
          }
        });
        this.#answered();
      },
      (error: unknown) => {
        for (const item of items) {
          if (item instanceof ScriptBatch) item.fail(error);
          else if (item instanceof ScriptItem) item.settle.reject(error);
          else item.reject(error);
        }
        this.#answered();
      },
    );
    // exec() has written the batch to the socket (or failed it): later commands go after it.
    for (const release of barriers) release();
  };

  #answered(): void {
    this.#inFlight--;
    // Every pipeline written before the NOSCRIPT has answered: re-send, then what waited behind.
    if (this.#holding && this.#inFlight === 0) setImmediate(this.#flush);
  }
}
