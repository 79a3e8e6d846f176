import {
  type BulkheadPolicy,
  bulkhead,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type RetryPolicy,
  retry,
  SamplingBreaker,
  type TimeoutPolicy,
  TimeoutStrategy,
  timeout,
} from 'cockatiel';
import { BehaviorSubject, merge, type Observable, Subject, type Subscription } from 'rxjs';
import { isRxtradeError, RxtradeError, type RxtradeErrorCode } from '../errors';
import type { Order, OrderRequest } from '../model/order';
import type { OrderRejected } from '../model/order-events';
import type { Clock } from '../ports/clock';
import { systemClock } from '../ports/clock';
import type { ExecutionClient, OrderAmendment, VenueEvent } from '../ports/execution-client';
import { type Logger, noopLogger } from '../ports/logger';
import { type MetricsSink, noopMetrics } from '../ports/metrics-sink';
import { acquireRate, type RateCosts, type RateLimiter } from '../ports/rate-limiter';
import { OrderRateLimiter, type OrderRateLimiterOptions } from './rate-limiter';
import type {
  ReconcilableExecutionClient,
  VenueBalance,
  VenueFillReport,
  VenueOrderReport,
  VenuePositionReport,
} from './venue-reports';

/** A circuit breaker's state, by cockatiel's names. */
export type BreakerState = 'closed' | 'halfOpen' | 'open' | 'isolated';

/** Values of the `circuit_breaker_state{venue}` gauge (the same as `@rxtrade/prometheus`). */
export const BREAKER_STATE_VALUES: Readonly<Record<BreakerState, number>> = {
  closed: 0,
  halfOpen: 1,
  open: 2,
  isolated: 3,
};

/** When a venue's breaker opens and how long it stays open before a probe is let through. */
export interface BreakerOptions {
  /** Opens after this many failures in a row. Default 5. Ignored when `sampling` is set. */
  readonly consecutiveFailures?: number;
  /** Opens when more than `threshold` (0..1) of the calls in the last `durationMs` failed. */
  readonly sampling?: {
    readonly threshold: number;
    readonly durationMs: number;
    readonly minimumRps?: number;
  };
  /** Time open before one probe call is let through (half-open). Default 10,000 ms. */
  readonly halfOpenAfterMs?: number;
}

/** One venue's breaker: the cockatiel policy and its state as a stream. */
export interface VenueBreaker {
  readonly venue: string;
  readonly policy: CircuitBreakerPolicy;
  readonly state: BreakerState;
  /** Hot, replays the current state: every change of this venue's breaker. */
  readonly state$: Observable<BreakerState>;
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'halfOpen',
  [CircuitState.Open]: 'open',
  [CircuitState.Isolated]: 'isolated',
};

/**
 * One circuit breaker per venue, shared by every client of that venue ("reuse the same breaker across
 * requests, otherwise it won't do anything"). Pass one registry to every {@link ResilientExecutionClient}
 * that talks to the same venue (one per account, say) so they open and close together. Breaker state
 * lives in this process only. Each change is reported as the gauge `circuit_breaker_state{venue}`
 * (0 closed, 1 half-open, 2 open, 3 isolated).
 */
export class VenueCircuitBreakers {
  readonly #options: BreakerOptions;
  readonly #metrics: MetricsSink;
  readonly #logger: Logger;
  readonly #breakers = new Map<string, VenueBreaker>();

