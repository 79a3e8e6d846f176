import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  isRxtradeError,
  type Logger,
  type MetricsSink,
  type OrderRequest,
  priceToUnitsExact,
  RxtradeError,
} from '@rxtrade/core';
import { createPrometheusMetrics, type EventLoopMonitor, type PrometheusMetrics } from '@rxtrade/prometheus';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Subscription } from 'rxjs';
import { type ApiKeyRecord, type ApiKeyStore, type Scope, verifyApiKey } from './api-keys';
import { ApiError, errorBody, notFound, unauthorized } from './errors';
import type { GatewayBackend } from './gateway-backend';
import { openApiDocument } from './openapi';
import type { RateLimiter } from './rate-limit';
import {
  CancelBodySchema,
  CancelQuerySchema,
  EmptyBodySchema,
  EmptyQuerySchema,
  IdSchema,
  KillSwitchBodySchema,
  OrdersQuerySchema,
  PageQuerySchema,
  parseOr400,
  StreamQuerySchema,
  SubmitOrderBodySchema,
  TradingStateBodySchema,
} from './schemas';
import { createStreamTokens, type StreamTokens } from './stream-tokens';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey: ApiKeyRecord | null;
  }
  interface FastifyContextConfig {
    /** Scope a route needs; routes without one are public (dashboard files, /health, /metrics). */
    scope?: Scope;
    /** The route also accepts a stream token in `?token=` (only `GET /api/stream`). */
    streamToken?: boolean;
  }
}

/** Options of {@link createGatewayApp}. */
export interface GatewayAppOptions {
  readonly backend: GatewayBackend;
  /** Where API key records (hashes) are looked up. */
  readonly keys: ApiKeyStore;
  /** Per-key limiter: Redis-backed across replicas, in-memory for one process. */
  readonly rateLimit: RateLimiter;
  readonly logger: Logger;
  /** Served at `/metrics`; the gateway's own metrics are recorded in it. Default: a fresh registry. */
  readonly metrics?: PrometheusMetrics;
  /**
   * Serve `/metrics` on this app. False when the process serves it on a port of its own
   * (`METRICS_PORT`), so the public route never exposes it. Default true.
   */
  readonly metricsRoute?: boolean;
  /** Largest request body. Default 16 KiB. */
  readonly bodyLimit?: number;
  /** Default: in-memory, 30 s, single use. */
  readonly streamTokens?: StreamTokens;
  /** SSE comment heartbeat. Default 15 s. */
  readonly heartbeatMs?: number;
  /**
   * Longest wait for a dependency (the key store, the rate limiter, the backend) before the request
   * is answered 503 with `Retry-After`: a stalled Redis or broker never holds a client. Default 3 s.
   * Checked every tenth of it (at least every 10 ms), so a stalled call ends within 1.1 times this.
   */
  readonly dependencyTimeoutMs?: number;
  /** `/health` is 503 while the monitor reports a stalled event loop. */
  readonly eventLoop?: EventLoopMonitor;
}

/** Seconds a client is told to wait (`Retry-After`) when a dependency is unavailable. */
const RETRY_AFTER_SECONDS = '2';

/** The 503 of an unavailable dependency. */
const unavailable = (): ApiError =>
  new ApiError(503, 'UNAVAILABLE', 'the trading backend is not available; retry later').with({
    'retry-after': RETRY_AFTER_SECONDS,
  });

/** A call waiting on a dependency, and what ends it when its deadline passes. */
interface Waiting {
  readonly at: number;
  readonly expire: () => void;
}

/**
 * The deadlines of calls to the gateway's dependencies, checked by one timer: a call costs a set
 * insertion and deletion instead of a timer of its own (three calls per request). Every deadline is
 * `ms` after its call, so calls expire in the order they were made and a sweep stops at the first
 * one still in time. The timer runs only while calls wait, and never holds the process open.
 */
class Deadlines {
  readonly ms: number;
  readonly #period: number;
  readonly #waiting = new Set<Waiting>();
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.ms = ms;
    this.#period = Math.max(10, Math.floor(ms / 10));
  }

  track(expire: () => void): Waiting {
    const waiting: Waiting = { at: performance.now() + this.ms, expire };
    this.#waiting.add(waiting);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#sweep(), this.#period);
      this.#timer.unref();
    }
    return waiting;
  }

  done(waiting: Waiting): void {
    this.#waiting.delete(waiting);
  }

  #sweep(): void {
    const now = performance.now();
    for (const waiting of this.#waiting) {
      if (waiting.at > now) return;
      this.#waiting.delete(waiting);
      waiting.expire();
    }
    // Nothing waits: stop until the next call (kept running while calls come and go).
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Wraps every method of a dependency: a call that takes longer than `deadlines.ms` fails `TIMEOUT`,
 * and with `opaque` (a plain Redis client underneath) any failure that is not a typed error becomes
 * `ADAPTER_FAILURE`, so the gateway answers 503 rather than 500 while Redis or the broker is away.
 */
