import { type Observable, Subject } from 'rxjs';
import type { z } from 'zod';
import { AccountBook, type AccountConfig } from '../account/account-book';
import { RxtradeError } from '../errors';
import { type ContingentLeg, canAmendUp, hasContingency, OrderEmulator } from '../execution/order-emulator';
import { OrderManager, type OrderOrigin } from '../execution/order-manager';
import { SimulatedVenue, type SimulatedVenueOptions } from '../execution/simulated-venue';
import { fromUnits } from '../model/decimal';
import { defineInstrument, type Instrument, type InstrumentSpec } from '../model/instrument';
import type { Bar } from '../model/market-data';
import {
  type Order,
  OrderAmendmentSchema,
  type OrderRequest,
  OrderRequestSchema,
  snapshotOrder,
} from '../model/order';
import type { Fill, OrderDenied, OrderEvent, OrderRejected } from '../model/order-events';
import type { AccountState, ClosedTrade, Position } from '../model/position';
import type { Signal } from '../model/signal';
import { type Clock, systemClock } from '../ports/clock';
import type { ExecutionClient, OrderAmendment, VenueEvent } from '../ports/execution-client';
import { type Logger, noopLogger } from '../ports/logger';
import { type MetricsSink, noopMetrics } from '../ports/metrics-sink';
import { flattenRequests } from '../risk/flatten';
import type { PreTradeRule } from '../risk/pre-trade';
import { RiskEngine } from '../risk/risk-engine';
import type { RiskMonitor } from '../risk/risk-monitor';
import type { BudgetUsage, StrategyBudgetConfig } from '../risk/strategy-budgets';
import { TradingHolds } from '../risk/trading-holds';
import type { BaseStrategy } from '../strategy/base-strategy';
import { StrategyHost } from '../strategy/strategy-host';
import { KeyedState } from './keyed-state';
import type {
  EngineCommands,
  EngineStreams,
  RiskStateChanged,
  StrategyEvent,
  StrategyStatus,
  TradingState,
} from './types';
import { plainOrderRequest } from './validate-order';

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
   * Cash budgets per strategy id, in its account's currency: an order that would take a strategy
   * past its budget is denied `STRATEGY_BUDGET_EXCEEDED` (docs/concepts/strategy-budgets.md).
   */
  readonly budgets?: StrategyBudgetConfig;
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

/** Owner of the holds `setTradingState` places. */
const OPERATOR = 'operator';