  constructor(options: { breaker?: BreakerOptions; metrics?: MetricsSink; logger?: Logger } = {}) {
    this.#options = options.breaker ?? {};
    this.#metrics = options.metrics ?? noopMetrics;
    this.#logger = options.logger ?? noopLogger;
    const o = this.#options;
    if (
      o.consecutiveFailures !== undefined &&
      !(Number.isInteger(o.consecutiveFailures) && o.consecutiveFailures > 0)
    ) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: 'consecutiveFailures must be an integer > 0',
      });
    }
    if (o.halfOpenAfterMs !== undefined && !(o.halfOpenAfterMs >= 0)) {
      throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'halfOpenAfterMs must be ≥ 0' });
    }
  }

  /** The venue's breaker, created closed on first use. */
  get(venue: string): VenueBreaker {
    const existing = this.#breakers.get(venue);
    if (existing) return existing;
    const o = this.#options;
    const policy = circuitBreaker(handleWhen(countsAsVenueFailure), {
      halfOpenAfter: o.halfOpenAfterMs ?? 10_000,
      breaker: o.sampling
        ? new SamplingBreaker({
            threshold: o.sampling.threshold,
            duration: o.sampling.durationMs,
            ...(o.sampling.minimumRps === undefined ? {} : { minimumRps: o.sampling.minimumRps }),
          })
        : new ConsecutiveBreaker(o.consecutiveFailures ?? 5),
    });
    const subject = new BehaviorSubject<BreakerState>('closed');
    const gauge = this.#metrics.gauge('circuit_breaker_state', {
      help: 'Circuit breaker state per venue: 0 closed, 1 half-open, 2 open, 3 isolated.',
      labelNames: ['venue'],
    });
    gauge.set(0, { venue });
    policy.onStateChange((state) => {
      const name = STATE_NAMES[state];
      gauge.set(BREAKER_STATE_VALUES[name], { venue });
      this.#logger[name === 'closed' ? 'info' : 'warn'](
        { venue, state: name },
        'circuit breaker state changed',
      );
      subject.next(name);
    });
    const breaker: VenueBreaker = {
      venue,
      policy,
      get state() {
        return subject.value;
      },
      state$: subject.asObservable(),
    };
    this.#breakers.set(venue, breaker);
    return breaker;
  }
}

/**
 * cockatiel's own guards cannot be used: in 3.2.1 `isTaskCancelledError` and `isIsolatedCircuitError`
 * test for the bulkhead's brand, so a bulkhead rejection passes for a timeout and a timeout for nothing.
 * Its errors carry a boolean brand property of their own name; test that (survives duplicate copies).
 */
const hasBrand = (error: unknown, brand: string): boolean =>
  error instanceof Error && (error as unknown as Record<string, unknown>)[brand] === true;

/** Errors that are the caller's fault (or a known non-event): they never open a breaker nor are retried. */
const LOCAL_CODES: ReadonlySet<RxtradeErrorCode> = new Set<RxtradeErrorCode>([
  'INVALID_ARGUMENT',
  'INVALID_CONFIG',
  'INVALID_STATE_TRANSITION',
  'DUPLICATE_ORDER',
  'UNKNOWN_INSTRUMENT',
  'UNKNOWN_ORDER',
  'UNKNOWN_ACCOUNT',
  'CLOSED',
  'CANCELED',
]);

function countsAsVenueFailure(error: unknown): boolean {
  if (!isRxtradeError(error)) return true;
  if (LOCAL_CODES.has(error.code)) return false;
  return error.details?.['reason'] !== 'RATE_LIMITED' || error.details['outcome'] !== 'NOT_SENT';
}

/** Transient failures of a call that is safe to repeat. */
function isRetryable(error: unknown): boolean {
  if (!isRxtradeError(error)) return true;
  if (LOCAL_CODES.has(error.code)) return false;
  const reason = error.details?.['reason'];
  if (reason === 'CIRCUIT_OPEN' || reason === 'BULKHEAD_FULL') return false;
  return error.details?.['retryable'] !== false;
}

/**
 * What is known about a submission that threw: `NOT_SENT` (definitely not at the venue: breaker open,
 * bulkhead or rate limit full, refused locally) or `UNKNOWN` (timeout, transport error, anything
 * else — it may be at the venue). An unknown outcome is settled by venue events, a status query or
 * reconciliation; it is never resent.
 */
