import {
  type Logger,
  noopLogger,
  type RateBuckets,
  type RateCosts,
  type RateLimiter,
  RxtradeError,
  withRate,
} from '@rxtrade/core';
import type { Exchange } from 'ccxt';

/** One REST request as ccxt issues it (`fetch2`): the API section, HTTP method and endpoint path. */
export interface CcxtRequest {
  /** ccxt's API section, e.g. `public`, `private` (Binance spot), `fapiPrivate`. */
  readonly api: string;
  readonly method: string;
  /** ccxt's endpoint path, e.g. `order`, `exchangeInfo`. */
  readonly path: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** Options of {@link shareRateLimit}. */
export interface CcxtRateLimitOptions {
  /** The shared limiter: `createRedisRateLimiter` across processes, `createMemoryRateLimiter` in one. */
  readonly limiter: RateLimiter;
  /** What one request takes from which bucket. Default {@link binanceRequestCosts} (buckets {@link BINANCE_RATE_BUCKETS}). */
  readonly costs?: (request: CcxtRequest) => RateCosts;
  /** Longest a request waits for the limiter before failing `RATE_LIMITED` (not sent). Default 30,000 ms. */
  readonly maxWaitMs?: number;
  readonly logger?: Logger;
}

/**
 * Binance spot's limits as limiter buckets: request weight per minute (per IP: one limiter per egress
 * IP), orders per 10 s and per day (per account). Use with {@link binanceRequestCosts}.
 */
export const BINANCE_RATE_BUCKETS: RateBuckets = {
  'ip-weight': { limit: 6_000, windowMs: 60_000 },
  'uid-orders': { limit: 100, windowMs: 10_000 },
  'uid-orders-day': { limit: 200_000, windowMs: 86_400_000 },
};

/** Request weight of a Binance spot endpoint (path as in the URL, `/api/v3/order`); Binance's API docs are the source. */
export function binanceRequestWeight(
  method: string,
  path: string,
  params: Readonly<Record<string, unknown>>,
): number {
  switch (`${method} ${path}`) {
    case 'GET /api/v3/exchangeInfo':
      return 20;
    case 'GET /api/v3/klines':
      return 2;
    case 'GET /api/v3/order':
    case 'PUT /api/v3/order/amend/keepPriority':
      return 4;
    case 'GET /api/v3/openOrders':
      return params['symbol'] === undefined ? 80 : 6;
    case 'GET /api/v3/myTrades':
    case 'GET /api/v3/account':
      return 20;
    default:
      return 1;
  }
}

/**
 * Costs of a ccxt Binance spot request in {@link BINANCE_RATE_BUCKETS}: its weight, and one order for
 * `POST order`, two for `POST orderList/oco` (Binance counts each order of a list).
 */
export function binanceRequestCosts(request: CcxtRequest): RateCosts {
  const path = `/api/v3/${request.path}`;
  const orders =
    request.method !== 'POST' ? 0 : request.path === 'order' ? 1 : request.path === 'orderList/oco' ? 2 : 0;
  return {
    'ip-weight': binanceRequestWeight(request.method, path, request.params),
    ...(orders > 0 ? { 'uid-orders': orders, 'uid-orders-day': orders } : {}),
  };
}

const RATE_LIMITED = new Set([418, 429]);

/** `Retry-After` in ms from ccxt's response headers (seconds; capitalised by ccxt), at least 1 s. */
function retryAfterMs(headers: unknown): number {
  const h = (headers ?? {}) as Record<string, unknown>;
  const seconds = Number(h['Retry-After'] ?? h['retry-after']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1_000;
}

const installed = new WeakSet<Exchange>();

/**
 * Puts every REST request of a ccxt exchange under a shared {@link RateLimiter}: before a request is
 * signed and sent, it waits for the limiter to grant its costs (all buckets at once), and the grant
 * stays in flight until the answer is back (`withRate`), so however slow the network, the venue never
 * sees more than a limit's worth in one of its windows; a 429/418 answer
 * penalizes the limiter for the response's `Retry-After`, so every process sharing it backs off, and
 * the request fails as before (ccxt's `DDoSProtection` / `RateLimitExceeded`). ccxt's own per-instance
 * throttle (`enableRateLimit`) still runs first; turn it off when the shared limiter covers the limits.
 * A request the limiter refuses (longer than `maxWaitMs`) is never sent: `ADAPTER_FAILURE` with
 * `details.reason` `RATE_LIMITED`, `outcome` `NOT_SENT`.
 *
 * @example
 * const limiter = createRedisRateLimiter(redis, { name: 'binance:acct-1', buckets: BINANCE_RATE_BUCKETS });
 * shareRateLimit(exchange, { limiter });
 */
export function shareRateLimit(exchange: Exchange, options: CcxtRateLimitOptions): void {
  if (installed.has(exchange)) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: 'shareRateLimit: this exchange already has a shared limiter',
    });
  }
  installed.add(exchange);
  const { limiter } = options;
  const costs = options.costs ?? binanceRequestCosts;
  const logger = options.logger ?? noopLogger;
  const wait = options.maxWaitMs === undefined ? {} : { maxWaitMs: options.maxWaitMs };
  let penalty: Promise<void> = Promise.resolve();
  const target = exchange as unknown as {
    fetch2: (...args: unknown[]) => Promise<unknown>;
    handleErrors: (...args: unknown[]) => unknown;
  };
  const fetch2 = target.fetch2.bind(exchange);
  const handleErrors = target.handleErrors.bind(exchange);
  target.handleErrors = (status: unknown, ...rest: unknown[]) => {
    if (typeof status === 'number' && RATE_LIMITED.has(status)) {
      const ms = retryAfterMs(rest[3]);
      logger.warn({ status, retryAfterMs: ms }, 'venue rate limit hit: penalizing the shared limiter');
      penalty = limiter.penalize(ms).catch((error: unknown) => {
        logger.error({ err: error }, 'could not penalize the shared rate limiter');
      });
    }
    return handleErrors(status, ...rest);
  };
  // ccxt's signature: fetch2(path, api = 'public', method = 'GET', params = {}, headers, body, config).
  target.fetch2 = (...args: unknown[]) => {
    const [path, api = 'public', method = 'GET', params = {}] = args;
    const request = {
      api: Array.isArray(api) ? api.join('/') : String(api),
      method: String(method),
      path: String(path),
      params: (params ?? {}) as Record<string, unknown>,
    };
    // In flight until the answer is back: the grant counts in the window the request reached.
    return withRate(limiter, { costs: costs(request), ...wait }, async () => {
      try {
        return await fetch2(...args);
      } catch (error) {
        await penalty; // everyone sharing the limiter knows of a 429/418 before the caller can retry
        throw error;
      }
    });
  };
}
