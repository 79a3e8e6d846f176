import {
  type Clock,
  type Counter,
  childOrderId,
  type Logger,
  type MetricsSink,
  noopLogger,
  noopMetrics,
  type Order,
  type OrderAmendment,
  type OrderEventBase,
  type OrderFilled,
  type OrderRequest,
  type OrderStatus,
  type ReconcilableExecutionClient,
  RxtradeError,
  systemClock,
  toUnitsExact,
  type VenueBalance,
  type VenueEvent,
  type VenueFillReport,
  type VenueOrderReport,
} from '@rxtrade/core';
import type { Order as CcxtOrder, Trade as CcxtTrade, Exchange, MarketInterface as Market } from 'ccxt';
import { asyncScheduler, type Observable, type SchedulerLike, Subject, type Subscription } from 'rxjs';
import { classifyPlacementFailure, isOrderNotFound, type PlacementFailure, toRxtradeError } from './errors';
import { exchangeOrderTypes } from './instruments';
import { resolveMarkets } from './markets';
import { type PrecisionRules, toVenueOrder, type VenueOrderRequest } from './precision';

/** Options of {@link CcxtExecutionClient}. */
export interface CcxtExecutionClientOptions {
  /** A ccxt exchange with API keys set. The client never closes it: whoever created it does. */
  readonly exchange: Exchange;
  /** Markets traded and reconciled: exchange ids (`BTCUSDT`) or ccxt symbols (`BTC/USDT`). */
  readonly symbols: readonly string[];
  /** Venue name in events and metrics. Default the exchange id in capitals (`BINANCE`). */
  readonly venue?: string;
  /** How often open orders are polled for fills and status. Default 1,000 ms; 0 turns polling off. */
  readonly pollIntervalMs?: number;
  /** Trades and client ids remembered for de-duplication and lookups. Default 100,000. */
  readonly remember?: number;
  /**
   * Stop-market orders on a market that has none (Binance spot lists no `STOP_LOSS`): held by this
   * client and, when a 1-second bar since its last poll reaches the trigger, sent as a market order
   * under the same client order id (`OrderTriggered`, then the fills). Default true; false refuses
   * them `UNSUPPORTED_ORDER_TYPE`. Held stops live in this process (see the docs).
   */
  readonly emulateStops?: boolean;
  /**
   * How long a submission refused for the request rate — a 429/418, or a shared limiter that would
   * wait too long — is sent again after each back-off, under the same client order id (safe: such a
   * request was not processed). Past it the order is rejected `VENUE_RATE_LIMITED`, not sent. Default
   * 60,000 ms; 0 never resends.
   */
  readonly rateLimitRetryMs?: number;
  readonly clock?: Clock;
  /** Timers (polling, back-off). Default the RxJS `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink;
}

interface Tracked {
  /** The order as last sent or amended. */
  order: Order;
  readonly symbol: string;
  venueOrderId: string | undefined;
  filledUnits: number;
  totalUnits: number;
  /** Set once the venue reported an end state: the quantity it says was filled (fills may still be due). */
  endedWithUnits: number | undefined;
  /** `OrderAccepted` was emitted (or the order came in accepted). */
  accepted: boolean;
  /** An emulated stop waiting for its trigger: the trigger and the time its prices were checked to. */
  held: { readonly trigger: number; checkedTo: number } | undefined;
  /** An emulated stop whose market order is being sent. */
  firing: boolean;
}

/** The venue order id an emulated stop reports while it is held (it has none at the venue yet). */
export const EMULATED_VENUE_ORDER_ID = 'emulated';

/** Binance's order-list endpoint, called through ccxt's implicit API. */
interface OcoApi {
  privatePostOrderListOco(params: Record<string, string>): Promise<{ orderReports?: unknown[] }>;
}

/** The longest time range one trade query may span (Binance spot `myTrades`: 24 h). */
const TRADE_WINDOW_MS = 86_400_000;
/** The furthest back trades are fetched (30 one-day queries per market). */
const MAX_LOOKBACK_MS = 30 * TRADE_WINDOW_MS;

const CCXT_STATUS: Record<string, OrderStatus> = {
  open: 'accepted',
  closed: 'filled',
  canceled: 'canceled',
  cancelled: 'canceled',
  expired: 'expired',
  rejected: 'rejected',
};

/** A Set that forgets its oldest entries past a size (insertion order). */
class Recent<T> {
  readonly #items = new Set<T>();
  constructor(readonly limit: number) {}
  has(item: T): boolean {
    return this.#items.has(item);
  }
  add(item: T): void {
    this.#items.add(item);
    if (this.#items.size > this.limit) {
      const oldest = this.#items.values().next().value as T;
      this.#items.delete(oldest);
    }
  }
}

/**
 * rxtrade's {@link ReconcilableExecutionClient} over a ccxt exchange's REST API (tested against the
 * Binance spot API; written against ccxt's unified methods).
 *
 * - `submitOrder` applies the exchange's precision rules ({@link toVenueOrder}), sends the engine's
 *   client order id as the exchange's (`newClientOrderId` on Binance) and resolves when the exchange
 *   answered; acknowledgement and fills in the answer go out on `events$`. It is idempotent on the
 *   client order id: a second submission of an id this client already sent is detected and not sent
 *   (Binance would accept it as a second order once the first has filled).
 * - Refusals are events: the exchange's rules (`PRICE_OFF_TICK`, …) and venue rejections
 *   (`INSUFFICIENT_FUNDS`, `INVALID_ORDER`, …) are emitted as `OrderRejected` and the call resolves. A
 *   429/418 is emitted as `OrderRejected` (`VENUE_RATE_LIMITED`), starts a back-off during which
 *   submissions are refused without calling the exchange, and rejects with a `NOT_SENT` typed error.
 * - Anything else (timeout, transport error, 5xx) is an unknown outcome: the call rejects with
 *   `TIMEOUT` / `ADAPTER_FAILURE` (`outcome: 'UNKNOWN'`), the order stays followed, and polling or
 *   reconciliation settles it. Nothing is retried here; wrap it in a `ResilientExecutionClient`.
 * - Polling (every `pollIntervalMs` while orders are open) turns the exchange's trades into
 *   `OrderFilled` (once per trade id) and cancellations and expiries into events.
 */