export function submitOutcome(error: unknown): 'NOT_SENT' | 'UNKNOWN' {
  return isRxtradeError(error) && error.details?.['outcome'] === 'NOT_SENT' ? 'NOT_SENT' : 'UNKNOWN';
}

/** Options of {@link ResilientExecutionClient}. Every field has a default. */
export interface ResilientClientOptions {
  /** A venue call that takes longer fails with `TIMEOUT`. Default 10,000 ms. */
  readonly timeoutMs?: number;
  /** Breakers shared per venue. Default: a registry of this client's own. */
  readonly breakers?: VenueCircuitBreakers;
  /** Used when `breakers` is not given. */
  readonly breaker?: BreakerOptions;
  /** Concurrent venue calls, and calls waiting for a slot. Default 16 and 256. */
  readonly bulkhead?: { readonly limit: number; readonly queue?: number };
  /**
   * Retries of calls that are safe to repeat (queries, cancels by id, amendments); submissions are never retried.
   * Default 3 attempts in all, exponential backoff from 100 ms up to 2,000 ms.
   */
  readonly retry?: {
    readonly maxAttempts?: number;
    readonly initialDelayMs?: number;
    readonly maxDelayMs?: number;
  };
  /** Outbound order-rate limits (venue and per account), for submissions and amendments. Default none. */
  readonly rateLimit?: OrderRateLimiterOptions;
  /**
   * A limiter shared with other processes (e.g. `createRedisRateLimiter`): every submission waits for
   * it to grant `costs(order)` (default `{ orders: 1 }`) after the per-instance `rateLimit`, and so does
   * every amendment; the grant stays in flight until the request settles (see `withRate`). Past
   * `maxWaitMs` (default 5,000) it is refused `RATE_LIMITED`, not sent. Default none.
   */
  readonly sharedRateLimit?: {
    readonly limiter: RateLimiter;
    readonly costs?: (order: Order) => RateCosts;
    readonly maxWaitMs?: number;
  };
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink;
}

/**
 * Wraps any {@link ExecutionClient} with cockatiel policies, chosen per call by whether a repeat is
 * safe (NautilusTrader's rule):
 *
 * | call | policies (outermost first) |
 * |---|---|
 * | `submitOrder` | order-rate limit → bulkhead → breaker → timeout. **Never retried.** |
 * | `cancelOrder` (by client order id) | retry → bulkhead → breaker → timeout |
 * | `modifyOrder` (when the inner client has it) | order-rate limit → retry → bulkhead → breaker → timeout |
 * | `queryOrder`, `openOrders`, `fills`, `balances`, `positions`, `connect` | retry → bulkhead → breaker → timeout |
 *
 * A submission refused before it left (breaker open, bulkhead full, rate limited) is known not to be
 * at the venue: the client emits `OrderRejected` with that reason (`CIRCUIT_OPEN`, `BULKHEAD_FULL`,
 * `RATE_LIMITED`) on `events$` and rejects fast with a typed `RxtradeError` (`ADAPTER_FAILURE`,
 * `details['outcome'] === 'NOT_SENT'`). A submission that timed out or failed in transit has an unknown
 * outcome: it rejects with `TIMEOUT` or `ADAPTER_FAILURE` (`details['outcome'] === 'UNKNOWN'`), the order
 * stays in flight, is listed by {@link unresolved} and announced on `unknownOutcomes$` until a venue
 * event for it arrives; the {@link Reconciler} settles it with a status query. Refusals that come from
 * the wrapped client are passed through as they are: a client that refuses an order without sending it
 * reports `OrderRejected` itself (the contract every client follows), so it is never reported twice.
 */
export class ResilientExecutionClient implements ExecutionClient {
  readonly venue: string;
  readonly inner: ExecutionClient;
  readonly breaker: VenueBreaker;
  /** Hot, replays the current state: this venue's breaker. */
  readonly breakerState$: Observable<BreakerState>;
  /** Hot, no replay: the inner client's events, plus rejections of orders this client refused to send. */
  readonly events$: Observable<VenueEvent>;
  /** Hot, no replay: orders whose submission outcome became unknown. */
  readonly unknownOutcomes$: Observable<Order>;

