import { type Observable, Subject, type Subscription } from 'rxjs';
import { AccountBook, type AccountConfig } from '../account/account-book';
import type { PositionBook } from '../account/position-book';
import { isRxtradeError, RxtradeError } from '../errors';
import { SimulatedVenue, type SimulatedVenueOptions } from '../execution/simulated-venue';
import { fromUnits } from '../model/decimal';
import { defineInstrument, type Instrument, type InstrumentSpec } from '../model/instrument';
import type { Bar } from '../model/market-data';
import {
  applyOrderEventTo,
  createOrder,
  isOpen,
  type Order,
  type OrderRecord,
  type OrderRequest,
  OrderRequestSchema,
  snapshotOrder,
} from '../model/order';
import type { Fill, OrderEvent } from '../model/order-events';
import type { AccountState, ClosedTrade, Position } from '../model/position';
import type { Signal } from '../model/signal';
import { type Clock, systemClock } from '../ports/clock';
import {
  type ExecutionClient,
  hasEventListener,
  isBarDriven,
  type VenueEvent,
} from '../ports/execution-client';
import { type Logger, noopLogger } from '../ports/logger';
import { type MetricsSink, noopMetrics } from '../ports/metrics-sink';
import { OpenOrderIndex } from '../risk/open-orders';
import {
  type Denial,
  instrumentGridRule,
  type PreTradeContext,
  type PreTradeRule,
  reducesPositionWithOpenOrders,
} from '../risk/pre-trade';
import type { RiskMonitor } from '../risk/risk-monitor';
import type { BaseStrategy, StrategyContext } from '../strategy/base-strategy';
import { BoundedFifo } from './bounded-fifo';
import { KeyedState } from './keyed-state';
import type { EngineCommands, EngineStreams, RiskStateChanged, StrategyEvent, TradingState } from './types';
import { validateOrderRequest } from './validate-order';

/** Options of {@link createEngine}. Every port is optional; the defaults are in-memory. */
export interface EngineOptions {
  readonly instruments: readonly (Instrument | InstrumentSpec)[];
  /** Default: one account `default` with 100,000 USD. */
  readonly accounts?: readonly AccountConfig[];
  readonly strategies?: readonly BaseStrategy<object>[];
  /** Default: a {@link SimulatedVenue} over the instruments, on the engine's clock. */
  readonly execution?: ExecutionClient;
  /** Options for the default simulated venue. */
  readonly venue?: Omit<SimulatedVenueOptions, 'instruments' | 'clock'>;
  /** Default: the system clock. Backtests pass a ManualClock. */
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink;
  /** Pre-trade rules run after the instrument grid check, in order. */
  readonly rules?: readonly PreTradeRule[];
  /**
   * What happens when a strategy hook throws: `stop` (default) stops that strategy and cancels its
   * open orders; `continue` reports the error and keeps calling it. The engine never stops.
   */
  readonly onStrategyError?: 'stop' | 'continue';
  /** Prefix of generated client order ids, e.g. a run id, so ids stay unique across restarts. */
  readonly orderIdPrefix?: string;
  /** Terminal orders kept for lookup (oldest dropped first). Default 10,000. */
  readonly retainClosedOrders?: number;
}

const STATE_RANK = { ACTIVE: 0, REDUCING: 1, HALTED: 2 } as const;

/** @internal See {@link TradingEngine.setRecorder}. */
export interface TradeRecorder {
  fill(fill: Fill): void;
  closedTrade(trade: ClosedTrade): void;
}

interface SymbolState {
  readonly instrument: Instrument;
  lastPrice: number;
  readonly runners: StrategyRunner[];
}

interface StrategyRunner {
  readonly strategy: BaseStrategy<object>;
  readonly accountId: string;
  active: boolean;
  seq: number;
  readonly open: Map<string, OrderRecord>;
}

/**
 * The trading engine: strategies → pre-trade risk → execution client → order state machine →
 * accounts → streams. One engine runs a backtest, paper trading or live trading; only the clock,
 * the bar source and the execution client differ.
 *
 * The hot path (`processBar`, order events) is synchronous plain code; Subjects emit only when
 * observed. State is always updated before the event that reports it is emitted.
 */
export class TradingEngine implements EngineStreams, EngineCommands {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  readonly execution: ExecutionClient;

