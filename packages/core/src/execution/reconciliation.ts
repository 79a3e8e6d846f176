import {
  asyncScheduler,
  BehaviorSubject,
  type Observable,
  pairwise,
  type SchedulerLike,
  Subject,
  type Subscription,
} from 'rxjs';
import { TradingEngine } from '../engine/trading-engine';
import { isRxtradeError, RxtradeError } from '../errors';
import { fromUnits, pow10, toUnitsExact } from '../model/decimal';
import { createOrder, type Order, type OrderStatus } from '../model/order';
import type { OrderEventBase, OrderFilled } from '../model/order-events';
import type { VenueEvent } from '../ports/execution-client';
import { type Logger, noopLogger } from '../ports/logger';
import { type MetricsSink, noopMetrics } from '../ports/metrics-sink';
import type { OrderJournal } from './order-journal';
import type { BreakerState } from './resilient-client';
import type {
  ReconcilableExecutionClient,
  VenueBalance,
  VenueFillReport,
  VenueOrderReport,
  VenuePositionReport,
} from './venue-reports';

/** The reason the engine is halted with while reconciliation runs or has unresolved items. */
export const RECONCILING = 'RECONCILING';

/** Owner of the reconciler's trading hold. */
const RECONCILER = 'reconciler';

/** Strategy id of orders adopted from the venue that no strategy of this engine sent. */
export const EXTERNAL_STRATEGY = 'EXTERNAL';

/** Why reconciliation could not settle something. Trading stays halted while any remains. */
export type UnresolvedReason =
  /** A venue query failed: nothing can be trusted until it answers. */
  | 'VENUE_UNREACHABLE'
  /** A submission was never acknowledged and the venue does not (yet) know the order. */
  | 'IN_FLIGHT_UNCONFIRMED'
  /** The engine has the order working; the venue does not know it. */
  | 'ORDER_MISSING_AT_VENUE'
  /**
   * A venue fill of an order the engine has no record of: a journal write lost in a crash, or a trade
   * made on the account elsewhere. Held, since the engine's position is then not the venue's; settle it
   * by hand, or book such fills with `unknownFills: 'adopt'`.
   */
  | 'UNKNOWN_FILL'
  /** The venue reports more filled than the fills it returned (fills older than the look-back?). */
  | 'MISSING_FILLS'
  /** The engine holds more filled than the venue reports. */
  | 'FILL_MISMATCH'
  /** An open order at the venue that cannot be adopted (unknown instrument, no side or type). */
  | 'EXTERNAL_ORDER_UNADOPTABLE'
  /**
   * A venue position report, or on a spot venue the balance of an instrument's base currency (less
   * what `unmanagedBalances` declares), disagrees with the engine's position.
   */
  | 'POSITION_MISMATCH'
  /** Applying a venue report to the engine failed. */
  | 'APPLY_FAILED';

/** One thing reconciliation could not settle. */
export interface UnresolvedItem {
  readonly reason: UnresolvedReason;
  readonly clientOrderId?: string;
  readonly instrumentId?: string;
  readonly message: string;
}

/** What one reconciliation found and did. */
export interface ReconciliationReport {
  readonly startedAt: number;
  readonly finishedAt: number;
  /** `ok`: everything matched or was settled, trading resumed. `unresolved`: trading stays halted. */
  readonly status: 'ok' | 'unresolved';
  /** Fills the engine was missing, applied once each. */
  readonly fillsApplied: number;
  /** Fills the engine already had (same tradeId): not applied again. */
  readonly fillsAlreadyApplied: number;
  /** Fills of orders the engine has no record of, not booked (each one is also an `UNKNOWN_FILL` item). */
  readonly externalFillsIgnored: number;
  /** Orders whose status was settled from the venue's report. */
  readonly ordersSettled: readonly {
    readonly clientOrderId: string;
    readonly from: OrderStatus;
    readonly to: OrderStatus;
  }[];
  /** External orders open at the venue, adopted under {@link EXTERNAL_STRATEGY}. */
  readonly ordersAdopted: readonly string[];
  readonly unresolved: readonly UnresolvedItem[];
  readonly balances: readonly VenueBalance[] | undefined;
  readonly positions: readonly VenuePositionReport[] | undefined;
}