  readonly queryOrder?: (clientOrderId: string) => Promise<VenueOrderReport | undefined>;
  readonly openOrders?: () => Promise<readonly VenueOrderReport[]>;
  readonly fills?: (options: { readonly since: number }) => Promise<readonly VenueFillReport[]>;
  readonly balances?: () => Promise<readonly VenueBalance[]>;
  readonly positions?: () => Promise<readonly VenuePositionReport[]>;
  readonly track?: (order: Order) => void;
  /** The inner client's native OCO, when it has one, under the same policies as `submitOrder` (each order counted). */
  readonly supportsOco?: (legs: readonly [OrderRequest, OrderRequest]) => boolean;
  readonly submitOco?: (orders: readonly [Order, Order]) => Promise<void>;
  /** The inner client's (see `ExecutionClient.amendsUp`). */
  readonly amendsUp?: boolean;
  /**
   * The inner client's amendment, when it has one; absent when it cannot amend (the engine then refuses
   * with `AMEND_NOT_SUPPORTED`). An amendment is an order-entry request, so it waits for the order-rate
   * limits (`rateLimit` and `sharedRateLimit`, counted like one order) once, then goes through the
   * policies of a cancel. It is **retried** on a transient failure: an amendment sets an absolute price,
   * trigger and quantity, so a repeat asks for the same end state and cannot move the order further
   * than the first (a venue that already applied a first attempt lost in transit may refuse the repeat:
   * the inner client then reports `OrderModifyRejected`, and the order's size at the venue is settled
   * by reconciliation, as after any amendment whose answer was lost). An
   * amendment refused before it left (breaker open, bulkhead full, rate limited) is reported as
   * `OrderModifyRejected` with that reason and rejects with the typed error (`details.outcome ===
   * 'NOT_SENT'`): the engine and the order emulator learn the outcome as an event, as from the venue.
   */
  readonly modifyOrder?: (order: Order, amendment: OrderAmendment) => Promise<void>;

  readonly #timeout: TimeoutPolicy;
  readonly #timeoutMs: number;
  readonly #bulkhead: BulkheadPolicy;
  readonly #retry: RetryPolicy;
  readonly #limiter: OrderRateLimiter | undefined;
  readonly #shared: ResilientClientOptions['sharedRateLimit'];
  #flightSeq = 0;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #rejections = new Subject<VenueEvent>();
  readonly #unknownSubject = new Subject<Order>();
  readonly #unknown = new Map<string, Order>();
  readonly #unknownTotal;
  #watch: Subscription | undefined;

