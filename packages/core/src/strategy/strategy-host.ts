import { fillUnits } from '../account/account-book';
import { PositionBook } from '../account/position-book';
import type { StrategyEvent, StrategyStatus } from '../engine/types';
import { validateOrderRequest } from '../engine/validate-order';
import { isRxtradeError, RxtradeError } from '../errors';
import type { OrderOrigin } from '../execution/order-manager';
import { fromUnits } from '../model/decimal';
import type { Instrument } from '../model/instrument';
import type { Bar } from '../model/market-data';
import {
  applyOrderEventTo,
  createOrder,
  isOpen,
  type Order,
  type OrderRecord,
  type OrderRequest,
  snapshotOrder,
} from '../model/order';
import type { OrderEvent } from '../model/order-events';
import type { AccountState, Position } from '../model/position';
import type { Signal } from '../model/signal';
import { type Clock, systemClock } from '../ports/clock';
import type { OrderAmendment } from '../ports/execution-client';
import { type Logger, noopLogger } from '../ports/logger';
import type { BaseStrategy, StrategyContext } from './base-strategy';

/**
 * Where a {@link StrategyHost} sends what its strategies decide: plain data, so the other side may be
 * the engine in the same process or a message bus to a risk service.
 */
export interface OrderCommandSink {
  /**
   * A strategy's order (validated; `origin` carries its client order id, from the strategy's id
   * and sequence unless the strategy chose one). Return the order as it stands now when it is known
   * (in process: after risk and, for a synchronous venue, acceptance); undefined when it travels on
   * (the host then answers the strategy with the order `initialized`, and follows its events).
   */
  submit(request: OrderRequest, origin: OrderOrigin): Order | undefined;
  /** A cancel of one of the strategy's open orders. False when it is known to be unknown or closed. */
  cancel(clientOrderId: string, strategyId: string): boolean;
  /** An amendment of one of the strategy's open orders (optional: refused, false, when absent). */
  amend?(clientOrderId: string, amendment: OrderAmendment, strategyId: string): boolean;
  /** A strategy's signal (optional: dropped when absent). */
  signal?(signal: Signal): void;
}

/** What the host tells strategies about their accounts, when it is not told by {@link StrategyHost.setAccount}. */
export interface HostAccounts {
  account(accountId: string): AccountState;
  /** The account's net position in a symbol, across strategies. */
  positionQty(accountId: string, instrumentId: string): number;
}

/** Options of {@link StrategyHost}. */
export interface StrategyHostOptions {
  readonly instruments: Iterable<Instrument>;
  readonly sink: OrderCommandSink;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Account of strategies that name none. Default `default`. */
  readonly defaultAccountId?: string;
  /**
   * What happens when a strategy hook throws: `stop` (default) stops that strategy and cancels its
   * open orders; `continue` reports the error and keeps calling it. The host never stops.
   */
  readonly onStrategyError?: 'stop' | 'continue';
  /** Prefix of generated client order ids (`{prefix}{strategyId}-{seq}`). Default none. */
  readonly orderIdPrefix?: string;
  /** Strategies started, stopped, failed. */
  readonly onStrategyEvent?: (event: StrategyEvent) => void;
  /**
   * Where strategies' virtual positions are read. Default: the host keeps them itself, in a
   * `PositionBook` per strategy, account and symbol, from the fills it is delivered. An engine that
   * already books every fill per strategy passes its books here, so a fill is booked once.
   * @internal
   */
  readonly virtualBooks?: (
    strategyId: string,
    accountId: string,
    instrumentId: string,
  ) => PositionBook | undefined;
  /** Account state and net positions. Default: what {@link StrategyHost.setAccount} and `setPosition` were told. */
  readonly accounts?: HostAccounts;
}

interface Runner {
  readonly strategy: BaseStrategy<object>;
  readonly accountId: string;
  active: boolean;
  /** Paused: bars update its tracked indicators but do not reach `onBar`. */
  paused: boolean;
  /** Stopped for good (`stop()`, or a failure under the stop policy): never active again. */
  ended: boolean;
  seq: number;
  /** The strategy's open orders: the records the sink returned or the host's own. */
  readonly open: Map<string, Order>;
  /** Orders whose state the host follows itself (the sink returned none), until terminal. */
  readonly own: Map<string, OrderRecord>;
  /** Own virtual books: accountId|instrumentId → book (when no `virtualBooks` source). */
  readonly books: Map<string, PositionBook>;
}