function withDeadline<T extends object>(target: T, deadlines: Deadlines, opaque: boolean): T {
  // One wrapper per method, made on first use (not one closure per property read), and one promise
  // per call (not a race of two promises with a catch and a finally on top).
  const wrappers = new Map<
    PropertyKey,
    { readonly method: unknown; readonly wrapper: (...args: unknown[]) => unknown }
  >();
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function' || property === 'live$') return value;
      const cached = wrappers.get(property);
      // A method replaced on the dependency (a test's stub, a reconnect) gets a wrapper of its own.
      if (cached?.method === value) return cached.wrapper;
      const method = value as (...args: unknown[]) => unknown;
      const wrapper = (...args: unknown[]) => {
        const result: unknown = method.apply(object, args);
        if (!(result instanceof Promise)) return result;
        return new Promise((resolve, reject) => {
          const waiting = deadlines.track(() =>
            reject(
              new RxtradeError({
                code: 'TIMEOUT',
                message: `${String(property)} took over ${deadlines.ms} ms`,
              }),
            ),
          );
          result.then(
            (answer: unknown) => {
              deadlines.done(waiting);
              resolve(answer);
            },
            (error: unknown) => {
              deadlines.done(waiting);
              reject(
                !opaque || isRxtradeError(error)
                  ? error
                  : new RxtradeError({
                      code: 'ADAPTER_FAILURE',
                      message: `${String(property)} failed`,
                      cause: error,
                    }),
              );
            },
          );
        });
      };
      wrappers.set(property, { method: value, wrapper });
      return wrapper;
    },
  });
}

/**
 * Headers on every response. The CSP allows only same-origin scripts, styles and connections (the
 * dashboard has no inline script or style), forbids framing, and no `X-Powered-By` is ever set.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'cache-control': 'no-store',
};

const PUBLIC_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

const MAX_SSE_BUFFER = 1 << 20;

function canSee(key: ApiKeyRecord, accountId: string): boolean {
  return key.accounts === '*' || key.accounts.includes(accountId);
}

function keyOf(request: FastifyRequest): ApiKeyRecord {
  if (request.apiKey === null) throw unauthorized();
  return request.apiKey;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([\x21-\x7e]{1,200})$/.exec(header);
  return match ? match[1] : undefined;
}

/** Maps a backend failure to a client-safe error; unknown failures become a bare 500. */
function backendError(error: unknown): ApiError | undefined {
  if (!isRxtradeError(error)) return undefined;
  switch (error.code) {
    case 'INVALID_ARGUMENT':
      return new ApiError(400, 'INVALID_ORDER', 'the order is not valid');
    case 'UNKNOWN_INSTRUMENT':
      return new ApiError(400, 'UNKNOWN_INSTRUMENT', 'unknown instrument');
    case 'DUPLICATE_ORDER':
      return new ApiError(409, 'DUPLICATE_ORDER', 'client order id already in use');
    case 'UNKNOWN_ACCOUNT':
      return notFound('account');
    case 'UNKNOWN_ORDER':
      return notFound('order');
    case 'NOT_STARTED':
    case 'NOT_CONNECTED':
    case 'TIMEOUT':
    case 'CLOSED':
    case 'ADAPTER_FAILURE':
      return unavailable();
    default:
      return undefined;
  }
}

/**
 * The gateway's HTTP app (Fastify 5), not listening yet: `await app.listen({ port, host })`.
 *
 * Every `/api` request passes, in order: authentication (one identical 401), the per-key rate limit
 * (429 + `Retry-After`), the route's scope (403), body/query validation (strict zod, 400), then
 * per-account access (404 for accounts the key may not see, exactly as for unknown ones). Errors are
 * `{ error: { code, message } }` and never carry stack traces or internals.
 */