  constructor(inner: ExecutionClient, options: ResilientClientOptions = {}) {
    this.inner = inner;
    this.venue = inner.venue;
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? noopLogger).child({ venue: inner.venue });
    const metrics = options.metrics ?? noopMetrics;
    const breakers =
      options.breakers ??
      new VenueCircuitBreakers({
        ...(options.breaker ? { breaker: options.breaker } : {}),
        metrics,
        logger: options.logger ?? noopLogger,
      });
    this.breaker = breakers.get(inner.venue);
    this.breakerState$ = this.breaker.state$;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    if (!(this.#timeoutMs > 0))
      throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'timeoutMs must be > 0' });
    this.#timeout = timeout(this.#timeoutMs, TimeoutStrategy.Aggressive);
    const limit = options.bulkhead?.limit ?? 16;
    this.#bulkhead = bulkhead(limit, options.bulkhead?.queue ?? 256);
    const r = options.retry ?? {};
    this.#retry = retry(handleWhen(isRetryable), {
      maxAttempts: Math.max(0, (r.maxAttempts ?? 3) - 1),
      backoff: new ExponentialBackoff({
        initialDelay: r.initialDelayMs ?? 100,
        maxDelay: r.maxDelayMs ?? 2_000,
      }),
    });
    this.#limiter = options.rateLimit ? new OrderRateLimiter(options.rateLimit) : undefined;
    this.#shared = options.sharedRateLimit;
    this.#unknownTotal = metrics.counter('order_submit_unknown_total', {
      help: 'Order submissions whose outcome became unknown (timeout or transport error), by venue.',
      labelNames: ['venue'],
    });
    this.events$ = merge(inner.events$, this.#rejections);
    this.unknownOutcomes$ = this.#unknownSubject.asObservable();

    const c = inner as ExecutionClient &
      Partial<Record<'fills' | 'balances' | 'positions' | 'track', unknown>>;
    if (typeof c.track === 'function') this.track = (c.track as (order: Order) => void).bind(inner);
    if (inner.amendsUp !== undefined) this.amendsUp = inner.amendsUp;
    const { submitOco, supportsOco, modifyOrder } = inner;
    if (modifyOrder !== undefined) {
      this.modifyOrder = (order, amendment) =>
        this.#modify(order, () => modifyOrder.call(inner, order, amendment));
    }
    if (submitOco !== undefined && supportsOco !== undefined) {
      this.supportsOco = supportsOco.bind(inner);
      this.submitOco = (orders) => this.#submit(orders, () => submitOco.call(inner, orders));
    }
    if (inner.queryOrder) {
      const query = inner.queryOrder.bind(inner);
      this.queryOrder = (id) =>
        this.#read('queryOrder', () => query(id) as Promise<VenueOrderReport | undefined>);
    }
    if (inner.openOrders) {
      const open = inner.openOrders.bind(inner);
      this.openOrders = () => this.#read('openOrders', () => open() as Promise<readonly VenueOrderReport[]>);
    }
    if (typeof c.fills === 'function') {
      const fills = (c.fills as NonNullable<ResilientExecutionClient['fills']>).bind(inner);
      this.fills = (o) => this.#read('fills', () => fills(o));
    }
    if (typeof c.balances === 'function') {
      const balances = (c.balances as NonNullable<ResilientExecutionClient['balances']>).bind(inner);
      this.balances = () => this.#read('balances', () => balances());
    }
    if (typeof c.positions === 'function') {
      const positions = (c.positions as NonNullable<ResilientExecutionClient['positions']>).bind(inner);
      this.positions = () => this.#read('positions', () => positions());
    }
  }

  /** Orders whose submission outcome is unknown and no venue event has settled yet. */
  unresolved(): Order[] {
    return [...this.#unknown.values()];
  }

  async connect(): Promise<void> {
    this.#watch ??= this.inner.events$.subscribe((event) => {
      if (this.#unknown.delete(event.clientOrderId)) {
        this.#logger.info(
          { clientOrderId: event.clientOrderId, event: event.type },
          'unknown submit outcome settled',
        );
      }
    });
    await this.#read('connect', () => this.inner.connect());
  }

  /** Idempotent. Refuses orders still waiting for the rate limiter. */
  async disconnect(): Promise<void> {
    this.#limiter?.close();
    this.#watch?.unsubscribe();
    this.#watch = undefined;
    await this.inner.disconnect();
  }

  async submitOrder(order: Order): Promise<void> {
    await this.#submit([order], () => this.inner.submitOrder(order));
  }

  /** One submission of `orders` (one, or an OCO pair): limits per order, then the policies; never retried. */
  async #submit(orders: readonly Order[], call: () => Promise<void>): Promise<void> {
    let innerFailed = false;
    const flights: string[] = [];
    try {
      for (const order of orders) await this.#acquire(order, flights);
      await this.#bulkhead.execute(() =>
        this.breaker.policy.execute(() =>
          this.#timeout.execute(() =>
            call().catch((error: unknown) => {
              innerFailed = true;
              throw error;
            }),
          ),
        ),
      );
    } catch (raw) {
      const error = this.#typed(raw, orders.length === 1 ? 'submitOrder' : 'submitOco', true);
      for (const order of orders) {
        if (submitOutcome(error) === 'NOT_SENT') {
          // The inner client reports its own refusals; only ours (breaker, bulkhead, rate limit) are emitted here.
          if (!innerFailed) this.#rejections.next(this.#rejected(order, error));
        } else {
          this.#unknown.set(order.clientOrderId, order);
          this.#unknownTotal.add(1, { venue: this.venue });
          this.#logger.warn(
            { clientOrderId: order.clientOrderId, err: error },
            'submit outcome unknown; not resent',
          );
          this.#unknownSubject.next(order);
        }
      }
      throw error;
    } finally {
      this.#land(flights);
    }
  }

  /**
   * Waits for the order-rate limits (per instance, then shared) to let one request for `order` go;
   * the shared grant is in flight (pushed on `flights`) until {@link #land} once the request settled.
   */
  async #acquire(order: Order, flights: string[]): Promise<void> {
    if (this.#limiter) await this.#limiter.acquire(order.accountId);
    if (this.#shared) {
      const flightId = `${order.clientOrderId}#${++this.#flightSeq}`;
      await acquireRate(this.#shared.limiter, this.#shared.costs?.(order) ?? { orders: 1 }, {
        maxWaitMs: this.#shared.maxWaitMs ?? 5_000,
        flightId,
      });
      flights.push(flightId);
    }
  }

  /** Lands the shared limiter's flights of a settled request (one it cannot land ends by its ttl). */
  #land(flights: readonly string[]): void {
    for (const flightId of flights) {
      this.#shared?.limiter.land(flightId).catch((error: unknown) => {
        this.#logger.warn({ err: error, flightId }, 'could not land a rate-limit flight; it ends by its ttl');
      });
    }
  }

  /** `modifyOrder` (see the field): rate limits once, then retried like a cancel. */
  #modify(order: Order, call: () => Promise<void>): Promise<void> {
    return this.#orderRequest('modifyOrder', order, call);
  }

  /**
   * Cancels by client order id; repeated on a transient failure (a second cancel of one id cannot
   * cancel another order). A cancel refused before it left (breaker open, bulkhead full) is reported
   * as `OrderCancelRejected` so the order leaves `pendingCancel`.
   */
  cancelOrder(order: Order): Promise<void> {
    return this.#orderRequest('cancelOrder', order, () => this.inner.cancelOrder(order));
  }

  /**
   * A request about a working order (cancel, amend) under the read policies; an amendment waits for
   * the order-rate limits first. One refused before it left (breaker open, bulkhead full, rate
   * limited) is reported (`OrderCancelRejected`, `OrderModifyRejected`), so the order leaves its
   * pending state; the inner client reports its own refusals, and a timeout or transport error
   * reports nothing (the request may have been applied).
   */
  async #orderRequest(
    op: 'cancelOrder' | 'modifyOrder',
    order: Order,
    call: () => Promise<void>,
  ): Promise<void> {
    let innerFailed = false;
    const flights: string[] = [];
    try {
      if (op === 'modifyOrder') await this.#acquire(order, flights);
      await this.#read(op, () =>
        call().catch((error: unknown) => {
          innerFailed = true;
          throw error;
        }),
      );
    } catch (error) {
      // Typed already (by `#read` or the limiters).
      if (!innerFailed && submitOutcome(error) === 'NOT_SENT' && isRxtradeError(error)) {
        this.#rejections.next({
          type: op === 'cancelOrder' ? 'OrderCancelRejected' : 'OrderModifyRejected',
          clientOrderId: order.clientOrderId,
          accountId: order.accountId,
          strategyId: order.strategyId,
          instrumentId: order.instrumentId,
          tsEvent: this.#clock.now(),
          reason: typeof error.details?.['reason'] === 'string' ? error.details['reason'] : 'NOT_SENT',
        });
      }
      throw error;
    } finally {
      this.#land(flights);
    }
  }

  #read<T>(op: string, call: () => Promise<T>): Promise<T> {
    return this.#retry
      .execute(async () => {
        try {
          return await this.#bulkhead.execute(() =>
            this.breaker.policy.execute(() => this.#timeout.execute(() => call())),
          );
        } catch (raw) {
          throw this.#typed(raw, op, false);
        }
      })
      .catch((error: unknown) => {
        throw this.#typed(error, op, false);
      });
  }

  #typed(error: unknown, op: string, submit: boolean): RxtradeError {
    const base = { venue: this.venue, op };
    if (isRxtradeError(error)) {
      if (!submit || error.details?.['outcome'] !== undefined) return error;
      return new RxtradeError({
        code: error.code,
        message: error.message,
        cause: error,
        details: { ...error.details, ...base, outcome: LOCAL_CODES.has(error.code) ? 'NOT_SENT' : 'UNKNOWN' },
      });
    }
    if (hasBrand(error, 'isBrokenCircuitError') || hasBrand(error, 'isIsolatedCircuitError')) {
      return new RxtradeError({
        code: 'ADAPTER_FAILURE',
        message: `CIRCUIT_OPEN: ${this.venue} is failing; ${op} refused without calling it`,
        cause: error,
        details: { ...base, reason: 'CIRCUIT_OPEN', outcome: 'NOT_SENT' },
      });
    }
    if (hasBrand(error, 'isBulkheadRejectedError')) {
      return new RxtradeError({
        code: 'ADAPTER_FAILURE',
        message: `BULKHEAD_FULL: too many calls to ${this.venue} in flight; ${op} refused`,
        cause: error,
        details: { ...base, reason: 'BULKHEAD_FULL', outcome: 'NOT_SENT' },
      });
    }
    if (hasBrand(error, 'isTaskCancelledError')) {
      return new RxtradeError({
        code: 'TIMEOUT',
        message: `${op} at ${this.venue} took longer than ${this.#timeoutMs} ms${submit ? '; outcome unknown' : ''}`,
        cause: error,
        details: { ...base, outcome: 'UNKNOWN' },
      });
    }
    return new RxtradeError({
      code: 'ADAPTER_FAILURE',
      message: `${op} at ${this.venue} failed: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
      details: { ...base, outcome: 'UNKNOWN' },
    });
  }

  #rejected(order: Order, error: RxtradeError): OrderRejected {
    const reason = typeof error.details?.['reason'] === 'string' ? error.details['reason'] : 'NOT_SENT';
    return {
      type: 'OrderRejected',
      clientOrderId: order.clientOrderId,
      accountId: order.accountId,
      strategyId: order.strategyId,
      instrumentId: order.instrumentId,
      tsEvent: this.#clock.now(),
      reason,
      message: error.message,
    };
  }
}

/**
 * Wraps an execution client with timeouts, a per-venue circuit breaker, a bulkhead, retries of the
 * calls that are safe to repeat and optional order-rate limits. See {@link ResilientExecutionClient}.
 *
 * @example
 * const breakers = new VenueCircuitBreakers({ breaker: { consecutiveFailures: 5, halfOpenAfterMs: 10_000 }, metrics });
 * const execution = createResilientClient(connector, { breakers, timeoutMs: 5_000, rateLimit: { venue: { ratePerSecond: 10 } } });
 * const engine = createEngine({ instruments, execution });
 */
export function createResilientClient<TInner extends ExecutionClient>(
  inner: TInner,
  options: ResilientClientOptions = {},
): ResilientClientFor<TInner> {
  return new ResilientExecutionClient(inner, options) as ResilientClientFor<TInner>;
}

/** A resilient client is reconcilable when the client it wraps is: it forwards those queries (retried). */
export type ResilientClientFor<TInner extends ExecutionClient> = TInner extends ReconcilableExecutionClient
  ? ResilientExecutionClient & ReconcilableExecutionClient
  : ResilientExecutionClient;