/**
 * What the reconciler needs of the host whose orders it reconciles: a {@link TradingEngine}, or any
 * other holder of orders (the fleet's order role keeps orders without accounts or positions).
 * Without `positions`, step 5 (positions and balances against the venue's) is not done: the host
 * keeps no positions to compare; whoever keeps them must compare them.
 */
export type ReconcilableEngine = Pick<
  TradingEngine,
  | 'clock'
  | 'holds'
  | 'running'
  | 'start'
  | 'order'
  | 'openOrders'
  | 'applyVenueEvent'
  | 'adoptOrder'
  | 'instruments'
  | 'accounts'
> &
  Partial<Pick<TradingEngine, 'positions'>>;

/** Options of {@link Reconciler}. */
export interface ReconcilerOptions {
  readonly engine: TradingEngine | ReconcilableEngine;
  readonly client: ReconcilableExecutionClient;
  /** Persists orders and fills across restarts; restored by {@link Reconciler.start}. Only with a {@link TradingEngine}. */
  readonly journal?: OrderJournal;
  /** Account external orders are booked to. Default the engine's first account. */
  readonly accountId?: string;
  /** How far back the first run asks for fills. Default 24 h. Later runs ask from the previous run's start minus `overlapMs`. */
  readonly lookbackMs?: number;
  /** Overlap of consecutive fill queries (late-reported fills); duplicates are dropped by tradeId. Default 60 s. */
  readonly overlapMs?: number;
  /** Runs that find a never-acknowledged order unknown to the venue before it is resolved as rejected (`NOT_FOUND_AT_VENUE`). Default 3. */
  readonly notFoundChecks?: number;
  /** `open` (default): adopt orders open at the venue that the engine does not know. `none`: report them only. */
  readonly adoptExternal?: 'open' | 'none';
  /**
   * Fills the venue reports for orders the engine has no record of (a journal write lost in a crash,
   * or a trade made on the account elsewhere). `hold` (default): report each as `UNKNOWN_FILL` and keep
   * trading halted, since the engine's position is not the venue's. `adopt`: ask the venue for the
   * order, adopt it under {@link EXTERNAL_STRATEGY} (booked to `accountId`) and apply its fills, so
   * the account's position follows the venue again (no strategy's own position includes them).
   */
  readonly unknownFills?: 'hold' | 'adopt';
  /**
   * Spot venues (balances, no position report): the currency each instrument's quantity is held in,
   * by instrument id. Default: the instrument id less its quote currency (`BTCUSDT` or `BTC/USDT`
   * quoted in USDT → `BTC`); an instrument whose base currency is neither named nor derivable is not
   * compared.
   */
  readonly baseCurrencies?: Readonly<Record<string, string>>;
  /**
   * Spot venues: how much of a currency the venue holds that this engine does not manage (held before
   * it started, or traded by hand), by currency. The rest must equal the engine's net position over
   * the instruments held in that currency. Default none.
   */
  readonly unmanagedBalances?: Readonly<Record<string, number>>;
  /** Wait after an unknown submit outcome before reconciling. Default 1,000 ms. */
  readonly inFlightCheckMs?: number;
  /** Wait between runs while something is unresolved. Default 5,000 ms. */
  readonly retryMs?: number;
  /** Timers. Default the RxJS `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink;
}

/** Optional streams a client may offer that trigger reconciliation (a {@link ResilientExecutionClient} has both). */
interface Triggers {
  readonly unknownOutcomes$?: Observable<Order>;
  readonly breakerState$?: Observable<BreakerState>;
}

const ACTIVE_AT_VENUE: ReadonlySet<OrderStatus> = new Set([
  'accepted',
  'triggered',
  'partiallyFilled',
  'pendingCancel',
  'submitted',
]);

/**
 * Reconciles the engine with the venue, on start, on reconnect (the venue's breaker closing again) and
 * after a submission with an unknown outcome; it **fails closed**: from the start of a run until every
 * item is settled the engine-wide trading state is `HALTED` with reason {@link RECONCILING} (new
 * orders are denied with `TRADING_HALTED`; cancels still go out), and it retries every `retryMs`.
 * The state in force before is restored when the run succeeds, unless someone else changed it meanwhile.
 *
 * One run, following NautilusTrader's order → fills → positions sequence:
 * 1. ask the venue for open orders, fills since the last run (the look-back on the first), balances
 *    and positions; if any query fails, stop here (`VENUE_UNREACHABLE`);
 * 2. adopt open orders the engine does not know (`EXTERNAL` strategy), booked to `accountId`;
 * 3. apply each fill the engine does not have yet, once (by tradeId) — missed fills, fills of orders
 *    whose submission outcome was unknown, fills that happened while this process was down;
 * 4. settle every order the engine has open against the venue's report (open list, else a status
 *    query): accepted, canceled, expired, rejected; a never-acknowledged order the venue does not know
 *    after `notFoundChecks` runs is rejected (`NOT_FOUND_AT_VENUE`, a policy resolution, not a venue
 *    answer); filled quantities must agree;
 *    A fill of an order the engine has no record of is never ignored: it is held as `UNKNOWN_FILL`
 *    (or booked, with `unknownFills: 'adopt'`), since a journal write lost in a crash leaves exactly that;
 * 5. compare positions with the venue's position report; a spot venue, which reports balances instead,
 *    has each base currency's balance (less `unmanagedBalances`) compared with the engine's net
 *    position in the instruments held in it. A missing report is never taken for a flat position.
 */
export class Reconciler {
  readonly #engine: TradingEngine | ReconcilableEngine;
  readonly #client: ReconcilableExecutionClient;
  readonly #journal: OrderJournal | undefined;
  readonly #accountId: string | undefined;
  readonly #lookbackMs: number;
  readonly #overlapMs: number;
  readonly #notFoundChecks: number;
  readonly #adoptExternal: 'open' | 'none';
  readonly #unknownFills: 'hold' | 'adopt';
  readonly #baseCurrencies: Readonly<Record<string, string>>;
  readonly #unmanaged: Readonly<Record<string, number>>;
  readonly #inFlightCheckMs: number;
  readonly #retryMs: number;
  readonly #scheduler: SchedulerLike;
  readonly #logger: Logger;
  readonly #metrics: MetricsSink;
  readonly #reports = new Subject<ReconciliationReport>();
  readonly #status = new BehaviorSubject<'idle' | 'reconciling' | 'ok' | 'unresolved'>('idle');
  readonly #misses = new Map<string, number>();
  readonly #subscriptions: Subscription[] = [];
  #since: number | undefined;
  #running: Promise<ReconciliationReport> | undefined;
  #rerun = false;
  #timer: Subscription | undefined;
  #stopped = false;
  #started = false;