  readonly #instruments = new Map<string, Instrument>();
  readonly #accounts = new Map<string, AccountBook>();
  readonly #accountList: AccountBook[] = [];
  readonly #defaultAccount: string;
  readonly #runners: StrategyRunner[] = [];
  readonly #runnersAllSymbols: StrategyRunner[] = [];
  readonly #runnerById = new Map<string, StrategyRunner>();
  /**
   * Every known order, as the one record the engine updates in place per event; only snapshots leave
   * the engine. The same record is in `runner.open` and `#openOrders` while it is open.
   */
  readonly #orders = new Map<string, OrderRecord>();
  /** Ids of terminal orders still kept for lookup, oldest first. */
  readonly #closedOrderIds: BoundedFifo<string>;
  readonly #retainNone: boolean;
  /** Per-instrument hot state, one lookup per bar; a double in an object field is not boxed (in a Map it is). */
  readonly #symbols = new Map<string, SymbolState>();
  #lastSymbol: SymbolState | undefined;
  readonly #rules: readonly PreTradeRule[];
  /** Open orders per account, for pre-trade rules (updated in #apply, one Map op per order event). */
  readonly #openOrders = new OpenOrderIndex();
  /** Equity monitors (drawdown, daily loss); the hot path only checks the length. */
  readonly #monitors: RiskMonitor[] = [];
  readonly #errorPolicy: 'stop' | 'continue';
  readonly #idPrefix: string;
  readonly #barDriven: boolean;
  #state: 'new' | 'running' | 'stopped' = 'new';
  #tradingState: TradingState = 'ACTIVE';
  #tradingReason = 'initial';
  readonly #accountStates = new Map<string, { state: TradingState; reason: string; ts: number }>();
  #venueSubscription: Pick<Subscription, 'unsubscribe'> | undefined;
  #recorder: TradeRecorder | undefined;
  #manualSeq = 0;

  readonly #bars = new Subject<Bar>();
  readonly #orderEvents = new Subject<OrderEvent>();
  readonly #fills = new Subject<Fill>();
  readonly #closedTrades = new Subject<ClosedTrade>();
  readonly #strategyEvents = new Subject<StrategyEvent>();
  readonly #signals = new Subject<Signal>();
  readonly #positions: KeyedState<Position>;
  readonly #accountStream: KeyedState<AccountState>;
  readonly #riskState: KeyedState<RiskStateChanged>;

  readonly bars$: Observable<Bar> = this.#bars.asObservable();
  readonly orderEvents$: Observable<OrderEvent> = this.#orderEvents.asObservable();
  readonly fills$: Observable<Fill> = this.#fills.asObservable();
  readonly closedTrades$: Observable<ClosedTrade> = this.#closedTrades.asObservable();
  readonly strategyEvents$: Observable<StrategyEvent> = this.#strategyEvents.asObservable();
  /** Hot, no replay: every signal strategies publish. */
  readonly signals$: Observable<Signal> = this.#signals.asObservable();
  readonly positions$: Observable<Position>;
  readonly account$: Observable<AccountState>;
  readonly riskState$: Observable<RiskStateChanged>;

