import {
  type Clock,
  type Counter,
  type Logger,
  type MetricsSink,
  noopLogger,
  noopMetrics,
  type Order,
  type OrderEventBase,
  type OrderFilled,
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
import { classifyPlacementFailure, isOrderNotFound, toRxtradeError } from './errors';
import { resolveMarkets } from './markets';
import { toVenueOrder } from './precision';

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
  readonly clock?: Clock;
  /** Timers (polling, back-off). Default the RxJS `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink;
}

interface Tracked {
  readonly order: Order;
  readonly symbol: string;
  venueOrderId: string | undefined;
  filledUnits: number;
  readonly totalUnits: number;
  /** Set once the venue reported an end state: the quantity it says was filled (fills may still be due). */
  endedWithUnits: number | undefined;
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
  #backoffUntil = 0;
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
    this.events$ = this.#events.asObservable();
    if (this.#symbols.length === 0)
      throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'symbols is empty' });
    if (!(this.#pollMs >= 0))
      throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'pollIntervalMs must be ≥ 0' });
  }

  /** Loads the exchange's markets and starts polling. Idempotent. */
  async connect(): Promise<void> {
    if (this.#connected) return;
    try {
      for (const market of await resolveMarkets(this.exchange, this.#symbols))
        this.#markets.set(market.id as string, market);
    } catch (error) {
      throw error instanceof RxtradeError ? error : toRxtradeError(error, 'loadMarkets', this.venue);
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
    if (this.#sent.has(id) || this.#tracked.has(id)) {
      this.#resends.add(1, { venue: this.venue });
      this.#logger.warn(
        { clientOrderId: id },
        'resend of a client order id already sent: detected, not sent',
      );
      return;
    }
    const market = this.#markets.get(order.instrumentId);
    if (!market) {
      this.#emit({
        type: 'OrderRejected',
        ...this.#base(order),
        reason: 'UNKNOWN_INSTRUMENT',
        message: `${order.instrumentId} is not traded by this client`,
      });
      return;
    }
    const mapped = toVenueOrder(order, market, {
      amountToPrecision: (s, a) => this.exchange.amountToPrecision(s, a) ?? '',
      priceToPrecision: (s, p) => this.exchange.priceToPrecision(s, p) ?? '',
    });
    if (!mapped.ok) {
      this.#emit({
        type: 'OrderRejected',
        ...this.#base(order),
        reason: mapped.reason,
        message: mapped.message,
      });
      return;
    }
    const waitMs = this.#backoffUntil - this.#clock.now();
    if (waitMs > 0) {
      this.#emit({
        type: 'OrderRejected',
        ...this.#base(order),
        reason: 'VENUE_RATE_LIMITED',
        message: `backing off for ${waitMs} ms after a 429`,
      });
      throw new RxtradeError({
        code: 'ADAPTER_FAILURE',
        message: `VENUE_RATE_LIMITED: ${this.venue} asked to back off; order not sent`,
        details: {
          venue: this.venue,
          reason: 'VENUE_RATE_LIMITED',
          outcome: 'NOT_SENT',
          retryAfterMs: waitMs,
        },
      });
    }
    // Marked before the call: a resend while the first is in flight is caught too.
    this.#sent.add(id);
    const tracked = this.#track(order, market.symbol);
    const r = mapped.request;
    let result: CcxtOrder;
    try {
      result = await this.exchange.createOrder(
        r.symbol,
        r.type,
        r.side,
        Number(r.amount),
        r.price === undefined ? undefined : Number(r.price),
        {
          ...r.params,
        },
      );
    } catch (error) {
      const failure = classifyPlacementFailure(error);
      switch (failure.kind) {
        case 'duplicate':
          // Already open at the venue under this id: it is there; polling and reconciliation follow it.
          this.#logger.warn(
            { clientOrderId: id, message: failure.message },
            'venue already has this client order id',
          );
          return;
        case 'rejected':
          this.#tracked.delete(id);
          this.#emit({
            type: 'OrderRejected',
            ...this.#base(order),
            reason: failure.reason,
            message: failure.message,
          });
          return;
        case 'rateLimited':
          this.#tracked.delete(id);
          this.#backoffUntil = this.#clock.now() + failure.retryAfterMs;
          this.#emit({
            type: 'OrderRejected',
            ...this.#base(order),
            reason: 'VENUE_RATE_LIMITED',
            message: failure.message,
          });
          throw new RxtradeError({
            code: 'ADAPTER_FAILURE',
            message: `VENUE_RATE_LIMITED: ${failure.message}`,
            cause: error,
            details: {
              venue: this.venue,
              reason: 'VENUE_RATE_LIMITED',
              outcome: 'NOT_SENT',
              retryAfterMs: failure.retryAfterMs,
            },
          });
        case 'unknown':
          this.#logger.warn(
            { clientOrderId: id, message: failure.message },
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
    this.#applyOrderUpdate(tracked, result);
  }

  /** Cancels by client order id. An order the exchange no longer has working is reported `OrderCancelRejected`. */
  async cancelOrder(order: Order): Promise<void> {
    this.#assertConnected('cancelOrder');
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

  async queryOrder(clientOrderId: string): Promise<VenueOrderReport | undefined> {
    this.#assertConnected('queryOrder');
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
  }

  // ---- internals ----

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
      if (update.status !== 'rejected') {
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
    const type = order.type === 'market' ? 'market' : order.triggerPrice ? 'stopLimit' : 'limit';
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
      price: type === 'market' ? undefined : order.price,
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
    const open = await this.exchange.fetchOpenOrders(symbol);
    const openById = new Map(open.filter((o) => o.clientOrderId).map((o) => [o.clientOrderId as string, o]));
    for (const t of list) {
      if (t.venueOrderId !== undefined) continue;
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