export class CcxtExecutionClient implements ReconcilableExecutionClient {
  readonly venue: string;
  /** Binance amends an order in place only down (see {@link modifyOrder}). */
  readonly amendsUp = false;
  readonly exchange: Exchange;
  /** Hot, no replay: acknowledgements, fills and status changes of the orders this client follows. */
  readonly events$: Observable<VenueEvent>;
  readonly #events = new Subject<VenueEvent>();
  readonly #symbols: readonly string[];
  readonly #pollMs: number;
  readonly #clock: Clock;
  readonly #scheduler: SchedulerLike;
  readonly #logger: Logger;
  readonly #markets = new Map<string, Market>();
  readonly #tracked = new Map<string, Tracked>();
  readonly #clientIdByVenueId = new Map<string, string>();
  readonly #sent: Recent<string>;
  readonly #emittedTrades: Recent<string>;
  readonly #resends: Counter;
  readonly #rateResends: Counter;
  readonly #emulateStops: boolean;
  readonly #retryMs: number;
  #backoffUntil = 0;
  /** Consecutive 429/418 answers, for the back-off when the venue names no end. */
  #rateStrikes = 0;
  #connected = false;
  #poll: Subscription | undefined;
  #polling = false;
  readonly #lastPoll = new Map<string, number>();