  /** Hot, no replay: the report of every run. */
  readonly reports$: Observable<ReconciliationReport> = this.#reports.asObservable();
  /** Hot, replays the current value: `idle` before the first run, then `reconciling`, `ok` or `unresolved`. */
  readonly status$: Observable<'idle' | 'reconciling' | 'ok' | 'unresolved'> = this.#status.asObservable();

  constructor(options: ReconcilerOptions) {
    this.#engine = options.engine;
    if (options.journal !== undefined && !(options.engine instanceof TradingEngine)) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: 'a journal restores a TradingEngine; this engine keeps its own records',
      });
    }
    this.#client = options.client;
    this.#journal = options.journal;
    this.#accountId = options.accountId;
    this.#lookbackMs = options.lookbackMs ?? 86_400_000;
    this.#overlapMs = options.overlapMs ?? 60_000;
    this.#notFoundChecks = options.notFoundChecks ?? 3;
    this.#adoptExternal = options.adoptExternal ?? 'open';
    this.#unknownFills = options.unknownFills ?? 'hold';
    this.#baseCurrencies = options.baseCurrencies ?? {};
    this.#unmanaged = options.unmanagedBalances ?? {};
    this.#inFlightCheckMs = options.inFlightCheckMs ?? 1_000;
    this.#retryMs = options.retryMs ?? 5_000;
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#logger = (options.logger ?? noopLogger).child({
      component: 'reconciler',
      venue: options.client.venue,
    });
    this.#metrics = options.metrics ?? noopMetrics;
    for (const [name, value] of [
      ['lookbackMs', this.#lookbackMs],
      ['overlapMs', this.#overlapMs],
      ['inFlightCheckMs', this.#inFlightCheckMs],
      ['retryMs', this.#retryMs],
    ] as const) {
      if (!(value >= 0)) throw new RxtradeError({ code: 'INVALID_CONFIG', message: `${name} must be ≥ 0` });
    }
    if (!(Number.isInteger(this.#notFoundChecks) && this.#notFoundChecks > 0)) {
      throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'notFoundChecks must be an integer > 0' });
    }
    if (this.#unknownFills !== 'hold' && this.#unknownFills !== 'adopt') {
      throw new RxtradeError({ code: 'INVALID_CONFIG', message: "unknownFills must be 'hold' or 'adopt'" });
    }
    for (const [currency, amount] of Object.entries(this.#unmanaged)) {
      if (!Number.isFinite(amount)) {
        throw new RxtradeError({
          code: 'INVALID_CONFIG',
          message: `unmanagedBalances.${currency} must be a finite number`,
        });
      }
    }
  }

  /** The current status (see {@link status$}). */
  get status(): 'idle' | 'reconciling' | 'ok' | 'unresolved' {
    return this.#status.value;
  }

  /**
   * Halts trading, restores the journal (if any), starts the engine if it is not running, reconciles,
   * and from then on reconciles again on reconnect and after unknown submit outcomes. Resolves with
   * the first run's report; trading resumes only if it is `ok`.
   */
  async start(): Promise<ReconciliationReport> {
    if (this.#stopped)
      throw new RxtradeError({ code: 'CLOSED', message: 'a stopped reconciler cannot start again' });
    if (!this.#started) {
      this.#started = true;
      this.#halt();
      const engine = this.#engine;
      if (this.#journal && engine instanceof TradingEngine && !engine.running) {
        await this.#journal.restore(engine);
        this.#journal.attach(engine);
      }
      if (!this.#engine.running) await this.#engine.start();
      this.#watch();
    }
    return this.reconcile();
  }

  /** Stops watching and retrying. Idempotent. Leaves the trading state as it is. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    for (const s of this.#subscriptions.splice(0)) s.unsubscribe();
    this.#status.complete();
    this.#reports.complete();
  }

  /**
   * Runs one reconciliation now (or joins the one running, which then runs once more). Never rejects:
   * failures are unresolved items of the report, and trading stays halted.
   */
  reconcile(): Promise<ReconciliationReport> {
    if (this.#running) {
      this.#rerun = true;
      return this.#running;
    }
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
      if (this.#rerun && !this.#stopped) {
        this.#rerun = false;
        void this.reconcile();
      }
    });
    return this.#running;
  }

  #watch(): void {
    const client = this.#client as ReconcilableExecutionClient & Triggers;
    if (client.unknownOutcomes$) {
      this.#subscriptions.push(
        client.unknownOutcomes$.subscribe(() =>
          this.#schedule(this.#inFlightCheckMs, 'unknown submit outcome'),
        ),
      );
    }
    if (client.breakerState$) {
      this.#subscriptions.push(
        client.breakerState$.pipe(pairwise()).subscribe(([before, now]) => {
          if (now === 'closed' && before !== 'closed') this.#schedule(0, 'venue reachable again');
        }),
      );
    }
  }

  #schedule(delay: number, why: string): void {
    if (this.#stopped) return;
    this.#timer?.unsubscribe();
    this.#timer = this.#scheduler.schedule(() => {
      this.#timer = undefined;
      this.#logger.info({ why }, 'reconciling');
      void this.reconcile();
    }, delay);
  }

  // The reconciler's own hold: releasing it never lifts a halt someone else placed meanwhile.
  #halt(): void {
    this.#engine.holds.place({ owner: RECONCILER, state: 'HALTED', reason: RECONCILING });
  }

  #resume(): void {
    this.#engine.holds.release({ owner: RECONCILER, reason: 'RECONCILED' });
  }

  async #run(): Promise<ReconciliationReport> {
    const engine = this.#engine;
    const startedAt = engine.clock.now();
    this.#halt();
    this.#status.next('reconciling');
    const work = new RunState(startedAt);
    try {
      await this.#reconcileOnce(work);
    } catch (error) {
      work.unresolved.push({
        reason:
          isRxtradeError(error) && error.code === 'CORRUPT_STATE' ? 'APPLY_FAILED' : 'VENUE_UNREACHABLE',
        message: error instanceof Error ? error.message : String(error),
      });
    }
    const report: ReconciliationReport = { ...work.snapshot(), finishedAt: engine.clock.now() };
    this.#metrics
      .counter('reconciliations_total', { help: 'Reconciliation runs by result.', labelNames: ['status'] })
      .add(1, { status: report.status });
    if (report.status === 'ok') {
      this.#since = startedAt - this.#overlapMs;
      this.#resume();
      this.#logger.info(
        {
          fillsApplied: report.fillsApplied,
          settled: report.ordersSettled.length,
          adopted: report.ordersAdopted.length,
        },
        'reconciled',
      );
    } else {
      this.#logger.warn({ unresolved: report.unresolved }, 'reconciliation unresolved; trading stays halted');
      this.#schedule(this.#retryMs, 'unresolved items');
    }
    if (!this.#stopped) {
      this.#status.next(report.status);
      this.#reports.next(report);
    }
    return report;
  }

  async #reconcileOnce(work: RunState): Promise<void> {
    const engine = this.#engine;
    const client = this.#client;
    const since = this.#since ?? work.startedAt - this.#lookbackMs;
    const [open, fills, balances, positions] = await Promise.all([
      client.openOrders(),
      client.fills({ since }),
      client.balances ? client.balances() : Promise.resolve(undefined),
      client.positions ? client.positions() : Promise.resolve(undefined),
    ]);
    work.balances = balances;
    work.positions = positions;
    const openById = new Map(open.map((o) => [o.clientOrderId, o]));

    // 2. Adopt external open orders.
    for (const report of open) {
      if (engine.order(report.clientOrderId)) continue;
      if (this.#adoptExternal === 'none') continue;
      this.#adopt(report, work);
    }

    // 3. Apply missing fills, once each.
    const sorted = [...fills].sort((a, b) => a.tsEvent - b.tsEvent);
    for (const fill of sorted) {
      let order = engine.order(fill.clientOrderId);
      if (!order && this.#unknownFills === 'adopt') order = await this.#adoptFilled(fill, work);
      if (!order) {
        work.externalFillsIgnored++;
        work.unresolved.push({
          reason: 'UNKNOWN_FILL',
          clientOrderId: fill.clientOrderId,
          instrumentId: fill.instrumentId,
          message: `venue trade ${fill.tradeId} (${fill.side} ${fill.lastQty} at ${fill.lastPx}) is of an order the engine has no record of`,
        });
        continue;
      }
      if (order.tradeIds.includes(fill.tradeId)) {
        work.fillsAlreadyApplied++;
        continue;
      }
      const failures = work.unresolved.length;
      this.#apply(toFilled(order, fill), work);
      const after = engine.order(fill.clientOrderId);
      if (after?.tradeIds.includes(fill.tradeId)) work.fillsApplied++;
      else if (work.unresolved.length === failures) {
        // The engine took the event but did not book it (the order is closed here): the venue traded it.
        work.unresolved.push({
          reason: 'APPLY_FAILED',
          clientOrderId: fill.clientOrderId,
          instrumentId: fill.instrumentId,
          message: `venue trade ${fill.tradeId} was not booked: the order is ${after?.status ?? 'unknown'} here`,
        });
      }
    }

    // 4. Settle every order the engine has open.
    for (const order of engine.openOrders()) {
      let report: VenueOrderReport | undefined = openById.get(order.clientOrderId);
      if (!report) report = await client.queryOrder(order.clientOrderId);
      this.#settle(order, report, work);
    }

    // 5. Positions: the venue's report, else a spot venue's balances (a host without positions compares none).
    const ours = engine.positions?.bind(engine);
    if (ours && positions) this.#comparePositions(ours, positions, work);
    else if (ours && balances) this.#compareBalances(ours, balances, work);

    // The client follows every order still open from here on, whoever sent it.
    if (client.track) for (const order of engine.openOrders()) client.track(order);
  }

  /** Adopts the (closed) order of a fill the engine has no record of, as the venue reports it. */
  async #adoptFilled(fill: VenueFillReport, work: RunState): Promise<Order | undefined> {
    const report = await this.#client.queryOrder(fill.clientOrderId);
    if (report) this.#adopt(report, work);
    return this.#engine.order(fill.clientOrderId);
  }

  #adopt(report: VenueOrderReport, work: RunState): void {
    const engine = this.#engine;
    const accountId = this.#accountId ?? engine.accounts()[0]?.accountId;
    const instrument = engine.instruments.find((i) => i.id === report.instrumentId);
    if (!instrument || !report.side || !report.type || accountId === undefined) {
      work.unresolved.push({
        reason: 'EXTERNAL_ORDER_UNADOPTABLE',
        clientOrderId: report.clientOrderId,
        instrumentId: report.instrumentId,
        message: instrument
          ? 'the venue did not say its side and type'
          : `instrument ${report.instrumentId} is not traded here`,
      });
      return;
    }
    const order = createOrder(
      {
        instrumentId: report.instrumentId,
        side: report.side,
        type: report.type,
        quantity: report.quantity,
        ...(report.price === undefined ? {} : { price: report.price }),
        ...(report.triggerPrice === undefined ? {} : { triggerPrice: report.triggerPrice }),
        ...(report.timeInForce === undefined ? {} : { timeInForce: report.timeInForce }),
      },
      {
        clientOrderId: report.clientOrderId,
        accountId,
        strategyId: EXTERNAL_STRATEGY,
        quantityPrecision: instrument.quantityPrecision,
        ts: report.tsEvent ?? work.startedAt,
      },
    );
    engine.adoptOrder(order);
    this.#apply(
      {
        type: 'OrderAccepted',
        ...base(order, report.tsEvent ?? work.startedAt),
        venueOrderId: report.venueOrderId,
      },
      work,
    );
    work.ordersAdopted.push(report.clientOrderId);
  }

  #settle(order: Order, report: VenueOrderReport | undefined, work: RunState): void {
    const id = order.clientOrderId;
    if (!report) {
      if (order.status !== 'submitted') {
        work.unresolved.push({
          reason: 'ORDER_MISSING_AT_VENUE',
          clientOrderId: id,
          message: `order is ${order.status} here but unknown to ${this.#client.venue}`,
        });
        return;
      }
      const misses = (this.#misses.get(id) ?? 0) + 1;
      if (misses < this.#notFoundChecks) {
        this.#misses.set(id, misses);
        work.unresolved.push({
          reason: 'IN_FLIGHT_UNCONFIRMED',
          clientOrderId: id,
          message: `never acknowledged and not found at the venue (${misses} of ${this.#notFoundChecks} checks)`,
        });
        return;
      }
      this.#misses.delete(id);
      this.#transition(
        order,
        {
          type: 'OrderRejected',
          ...base(order, work.startedAt),
          reason: 'NOT_FOUND_AT_VENUE',
          message: `not found at ${this.#client.venue} after ${misses} checks; resolved as rejected by policy`,
        },
        work,
      );
      return;
    }
    this.#misses.delete(id);
    const p = order.quantityPrecision;
    const venueFilled = toUnitsExact(report.filledQty, p);
    const ourFilled = toUnitsExact(order.filledQty, p);
    if (venueFilled > ourFilled) {
      work.unresolved.push({
        reason: 'MISSING_FILLS',
        clientOrderId: id,
        message: `venue reports ${report.filledQty} filled, the fills it returned make ${fromUnits(ourFilled, p)}`,
      });
      return;
    }
    if (venueFilled < ourFilled) {
      work.unresolved.push({
        reason: 'FILL_MISMATCH',
        clientOrderId: id,
        message: `venue reports ${report.filledQty} filled, the engine holds ${order.filledQty}`,
      });
      return;
    }
    const at = report.tsEvent ?? work.startedAt;
    if (order.status === 'submitted' && report.status !== 'submitted' && report.status !== 'rejected') {
      this.#transition(
        order,
        { type: 'OrderAccepted', ...base(order, at), venueOrderId: report.venueOrderId },
        work,
      );
    }
    const current = this.#engine.order(id) ?? order;
    switch (report.status) {
      case 'canceled':
        this.#transition(current, { type: 'OrderCanceled', ...base(order, at) }, work);
        break;
      case 'expired':
        this.#transition(current, { type: 'OrderExpired', ...base(order, at) }, work);
        break;
      case 'rejected':
        this.#transition(
          current,
          {
            type: 'OrderRejected',
            ...base(order, at),
            reason: 'VENUE_REJECTED',
            message: 'rejected at the venue',
          },
          work,
        );
        break;
      default:
        if (!ACTIVE_AT_VENUE.has(report.status) && report.status !== 'filled') {
          work.unresolved.push({
            reason: 'APPLY_FAILED',
            clientOrderId: id,
            message: `unexpected venue status ${report.status}`,
          });
        }
    }
  }

  #transition(order: Order, event: VenueEvent, work: RunState): void {
    const from = order.status;
    this.#apply(event, work);
    const to = this.#engine.order(order.clientOrderId)?.status ?? from;
    if (to !== from) work.ordersSettled.push({ clientOrderId: order.clientOrderId, from, to });
  }

  #apply(event: VenueEvent, work: RunState): void {
    try {
      this.#engine.applyVenueEvent(event);
    } catch (error) {
      work.unresolved.push({
        reason: 'APPLY_FAILED',
        clientOrderId: event.clientOrderId,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }

  #comparePositions(
    positionsOf: NonNullable<ReconcilableEngine['positions']>,
    positions: readonly VenuePositionReport[],
    work: RunState,
  ): void {
    const engine = this.#engine;
    const accountId = this.#accountId ?? engine.accounts()[0]?.accountId;
    const ours = new Map(positionsOf(accountId).map((p) => [p.instrumentId, p]));
    const reported = new Set<string>();
    for (const venue of positions) {
      reported.add(venue.instrumentId);
      const instrument = engine.instruments.find((i) => i.id === venue.instrumentId);
      const mine = ours.get(venue.instrumentId)?.quantity ?? 0;
      const p = instrument?.quantityPrecision ?? 8;
      if (toUnitsExact(venue.quantity, p) !== toUnitsExact(mine, p)) {
        work.unresolved.push({
          reason: 'POSITION_MISMATCH',
          instrumentId: venue.instrumentId,
          message: `venue holds ${venue.quantity}, the engine ${mine}`,
        });
      }
    }
    for (const [instrumentId, position] of ours) {
      if (!reported.has(instrumentId) && position.quantity !== 0) {
        work.unresolved.push({
          reason: 'POSITION_MISMATCH',
          instrumentId,
          message: `the engine holds ${position.quantity}; the venue reports no position`,
        });
      }
    }
  }

  #compareBalances(
    positionsOf: NonNullable<ReconcilableEngine['positions']>,
    balances: readonly VenueBalance[],
    work: RunState,
  ): void {
    const engine = this.#engine;
    const accountId = this.#accountId ?? engine.accounts()[0]?.accountId;
    const held = new Map(positionsOf(accountId).map((p) => [p.instrumentId, p.quantity]));
    // Net position per base currency, compared at the finest quantity precision of its instruments.
    const byCurrency = new Map<string, { precision: number; units: number; instruments: string[] }>();
    for (const instrument of engine.instruments) {
      const currency =
        this.#baseCurrencies[instrument.id] ?? baseCurrencyOf(instrument.id, instrument.quoteCurrency);
      if (currency === undefined) continue;
      const entry = byCurrency.get(currency) ?? { precision: 0, units: 0, instruments: [] };
      entry.precision = Math.max(entry.precision, instrument.quantityPrecision);
      entry.instruments.push(instrument.id);
      byCurrency.set(currency, entry);
    }
    const total = new Map(balances.map((b) => [b.currency, b.total]));
    for (const [currency, entry] of byCurrency) {
      const p = entry.precision;
      let ours = 0;
      for (const id of entry.instruments) ours += Math.round((held.get(id) ?? 0) * pow10(p));
      const venueTotal = total.get(currency) ?? 0;
      const unmanaged = this.#unmanaged[currency] ?? 0;
      // Dust finer than the instruments' quantity grid (fees charged in the base currency) is not a mismatch.
      const venueManaged = Math.round(venueTotal * pow10(p)) - Math.round(unmanaged * pow10(p));
      if (venueManaged !== ours) {
        work.unresolved.push({
          reason: 'POSITION_MISMATCH',
          instrumentId: entry.instruments.join(','),
          message: `venue holds ${venueTotal} ${currency} (${unmanaged} of it unmanaged), the engine ${fromUnits(ours, p)}`,
        });
      }
    }
  }
}