export function createGatewayApp(options: GatewayAppOptions): FastifyInstance {
  const deadlines = new Deadlines(options.dependencyTimeoutMs ?? 3_000);
  const backend = withDeadline(options.backend, deadlines, false);
  const keys = withDeadline(options.keys, deadlines, true);
  const rateLimit = withDeadline(options.rateLimit, deadlines, true);
  const log = options.logger;
  const metrics = options.metrics ?? createPrometheusMetrics({ defaultMetrics: false });
  const sink: MetricsSink = metrics;
  const tokens = options.streamTokens ?? createStreamTokens();
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const files = new Map(
    Object.entries(PUBLIC_FILES).map(([path, { file, type }]) => [
      path,
      { body: readFileSync(new URL(`./public/${file}`, import.meta.url)), type },
    ]),
  );
  const requests = sink.counter('gateway_http_requests_total', {
    help: 'Gateway HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
  });
  const duration = sink.histogram('gateway_http_request_duration_seconds', {
    help: 'Gateway HTTP request duration',
    labelNames: ['route'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  });
  const authFailures = sink.counter('gateway_auth_failures_total', { help: 'Requests refused with 401' });
  const limited = sink.counter('gateway_rate_limited_total', { help: 'Requests refused with 429' });
  const streamsOpen = sink.gauge('gateway_sse_streams', { help: 'Open SSE streams' });

  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 16 * 1024,
    trustProxy: false,
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { maxParamLength: 200 },
    // Router-level failures (a malformed URL, a too-long path parameter) happen before any hook:
    // answer them in the same shape and with the same headers as everything else.
    frameworkErrors: (error, _request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void (reply as unknown as FastifyReply)
        .headers(SECURITY_HEADERS)
        .code(tooLong ? 414 : 400)
        .send(
          errorBody(
            tooLong ? 'URI_TOO_LONG' : 'BAD_URL',
            tooLong ? 'path parameter too long' : 'malformed URL',
          ),
        );
    },
  });
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('apiKey', null);

  const tooMany = (retryAfterMs: number): ApiError => {
    limited.add();
    const seconds = String(Math.max(1, Math.ceil(retryAfterMs / 1_000)));
    return new ApiError(429, 'RATE_LIMITED', 'too many requests').with({ 'retry-after': seconds });
  };

  const streams = new Set<() => void>();
  let streamCount = 0;

  app.addHook('onRequest', async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    reply.header('x-request-id', request.id);
    const config = request.routeOptions.config;
    const scope = config.scope;
    if (scope === undefined) return;
    let key: ApiKeyRecord | undefined;
    const presented = bearer(request);
    if (presented !== undefined) {
      key = await verifyApiKey(keys, presented);
    } else if (config.streamToken === true && request.headers.authorization === undefined) {
      const token = (request.query as Record<string, unknown>)['token'];
      const keyId = typeof token === 'string' ? tokens.redeem(token) : undefined;
      key = keyId === undefined ? undefined : await keys.get(keyId);
    }
    if (key === undefined) {
      authFailures.add();
      // Failed attempts are limited per client address (the socket's: trustProxy is off), so
      // guessing costs a 429 long before it costs anything else. Successful requests never touch it.
      const failures = await rateLimit.consume(`unauth:${request.ip}`);
      if (!failures.allowed) throw tooMany(failures.retryAfterMs);
      throw unauthorized();
    }
    request.apiKey = key;
    const decision = await rateLimit.consume(`key:${key.id}`);
    reply.header('ratelimit-limit', String(rateLimit.capacity));
    reply.header('ratelimit-remaining', String(decision.remaining));
    if (!decision.allowed) throw tooMany(decision.retryAfterMs);
    if (!key.scopes.includes(scope)) {
      throw new ApiError(403, 'FORBIDDEN', `this key lacks the ${scope} scope`);
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = String(reply.statusCode);
    requests.add(1, { method: request.method, route, status });
    duration.observe(reply.elapsedTime / 1_000, { route });
    // Never the Authorization header, the query (stream tokens) or the body. Answers that went well
    // and 429s (counted above) are debug lines: at the default level a busy gateway writes no log
    // line per request.
    const line = {
      reqId: request.id,
      method: request.method,
      route,
      status: reply.statusCode,
      keyId: request.apiKey?.id,
      ms: Math.round(reply.elapsedTime),
    };
    if (reply.statusCode < 400 || reply.statusCode === 429) log.debug(line, 'request');
    else log.info(line, 'request');
  });

  app.setErrorHandler(async (error: unknown, request, reply) => {
    let api: ApiError;
    const e = error as { code?: unknown; statusCode?: unknown; validation?: unknown };
    if (error instanceof ApiError) api = error;
    else if (e.validation !== undefined && error instanceof Error)
      api = new ApiError(400, 'VALIDATION_FAILED', error.message);
    else if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      api = new ApiError(413, 'PAYLOAD_TOO_LARGE', 'request body too large');
    else if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      api = new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/json');
    else if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
      api = new ApiError(
        e.statusCode,
        e.statusCode === 400 ? 'INVALID_JSON' : 'BAD_REQUEST',
        'malformed request',
      );
    else {
      const mapped = backendError(error);
      if (mapped) api = mapped;
      else {
        log.error({ reqId: request.id, err: error }, 'unhandled gateway error');
        api = new ApiError(500, 'INTERNAL', 'internal error');
      }
    }
    return reply
      .code(api.status)
      .headers(api.headers)
      .send(errorBody(api.code, api.message, api.details));
  });

  app.setNotFoundHandler(async (_request, reply) =>
    reply.code(404).send(errorBody('NOT_FOUND', 'no such route')),
  );

  // ---- public: dashboard, health, metrics ----
  for (const [path, file] of files) {
    app.get(path, async (_request, reply) =>
      reply.type(file.type).header('cache-control', 'no-cache').send(file.body),
    );
  }

  const metricsRoute = options.metricsRoute ?? true;
  app.get('/api/openapi.json', async () => openApiDocument({ metricsRoute }));

  app.get('/health', async (_request, reply) => {
    const loop = options.eventLoop?.status();
    const loopCheck = loop === undefined ? {} : { eventLoop: loop.healthy };
    try {
      const health = await backend.health();
      const ok = health.ok && (loop?.healthy ?? true);
      return reply.code(ok ? 200 : 503).send({
        status: ok ? 'ok' : 'unavailable',
        checks: { ...health.checks, ...loopCheck },
        ...(loop === undefined ? {} : { loop }),
      });
    } catch (error) {
      log.warn({ err: error }, 'health check failed');
      return reply.code(503).send({ status: 'unavailable', checks: loopCheck });
    }
  });

  if (metricsRoute) {
    app.get('/metrics', async (_request, reply) =>
      reply.type(metrics.contentType).send(await metrics.metrics()),
    );
  }

  // ---- read ----
  const read = { config: { scope: 'read' as const } };

  const visibleAccount = async (key: ApiKeyRecord, rawId: unknown) => {
    const id = IdSchema.safeParse(rawId);
    if (!id.success || !canSee(key, id.data)) throw notFound('account');
    const account = await backend.getAccount(id.data);
    if (account === undefined) throw notFound('account');
    return account;
  };
  /** The same 404s for the order routes, without loading the account's positions. */
  const visibleAccountId = async (key: ApiKeyRecord, rawId: unknown): Promise<string> => {
    const id = IdSchema.safeParse(rawId);
    if (!id.success || !canSee(key, id.data) || !(await backend.hasAccount(id.data))) {
      throw notFound('account');
    }
    return id.data;
  };

  app.get('/api/accounts', read, async (request) => {
    parseOr400(EmptyQuerySchema, request.query, 'query');
    const key = keyOf(request);
    const accounts = await backend.listAccounts();
    return { accounts: accounts.filter((a) => canSee(key, a.accountId)) };
  });

  app.get('/api/accounts/:id', read, async (request) => {
    parseOr400(EmptyQuerySchema, request.query, 'query');
    return { account: await visibleAccount(keyOf(request), (request.params as { id: string }).id) };
  });

  // Lists are paged (`limit`, default 100; `cursor` from the previous page's `nextCursor`).
  const paged = async <T>(list: () => Promise<{ items: readonly T[]; cursor: string | undefined }>) => {
    try {
      return await list();
    } catch (error) {
      if (isRxtradeError(error) && error.code === 'INVALID_ARGUMENT') {
        throw new ApiError(400, 'INVALID_CURSOR', 'cursor is not one of this list');
      }
      throw error;
    }
  };

  app.get('/api/accounts/:id/positions', read, async (request) => {
    const page = parseOr400(PageQuerySchema, request.query, 'query');
    const id = await visibleAccountId(keyOf(request), (request.params as { id: string }).id);
    const { items, cursor } = await paged(() => backend.listPositions(id, page));
    return { positions: items, nextCursor: cursor ?? null };
  });

  app.get('/api/accounts/:id/orders', read, async (request) => {
    const { open, ...page } = parseOr400(OrdersQuerySchema, request.query, 'query');
    const id = await visibleAccountId(keyOf(request), (request.params as { id: string }).id);
    const { items, cursor } = await paged(() =>
      backend.listOrders(id, { openOnly: open === 'true', ...page }),
    );
    return { orders: items, nextCursor: cursor ?? null };
  });

  app.get('/api/accounts/:id/fills', read, async (request) => {
    const page = parseOr400(PageQuerySchema, request.query, 'query');
    const id = await visibleAccountId(keyOf(request), (request.params as { id: string }).id);
    const { items, cursor } = await paged(() => backend.listFills(id, page));
    return { fills: items, nextCursor: cursor ?? null };
  });

  app.get('/api/accounts/:id/equity', read, async (request) => {
    parseOr400(EmptyQuerySchema, request.query, 'query');
    const id = await visibleAccountId(keyOf(request), (request.params as { id: string }).id);
    return { equity: await backend.equityHistory(id) };
  });

  app.get('/api/strategies', read, async (request) => {
    parseOr400(EmptyQuerySchema, request.query, 'query');
    return { strategies: await backend.listStrategies() };
  });

  app.get('/api/risk', read, async (request) => {
    parseOr400(EmptyQuerySchema, request.query, 'query');
    const key = keyOf(request);
    const states = await backend.riskState();
    return { states: states.filter((s) => s.accountId === undefined || canSee(key, s.accountId)) };
  });

  // ---- trade ----
  const trade = { config: { scope: 'trade' as const } };

  app.post('/api/orders', trade, async (request, reply) => {
    parseOr400(EmptyQuerySchema, request.query, 'query');
    const body = parseOr400(SubmitOrderBodySchema, request.body, 'body');
    const key = keyOf(request);
    const { accountId, ...rest } = body;
    await visibleAccountId(key, accountId);
    // Prices (and trailing distances) must lie on the instrument's tick grid: refused here, never
    // silently snapped — a bracket's exits included, which are placed only when the entry fills.
    const prices = (
      [
        ['price', rest.price],
        ['triggerPrice', rest.triggerPrice],
        ['trailingAmount', rest.trailingAmount],
        ['takeProfit.price', rest.takeProfit?.price],
        ['stopLoss.triggerPrice', rest.stopLoss?.triggerPrice],
        ['stopLoss.price', rest.stopLoss?.price],
        ['stopLoss.trailingAmount', rest.stopLoss?.trailingAmount],
        ['oco.price', rest.oco?.price],
        ['oco.triggerPrice', rest.oco?.triggerPrice],
        ['oco.trailingAmount', rest.oco?.trailingAmount],
      ] as const
    ).filter(([, price]) => price !== undefined);
    if (prices.length > 0) {
      const instrument = await backend.instrument(rest.instrumentId);
      if (instrument === undefined) throw new ApiError(400, 'UNKNOWN_INSTRUMENT', 'unknown instrument');
      for (const [field, price] of prices) {
        if (price !== undefined && Number.isNaN(priceToUnitsExact(instrument, price))) {
          throw new ApiError(
            400,
            'PRICE_OFF_TICK',
            `${field} must be a multiple of the tick size ${instrument.tickSize}`,
          );
        }
      }
    }
    const { order, denial } = await backend.submitOrder(accountId, rest as OrderRequest);
    if (order.status === 'denied') {
      // The risk engine's typed reason (core's DenialReason), for the client to act on.
      return reply.code(422).send({
        ...errorBody('ORDER_DENIED', 'the order was denied by risk'),
        reason: denial?.reason,
        order,
      });
    }
    return reply.code(201).send({ order });
  });

  app.delete('/api/orders/:clientOrderId', trade, async (request) => {
    const query = parseOr400(CancelQuerySchema, request.query, 'query');
    const fromBody =
      request.body === undefined ? undefined : parseOr400(CancelBodySchema, request.body, 'body');
    const accountId = query.accountId ?? fromBody?.accountId;
    if (accountId === undefined || (query.accountId !== undefined && fromBody !== undefined)) {
      throw Object.assign(new Error('invalid request: give accountId once, in the query or the body'), {
        validation: true,
      });
    }
    const clientOrderId = IdSchema.safeParse((request.params as { clientOrderId: string }).clientOrderId);
    await visibleAccountId(keyOf(request), accountId);
    if (!clientOrderId.success || !(await backend.cancelOrder(accountId, clientOrderId.data))) {
      throw notFound('open order');
    }
    return { canceled: true, clientOrderId: clientOrderId.data };
  });

  // ---- admin ----
  const admin = { config: { scope: 'admin' as const } };

  for (const action of ['start', 'stop'] as const) {
    app.post(`/api/strategies/:id/${action}`, admin, async (request) => {
      parseOr400(EmptyQuerySchema, request.query, 'query');
      parseOr400(EmptyBodySchema, request.body, 'body');
      const id = IdSchema.safeParse((request.params as { id: string }).id);
      if (backend.setStrategyRunning === undefined) {
        throw new ApiError(
          501,
          'NOT_IMPLEMENTED',
          'strategies cannot be paused one by one on this backend: halt the strategy’s account through /api/risk instead',
        );
      }
      const strategy = id.success ? await backend.setStrategyRunning(id.data, action === 'start') : undefined;
      if (strategy === undefined) throw notFound('strategy');
      if (action === 'start' && strategy.status !== 'running') {
        throw new ApiError(
          409,
          'STRATEGY_STOPPED',
          `strategy ${strategy.id} is ${strategy.status}: it cannot be started again (restart its process)`,
        );
      }
      return { id: strategy.id, running: strategy.status === 'running', status: strategy.status };
    });
  }

  app.post('/api/risk/kill-switch', admin, async (request, reply) => {
    parseOr400(EmptyQuerySchema, request.query, 'query');
    const body = parseOr400(KillSwitchBodySchema, request.body, 'body');
    const key = keyOf(request);
    log.warn({ reqId: request.id, keyId: key.id, reason: body.reason, flatten: body.flatten }, 'kill switch');
    await backend.killSwitch(body);
    return reply.code(202).send({ halted: true, flatten: body.flatten });
  });

  app.post('/api/risk/trading-state', admin, async (request, reply) => {
    parseOr400(EmptyQuerySchema, request.query, 'query');
    const body = parseOr400(TradingStateBodySchema, request.body, 'body');
    const key = keyOf(request);
    // Fleet-wide holds need a key that sees every account; one account's, a key that sees it.
    if (body.accountId === undefined ? key.accounts !== '*' : !canSee(key, body.accountId)) {
      throw notFound('account');
    }
    if (body.accountId !== undefined && !(await backend.hasAccount(body.accountId)))
      throw notFound('account');
    log.warn({ reqId: request.id, keyId: key.id, ...body }, 'trading state');
    await backend.setTradingState(body.state, { accountId: body.accountId, reason: body.reason });
    return reply.code(202).send({ state: body.state, accountId: body.accountId ?? null });
  });

  // ---- live stream ----
  app.post('/api/stream-token', read, async (request) => {
    parseOr400(EmptyQuerySchema, request.query, 'query');
    parseOr400(EmptyBodySchema, request.body, 'body');
    return tokens.mint(keyOf(request).id);
  });

  app.get('/api/stream', { config: { scope: 'read', streamToken: true } }, async (request, reply) => {
    parseOr400(StreamQuerySchema, request.query, 'query');
    const key = keyOf(request);
    const accountIds =
      key.accounts === '*' ? (await backend.listAccounts()).map((a) => a.accountId) : [...key.accounts];
    const allowed = new Set(accountIds);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'x-request-id': request.id,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    let subscription: Subscription | undefined;
    let done = false;
    const heartbeat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
    const finish = () => {
      if (done) return;
      done = true;
      clearInterval(heartbeat);
      subscription?.unsubscribe();
      streams.delete(finish);
      streamsOpen.set(--streamCount);
      if (!res.writableEnded) res.end();
    };
    streams.add(finish);
    streamsOpen.set(++streamCount);
    request.raw.on('close', finish);
    res.on('close', finish);
    subscription = backend.live$(accountIds).subscribe({
      next(event) {
        if (done || (event.accountId !== undefined && !allowed.has(event.accountId))) return;
        res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
        // A client that does not read: drop it rather than buffer without bound; it reconnects.
        if (res.writableLength > MAX_SSE_BUFFER) finish();
      },
      error(error: unknown) {
        log.warn({ reqId: request.id, err: error }, 'live stream failed');
        finish();
      },
      complete: finish,
    });
    if (done) subscription.unsubscribe();
  });

  app.addHook('preClose', async () => {
    for (const finish of [...streams]) finish();
  });

  return app;
}