  constructor(options: EngineOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? noopLogger;
    this.metrics = options.metrics ?? noopMetrics;
    this.#rules = [instrumentGridRule, ...(options.rules ?? [])];
    this.#errorPolicy = options.onStrategyError ?? 'stop';
    this.#idPrefix = options.orderIdPrefix ?? '';
    this.#closedOrderIds = new BoundedFifo(options.retainClosedOrders ?? 10_000);
    this.#retainNone = options.retainClosedOrders === 0;
    for (const spec of options.instruments) {
      const instrument = 'tickUnits' in spec ? spec : defineInstrument(spec);
      if (this.#instruments.has(instrument.id)) {
        throw new RxtradeError({
          code: 'INVALID_CONFIG',
          message: `instrument ${instrument.id} is defined twice`,
        });
      }
      this.#instruments.set(instrument.id, instrument);
      this.#symbols.set(instrument.id, { instrument, lastPrice: Number.NaN, runners: [] });
    }
    const accounts = options.accounts ?? [{ id: 'default', initialCash: 100_000 }];
    if (accounts.length === 0)
      throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'at least one account is needed' });
    for (const config of accounts) {
      if (this.#accounts.has(config.id)) {
        throw new RxtradeError({ code: 'INVALID_CONFIG', message: `account ${config.id} is defined twice` });
      }
      const book = new AccountBook(config);
      this.#accounts.set(config.id, book);
      this.#accountList.push(book);
    }
    this.#defaultAccount = (accounts[0] as AccountConfig).id;
    this.execution =
      options.execution ??
      new SimulatedVenue({
        ...options.venue,
        instruments: this.#instruments.values(),
        clock: this.clock,
        currencyPrecision: (this.#accounts.get(this.#defaultAccount) as AccountBook).currencyPrecision,
      });
    this.#barDriven = isBarDriven(this.execution);
    this.#positions = new KeyedState(() => this.positions());
    this.#accountStream = new KeyedState(() => this.accounts());
    this.#riskState = new KeyedState(() => this.#riskSnapshots());
    this.positions$ = this.#positions.stream$;
    this.account$ = this.#accountStream.stream$;
    this.riskState$ = this.#riskState.stream$;
    for (const strategy of options.strategies ?? []) this.addStrategy(strategy);
  }

  /** Adds a strategy before start. */
  addStrategy(strategy: BaseStrategy<object>): void {
    if (this.#state !== 'new') {
      throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: 'strategies are added before start()' });
    }
    if (this.#runnerById.has(strategy.id)) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `two strategies have the id ${strategy.id}`,
      });
    }
    const accountId = strategy.accountId ?? this.#defaultAccount;
    this.#account(accountId);
    for (const symbol of strategy.symbols ?? []) this.instrument(symbol);
    const runner: StrategyRunner = { strategy, accountId, active: false, seq: 0, open: new Map() };
    this.#runners.push(runner);
    this.#runnerById.set(strategy.id, runner);
    if (strategy.symbols === undefined) this.#runnersAllSymbols.push(runner);
    for (const symbol of strategy.symbols ?? [])
      (this.#symbols.get(symbol) as SymbolState).runners.push(runner);
    strategy.attach(this.#contextFor(runner));
  }

  /** Connects the execution client and starts every strategy. Idempotent. */
  async start(): Promise<void> {
    if (this.#state === 'running') return;
    if (this.#state === 'stopped') {
      throw new RxtradeError({
        code: 'CLOSED',
        message: 'a stopped engine cannot be started again; create a new one',
      });
    }
    await this.execution.connect();
    const onEvent = (event: VenueEvent): void => {
      // Nothing a venue sends may take the engine down: a bad event is logged and dropped.
      try {
        this.#onVenueEvent(event);
      } catch (error) {
        this.logger.error({ err: error, event }, 'venue event could not be processed');
      }
    };
    // A plain listener where the client offers one (the simulated venue): no RxJS layers per event.
    const execution = this.execution;
    if (hasEventListener(execution)) {
      const remove = execution.addEventListener(onEvent);
      this.#venueSubscription = { unsubscribe: remove };
    } else this.#venueSubscription = execution.events$.subscribe(onEvent);
    this.#state = 'running';
    for (const runner of this.#runners) {
      runner.active = true;
      this.#strategyEvents.next({
        type: 'StrategyStarted',
        strategyId: runner.strategy.id,
        tsEvent: this.clock.now(),
      });
      try {
        runner.strategy.onStart();
      } catch (error) {
        this.#strategyFailed(runner, 'onStart', error);
      }
    }
  }

  /** Stops every strategy, disconnects, completes every stream. Idempotent. */
  async stop(): Promise<void> {
    if (this.#state !== 'running') {
      this.#state = 'stopped';
      // Never started (or already stopped): still release subscribers. Completing twice is a no-op.
      this.#completeStreams();
      return;
    }
    for (const runner of this.#runners) {
      if (!runner.active) continue;
      try {
        runner.strategy.onStop();
      } catch (error) {
        this.#strategyFailed(runner, 'onStop', error);
      }
      runner.active = false;
      this.#strategyEvents.next({
        type: 'StrategyStopped',
        strategyId: runner.strategy.id,
        tsEvent: this.clock.now(),
      });
    }
    this.#state = 'stopped';
    this.#venueSubscription?.unsubscribe();
    this.#venueSubscription = undefined;
    await this.execution.disconnect();
    this.#completeStreams();
  }

  #completeStreams(): void {
    for (const subject of [
      this.#bars,
      this.#orderEvents,
      this.#fills,
      this.#closedTrades,
      this.#strategyEvents,
      this.#signals,
    ]) {
      (subject as Subject<unknown>).complete();
    }
    this.#positions.complete();
    this.#accountStream.complete();
    this.#riskState.complete();
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  /**
   * Processes one bar: the venue matches working orders, accounts are marked at the close,
   * tracked indicators update, strategies see the bar. The caller sets the clock first (backtests)
   * or the clock is real time (live).
   */
  processBar(bar: Bar): void {
    if (this.#state !== 'running') {
      throw new RxtradeError({
        code: 'NOT_STARTED',
        message: 'engine.start() must be awaited before bars are processed',
      });
    }
    // Consecutive bars are mostly of one symbol: reuse its record without a Map lookup.
    let symbol = this.#lastSymbol;
    if (symbol === undefined || symbol.instrument.id !== bar.symbol) {
      symbol = this.#symbols.get(bar.symbol);
      this.#lastSymbol = symbol;
    }
    if (symbol === undefined) {
      throw new RxtradeError({
        code: 'UNKNOWN_INSTRUMENT',
        message: `bar for unknown instrument ${bar.symbol}`,
      });
    }
    const instrument = symbol.instrument;
    symbol.lastPrice = bar.close;
    if (this.#barDriven) (this.execution as SimulatedVenue).processBar(bar);
    const observed = this.#positions.observed || this.#accountStream.observed;
    const accounts = this.#accountList;
    for (let i = 0; i < accounts.length; i++) {
      const account = accounts[i] as AccountBook;
      account.mark(instrument, bar.close, bar.ts);
      if (observed && account.positions.has(bar.symbol)) this.#publishAccount(account, bar.symbol);
    }
    if (this.#monitors.length !== 0) this.#notifyMonitors(bar.symbol, bar.ts);
    if (this.#bars.observed) this.#bars.next(bar);
    const runners = symbol.runners;
    for (let i = 0; i < runners.length; i++) this.#runBar(runners[i] as StrategyRunner, bar);
    const all = this.#runnersAllSymbols;
    for (let i = 0; i < all.length; i++) this.#runBar(all[i] as StrategyRunner, bar);
  }

  #runBar(runner: StrategyRunner, bar: Bar): void {
    if (!runner.active) return;
    const strategy = runner.strategy;
    try {
      const tracked = strategy.tracked;
      for (let i = 0; i < tracked.length; i++) {
        const t = tracked[i] as (typeof tracked)[number];
        if (t.symbol === undefined || t.symbol === bar.symbol) t.update(bar);
      }
      strategy.setCurrentSymbol(bar.symbol);
      strategy.onBar(bar);
    } catch (error) {
      this.#strategyFailed(runner, 'onBar', error);
    }
  }

  /** Submits an order from outside any strategy (an API client, a script). Validated with zod. */
  submit(request: OrderRequest): Order {
    const parsed = OrderRequestSchema.safeParse(request);
    if (!parsed.success) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: `invalid order: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        cause: parsed.error,
      });
    }
    const strategyId = parsed.data.strategyId ?? 'manual';
    const runner = this.#runnerById.get(strategyId);
    return this.#submit(
      parsed.data,
      runner,
      runner ? undefined : `${this.#idPrefix}${strategyId}-${++this.#manualSeq}`,
    );
  }

  #submit(request: OrderRequest, runner: StrategyRunner | undefined, generatedId?: string): Order {
    this.#assertRunning();
    const instrument = this.instrument(request.instrumentId);
    const accountId = request.accountId ?? runner?.accountId ?? this.#defaultAccount;
    const account = this.#account(accountId);
    const strategyId = runner?.strategy.id ?? request.strategyId ?? 'manual';
    const clientOrderId =
      request.clientOrderId ??
      generatedId ??
      `${this.#idPrefix}${strategyId}-${runner ? ++runner.seq : ++this.#manualSeq}`;
    if (this.#orders.has(clientOrderId)) {
      throw new RxtradeError({
        code: 'DUPLICATE_ORDER',
        message: `client order id ${clientOrderId} is already in use`,
      });
    }
    const order = createOrder(request, {
      clientOrderId,
      accountId,
      strategyId,
      quantityPrecision: instrument.quantityPrecision,
      ts: this.clock.now(),
    }) as OrderRecord;
    this.#orders.set(clientOrderId, order);
    const tsEvent = order.tsInit;
    const instrumentId = instrument.id;
    const denial = this.#preTrade(order, instrument, account);
    if (denial) {
      const denied: OrderEvent = {
        type: 'OrderDenied',
        clientOrderId,
        accountId,
        strategyId,
        instrumentId,
        tsEvent,
        reason: denial.reason,
        message: denial.message,
      };
      this.#apply(order, denied);
      this.#retire(order);
      this.#publishOrderEvent(denied, runner);
      return snapshotOrder(order);
    }
    const submitted: OrderEvent = {
      type: 'OrderSubmitted',
      clientOrderId,
      accountId,
      strategyId,
      instrumentId,
      tsEvent,
    };
    this.#apply(order, submitted);
    runner?.open.set(clientOrderId, order);
    this.#publishOrderEvent(submitted, runner);
    // The simulated venue is handed the record itself: it reads only the fields an order is created
    // with, synchronously. Any other client gets a snapshot it may keep.
    if (this.#barDriven) (this.execution as SimulatedVenue).submitOrderSync(order);
    else {
      this.execution.submitOrder(snapshotOrder(order)).catch((error: unknown) => {
        // Unless the client knows it never sent the order, the outcome is unknown: the order stays
        // in flight until the venue's events or reconciliation settle it. It is never resent blindly.
        const notSent = isRxtradeError(error) && error.details?.['outcome'] === 'NOT_SENT';
        this.logger.error(
          { err: error, clientOrderId },
          notSent
            ? 'order submission refused before sending'
            : 'order submission failed; outcome unknown until reconciled',
        );
      });
    }
    // As it stands now: a simulated venue has already accepted it (or refused it).
    return snapshotOrder(order);
  }

  #preTrade(order: Order, instrument: Instrument, account: AccountBook): Denial | undefined {
    const positionQty = fromUnits(
      account.positions.get(instrument.id)?.qtyUnits ?? 0,
      instrument.quantityPrecision,
    );
    const state = this.tradingState(account.id);
    if (state === 'HALTED') {
      return { reason: 'TRADING_HALTED', message: `TRADING_HALTED: ${this.#tradingReasonFor(account.id)}` };
    }
    const context: PreTradeContext = {
      order,
      instrument,
      positionQty,
      lastPrice: this.#symbols.get(instrument.id)?.lastPrice ?? Number.NaN,
      account,
      openOrders: this.#openOrders.forAccount(account.id),
      market: this,
    };
    if (state === 'REDUCING' && !reducesPositionWithOpenOrders(context)) {
      return {
        reason: 'REDUCING_ONLY',
        message: 'REDUCING_ONLY: only orders that reduce the position (open orders included) are allowed',
      };
    }
    const rules = this.#rules;
    for (let i = 0; i < rules.length; i++) {
      const denial = (rules[i] as PreTradeRule)(context);
      if (denial) return denial;
    }
    return undefined;
  }

  /**
   * Sends a market order against every non-zero strategy position (each strategy's own virtual
   * position, so the account nets to flat). Orders pass pre-trade risk like any other; in the
   * REDUCING state they pass because they reduce. Returns the orders sent.
   */
  flattenAll(reason: string): Order[] {
    this.#assertRunning();
    const sent: Order[] = [];
    for (const account of this.#accounts.values()) {
      for (const [strategyId, books] of account.strategyPositions) {
        for (const book of books.values()) {
          if (book.qtyUnits === 0) continue;
          const quantity = fromUnits(Math.abs(book.qtyUnits), book.instrument.quantityPrecision);
          const runner = this.#runnerById.get(strategyId);
          this.logger.info(
            { strategyId, instrumentId: book.instrument.id, quantity, reason },
            'flattening position',
          );
          sent.push(
            this.#submit(
              {
                instrumentId: book.instrument.id,
                accountId: account.id,
                strategyId,
                side: book.qtyUnits > 0 ? 'sell' : 'buy',
                quantity,
                type: 'market',
              },
              runner,
              runner ? undefined : `${this.#idPrefix}${strategyId}-flat-${++this.#manualSeq}`,
            ),
          );
        }
      }
    }
    return sent;
  }

  /** Requests a cancel. False if the order is unknown or not open. */
  cancel(clientOrderId: string): boolean {
    this.#assertRunning();
    const order = this.#orders.get(clientOrderId);
    if (!order || !isOpen(order)) return false;
    if (this.#barDriven) (this.execution as SimulatedVenue).cancelOrderSync(order);
    else {
      const pending: OrderEvent = {
        type: 'OrderPendingCancel',
        clientOrderId,
        accountId: order.accountId,
        strategyId: order.strategyId,
        instrumentId: order.instrumentId,
        tsEvent: this.clock.now(),
      };
      this.#apply(order, pending);
      this.#publishOrderEvent(pending, this.#runnerById.get(order.strategyId));
      this.execution.cancelOrder(snapshotOrder(order)).catch((error: unknown) => {
        this.logger.error({ err: error, clientOrderId }, 'cancel request failed');
      });
    }
    return true;
  }

  #onVenueEvent(event: VenueEvent): void {
    const current = this.#orders.get(event.clientOrderId);
    if (!current) {
      this.logger.warn({ event }, 'event for an unknown order ignored');
      this.metrics
        .counter('unknown_order_events_total', { help: 'Venue events for orders this engine does not know' })
        .add();
      return;
    }
    if (event.type === 'OrderFilled') {
      if (current.tradeIds.includes(event.tradeId)) {
        // A redelivered fill (also on an order already filled): applied once, nothing else to do.
        this.logger.debug({ tradeId: event.tradeId }, 'duplicate fill ignored');
        return;
      }
      if (
        event.accountId !== current.accountId ||
        event.strategyId !== current.strategyId ||
        event.instrumentId !== current.instrumentId
      ) {
        // The engine's own order is the authority on whose fill this is, not the venue's echo.
        this.logger.warn({ event }, 'fill ids differ from the order; booking it to the order');
        event = {
          ...event,
          accountId: current.accountId,
          strategyId: current.strategyId,
          instrumentId: current.instrumentId,
        };
      }
    }
    const order = current;
    try {
      this.#apply(order, event);
    } catch (error) {
      if (isRxtradeError(error) && error.code === 'DUPLICATE_FILL') {
        this.logger.debug({ tradeId: (event as Fill).tradeId }, 'duplicate fill ignored');
        return;
      }
      this.logger.error({ err: error, event }, 'venue event could not be applied');
      return;
    }
    const runner = this.#runnerById.get(order.strategyId);
    if (!isOpen(order)) {
      runner?.open.delete(order.clientOrderId);
      this.#retire(order);
    }
    if (event.type === 'OrderFilled') {
      const instrument = this.instrument(event.instrumentId);
      const account = this.#account(event.accountId);
      const { closed } = account.applyFill(event, instrument);
      this.#publishOrderEvent(event, runner);
      this.#recorder?.fill(event);
      if (this.#fills.observed) this.#fills.next(event);
      this.#publishAccount(account, event.instrumentId);
      for (let i = 0; i < this.#monitors.length; i++)
        (this.#monitors[i] as RiskMonitor).onAccountUpdate(account, event.tsEvent);
      if (closed) {
        this.#recorder?.closedTrade(closed);
        if (this.#closedTrades.observed) this.#closedTrades.next(closed);
      }
      if (runner?.active) {
        try {
          runner.strategy.onFill(event);
        } catch (error) {
          this.#strategyFailed(runner, 'onFill', error);
        }
      }
      return;
    }
    this.#publishOrderEvent(event, runner);
  }

  /** Applies an event to an order's record; the open-order index changes only when it opens or closes. */
  #apply(order: OrderRecord, event: OrderEvent): void {
    const wasOpen = isOpen(order);
    applyOrderEventTo(order, event);
    if (isOpen(order) !== wasOpen) this.#openOrders.track(order);
  }

  /** Emits an order event and hands it to its strategy (`runner`: the order's, resolved by the caller). */
  #publishOrderEvent(event: OrderEvent, runner: StrategyRunner | undefined): void {
    // RxJS's Subject.next allocates even with no observer: skip it when nobody listens.
    if (this.#orderEvents.observed) this.#orderEvents.next(event);
    if (runner?.active) {
      try {
        runner.strategy.onOrderEvent(event);
      } catch (error) {
        this.#strategyFailed(runner, 'onOrderEvent', error);
      }
    }
  }

  #publishAccount(account: AccountBook, symbol: string): void {
    if (this.#positions.observed) {
      const book = account.positions.get(symbol);
      if (book) this.#positions.emit(book.snapshot());
    }
    if (this.#accountStream.observed) this.#accountStream.emit(account.snapshot());
  }

  /** Keeps a bounded number of terminal orders for lookup. */
  #retire(order: Order): void {
    if (this.#retainNone) {
      this.#orders.delete(order.clientOrderId);
      return;
    }
    const dropped = this.#closedOrderIds.push(order.clientOrderId);
    if (dropped === undefined) return;
    const oldest = this.#orders.get(dropped);
    if (oldest && !isOpen(oldest)) this.#orders.delete(dropped);
  }

  #strategyFailed(runner: StrategyRunner, hook: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.logger.error({ err: error, strategyId: runner.strategy.id, hook }, 'strategy failed');
    this.#strategyEvents.next({
      type: 'StrategyFailed',
      strategyId: runner.strategy.id,
      error,
      message,
      hook,
      tsEvent: this.clock.now(),
    });
    if (this.#errorPolicy === 'stop' && runner.active) {
      runner.active = false;
      for (const order of [...runner.open.values()]) this.cancel(order.clientOrderId);
      this.#strategyEvents.next({
        type: 'StrategyStopped',
        strategyId: runner.strategy.id,
        tsEvent: this.clock.now(),
      });
    }
  }

  #contextFor(runner: StrategyRunner): StrategyContext {
    const engine = this;
    let cachedSymbol: string | undefined;
    let cachedBook: PositionBook | undefined;
    return {
      strategyId: runner.strategy.id,
      accountId: runner.accountId,
      clock: this.clock,
      logger: this.logger.child({ strategyId: runner.strategy.id }),
      submit(request) {
        const problem = validateOrderRequest(request);
        if (problem)
          throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: `invalid order: ${problem}` });
        return engine.#submit(request, runner);
      },
      cancel: (id) => (runner.open.has(id) ? this.cancel(id) : false),
      positionQty(symbol) {
        // Strategies ask every bar: remember the last symbol's book (books are never replaced).
        if (symbol !== cachedSymbol || cachedBook === undefined) {
          engine.instrument(symbol);
          cachedBook = engine
            .#account(runner.accountId)
            .strategyPositions.get(runner.strategy.id)
            ?.get(symbol);
          if (cachedBook === undefined) return 0;
          cachedSymbol = symbol;
        }
        return fromUnits(cachedBook.qtyUnits, cachedBook.instrument.quantityPrecision);
      },
      accountPositionQty(symbol) {
        const instrument = engine.instrument(symbol);
        const book = engine.#account(runner.accountId).positions.get(symbol);
        return book ? fromUnits(book.qtyUnits, instrument.quantityPrecision) : 0;
      },
      account: () => this.#account(runner.accountId).snapshot(),
      instrument: (symbol) => this.instrument(symbol),
      openOrders(symbol) {
        const out: Order[] = [];
        for (const o of runner.open.values())
          if (symbol === undefined || o.instrumentId === symbol) out.push(snapshotOrder(o));
        return out;
      },
      signal(partial) {
        engine.#signals.next({
          strategyId: runner.strategy.id,
          strength: 1,
          stopDistance: undefined,
          ...partial,
          tsEvent: engine.clock.now(),
        });
      },
    };
  }

  instrument(id: string): Instrument {
    const instrument = this.#instruments.get(id);
    if (!instrument)
      throw new RxtradeError({ code: 'UNKNOWN_INSTRUMENT', message: `unknown instrument ${id}` });
    return instrument;
  }

  get instruments(): readonly Instrument[] {
    return [...this.#instruments.values()];
  }

  #account(id: string): AccountBook {
    const account = this.#accounts.get(id);
    if (!account) throw new RxtradeError({ code: 'UNKNOWN_ACCOUNT', message: `unknown account ${id}` });
    return account;
  }

  /** @internal The exact account book (integer units), for runners and reports. */
  accountBook(id: string = this.#defaultAccount): AccountBook {
    return this.#account(id);
  }

  account(id: string = this.#defaultAccount): AccountState {
    return this.#account(id).snapshot();
  }

  accounts(): AccountState[] {
    return [...this.#accounts.values()].map((a) => a.snapshot());
  }

  /** Every non-flat position (and flat ones that have traded), across accounts. */
  positions(accountId?: string): Position[] {
    const out: Position[] = [];
    for (const account of this.#accounts.values()) {
      if (accountId !== undefined && account.id !== accountId) continue;
      for (const book of account.positions.values()) out.push(book.snapshot());
    }
    return out;
  }

  order(clientOrderId: string): Order | undefined {
    const order = this.#orders.get(clientOrderId);
    return order && snapshotOrder(order);
  }

  openOrders(): Order[] {
    const out: Order[] = [];
    for (const order of this.#orders.values()) if (isOpen(order)) out.push(snapshotOrder(order));
    return out;
  }

  /**
   * Applies a venue event that arrived out of band (reconciliation, a status query, a restored journal)
   * exactly as one from the execution client's `events$`: a fill whose tradeId was applied is ignored.
   */
  applyVenueEvent(event: VenueEvent): void {
    this.#onVenueEvent(event);
  }

  /**
   * Makes known an order the engine did not send (reconciliation adopts external orders, usually as
   * `initialized`; a restart restores its own), so venue events for it apply. False if already known.
   */
  adoptOrder(order: Order): boolean {
    if (this.#orders.has(order.clientOrderId)) return false;
    this.instrument(order.instrumentId);
    this.#account(order.accountId);
    // The engine's own record: the caller's object stays as it was.
    const record = snapshotOrder(order) as OrderRecord;
    this.#orders.set(record.clientOrderId, record);
    this.#openOrders.track(record);
    this.#runnerById.get(record.strategyId)?.open.set(record.clientOrderId, record);
    return true;
  }

  /** Last price seen for an instrument (the last bar's close); NaN before its first bar. */
  lastPrice(instrumentId: string): number {
    return this.#symbols.get(instrumentId)?.lastPrice ?? Number.NaN;
  }

  /** A strategy's own virtual positions (every account it traded in, or one), beside the accounts' net ones. */
  strategyPositions(strategyId: string, accountId?: string): Position[] {
    const out: Position[] = [];
    for (const account of this.#accountList) {
      if (accountId !== undefined && account.id !== accountId) continue;
      for (const book of account.strategyPositions.get(strategyId)?.values() ?? []) out.push(book.snapshot());
    }
    return out;
  }

  /**
   * @internal Hands every fill and closed trade to `recorder` as it happens, before `fills$` and
   * `closedTrades$` see it: the backtest runner's records, without RxJS's per-event layers. One at a
   * time; `undefined` removes it.
   */
  setRecorder(recorder: TradeRecorder | undefined): void {
    this.#recorder = recorder;
  }

  /** Registers an equity monitor (see RiskMonitor); returns its unregister function. */
  addMonitor(monitor: RiskMonitor): () => void {
    this.#monitors.push(monitor);
    return () => {
      const i = this.#monitors.indexOf(monitor);
      if (i >= 0) this.#monitors.splice(i, 1);
    };
  }

  #notifyMonitors(symbol: string, ts: number): void {
    for (const account of this.#accountList) {
      if (!account.positions.has(symbol)) continue;
      for (let i = 0; i < this.#monitors.length; i++)
        (this.#monitors[i] as RiskMonitor).onAccountUpdate(account, ts);
    }
  }

  /** The trading state in force for an account (the stricter of the engine's and the account's). */
  tradingState(accountId?: string): TradingState {
    if (this.#accountStates.size === 0 || accountId === undefined) return this.#tradingState;
    const own = this.#accountStates.get(accountId)?.state;
    return own !== undefined && STATE_RANK[own] > STATE_RANK[this.#tradingState] ? own : this.#tradingState;
  }

  #tradingReasonFor(accountId: string): string {
    const own = this.#accountStates.get(accountId);
    return own && own.state === this.tradingState(accountId) ? own.reason : this.#tradingReason;
  }

  /** Sets the engine-wide trading state, or one account's. */
  setTradingState(state: TradingState, options: { reason: string; accountId?: string }): void {
    const ts = this.clock.now();
    if (options.accountId === undefined) {
      this.#tradingState = state;
      this.#tradingReason = options.reason;
    } else {
      this.#account(options.accountId);
      this.#accountStates.set(options.accountId, { state, reason: options.reason, ts });
    }
    this.#riskState.emit({
      type: 'RiskStateChanged',
      accountId: options.accountId,
      state,
      reason: options.reason,
      tsEvent: ts,
    });
  }

  *#riskSnapshots(): Iterable<RiskStateChanged> {
    yield {
      type: 'RiskStateChanged',
      accountId: undefined,
      state: this.#tradingState,
      reason: this.#tradingReason,
      tsEvent: this.clock.now(),
    };
    for (const [accountId, s] of this.#accountStates) {
      yield { type: 'RiskStateChanged', accountId, state: s.state, reason: s.reason, tsEvent: s.ts };
    }
  }

  #assertRunning(): void {
    if (this.#state !== 'running') {
      throw new RxtradeError({ code: 'NOT_STARTED', message: 'the engine is not running' });
    }
  }
}

/**
 * Creates an engine. Nothing runs until `await engine.start()`.
 *
 * @example
 * const engine = createEngine({ instruments: [{ id: 'SPX', pricePrecision: 2, quantityPrecision: 0 }], strategies: [new SmaCross()] });
 * engine.fills$.subscribe(console.log);
 * await engine.start();
 * for (const bar of bars) engine.processBar(bar);
 * await engine.stop();
 */
export function createEngine(options: EngineOptions): TradingEngine {
  return new TradingEngine(options);
}