/** `BTCUSDT`, `BTC/USDT`, `BTC-USDT` quoted in USDT → `BTC`; undefined when the id does not end with the quote currency. */
function baseCurrencyOf(instrumentId: string, quoteCurrency: string): string | undefined {
  if (!instrumentId.endsWith(quoteCurrency)) return undefined;
  const base = instrumentId.slice(0, instrumentId.length - quoteCurrency.length).replace(/[/\-_:]$/, '');
  return base.length > 0 ? base : undefined;
}

class RunState {
  readonly startedAt: number;
  fillsApplied = 0;
  fillsAlreadyApplied = 0;
  externalFillsIgnored = 0;
  readonly ordersSettled: { clientOrderId: string; from: OrderStatus; to: OrderStatus }[] = [];
  readonly ordersAdopted: string[] = [];
  readonly unresolved: UnresolvedItem[] = [];
  balances: readonly VenueBalance[] | undefined;
  positions: readonly VenuePositionReport[] | undefined;

  constructor(startedAt: number) {
    this.startedAt = startedAt;
  }

  snapshot(): Omit<ReconciliationReport, 'finishedAt'> {
    return {
      startedAt: this.startedAt,
      status: this.unresolved.length === 0 ? 'ok' : 'unresolved',
      fillsApplied: this.fillsApplied,
      fillsAlreadyApplied: this.fillsAlreadyApplied,
      externalFillsIgnored: this.externalFillsIgnored,
      ordersSettled: this.ordersSettled,
      ordersAdopted: this.ordersAdopted,
      unresolved: this.unresolved,
      balances: this.balances,
      positions: this.positions,
    };
  }
}

function base(order: Order, tsEvent: number): OrderEventBase {
  return {
    clientOrderId: order.clientOrderId,
    accountId: order.accountId,
    strategyId: order.strategyId,
    instrumentId: order.instrumentId,
    tsEvent,
  };
}

function toFilled(order: Order, fill: VenueFillReport): OrderFilled {
  return {
    type: 'OrderFilled',
    ...base(order, fill.tsEvent),
    venueOrderId: fill.venueOrderId,
    tradeId: fill.tradeId,
    side: fill.side,
    lastQty: fill.lastQty,
    lastPx: fill.lastPx,
    fee: fill.fee,
    feeCurrency: fill.feeCurrency,
    liquiditySide: fill.liquiditySide,
  };
}

/**
 * Creates a {@link Reconciler}. Its `start()` halts trading, restores the journal, starts the engine,
 * reconciles, and resumes trading once everything is settled.
 *
 * @example
 * const journal = new OrderJournal({ store });
 * const reconciler = createReconciler({ engine, client: execution, journal });
 * const report = await reconciler.start();
 * if (report.status !== 'ok') console.warn('halted until reconciled', report.unresolved);
 */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  return new Reconciler(options);
}