  constructor(options: CcxtExecutionClientOptions) {
    this.exchange = options.exchange;
    this.venue = options.venue ?? options.exchange.id.toUpperCase();
    this.#symbols = options.symbols;
    this.#pollMs = options.pollIntervalMs ?? 1_000;
    this.#clock = options.clock ?? systemClock;
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#logger = (options.logger ?? noopLogger).child({ venue: this.venue });
    const remember = options.remember ?? 100_000;
    this.#sent = new Recent(remember);
    this.#emittedTrades = new Recent(remember);
    this.#resends = (options.metrics ?? noopMetrics).counter('order_resends_refused_total', {
      help: 'Submissions of a client order id already sent, detected and not sent again, by venue.',
      labelNames: ['venue'],
    });
    this.#rateResends = (options.metrics ?? noopMetrics).counter('order_rate_limit_resends_total', {
      help: 'Submissions sent again after a 429/418 or a shared limiter refused them unsent, by venue.',
      labelNames: ['venue'],
    });
    this.#emulateStops = options.emulateStops ?? true;
    this.#retryMs = options.rateLimitRetryMs ?? 60_000;
    this.events$ = this.#events.asObservable();
    if (!(this.#retryMs >= 0))
      throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'rateLimitRetryMs must be ≥ 0' });
    if (this.#symbols.length === 0)
      throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'symbols is empty' });
    if (!(this.#pollMs >= 0))
      throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'pollIntervalMs must be ≥ 0' });
  }

  /**
   * Loads the exchange's markets and starts polling. Idempotent. A 429/418 answer is waited out and
   * the markets asked again (within `rateLimitRetryMs`).
   */
  async connect(): Promise<void> {
    if (this.#connected) return;
    const started = this.#clock.now();
    for (let strike = 0; ; strike++) {
      try {
        for (const market of await resolveMarkets(this.exchange, this.#symbols))
          this.#markets.set(market.id as string, market);
        break;
      } catch (error) {
        // A read refused 429/418 was not processed and is safe to repeat: after the back-off, within rateLimitRetryMs.
        const failure = classifyPlacementFailure(error);
        if (failure.kind === 'rateLimited') {
          const now = this.#clock.now();
          const waitMs =
            failure.bannedUntil !== undefined
              ? failure.bannedUntil - now
              : failure.retryAfterMs * 2 ** Math.min(strike, 6);
          if (now + waitMs - started <= this.#retryMs) {
            this.#logger.info(
              { waitMs },
              'loadMarkets refused for the request rate: trying again after the back-off',
            );
            await this.#sleep(waitMs);
            continue;
          }
        }
        throw error instanceof RxtradeError ? error : toRxtradeError(error, 'loadMarkets', this.venue);
      }
    }
    this.#connected = true;
    this.#schedulePoll();
  }

  /** Stops polling. Idempotent. Does not close the exchange (its owner does). */
  async disconnect(): Promise<void> {
    this.#connected = false;
    this.#poll?.unsubscribe();
    this.#poll = undefined;
  }

  /** Orders this client follows (sent, restored or adopted, not yet finished). */
  get following(): number {
    return this.#tracked.size;
  }

  async submitOrder(order: Order): Promise<void> {
    this.#assertConnected('submitOrder');
    const id = order.clientOrderId;
    if (this.#isResend(id)) return;
    const market = this.#markets.get(order.instrumentId);
    if (!market) {
      this.#reject(order, 'UNKNOWN_INSTRUMENT', `${order.instrumentId} is not traded by this client`);
      return;
    }
    const rules = this.#rules(market);
    const emulate = order.type === 'stop' && !rules.stopMarket && this.#emulateStops;
    // An emulated stop is checked as the stop-limit it resembles (trigger on the tick, notional at it).
    const mapped = toVenueOrder(
      emulate ? { ...order, type: 'stopLimit', price: order.triggerPrice } : order,
      market,
      rules,
    );
    if (!mapped.ok) {
      this.#reject(order, mapped.reason, mapped.message);
      return;
    }
    // Marked before the call: a resend while the first is in flight is caught too.
    this.#sent.add(id);
    const tracked = this.#track(order, market.symbol);
    if (emulate) {
      tracked.held = { trigger: order.triggerPrice as number, checkedTo: this.#clock.now() };
      tracked.accepted = true;
      this.#emit({ type: 'OrderAccepted', ...this.#base(order), venueOrderId: EMULATED_VENUE_ORDER_ID });
      return;
    }
    await this.#place([tracked], async () => [await this.#createOrder(mapped.request)]);
  }

  /**
   * True when the venue can hold these two orders as one native OCO: Binance's order list of a
   * `LIMIT_MAKER` and a `STOP_LOSS_LIMIT` (a stop-limit leg) or `STOP_LOSS` (a stop leg, where the
   * market lists it) — one instrument, side and quantity, GTC, no trailing, on a market that allows OCO.
   */
  supportsOco(legs: readonly [OrderRequest, OrderRequest]): boolean {
    const [a, b] = legs;
    if (a.instrumentId !== b.instrumentId || a.side !== b.side || a.quantity !== b.quantity) return false;
    const market = this.#markets.get(a.instrumentId);
    if (!market || (market.info as { ocoAllowed?: unknown } | undefined)?.ocoAllowed !== true) return false;
    const limit = legs.find((l) => l.type === 'limit');
    const stop = legs.find((l) => l.type === 'stop' || l.type === 'stopLimit');
    if (!limit || !stop) return false;
    for (const leg of legs) {
      if (leg.trailingAmount !== undefined || leg.trailingPercent !== undefined) return false;
      if ((leg.timeInForce ?? 'GTC') !== 'GTC') return false;
    }
    const listed = exchangeOrderTypes(market) ?? [];
    return (
      listed.includes('LIMIT_MAKER') &&
      listed.includes(stop.type === 'stop' ? 'STOP_LOSS' : 'STOP_LOSS_LIMIT')
    );
  }

  /**
   * Places a limit and a stop (or stop-limit) as one Binance OCO order list (`POST
   * /api/v3/orderList/oco`): the limit as `LIMIT_MAKER`, the stop as `STOP_LOSS(_LIMIT)`, above and
   * below the market as Binance wants them for the side. When one leg fills (even in part) or
   * triggers, the venue expires the other; canceling either cancels both. Both legs are refused
   * together (`OrderRejected` for each); outcomes, back-off and resends are as for `submitOrder`.
   */
  async submitOco(orders: readonly [Order, Order]): Promise<void> {
    this.#assertConnected('submitOco');
    if (orders.some((o) => this.#isResend(o.clientOrderId))) return;
    const [a] = orders;
    const market = this.#markets.get(a.instrumentId);
    const refuseBoth = (reason: string, message: string): void => {
      for (const o of orders) this.#reject(o, reason, message);
    };
    if (!market || !this.supportsOco(orders)) {
      refuseBoth('UNSUPPORTED_ORDER_TYPE', `not an OCO pair ${this.venue} can hold for ${a.instrumentId}`);
      return;
    }
    const rules = this.#rules(market);
    const mapped = orders.map((o) => toVenueOrder(o, market, rules));
    for (const m of mapped) {
      if (!m.ok) {
        refuseBoth(m.reason, m.message);
        return;
      }
    }
    const [limit, stop] = (mapped as { ok: true; request: VenueOrderRequest }[])
      .map((m, i) => ({ request: m.request, order: orders[i] as Order }))
      .sort((x, y) => (x.order.type === 'limit' ? -1 : y.order.type === 'limit' ? 1 : 0)) as [
      { request: VenueOrderRequest; order: Order },
      { request: VenueOrderRequest; order: Order },
    ];
    const limitLeg = {
      type: 'LIMIT_MAKER',
      clientOrderId: limit.order.clientOrderId,
      price: limit.request.price as string,
    };
    const stopPrice = String(stop.request.params['triggerPrice']);
    const stopLeg =
      stop.order.type === 'stop'
        ? { type: 'STOP_LOSS', clientOrderId: stop.order.clientOrderId, stopPrice }
        : {
            type: 'STOP_LOSS_LIMIT',
            clientOrderId: stop.order.clientOrderId,
            stopPrice,
            price: stop.request.price as string,
            timeInForce: 'GTC',
          };
    const sell = a.side === 'sell';
    const [above, below] = sell ? [limitLeg, stopLeg] : [stopLeg, limitLeg];
    const params: Record<string, string> = {
      symbol: market.id as string,
      side: sell ? 'SELL' : 'BUY',
      quantity: limit.request.amount,
      listClientOrderId: childOrderId(a.clientOrderId, 'list'),
    };
    for (const [prefix, leg] of [
      ['above', above],
      ['below', below],
    ] as const) {
      for (const [key, value] of Object.entries(leg)) {
        params[`${prefix}${key[0]?.toUpperCase()}${key.slice(1)}`] = value;
      }
    }
    const tracked = orders.map((o) => {
      this.#sent.add(o.clientOrderId);
      return this.#track(o, market.symbol);
    });
    await this.#place(tracked, async () => {
      const answer = await (this.exchange as unknown as OcoApi).privatePostOrderListOco(params);
      return (answer.orderReports ?? []).map((r) => this.exchange.parseOrder(r as never, market));
    });
  }

  /** Cancels by client order id. An order the exchange no longer has working is reported `OrderCancelRejected`. */
  async cancelOrder(order: Order): Promise<void> {
    this.#assertConnected('cancelOrder');
    const held = this.#tracked.get(order.clientOrderId);
    if (held?.held !== undefined && !held.firing) {
      this.#tracked.delete(order.clientOrderId);
      this.#emit({ type: 'OrderCanceled', ...this.#base(order) });
      return;
    }
    const symbol =
      this.#tracked.get(order.clientOrderId)?.symbol ?? this.#markets.get(order.instrumentId)?.symbol;
    if (symbol === undefined) {
      this.#emit({ type: 'OrderCancelRejected', ...this.#base(order), reason: 'UNKNOWN_INSTRUMENT' });
      return;
    }
    try {
      const result = await this.exchange.cancelOrder(undefined as unknown as string, symbol, {
        clientOrderId: order.clientOrderId,
      });
      const tracked = this.#tracked.get(order.clientOrderId) ?? this.#track(order, symbol);
      this.#applyOrderUpdate(tracked, { ...result, status: result.status ?? 'canceled' });
    } catch (error) {
      if (isOrderNotFound(error)) {
        this.#emit({ type: 'OrderCancelRejected', ...this.#base(order), reason: 'ORDER_NOT_WORKING' });
        return;
      }
      throw toRxtradeError(error, 'cancelOrder', this.venue);
    }
  }

  /**
   * Amends a working order. An emulated stop still held here takes any quantity and trigger (nothing
   * is at the venue). An order at Binance can only be made smaller, in place and keeping its priority
   * (`PUT /api/v3/order/amend/keepPriority`); a larger quantity or a new price is refused
   * (`OrderModifyRejected`: `AMEND_NOT_SUPPORTED`, `QUANTITY_INCREASE_NOT_SUPPORTED`), as is an amendment
   * of an order no longer working (`ORDER_NOT_WORKING`) or off the grid (`QUANTITY_OFF_LOT`, …).
   */
  async modifyOrder(order: Order, amendment: OrderAmendment): Promise<void> {
    this.#assertConnected('modifyOrder');
    const id = order.clientOrderId;
    const refuse = (reason: string): void => {
      this.#emit({ type: 'OrderModifyRejected', ...this.#base(order), reason });
    };
    const t = this.#tracked.get(id);
    const market = this.#markets.get(order.instrumentId);
    if (!t || !market || t.endedWithUnits !== undefined || t.firing) return refuse('ORDER_NOT_WORKING');
    const quantity = amendment.quantity ?? t.order.quantity;
    if (t.held !== undefined) {
      if (amendment.price !== undefined) return refuse('INVALID_AMENDMENT');
      const triggerPrice = amendment.triggerPrice ?? t.held.trigger;
      const amended: Order = { ...t.order, quantity, triggerPrice, leavesQty: quantity };
      const check = toVenueOrder(
        { ...amended, type: 'stopLimit', price: triggerPrice },
        market,
        this.#rules(market),
      );
      if (!check.ok) return refuse(check.reason);
      t.order = amended;
      t.totalUnits = toUnitsExact(quantity, amended.quantityPrecision);
      t.held = { trigger: triggerPrice, checkedTo: t.held.checkedTo };
      this.#emit({ type: 'OrderUpdated', ...this.#base(order), quantity, triggerPrice });
      return;
    }
    if (amendment.price !== undefined || amendment.triggerPrice !== undefined)
      return refuse('AMEND_NOT_SUPPORTED');
    const precision = t.order.quantityPrecision;
    const newUnits = toUnitsExact(quantity, precision);
    if (!(newUnits < t.totalUnits)) return refuse('QUANTITY_INCREASE_NOT_SUPPORTED');
    if (!(newUnits > t.filledUnits)) return refuse('QUANTITY_NOT_ABOVE_FILLED');
    const check = toVenueOrder({ ...t.order, quantity }, market, this.#rules(market));
    if (!check.ok) return refuse(check.reason);
    try {
      await this.exchange.request('order/amend/keepPriority', 'private', 'PUT', {
        symbol: market.id,
        origClientOrderId: id,
        newQty: check.request.amount,
      });
    } catch (error) {
      if (isOrderNotFound(error)) return refuse('ORDER_NOT_WORKING');
      const failure = classifyPlacementFailure(error);
      if (failure.kind === 'rejected') return refuse(failure.reason);
      throw toRxtradeError(error, 'modifyOrder', this.venue);
    }
    t.order = { ...t.order, quantity };
    t.totalUnits = newUnits;
    this.#emit({ type: 'OrderUpdated', ...this.#base(order), quantity });
  }

  async queryOrder(clientOrderId: string): Promise<VenueOrderReport | undefined> {
    this.#assertConnected('queryOrder');
    const held = this.#tracked.get(clientOrderId);
    if (held?.held !== undefined) return this.#heldReport(held);
    const known = this.#tracked.get(clientOrderId)?.symbol;
    const symbols = known ? [known] : [...this.#markets.values()].map((m) => m.symbol);
    for (const symbol of symbols) {
      try {
        const order = await this.exchange.fetchOrder(undefined as unknown as string, symbol, {
          clientOrderId,
        });
        return this.#report(order);
      } catch (error) {
        if (isOrderNotFound(error)) continue;
        throw toRxtradeError(error, 'queryOrder', this.venue);
      }
    }
    return undefined;
  }

  async openOrders(): Promise<readonly VenueOrderReport[]> {
    this.#assertConnected('openOrders');
    const out: VenueOrderReport[] = [];
    for (const market of this.#markets.values()) {
      try {
        for (const order of await this.exchange.fetchOpenOrders(market.symbol)) {
          const report = this.#report(order);
          if (report) out.push(report);
        }
      } catch (error) {
        throw toRxtradeError(error, 'openOrders', this.venue);
      }
    }
    for (const t of this.#tracked.values()) if (t.held !== undefined) out.push(this.#heldReport(t));
    return out;
  }

  /** Trades of the traded markets since `since`, oldest first, each with its client order id. */
  async fills(options: { readonly since: number }): Promise<readonly VenueFillReport[]> {
    this.#assertConnected('fills');
    const out: VenueFillReport[] = [];
    for (const market of this.#markets.values()) {
      try {
        for (const trade of await this.#tradesSince(market.symbol, options.since)) {
          const clientOrderId = await this.#clientIdOf(trade, market.symbol);
          if (clientOrderId === undefined) continue;
          out.push(this.#fillReport(trade, clientOrderId, market));
        }
      } catch (error) {
        throw toRxtradeError(error, 'fills', this.venue);
      }
    }
    return out.sort((a, b) => a.tsEvent - b.tsEvent);
  }

  async balances(): Promise<readonly VenueBalance[]> {
    this.#assertConnected('balances');
    try {
      const balance = await this.exchange.fetchBalance();
      const out: VenueBalance[] = [];
      const totals = (balance['total'] ?? {}) as unknown as Record<string, number | undefined>;
      const free = (balance['free'] ?? {}) as unknown as Record<string, number | undefined>;
      const used = (balance['used'] ?? {}) as unknown as Record<string, number | undefined>;
      for (const [currency, total] of Object.entries(totals)) {
        if (!total) continue;
        out.push({ currency, total, free: free[currency] ?? 0, locked: used[currency] ?? 0 });
      }
      return out;
    } catch (error) {
      throw toRxtradeError(error, 'balances', this.venue);
    }
  }

  /** Follows an order sent by an earlier run or adopted from the venue, with the engine's identity. */
  track(order: Order): void {
    if (this.#tracked.has(order.clientOrderId)) return;
    const market = this.#markets.get(order.instrumentId);
    if (!market) return;
    const tracked = this.#track(order, market.symbol);
    tracked.filledUnits = toUnitsExact(order.filledQty, order.quantityPrecision);
    // Trades already applied by the engine are not emitted again (the engine would drop them anyway).
    for (const tradeId of order.tradeIds) this.#emittedTrades.add(tradeId);
    this.#sent.add(order.clientOrderId);
    // An emulated stop of this client, still waiting: held again (it is not at the venue).
    if (
      order.venueOrderId === EMULATED_VENUE_ORDER_ID &&
      order.type === 'stop' &&
      order.status === 'accepted'
    ) {
      tracked.venueOrderId = undefined;
      tracked.held = { trigger: order.triggerPrice as number, checkedTo: this.#clock.now() };
    }
  }

  // ---- internals ----

  /** A second submission of an id this client sent (or follows): counted, logged, not sent. */
  #isResend(id: string): boolean {
    if (!this.#sent.has(id) && !this.#tracked.has(id)) return false;
    this.#resends.add(1, { venue: this.venue });
    this.#logger.warn({ clientOrderId: id }, 'resend of a client order id already sent: detected, not sent');
    return true;
  }

  #reject(order: Order, reason: string, message: string): void {
    this.#emit({ type: 'OrderRejected', ...this.#base(order), reason, message });
  }

  #rules(market: Market): PrecisionRules {
    return {
      amountToPrecision: (s, a) => this.exchange.amountToPrecision(s, a) ?? '',
      priceToPrecision: (s, p) => this.exchange.priceToPrecision(s, p) ?? '',
      stopMarket: exchangeOrderTypes(market)?.includes('STOP_LOSS') === true,
    };
  }

  #createOrder(r: VenueOrderRequest): Promise<CcxtOrder> {
    return this.exchange.createOrder(
      r.symbol,
      r.type,
      r.side,
      Number(r.amount),
      r.price === undefined ? undefined : Number(r.price),
      { ...r.params },
    );
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#scheduler.schedule(() => resolve(), ms);
    });
  }

  /**
   * Sends `list` (one order, or an OCO pair) with `call` and applies the answer. A 429/418 or a shared
   * limiter's refusal means the request was not processed: it is sent again, under the same client
   * order ids, once the back-off is over (every sharer of a shared limiter pauses with it), for up to
   * `rateLimitRetryMs`; then the orders are rejected `VENUE_RATE_LIMITED` (or the limiter's reason),
   * not sent. Other failures: a duplicate id is left to polling, a refusal is `OrderRejected`, anything
   * else an unknown outcome (the orders stay followed). `placed` runs after a successful answer, before
   * its events.
   */
  async #place(
    list: readonly Tracked[],
    call: () => Promise<CcxtOrder[]>,
    placed?: () => void,
  ): Promise<void> {
    const started = this.#clock.now();
    let limited: Extract<PlacementFailure, { kind: 'rateLimited' | 'notSent' }> | undefined;
    for (;;) {
      const waitMs = this.#backoffUntil - this.#clock.now();
      if (waitMs > 0 || limited !== undefined) {
        if (this.#clock.now() + Math.max(0, waitMs) - started > this.#retryMs) {
          this.#refuseUnsent(list, limited, waitMs);
        }
        if (waitMs > 0) await this.#sleep(waitMs);
        if (!this.#connected) this.#refuseUnsent(list, limited, 0);
        if (limited !== undefined) this.#rateResends.add(1, { venue: this.venue });
      }
      let results: CcxtOrder[];
      try {
        results = await call();
      } catch (error) {
        const failure = classifyPlacementFailure(error);
        if (failure.kind === 'rateLimited' || failure.kind === 'notSent') {
          limited = failure;
          if (failure.kind === 'rateLimited') {
            const now = this.#clock.now();
            // The ban's end when the venue names it, else its Retry-After, doubled on each strike in a row.
            const backoff =
              failure.bannedUntil !== undefined
                ? failure.bannedUntil - now
                : failure.retryAfterMs * 2 ** Math.min(this.#rateStrikes, 6);
            this.#rateStrikes++;
            this.#backoffUntil = Math.max(this.#backoffUntil, now + backoff);
          }
          this.#logger.info(
            { clientOrderIds: list.map((t) => t.order.clientOrderId), message: failure.message },
            'refused for the request rate, not processed: sending again after the back-off',
          );
          continue;
        }
        this.#failed(list, failure, error);
        return;
      }
      this.#rateStrikes = 0;
      placed?.();
      for (const result of results) {
        const tracked =
          list.length === 1 ? list[0] : list.find((t) => t.order.clientOrderId === result.clientOrderId);
        if (tracked) this.#applyOrderUpdate(tracked, result);
      }
      return;
    }
  }

  /** Rejects orders that were never sent (rate limits), and throws the typed `NOT_SENT` error. */
  #refuseUnsent(
    list: readonly Tracked[],
    failure: Extract<PlacementFailure, { kind: 'rateLimited' | 'notSent' }> | undefined,
    waitMs: number,
  ): never {
    const reason = failure?.kind === 'notSent' ? failure.reason : 'VENUE_RATE_LIMITED';
    const message =
      failure?.message ?? `backing off for ${waitMs} ms after a 429/418; not sent within ${this.#retryMs} ms`;
    for (const t of list) {
      this.#tracked.delete(t.order.clientOrderId);
      this.#reject(t.order, reason, message);
    }
    throw new RxtradeError({
      code: 'ADAPTER_FAILURE',
      message: `${reason}: ${this.venue} rate limit; order not sent (${message})`,
      details: { venue: this.venue, reason, outcome: 'NOT_SENT', retryAfterMs: Math.max(0, waitMs) },
    });
  }

  /** A placement that failed for a reason other than the rate (see {@link classifyPlacementFailure}). */
  #failed(list: readonly Tracked[], failure: PlacementFailure, error: unknown): void {
    const ids = list.map((t) => t.order.clientOrderId);
    switch (failure.kind) {
      case 'duplicate':
        // Already open at the venue under this id: it is there; polling and reconciliation follow it.
        this.#logger.warn(
          { clientOrderIds: ids, message: failure.message },
          'venue already has this client order id',
        );
        return;
      case 'rejected':
        for (const t of list) {
          this.#tracked.delete(t.order.clientOrderId);
          this.#reject(t.order, failure.reason, failure.message);
        }
        return;
      case 'rateLimited':
      case 'notSent':
        this.#refuseUnsent(list, failure, 0);
        return;
      case 'unknown':
        this.#logger.warn(
          { clientOrderIds: ids, message: failure.message },
          'submit outcome unknown; following the order',
        );
        throw new RxtradeError({
          code: failure.timeout ? 'TIMEOUT' : 'ADAPTER_FAILURE',
          message: `createOrder at ${this.venue}: ${failure.message}; outcome unknown`,
          cause: error,
          details: { venue: this.venue, op: 'submitOrder', outcome: 'UNKNOWN' },
        });
    }
  }

  /** What this client knows of an emulated stop it holds (it is not at the venue). */
  #heldReport(t: Tracked): VenueOrderReport {
    const o = t.order;
    return {
      clientOrderId: o.clientOrderId,
      venueOrderId: EMULATED_VENUE_ORDER_ID,
      instrumentId: o.instrumentId,
      status: 'accepted',
      filledQty: 0,
      quantity: o.quantity,
      side: o.side,
      type: 'stop',
      triggerPrice: o.triggerPrice,
      tsEvent: o.tsLast,
    };
  }

  /**
   * Checks the emulated stops of a market against its 1-second bars since each was last checked: a
   * buy stop whose trigger a bar's high reached, a sell stop whose trigger a low reached, is fired.
   */
  async #checkStops(symbol: string, list: readonly Tracked[]): Promise<void> {
    const held = list.filter((t) => t.held !== undefined && !t.firing);
    if (held.length === 0) return;
    const second = (ts: number): number => Math.floor(ts / 1000) * 1000;
    const from = second(Math.min(...held.map((t) => (t.held as { checkedTo: number }).checkedTo)));
    const bars = await this.exchange.fetchOHLCV(symbol, '1s', from, 1000);
    for (const t of held) {
      const h = t.held as { trigger: number; checkedTo: number };
      const start = second(h.checkedTo);
      const buy = t.order.side === 'buy';
      const hit = bars.some(
        ([ts, , high, low]) =>
          (ts ?? 0) >= start &&
          (buy ? (high ?? 0) >= h.trigger : (low ?? Number.POSITIVE_INFINITY) <= h.trigger),
      );
      const last = bars.at(-1)?.[0];
      if (last !== undefined && last > h.checkedTo) h.checkedTo = last;
      if (hit) await this.#fire(t);
    }
  }

  /** An emulated stop reached its trigger: a market order under its client order id. */
  async #fire(t: Tracked): Promise<void> {
    const market = this.#markets.get(t.order.instrumentId) as Market;
    const mapped = toVenueOrder(
      { ...t.order, type: 'market', triggerPrice: undefined, price: undefined },
      market,
      this.#rules(market),
    );
    t.held = undefined;
    if (!mapped.ok) {
      this.#tracked.delete(t.order.clientOrderId);
      this.#reject(t.order, mapped.reason, mapped.message);
      return;
    }
    t.firing = true;
    try {
      await this.#place(
        [t],
        async () => [await this.#createOrder(mapped.request)],
        () => this.#emit({ type: 'OrderTriggered', ...this.#base(t.order) }),
      );
    } catch (error) {
      this.#logger.warn(
        { err: error, clientOrderId: t.order.clientOrderId },
        'emulated stop: market order failed',
      );
    } finally {
      t.firing = false;
    }
  }

  #assertConnected(op: string): void {
    if (!this.#connected) {
      throw new RxtradeError({
        code: 'NOT_CONNECTED',
        message: `${op}: ${this.venue} client is not connected`,
        details: { venue: this.venue, op, outcome: 'NOT_SENT' },
      });
    }
  }

  #track(order: Order, symbol: string): Tracked {
    const tracked: Tracked = {
      order,
      symbol,
      venueOrderId: order.venueOrderId,
      filledUnits: 0,
      totalUnits: toUnitsExact(order.quantity, order.quantityPrecision),
      endedWithUnits: undefined,
      accepted: order.venueOrderId !== undefined,
      held: undefined,
      firing: false,
    };
    this.#tracked.set(order.clientOrderId, tracked);
    if (order.venueOrderId !== undefined)
      this.#clientIdByVenueId.set(order.venueOrderId, order.clientOrderId);
    return tracked;
  }

  #base(order: Order): OrderEventBase {
    return {
      clientOrderId: order.clientOrderId,
      accountId: order.accountId,
      strategyId: order.strategyId,
      instrumentId: order.instrumentId,
      tsEvent: this.#clock.now(),
    };
  }

  #emit(event: VenueEvent): void {
    this.#events.next(event);
  }

  /** Emits what an exchange answer tells about an order: acknowledgement, new fills, end state. */
  #applyOrderUpdate(tracked: Tracked, update: CcxtOrder): void {
    const order = tracked.order;
    const ts = update.lastUpdateTimestamp ?? update.timestamp ?? this.#clock.now();
    if (tracked.venueOrderId === undefined && update.id) {
      tracked.venueOrderId = String(update.id);
      this.#clientIdByVenueId.set(tracked.venueOrderId, order.clientOrderId);
      if (update.status !== 'rejected' && !tracked.accepted) {
        tracked.accepted = true;
        this.#emit({
          type: 'OrderAccepted',
          ...this.#base(order),
          tsEvent: ts,
          venueOrderId: tracked.venueOrderId,
        });
      }
    }
    const market = this.#markets.get(order.instrumentId) as Market;
    for (const trade of update.trades ?? []) {
      if (trade.id === undefined || trade.id === null) continue;
      this.#emitFill(
        tracked,
        { ...trade, order: trade.order ?? tracked.venueOrderId, timestamp: trade.timestamp ?? ts },
        market,
      );
    }
    this.#applyStatus(tracked, update, ts);
  }

  /**
   * Emits an end state once. The order stays followed until the fills the venue counted for it have
   * been emitted (a fill that happened before a cancel may be listed after it).
   */
  #applyStatus(tracked: Tracked, update: Pick<CcxtOrder, 'status' | 'filled'>, ts: number): void {
    const order = tracked.order;
    const mapped = update.status === undefined ? undefined : CCXT_STATUS[update.status];
    if (
      tracked.endedWithUnits === undefined &&
      (mapped === 'canceled' || mapped === 'expired' || mapped === 'rejected')
    ) {
      tracked.endedWithUnits = toUnitsExact(update.filled ?? 0, order.quantityPrecision);
      if (mapped === 'rejected') {
        this.#emit({
          type: 'OrderRejected',
          ...this.#base(order),
          tsEvent: ts,
          reason: 'VENUE_REJECTED',
          message: 'rejected at the venue',
        });
      } else {
        this.#emit({
          type: mapped === 'canceled' ? 'OrderCanceled' : 'OrderExpired',
          ...this.#base(order),
          tsEvent: ts,
        });
      }
    }
    const due = tracked.endedWithUnits ?? tracked.totalUnits;
    if (tracked.filledUnits >= due || Number.isNaN(due)) this.#tracked.delete(order.clientOrderId);
  }

  #emitFill(tracked: Tracked, trade: CcxtTrade, market: Market): void {
    const tradeId = String(trade.id);
    if (this.#emittedTrades.has(tradeId)) return;
    this.#emittedTrades.add(tradeId);
    const report = this.#fillReport(trade, tracked.order.clientOrderId, market);
    tracked.filledUnits += toUnitsExact(report.lastQty, tracked.order.quantityPrecision);
    const fill: OrderFilled = {
      type: 'OrderFilled',
      ...this.#base(tracked.order),
      tsEvent: report.tsEvent,
      venueOrderId: report.venueOrderId,
      tradeId: report.tradeId,
      // The order's side, not the trade's: trades in an order's answer carry none (ccxt leaves it
      // undefined), and a sell reported as a buy would move the position the wrong way.
      side: tracked.order.side,
      lastQty: report.lastQty,
      lastPx: report.lastPx,
      fee: report.fee,
      feeCurrency: report.feeCurrency,
      liquiditySide: report.liquiditySide,
    };
    this.#emit(fill);
  }

  #fillReport(trade: CcxtTrade, clientOrderId: string, market: Market): VenueFillReport {
    const price = trade.price as number;
    const fee = trade.fee;
    let feeQuote = 0;
    if (fee?.cost !== undefined && fee.cost !== null) {
      if (fee.currency === undefined || fee.currency === market.quote) feeQuote = fee.cost;
      else if (fee.currency === market.base) feeQuote = fee.cost * price;
      else {
        // Paid in a third currency (BNB): not convertible here without its price.
        this.#logger.warn(
          { tradeId: trade.id, currency: fee.currency },
          'fee in a third currency not booked',
        );
      }
    }
    return {
      clientOrderId,
      venueOrderId: String(trade.order ?? ''),
      tradeId: String(trade.id),
      instrumentId: market.id as string,
      side: trade.side === 'sell' ? 'sell' : 'buy',
      lastQty: trade.amount as number,
      lastPx: price,
      fee: feeQuote,
      feeCurrency: market.quote,
      liquiditySide: trade.takerOrMaker === 'maker' ? 'maker' : 'taker',
      tsEvent: trade.timestamp ?? this.#clock.now(),
    };
  }

  #report(order: CcxtOrder): VenueOrderReport | undefined {
    const market = order.symbol ? this.exchange.markets?.[order.symbol] : undefined;
    const clientOrderId = order.clientOrderId;
    if (!market?.id || !clientOrderId) return undefined;
    if (order.id) this.#clientIdByVenueId.set(String(order.id), clientOrderId);
    const filled = order.filled ?? 0;
    let status = CCXT_STATUS[order.status ?? 'open'] ?? 'accepted';
    if (status === 'accepted' && filled > 0) status = 'partiallyFilled';
    // ccxt reports Binance's STOP_LOSS as a market order and STOP_LOSS_LIMIT as a limit, each with a trigger.
    const type =
      order.type === 'market'
        ? order.triggerPrice
          ? 'stop'
          : 'market'
        : order.triggerPrice
          ? 'stopLimit'
          : 'limit';
    const tif = order.timeInForce;
    return {
      clientOrderId,
      venueOrderId: String(order.id),
      instrumentId: market.id,
      status,
      filledQty: filled,
      quantity: order.amount ?? 0,
      side: order.side === 'sell' ? 'sell' : 'buy',
      type,
      price: type === 'market' || type === 'stop' ? undefined : order.price,
      triggerPrice: order.triggerPrice ?? undefined,
      ...(tif === 'GTC' || tif === 'IOC' || tif === 'FOK' ? { timeInForce: tif } : {}),
      tsEvent: order.lastUpdateTimestamp ?? order.timestamp ?? this.#clock.now(),
    };
  }

  /**
   * Trades since `since` (at most {@link MAX_LOOKBACK_MS} back), oldest first. Binance answers at most
   * 24 h of trades per query and 1,000 per page, so the range is walked in 24 h windows, each paged.
   */
  async #tradesSince(symbol: string, since: number): Promise<CcxtTrade[]> {
    const out: CcxtTrade[] = [];
    const now = this.#clock.now();
    if (since < now - MAX_LOOKBACK_MS) {
      this.#logger.warn({ symbol, since }, 'trade look-back capped at 30 days');
    }
    for (let start = Math.max(since, now - MAX_LOOKBACK_MS); start <= now; ) {
      const end = Math.min(start + TRADE_WINDOW_MS - 1, now);
      let from = start;
      for (let page = 0; page < 50; page++) {
        const batch = await this.exchange.fetchMyTrades(symbol, from, 1000, { until: end });
        out.push(...batch);
        if (batch.length < 1000) break;
        from = ((batch.at(-1) as CcxtTrade).timestamp ?? from) + 1;
      }
      start = end + 1;
    }
    return out;
  }

  async #clientIdOf(trade: CcxtTrade, symbol: string): Promise<string | undefined> {
    const venueOrderId = trade.order === undefined ? undefined : String(trade.order);
    if (venueOrderId === undefined) return undefined;
    const known = this.#clientIdByVenueId.get(venueOrderId);
    if (known !== undefined) return known;
    try {
      const order = await this.exchange.fetchOrder(venueOrderId, symbol);
      if (order.clientOrderId) this.#clientIdByVenueId.set(venueOrderId, order.clientOrderId);
      return order.clientOrderId ?? undefined;
    } catch (error) {
      if (isOrderNotFound(error)) return undefined;
      throw error;
    }
  }

  #schedulePoll(): void {
    if (this.#pollMs === 0 || !this.#connected) return;
    this.#poll = this.#scheduler.schedule(() => {
      void this.pollOnce()
        .catch((error: unknown) => this.#logger.warn({ err: error }, 'poll failed; next poll retries'))
        .finally(() => this.#schedulePoll());
    }, this.#pollMs);
  }

  /**
   * One poll of the orders this client follows: new trades become `OrderFilled` (once per trade id);
   * an order the exchange acknowledged while its submission outcome was unknown gets `OrderAccepted`;
   * orders no longer open get their end state. Runs on the polling timer; callable by hand.
   */
  async pollOnce(): Promise<void> {
    if (this.#polling || this.#tracked.size === 0) return;
    this.#polling = true;
    try {
      const bySymbol = new Map<string, Tracked[]>();
      for (const t of this.#tracked.values()) {
        const list = bySymbol.get(t.symbol) ?? [];
        list.push(t);
        bySymbol.set(t.symbol, list);
      }
      for (const [symbol, list] of bySymbol) await this.#pollSymbol(symbol, list);
    } finally {
      this.#polling = false;
    }
  }

  async #pollSymbol(symbol: string, list: Tracked[]): Promise<void> {
    const market = this.exchange.markets?.[symbol] as Market;
    // From the previous poll (with a margin for late-listed trades), or from the oldest order's start.
    const previous = this.#lastPoll.get(symbol);
    const since = (previous ?? Math.min(...list.map((t) => t.order.tsInit))) - 60_000;
    this.#lastPoll.set(symbol, this.#clock.now());
    await this.#checkStops(symbol, list);
    const open = await this.exchange.fetchOpenOrders(symbol);
    const openById = new Map(open.filter((o) => o.clientOrderId).map((o) => [o.clientOrderId as string, o]));
    for (const t of list) {
      if (t.venueOrderId !== undefined || t.held !== undefined || t.firing) continue;
      // Submitted with an unknown outcome: does the venue have it?
      const o =
        openById.get(t.order.clientOrderId) ??
        (await this.exchange
          .fetchOrder(undefined as unknown as string, symbol, { clientOrderId: t.order.clientOrderId })
          .catch((error: unknown) => {
            if (isOrderNotFound(error)) return undefined;
            throw error;
          }));
      if (o) this.#applyOrderUpdate(t, { ...o, trades: [], status: 'open' });
    }
    for (const trade of await this.#tradesSince(symbol, since)) {
      const clientOrderId =
        trade.order === undefined ? undefined : this.#clientIdByVenueId.get(String(trade.order));
      const tracked = clientOrderId === undefined ? undefined : this.#tracked.get(clientOrderId);
      if (tracked) this.#emitFill(tracked, trade, market);
    }
    for (const t of list) {
      if (!this.#tracked.has(t.order.clientOrderId) || t.venueOrderId === undefined) continue;
      if (openById.has(t.order.clientOrderId) || t.endedWithUnits !== undefined) continue;
      // Not open any more: filled (its trades are above), canceled or expired.
      const final = await this.exchange.fetchOrder(t.venueOrderId, symbol);
      this.#applyStatus(t, final, final.lastUpdateTimestamp ?? final.timestamp ?? this.#clock.now());
    }
  }
}