const EMPTY: readonly Runner[] = [];

/**
 * Hosts strategies: runs `BaseStrategy` instances over bars (tracked indicators first, then
 * `onBar`), gives them their context (submit, cancel, position, account, open orders, signals),
 * delivers their order events and fills, and isolates their errors. It needs no engine: anything
 * that delivers bars and order events in order can host strategies — the engine in one process, a
 * strategy service fed by a message bus in a fleet — and they behave the same.
 *
 * The host talks in plain data. Orders and cancels go out through an {@link OrderCommandSink};
 * what happens to them comes back through {@link deliver}. From those events the host keeps each
 * strategy's open orders and virtual positions itself, so `position()` and `openOrders()` are what
 * the host was told, in process and across processes alike.
 *
 * @example
 * const host = new StrategyHost({ instruments, sink: { submit: (r, o) => bus.send(r, o), cancel: (id) => bus.cancel(id) } });
 * host.add(new SmaCross({ symbols: ['SPX'] }));
 * host.start();
 * for (const event of orderEventsFromTheBus) host.deliver(event);
 * for (const bar of bars) host.onBar(bar);
 */
export class StrategyHost {
  readonly #instruments = new Map<string, Instrument>();
  readonly #sink: OrderCommandSink;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #defaultAccountId: string;
  readonly #errorPolicy: 'stop' | 'continue';
  readonly #idPrefix: string;
  readonly #onStrategyEvent: ((event: StrategyEvent) => void) | undefined;
  readonly #virtualBooks: StrategyHostOptions['virtualBooks'];
  readonly #accounts: HostAccounts;
  readonly #runners: Runner[] = [];
  readonly #byId = new Map<string, Runner>();
  /** The runner {@link deliver} found last: an order's events come in runs, most of one strategy's. */
  #lastDelivered: Runner | undefined;
  readonly #bySymbol = new Map<string, Runner[]>();
  readonly #allSymbols: Runner[] = [];
  readonly #accountStates = new Map<string, AccountState>();
  readonly #netPositions = new Map<string, number>();
  #lastSymbol: string | undefined;
  #lastRunners: readonly Runner[] = EMPTY;
  #started = false;