/** `value` checked by `schema`, which explains a refusal field by field (`INVALID_ARGUMENT`). */
function parseArgument<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `invalid ${what}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** @internal See {@link TradingEngine.setRecorder}. */
export interface TradeRecorder {
  fill(fill: Fill): void;
  closedTrade(trade: ClosedTrade): void;
  /** A round trip of a strategy's own virtual position (built only when this is given). */
  strategyTrade?(trade: ClosedTrade): void;
  /** An order denied by risk or rejected by the venue. */
  refused?(event: OrderDenied | OrderRejected): void;
}

interface SymbolState {
  readonly instrument: Instrument;
  lastPrice: number;
}

/**
 * The trading engine: the wiring of core's parts in one process. Bars go to the order manager's
 * venue (matching), the account books (marks) and the {@link StrategyHost} (strategies); a
 * strategy's order goes to the {@link RiskEngine} (holds, grid, rules) and the {@link OrderManager}
 * (records, state machine, execution client); every order event goes to the accounts, the streams
 * and back to the host. One engine runs a backtest, paper trading or live trading; only the clock,
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
  /**
   * The trading holds in force (see {@link TradingHolds}): parts place and release their own;
   * `tradingState()` is derived from them and every change is on `riskState$`.
   */
  readonly holds: TradingHolds;

  readonly #instruments = new Map<string, Instrument>();
  readonly #accounts = new Map<string, AccountBook>();
  readonly #accountList: AccountBook[] = [];
  readonly #defaultAccount: string;
  /** Per-instrument hot state, one lookup per bar; a double in an object field is not boxed (in a Map it is). */
  readonly #symbols = new Map<string, SymbolState>();
  #lastSymbol: SymbolState | undefined;
  readonly #host: StrategyHost;
  readonly #risk: RiskEngine;
  readonly #orders: OrderManager;
  /** Brackets and OCO groups held in the process (see OrderEmulator). */
  readonly #emulator: OrderEmulator;
  /** Equity monitors (drawdown, daily loss); the hot path only checks the length. */
  readonly #monitors: RiskMonitor[] = [];
  readonly #idPrefix: string;
  #state: 'new' | 'running' | 'stopped' = 'new';
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
    this.#idPrefix = options.orderIdPrefix ?? '';
    for (const spec of options.instruments) {
      const instrument = 'tickUnits' in spec ? spec : defineInstrument(spec);
      if (this.#instruments.has(instrument.id)) {
        throw new RxtradeError({
          code: 'INVALID_CONFIG',
          message: `instrument ${instrument.id} is defined twice`,
        });
      }
      this.#instruments.set(instrument.id, instrument);
      this.#symbols.set(instrument.id, { instrument, lastPrice: Number.NaN });
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
    this.#positions = new KeyedState(() => this.positions());
    this.#accountStream = new KeyedState(() => this.accounts());
    this.#riskState = new KeyedState(() =>
      this.holds.scopes().map((s) => ({ type: 'RiskStateChanged' as const, ...s })),
    );
    this.positions$ = this.#positions.stream$;
    this.account$ = this.#accountStream.stream$;
    this.riskState$ = this.#riskState.stream$;

    this.holds = new TradingHolds({ clock: this.clock });
    this.holds.onChange((change) => this.#riskState.emit({ type: 'RiskStateChanged', ...change }));
    this.#risk = new RiskEngine({
      market: this,
      rules: options.rules ?? [],
      holds: this.holds,
      ...(options.budgets === undefined ? {} : { budgets: options.budgets }),
    });
    this.#orders = new OrderManager({
      execution: this.execution,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      ...(options.retainClosedOrders === undefined ? {} : { retainClosedOrders: options.retainClosedOrders }),
      onEvent: (event, order, openChanged) => this.#onOrderEvent(event, order, openChanged),
    });
    this.#emulator = new OrderEmulator({
      submit: (request, origin) => this.#submit(request, origin),
      cancel: (clientOrderId) => this.#orders.cancel(clientOrderId),
      amend: (clientOrderId, amendment) => this.#orders.amend(clientOrderId, amendment),
      order: (clientOrderId) => this.#orders.get(clientOrderId),
      submitOco: (legs) => this.#submitOco(legs),
      amendsUp: canAmendUp(this.execution),
    });
    const accountsById = this.#accounts;
    this.#host = new StrategyHost({
      instruments: this.#instruments.values(),
      clock: this.clock,
      logger: this.logger,
      defaultAccountId: this.#defaultAccount,
      onStrategyError: options.onStrategyError ?? 'stop',
      orderIdPrefix: this.#idPrefix,
      sink: {
        submit: (request, origin) => this.#submit(request, origin),
        cancel: (clientOrderId) => this.cancel(clientOrderId),
        amend: (clientOrderId, amendment) => this.amend(clientOrderId, amendment),
        signal: (signal) => this.#signals.next(signal),
      },
      onStrategyEvent: (event) => this.#strategyEvents.next(event),
      // The accounts book every fill per strategy already: the host reads those books.
      virtualBooks: (strategyId, accountId, instrumentId) =>
        accountsById.get(accountId)?.strategyPositions.get(strategyId)?.get(instrumentId),
      accounts: {
        account: (accountId) => this.#account(accountId).snapshot(),
        positionQty: (accountId, instrumentId) => {
          const book = this.#account(accountId).positions.get(instrumentId);
          return book ? fromUnits(book.qtyUnits, book.instrument.quantityPrecision) : 0;
        },
      },
    });
    for (const strategy of options.strategies ?? []) this.addStrategy(strategy);
  }

  /** Adds a strategy before start. */
  addStrategy(strategy: BaseStrategy<object>): void {
    if (this.#state !== 'new') {
      throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: 'strategies are added before start()' });
    }
    if (this.#host.has(strategy.id)) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `two strategies have the id ${strategy.id}`,
      });
    }
    this.#account(strategy.accountId ?? this.#defaultAccount);
    this.#host.add(strategy);
  }

  /**
   * Pauses a strategy: bars keep its tracked indicators up to date but no longer reach its `onBar`;
   * its working orders stay working and their events still reach it (see `StrategyHost.pause`).
   * Emits `StrategyPaused` on `strategyEvents$`. Returns the strategy's status after the call
   * (`stopped` for one that stopped or failed); undefined when no strategy has this id.
   *
   * @example
   * engine.pauseStrategy('sma'); // 'paused': no new decisions; its stop-loss still works
   * // For a full stop, cancel its working orders too:
   * for (const o of engine.openOrders()) if (o.strategyId === 'sma') engine.cancel(o.clientOrderId);
   * engine.resumeStrategy('sma'); // 'running' from the next bar
   */
  pauseStrategy(strategyId: string): StrategyStatus | undefined {
    return this.#host.pause(strategyId);
  }

  /** Undoes {@link pauseStrategy}: its `onBar` runs again from the next bar. Returns the status after the call. */
  resumeStrategy(strategyId: string): StrategyStatus | undefined {
    return this.#host.resume(strategyId);
  }

  /** Where a strategy stands (`pending`, `running`, `paused`, `stopped`); undefined when unknown. */
  strategyStatus(strategyId: string): StrategyStatus | undefined {
    return this.#host.status(strategyId);
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
    await this.#orders.connect();
    this.#state = 'running';
    this.#host.start();
  }

  /** Stops every strategy, disconnects, completes every stream. Idempotent. */
  async stop(): Promise<void> {
    if (this.#state !== 'running') {
      this.#state = 'stopped';
      // Never started (or already stopped): still release subscribers. Completing twice is a no-op.
      this.#completeStreams();
      return;
    }
    this.#host.stop();
    this.#state = 'stopped';
    await this.#orders.disconnect();
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
   * Warms strategies up with a bar of history: their tracked indicators update, nothing else (no
   * `onBar`, no order, no fill, no mark). Call it after `start()` and before the first live bar, oldest
   * bar first, so a paper or live run trades from its first bar with ready indicators.
   */
  warmUp(bar: Bar): void {
    if (this.#state !== 'running') {
      throw new RxtradeError({
        code: 'NOT_STARTED',
        message: 'engine.start() must be awaited before bars are warmed up',
      });
    }
    this.#host.warmUp(bar);
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
    this.#orders.processBar(bar);
    const observed = this.#positions.observed || this.#accountStream.observed;
    const accounts = this.#accountList;
    for (let i = 0; i < accounts.length; i++) {
      const account = accounts[i] as AccountBook;
      account.mark(instrument, bar.close, bar.ts);
      if (observed && account.positions.has(bar.symbol)) this.#publishAccount(account, bar.symbol);
    }
    if (this.#monitors.length !== 0) this.#notifyMonitors(bar.symbol, bar.ts);
    if (this.#bars.observed) this.#bars.next(bar);
    this.#host.onBar(bar);
  }

  /**
   * Submits an order from outside any strategy (an API client, a script). Validated at this boundary:
   * a plain request by the strategy path's validator, anything else by `OrderRequestSchema`, which
   * names every refused field (`INVALID_ARGUMENT`).
   */
  submit(input: OrderRequest): Order {
    const request = plainOrderRequest(input) ?? parseArgument(OrderRequestSchema, input, 'order');
    const strategyId = request.strategyId ?? 'manual';
    const hosted = this.#host.has(strategyId);
    const generated = hosted ? undefined : `${this.#idPrefix}${strategyId}-${++this.#manualSeq}`;
    this.#assertRunning();
    return this.#submit(request, {
      // An order named after a hosted strategy is that strategy's: its ids, its events.
      clientOrderId: request.clientOrderId ?? generated ?? this.#host.nextClientOrderId(strategyId),
      strategyId,
      accountId: request.accountId ?? this.#host.accountOf(strategyId) ?? this.#defaultAccount,
    });
  }

  /** Every order's way in: risk decides, the order manager denies or sends. */
  #submit(request: OrderRequest, origin: OrderOrigin): Order {
    this.#assertRunning();
    const instrument = this.instrument(request.instrumentId);
    const account = this.#account(origin.accountId);
    if (request.oco !== undefined && this.execution.submitOco !== undefined) {
      const first = this.#emulator.submitNativeOco(request, origin);
      if (first !== undefined) return snapshotOrder(first);
    }
    const order = this.#orders.create(request, origin, instrument.quantityPrecision);
    const denial = this.#risk.check(order, instrument, account);
    if (denial) this.#orders.deny(order, denial);
    else this.#orders.send(order);
    if (hasContingency(request)) this.#emulator.register(order, request);
    // As it stands now: denied, or (at a synchronous venue) already accepted or refused.
    return snapshotOrder(order);
  }

  /**
   * Two orders as one native OCO, when the execution client offers it for this pair: both pass risk
   * (a denial of either denies both, with its reason), then go out together. Undefined when the client
   * cannot, with nothing done (the emulator holds the pair then).
   */
  #submitOco(legs: readonly [ContingentLeg, ContingentLeg]): readonly [Order, Order] | undefined {
    const client = this.execution;
    if (client.submitOco === undefined || client.supportsOco?.([legs[0].request, legs[1].request]) !== true) {
      return undefined;
    }
    this.#assertRunning();
    const checked = legs.map(({ request, origin }) => {
      const instrument = this.instrument(request.instrumentId);
      const order = this.#orders.create(request, origin, instrument.quantityPrecision);
      return { order, denial: this.#risk.check(order, instrument, this.#account(origin.accountId)) };
    });
    const [a, b] = checked as [(typeof checked)[number], (typeof checked)[number]];
    const denial = a.denial ?? b.denial;
    if (denial !== undefined) {
      for (const { order, denial: own } of checked) {
        this.#orders.deny(
          order,
          own ?? { ...denial, message: `its OCO sibling was denied: ${denial.message}` },
        );
      }
    } else this.#orders.sendOco(a.order, b.order);
    return [snapshotOrder(a.order), snapshotOrder(b.order)];
  }

  /**
   * Sends a market order against every non-zero strategy position (each strategy's own virtual
   * position, so the account nets to flat). Orders pass pre-trade risk like any other; in the
   * REDUCING state they pass because they reduce. Returns the orders sent.
   */
  flattenAll(reason: string): Order[] {
    this.#assertRunning();
    const sent: Order[] = [];
    for (const account of this.#accountList) {
      for (const request of flattenRequests(account, { by: 'strategy' })) {
        const strategyId = request.strategyId as string;
        this.logger.info(
          { strategyId, instrumentId: request.instrumentId, quantity: request.quantity, reason },
          'flattening position',
        );
        const clientOrderId = this.#host.has(strategyId)
          ? this.#host.nextClientOrderId(strategyId)
          : `${this.#idPrefix}${strategyId}-flat-${++this.#manualSeq}`;
        sent.push(this.#submit(request, { clientOrderId, strategyId, accountId: account.id }));
      }
    }
    return sent;
  }

  /** Requests a cancel. False if the order is unknown or not open. */
  cancel(clientOrderId: string): boolean {
    this.#assertRunning();
    return this.#orders.cancel(clientOrderId);
  }

  /**
   * Requests an amendment of an open order: its whole quantity (above what has filled) and the
   * prices its type has. False if the order is unknown or not open; throws `INVALID_ARGUMENT` for
   * an amendment that is malformed. The outcome arrives as `OrderUpdated` or `OrderModifyRejected`.
   */
  amend(clientOrderId: string, amendment: OrderAmendment): boolean {
    this.#assertRunning();
    return this.#orders.amend(clientOrderId, parseArgument(OrderAmendmentSchema, amendment, 'amendment'));
  }

  /** Every event of every order, after the order manager applied it: accounts, streams, then the strategy. */
  #onOrderEvent(event: OrderEvent, order: Order, openChanged: boolean): void {
    // A fill draws on its order's budget reservation before the order's end releases the rest.
    if (event.type === 'OrderFilled') this.#risk.fill(event);
    if (openChanged) this.#risk.track(order);
    if (event.type === 'OrderFilled') {
      const instrument = this.instrument(event.instrumentId);
      const account = this.#account(event.accountId);
      // A strategy's round trips are built only for a recorder that keeps them.
      const { closed, strategyClosed } = account.applyFill(
        event,
        instrument,
        this.#recorder?.strategyTrade !== undefined,
      );
      // RxJS's Subject.next allocates even with no observer: skip it when nobody listens.
      if (this.#orderEvents.observed) this.#orderEvents.next(event);
      this.#recorder?.fill(event);
      if (this.#fills.observed) this.#fills.next(event);
      this.#publishAccount(account, event.instrumentId);
      for (let i = 0; i < this.#monitors.length; i++)
        (this.#monitors[i] as RiskMonitor).onAccountUpdate(account, event.tsEvent);
      if (strategyClosed) this.#recorder?.strategyTrade?.(strategyClosed);
      if (closed) {
        this.#recorder?.closedTrade(closed);
        if (this.#closedTrades.observed) this.#closedTrades.next(closed);
      }
    } else {
      if (this.#orderEvents.observed) this.#orderEvents.next(event);
      if (event.type === 'OrderDenied' || event.type === 'OrderRejected') this.#recorder?.refused?.(event);
    }
    this.#host.deliver(event, order, openChanged);
    // After the event was delivered: what the emulator does next (a bracket's exits) comes after it.
    if (this.#emulator.size !== 0) this.#emulator.onEvent(event, order);
  }

  #publishAccount(account: AccountBook, symbol: string): void {
    if (this.#positions.observed) {
      const book = account.positions.get(symbol);
      if (book) this.#positions.emit(book.snapshot());
    }
    if (this.#accountStream.observed) this.#accountStream.emit(account.snapshot());
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
    return this.#orders.order(clientOrderId);
  }

  openOrders(): Order[] {
    return this.#orders.openOrders();
  }

  /**
   * Applies a venue event that arrived out of band (reconciliation, a status query, a restored journal)
   * exactly as one from the execution client's `events$`: a fill whose tradeId was applied is ignored.
   */
  applyVenueEvent(event: VenueEvent): void {
    this.#orders.applyVenueEvent(event);
  }

  /**
   * Makes known an order the engine did not send (reconciliation adopts external orders, usually as
   * `initialized`; a restart restores its own), so venue events for it apply. False if already known.
   */
  adoptOrder(order: Order): boolean {
    if (this.#orders.has(order.clientOrderId)) return false;
    this.instrument(order.instrumentId);
    this.#account(order.accountId);
    this.#orders.adopt(order);
    const record = this.#orders.get(order.clientOrderId) as Order;
    this.#risk.track(record);
    this.#host.adopt(record);
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
   * Where a strategy's cash budget stands on an account (default: the strategy's own, else the
   * default account): budget, used, reserved, available. Undefined when the strategy has no budget.
   */
  strategyBudget(strategyId: string, accountId?: string): BudgetUsage | undefined {
    const account = this.#account(accountId ?? this.#host.accountOf(strategyId) ?? this.#defaultAccount);
    return this.#risk.budgetUsage(account, strategyId);
  }

  /** @internal The budget of a strategy in its account's currency, or undefined. */
  budgetOf(strategyId: string): number | undefined {
    return this.#risk.budget(strategyId);
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

  /** The trading state in force for an account (the strictest hold on it or on every account). */
  tradingState(accountId?: string): TradingState {
    return this.holds.state(accountId);
  }

  /**
   * The operator's lever on the trading state, engine-wide or for one account. REDUCING or HALTED
   * places the operator's hold on that scope; ACTIVE lifts every hold on that scope, whoever placed
   * it (the operator's resume). Parts place and release only their own holds, through {@link holds}.
   */
  setTradingState(state: TradingState, options: { reason: string; accountId?: string }): void {
    const { accountId, reason } = options;
    if (accountId !== undefined) this.#account(accountId);
    if (state === 'ACTIVE') this.holds.releaseAll({ accountId, reason });
    else this.holds.place({ owner: OPERATOR, state, reason, accountId });
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