  constructor(options: StrategyHostOptions) {
    for (const instrument of options.instruments) this.#instruments.set(instrument.id, instrument);
    this.#sink = options.sink;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? noopLogger;
    this.#defaultAccountId = options.defaultAccountId ?? 'default';
    this.#errorPolicy = options.onStrategyError ?? 'stop';
    this.#idPrefix = options.orderIdPrefix ?? '';
    this.#onStrategyEvent = options.onStrategyEvent;
    this.#virtualBooks = options.virtualBooks;
    this.#accounts = options.accounts ?? {
      account: (id) => this.#accountStates.get(id) ?? emptyAccount(id),
      positionQty: (id, symbol) => this.#netPositions.get(`${id}|${symbol}`) ?? 0,
    };
  }

  /** Adds a strategy before {@link start}. Its symbols must be known instruments. */
  add(strategy: BaseStrategy<object>): void {
    if (this.#started) {
      throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: 'strategies are added before start()' });
    }
    if (this.#byId.has(strategy.id)) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `two strategies have the id ${strategy.id}`,
      });
    }
    for (const symbol of strategy.symbols ?? []) this.instrument(symbol);
    const runner: Runner = {
      strategy,
      accountId: strategy.accountId ?? this.#defaultAccountId,
      active: false,
      paused: false,
      ended: false,
      seq: 0,
      open: new Map(),
      own: new Map(),
      books: new Map(),
    };
    this.#runners.push(runner);
    this.#byId.set(strategy.id, runner);
    if (strategy.symbols === undefined) this.#allSymbols.push(runner);
    for (const symbol of strategy.symbols ?? []) {
      const list = this.#bySymbol.get(symbol);
      if (list === undefined) this.#bySymbol.set(symbol, [runner]);
      else list.push(runner);
    }
    this.#lastSymbol = undefined;
    strategy.attach(this.#contextFor(runner));
  }

  /** True when a strategy with this id is hosted. */
  has(strategyId: string): boolean {
    return this.#byId.has(strategyId);
  }

  /** The account a hosted strategy trades in. */
  accountOf(strategyId: string): string | undefined {
    return this.#byId.get(strategyId)?.accountId;
  }

  /** The ids of the hosted strategies, in the order they were added. */
  get strategyIds(): string[] {
    return this.#runners.map((r) => r.strategy.id);
  }

  /** Where a hosted strategy stands; undefined when no strategy has this id. */
  status(strategyId: string): StrategyStatus | undefined {
    const runner = this.#byId.get(strategyId);
    if (runner === undefined) return undefined;
    if (runner.ended) return 'stopped';
    if (!runner.active) return 'pending';
    return runner.paused ? 'paused' : 'running';
  }

  /**
   * Pauses a strategy: from the next bar on, bars update its tracked indicators (so it resumes
   * warm) but do not reach `onBar`, so it takes no new decision on market data. Everything about
   * the orders it has keeps going: they stay working (cancel them for a full stop), and their events
   * still move its position and reach `onOrderEvent`/`onFill` (exits it manages there stay managed).
   * A pause before {@link start} takes effect at start. Returns the status after the call (`paused`,
   * or `stopped` for a strategy that has stopped); undefined when no strategy has this id.
   */
  pause(strategyId: string): StrategyStatus | undefined {
    return this.#setPaused(strategyId, true);
  }

  /** Undoes {@link pause}: bars reach `onBar` again from the next one. Returns the status after the call. */
  resume(strategyId: string): StrategyStatus | undefined {
    return this.#setPaused(strategyId, false);
  }

  #setPaused(strategyId: string, paused: boolean): StrategyStatus | undefined {
    const runner = this.#byId.get(strategyId);
    if (runner === undefined) return undefined;
    if (!runner.ended && runner.paused !== paused) {
      runner.paused = paused;
      if (runner.active)
        this.#emit({
          type: paused ? 'StrategyPaused' : 'StrategyResumed',
          strategyId,
          tsEvent: this.#clock.now(),
        });
    }
    return this.status(strategyId);
  }

  /** Starts every strategy (`onStart`). Idempotent. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const runner of this.#runners) {
      runner.active = true;
      this.#emit({ type: 'StrategyStarted', strategyId: runner.strategy.id, tsEvent: this.#clock.now() });
      try {
        runner.strategy.onStart();
      } catch (error) {
        this.#failed(runner, 'onStart', error);
      }
      // Paused before the start: it starts paused, and says so.
      if (runner.paused && runner.active)
        this.#emit({ type: 'StrategyPaused', strategyId: runner.strategy.id, tsEvent: this.#clock.now() });
    }
  }

  /** Stops every strategy still active (`onStop`). Idempotent. */
  stop(): void {
    for (const runner of this.#runners) {
      if (!runner.active) continue;
      try {
        runner.strategy.onStop();
      } catch (error) {
        this.#failed(runner, 'onStop', error);
      }
      // Failing in onStop under the 'stop' policy stopped it already, and said so once.
      if (!runner.active) continue;
      runner.active = false;
      runner.ended = true;
      this.#emit({ type: 'StrategyStopped', strategyId: runner.strategy.id, tsEvent: this.#clock.now() });
    }
  }

  /**
   * Runs a bar through the strategies of its symbol and those of every symbol: tracked indicators
   * update, then `onBar`. A strategy that throws is isolated (see `onStrategyError`).
   */
  onBar(bar: Bar): void {
    // Consecutive bars are mostly of one symbol: reuse its list without a Map lookup.
    let runners = this.#lastRunners;
    if (bar.symbol !== this.#lastSymbol) {
      runners = this.#bySymbol.get(bar.symbol) ?? EMPTY;
      this.#lastSymbol = bar.symbol;
      this.#lastRunners = runners;
    }
    for (let i = 0; i < runners.length; i++) this.#runBar(runners[i] as Runner, bar);
    const all = this.#allSymbols;
    for (let i = 0; i < all.length; i++) this.#runBar(all[i] as Runner, bar);
  }

  /**
   * Warms a bar into the strategies of its symbol and those of every symbol: their tracked
   * indicators update, and nothing else happens (no `onBar`, so no order). Paper and live runs feed
   * history through this before the first live bar, so an SMA(200) is ready at once.
   */
  warmUp(bar: Bar): void {
    const runners = this.#bySymbol.get(bar.symbol) ?? EMPTY;
    for (let i = 0; i < runners.length; i++) this.#warmBar(runners[i] as Runner, bar);
    const all = this.#allSymbols;
    for (let i = 0; i < all.length; i++) this.#warmBar(all[i] as Runner, bar);
  }

  #warmBar(runner: Runner, bar: Bar): void {
    if (!runner.active) return;
    try {
      this.#updateTracked(runner.strategy, bar);
    } catch (error) {
      this.#failed(runner, 'onBar', error);
    }
  }

  #updateTracked(strategy: BaseStrategy<object>, bar: Bar): void {
    const tracked = strategy.tracked;
    for (let i = 0; i < tracked.length; i++) {
      const t = tracked[i] as (typeof tracked)[number];
      if (t.symbol === undefined || t.symbol === bar.symbol) t.update(bar);
    }
  }

  #runBar(runner: Runner, bar: Bar): void {
    if (!runner.active) return;
    const strategy = runner.strategy;
    try {
      this.#updateTracked(strategy, bar);
      if (runner.paused) return;
      strategy.setCurrentSymbol(bar.symbol);
      strategy.onBar(bar);
    } catch (error) {
      this.#failed(runner, 'onBar', error);
    }
  }

  /**
   * Delivers an event of a hosted strategy's order (events of other strategies are ignored). With
   * `order`, the order as it is after the event (the engine passes its record), the host keeps that;
   * without, the host applies the event to its own copy of an order it sent. A fill moves the
   * strategy's virtual position; then the strategy sees `onOrderEvent`, and for a fill `onFill`.
   * `openChanged` (with `order`): whether this event moved the order into or out of the open orders,
   * as its keeper knows; when false the host's open orders are left as they are (no lookup).
   */
  deliver(event: OrderEvent, order?: Order, openChanged?: boolean): void {
    let runner = this.#lastDelivered;
    if (runner === undefined || runner.strategy.id !== event.strategyId) {
      runner = this.#byId.get(event.strategyId);
      if (runner === undefined) return;
      this.#lastDelivered = runner;
    }
    const id = event.clientOrderId;
    let current = order;
    if (current === undefined) {
      const own = runner.own.get(id);
      if (own !== undefined) {
        try {
          applyOrderEventTo(own, event);
        } catch (error) {
          // A redelivered fill was applied once already: nothing else to do.
          if (isRxtradeError(error) && error.code === 'DUPLICATE_FILL') return;
          this.#logger.warn(
            { err: error, event },
            'order event does not apply to the order; delivered as is',
          );
        }
        current = own;
        if (!isOpen(own) && own.status !== 'initialized') runner.own.delete(id);
      }
    }
    // Stryker disable next-line ConditionalExpression: equivalent — with the check always true the map is updated to what it already holds
    if (current !== undefined && openChanged !== false) {
      if (isOpen(current)) {
        if (runner.open.get(id) !== current) runner.open.set(id, current);
      } else runner.open.delete(id);
    }
    if (event.type === 'OrderFilled' && this.#virtualBooks === undefined) {
      const instrument = this.#instruments.get(event.instrumentId);
      if (instrument !== undefined)
        // Virtual books count quantity; their money is kept at cents.
        this.#ownBook(runner, event.accountId, instrument).apply(fillUnits(event, instrument, 2), false);
    }
    if (!runner.active) return;
    try {
      runner.strategy.onOrderEvent(event);
    } catch (error) {
      this.#failed(runner, 'onOrderEvent', error);
    }
    if (event.type !== 'OrderFilled' || !runner.active) return;
    try {
      runner.strategy.onFill(event);
    } catch (error) {
      this.#failed(runner, 'onFill', error);
    }
  }

  /**
   * The next client order id of a hosted strategy (`{prefix}{strategyId}-{seq}`), for an order sent
   * on its behalf from outside (an API call naming it).
   */
  nextClientOrderId(strategyId: string): string {
    const runner = this.#byId.get(strategyId);
    if (runner === undefined) {
      throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: `no hosted strategy ${strategyId}` });
    }
    return `${this.#idPrefix}${strategyId}-${++runner.seq}`;
  }

  /**
   * Follows an order placed on a hosted strategy's behalf elsewhere — a bracket's exit or an OCO
   * sibling that the fleet's order role placed — as if the strategy had sent it across a process
   * boundary: it is among the strategy's open orders, and the events {@link deliver}ed for it move it.
   * Call it before delivering the order's first event. An order already known is left as it is.
   */
  follow(request: OrderRequest, origin: OrderOrigin): void {
    const runner = this.#byId.get(origin.strategyId);
    if (runner === undefined || runner.own.has(origin.clientOrderId)) return;
    this.#track(runner, request, origin);
  }

  /** Makes an open order of a hosted strategy known without an event (a restart restores it). */
  adopt(order: Order): void {
    const runner = this.#byId.get(order.strategyId);
    if (runner !== undefined && isOpen(order)) runner.open.set(order.clientOrderId, order);
  }

  /** How many open orders a hosted strategy has, as the events delivered to the host say. */
  openOrderCount(strategyId: string): number {
    return this.#byId.get(strategyId)?.open.size ?? 0;
  }

  /** Tells the host an account's latest state (when no `accounts` source was given). */
  setAccount(state: AccountState): void {
    this.#accountStates.set(state.accountId, state);
  }

  /** Tells the host an account's net position (when no `accounts` source was given). */
  setPosition(position: Position): void {
    if (position.strategyId !== undefined) return;
    this.#netPositions.set(`${position.accountId}|${position.instrumentId}`, position.quantity);
  }

  /** The instrument of a symbol; throws `UNKNOWN_INSTRUMENT`. */
  instrument(symbol: string): Instrument {
    const instrument = this.#instruments.get(symbol);
    if (!instrument)
      throw new RxtradeError({ code: 'UNKNOWN_INSTRUMENT', message: `unknown instrument ${symbol}` });
    return instrument;
  }

  /** A strategy's virtual position in a symbol (on its own account), signed. 0 when it never traded it. */
  positionQty(strategyId: string, symbol: string): number {
    const runner = this.#byId.get(strategyId);
    if (runner === undefined) return 0;
    const book = this.#book(runner, runner.accountId, symbol);
    return book === undefined ? 0 : fromUnits(book.qtyUnits, book.instrument.quantityPrecision);
  }

  #book(runner: Runner, accountId: string, symbol: string): PositionBook | undefined {
    return this.#virtualBooks !== undefined
      ? this.#virtualBooks(runner.strategy.id, accountId, symbol)
      : runner.books.get(`${accountId}|${symbol}`);
  }

  #ownBook(runner: Runner, accountId: string, instrument: Instrument): PositionBook {
    const key = `${accountId}|${instrument.id}`;
    let book = runner.books.get(key);
    if (book === undefined) {
      book = new PositionBook({
        instrument,
        accountId,
        strategyId: runner.strategy.id,
        currencyPrecision: 2,
      });
      runner.books.set(key, book);
    }
    return book;
  }

  #submit(runner: Runner, request: OrderRequest): Order {
    const strategyId = runner.strategy.id;
    const seq = request.clientOrderId === undefined ? ++runner.seq : undefined;
    const origin: OrderOrigin = {
      clientOrderId: request.clientOrderId ?? `${this.#idPrefix}${strategyId}-${seq}`,
      strategyId,
      accountId: request.accountId ?? runner.accountId,
    };
    let known: Order | undefined;
    try {
      known = this.#sink.submit(request, origin);
    } catch (error) {
      // A call refused by throwing (an unknown instrument or account) used no id: the next order takes
      // it, as before the host existed. Unless an order sent meanwhile (from an event) took a later one.
      if (seq === runner.seq) runner.seq--;
      throw error;
    }
    if (known !== undefined) return known;
    // Across a process boundary: answer with the order as created, and follow its events.
    return snapshotOrder(this.#track(runner, request, origin));
  }

  /** Creates the host's own record of an order and follows its events. */
  #track(runner: Runner, request: OrderRequest, origin: OrderOrigin): OrderRecord {
    const instrument = this.instrument(request.instrumentId);
    const record = createOrder(request, {
      ...origin,
      quantityPrecision: instrument.quantityPrecision,
      ts: this.#clock.now(),
    }) as OrderRecord;
    runner.own.set(origin.clientOrderId, record);
    // In flight: the strategy sees it among its open orders and may cancel it, as in one process.
    runner.open.set(origin.clientOrderId, record);
    return record;
  }

  #failed(runner: Runner, hook: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#logger.error({ err: error, strategyId: runner.strategy.id, hook }, 'strategy failed');
    this.#emit({
      type: 'StrategyFailed',
      strategyId: runner.strategy.id,
      error,
      message,
      hook,
      tsEvent: this.#clock.now(),
    });
    if (this.#errorPolicy === 'stop' && runner.active) {
      runner.active = false;
      runner.ended = true;
      for (const order of [...runner.open.values()])
        this.#sink.cancel(order.clientOrderId, runner.strategy.id);
      this.#emit({ type: 'StrategyStopped', strategyId: runner.strategy.id, tsEvent: this.#clock.now() });
    }
  }

  #emit(event: StrategyEvent): void {
    this.#onStrategyEvent?.(event);
  }

  #contextFor(runner: Runner): StrategyContext {
    const host = this;
    const strategyId = runner.strategy.id;
    let cachedSymbol: string | undefined;
    let cachedBook: PositionBook | undefined;
    return {
      strategyId,
      accountId: runner.accountId,
      clock: this.#clock,
      logger: this.#logger.child({ strategyId }),
      submit(request) {
        const problem = validateOrderRequest(request);
        if (problem)
          throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: `invalid order: ${problem}` });
        return host.#submit(runner, request);
      },
      cancel: (id) => (runner.open.has(id) ? this.#sink.cancel(id, strategyId) : false),
      amend: (id, amendment) =>
        runner.open.has(id) ? (this.#sink.amend?.(id, amendment, strategyId) ?? false) : false,
      positionQty(symbol) {
        // Strategies ask every bar: remember the last symbol's book (books are never replaced).
        if (symbol !== cachedSymbol || cachedBook === undefined) {
          host.instrument(symbol);
          cachedBook = host.#book(runner, runner.accountId, symbol);
          if (cachedBook === undefined) return 0;
          cachedSymbol = symbol;
        }
        return fromUnits(cachedBook.qtyUnits, cachedBook.instrument.quantityPrecision);
      },
      accountPositionQty(symbol) {
        host.instrument(symbol);
        return host.#accounts.positionQty(runner.accountId, symbol);
      },
      account: () => this.#accounts.account(runner.accountId),
      instrument: (symbol) => this.instrument(symbol),
      openOrders(symbol) {
        const out: Order[] = [];
        for (const o of runner.open.values())
          if (symbol === undefined || o.instrumentId === symbol) out.push(snapshotOrder(o));
        return out;
      },
      openOrderIds(symbol) {
        const out: string[] = [];
        for (const o of runner.open.values())
          if (symbol === undefined || o.instrumentId === symbol) out.push(o.clientOrderId);
        return out;
      },
      signal(partial) {
        host.#sink.signal?.({
          strategyId,
          strength: 1,
          stopDistance: undefined,
          ...partial,
          tsEvent: host.#clock.now(),
        });
      },
    };
  }
}

function emptyAccount(accountId: string): AccountState {
  return {
    accountId,
    currency: 'USD',
    initialCash: 0,
    cash: 0,
    equity: 0,
    realizedPnl: 0,
    unrealizedPnl: 0,
    feesPaid: 0,
    tsLast: 0,
  };
}
