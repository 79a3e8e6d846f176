import { firstValueFrom, type Observable, Subject } from 'rxjs';
import { filter } from 'rxjs/operators';
import { describe, expect, it } from 'vitest';
import { createEngine, type TradingEngine } from '../engine/trading-engine';
import type { Order, OrderStatus } from '../model/order';
import type { OrderEvent } from '../model/order-events';
import { ManualClock } from '../ports/clock';
import type { VenueEvent } from '../ports/execution-client';
import { createMemoryStateStore, type StateStore } from '../ports/state-store';
import { OrderJournal } from './order-journal';
import {
  EXTERNAL_STRATEGY,
  RECONCILING,
  Reconciler,
  type ReconcilerOptions,
  type ReconciliationReport,
} from './reconciliation';
import { createResilientClient } from './resilient-client';
import type {
  ReconcilableExecutionClient,
  VenueBalance,
  VenueFillReport,
  VenueOrderReport,
  VenuePositionReport,
} from './venue-reports';

interface VenueOrder {
  report: VenueOrderReport;
  accountId: string;
  strategyId: string;
}

/**
 * An in-memory venue with a ledger (the ground truth) and switches for what goes wrong: lose the
 * response to a submission, be unreachable, be down (events not delivered), forget an order.
 */
class LedgerVenue implements ReconcilableExecutionClient {
  readonly venue = 'LEDGER';
  readonly #events = new Subject<VenueEvent>();
  readonly events$: Observable<VenueEvent> = this.#events.asObservable();
  readonly orders = new Map<string, VenueOrder>();
  readonly trades: VenueFillReport[] = [];
  /** Every submission received, by client order id (duplicates included). */
  readonly received: string[] = [];
  loseNextResponse = false;
  /** Fill market orders on receipt. */
  fillMarket = true;
  unreachable = false;
  /** While down, nothing is pushed on events$ (the process is not listening). */
  down = false;
  /** Submissions are lost before they reach the ledger. */
  dropSubmissions = false;
  reportPositions: VenuePositionReport[] | undefined;
  /** BTC held at the venue before any trade here (a spot venue reports balances, not positions). */
  btcBefore = 0;
  #seq = 0;
  now = 1_000;

  positions?: () => Promise<readonly VenuePositionReport[]>;
  balances?: () => Promise<readonly VenueBalance[]>;

  /** Makes this a spot venue: balances from the ledger of trades, no positions. */
  spot(): this {
    this.balances = async () => {
      this.#check();
      let btc = this.btcBefore;
      for (const t of this.trades) btc += t.side === 'buy' ? t.lastQty : -t.lastQty;
      return [{ currency: 'BTC', free: btc, locked: 0, total: btc }];
    };
    return this;
  }

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}

  #emit(event: VenueEvent): void {
    if (!this.down) this.#events.next(event);
  }

  async submitOrder(order: Order): Promise<void> {
    this.received.push(order.clientOrderId);
    if (this.dropSubmissions) throw new Error('connection reset');
    if (this.orders.has(order.clientOrderId)) return; // idempotent on the client order id
    const venueOrderId = `V${++this.#seq}`;
    this.orders.set(order.clientOrderId, {
      accountId: order.accountId,
      strategyId: order.strategyId,
      report: {
        clientOrderId: order.clientOrderId,
        venueOrderId,
        instrumentId: order.instrumentId,
        status: 'accepted',
        filledQty: 0,
        quantity: order.quantity,
        side: order.side,
        type: order.type,
        price: order.price,
      },
    });
    const lose = this.loseNextResponse;
    this.loseNextResponse = false;
    if (lose) this.down = true;
    this.#emit({ type: 'OrderAccepted', ...this.#base(order.clientOrderId), venueOrderId });
    if (order.type === 'market' && this.fillMarket) this.fill(order.clientOrderId, order.quantity, 100);
    if (lose) {
      this.down = false;
      throw new Error('socket hang up (response lost)');
    }
  }

  async cancelOrder(order: Order): Promise<void> {
    const o = this.orders.get(order.clientOrderId);
    if (!o) return;
    o.report = { ...o.report, status: 'canceled' };
    this.#emit({ type: 'OrderCanceled', ...this.#base(order.clientOrderId) });
  }

  /** A fill at the venue; pushed on events$ unless the venue is down. Returns the fill. */
  fill(clientOrderId: string, qty: number, px: number): VenueFillReport {
    const o = this.orders.get(clientOrderId) as VenueOrder;
    const filledQty = o.report.filledQty + qty;
    o.report = {
      ...o.report,
      filledQty,
      status: filledQty >= o.report.quantity ? 'filled' : 'partiallyFilled',
    };
    const fill: VenueFillReport = {
      clientOrderId,
      venueOrderId: o.report.venueOrderId,
      tradeId: `T${++this.#seq}`,
      instrumentId: o.report.instrumentId,
      side: o.report.side ?? 'buy',
      lastQty: qty,
      lastPx: px,
      fee: 0.1,
      feeCurrency: 'USDT',
      liquiditySide: 'taker',
      tsEvent: ++this.now,
    };
    this.trades.push(fill);
    this.#emit({ type: 'OrderFilled', ...this.#base(clientOrderId), ...fill });
    return fill;
  }

  /** Pushes a fill on events$ again, as a feed that redelivers would. */
  redeliver(fill: VenueFillReport): void {
    this.#emit({ type: 'OrderFilled', ...this.#base(fill.clientOrderId), ...fill });
  }

  /** An order placed at the venue by someone else. */
  placeExternal(clientOrderId: string, quantity: number): void {
    this.orders.set(clientOrderId, {
      // The venue's account is the one this client is configured for; no strategy of ours sent it.
      accountId: 'acc',
      strategyId: EXTERNAL_STRATEGY,
      report: {
        clientOrderId,
        venueOrderId: `V${++this.#seq}`,
        instrumentId: 'BTCUSDT',
        status: 'accepted',
        filledQty: 0,
        quantity,
        side: 'sell',
        type: 'limit',
        price: 120,
      },
    });
  }

  #base(clientOrderId: string) {
    const o = this.orders.get(clientOrderId);
    return {
      clientOrderId,
      accountId: o?.accountId ?? 'acc',
      strategyId: o?.strategyId ?? EXTERNAL_STRATEGY,
      instrumentId: 'BTCUSDT',
      tsEvent: this.now,
    };
  }

  #check(): void {
    if (this.unreachable) throw new Error('ECONNREFUSED');
  }

  async queryOrder(clientOrderId: string): Promise<VenueOrderReport | undefined> {
    this.#check();
    return this.orders.get(clientOrderId)?.report;
  }

  async openOrders(): Promise<readonly VenueOrderReport[]> {
    this.#check();
    return [...this.orders.values()]
      .map((o) => o.report)
      .filter((r) => r.status === 'accepted' || r.status === 'partiallyFilled');
  }

  async fills(options: { since: number }): Promise<readonly VenueFillReport[]> {
    this.#check();
    return this.trades.filter((t) => t.tsEvent >= options.since);
  }
}

function setup(options: { venue?: LedgerVenue; store?: StateStore; orderIdPrefix?: string } = {}) {
  const venue = options.venue ?? new LedgerVenue();
  const clock = new ManualClock(1_000);
  const engine = createEngine({
    instruments: [{ id: 'BTCUSDT', pricePrecision: 2, quantityPrecision: 3, quoteCurrency: 'USDT' }],
    accounts: [{ id: 'acc', initialCash: 100_000, currency: 'USDT' }],
    execution: venue,
    clock,
    ...(options.orderIdPrefix === undefined ? {} : { orderIdPrefix: options.orderIdPrefix }),
  });
  return { venue, engine, clock };
}

const position = (engine: TradingEngine): number =>
  engine.positions('acc').find((p) => p.instrumentId === 'BTCUSDT')?.quantity ?? 0;

const settled = (engine: TradingEngine, id: string): OrderStatus | undefined => engine.order(id)?.status;

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/**
 * A store whose writes are lost once `crashing` is set: they never land, as when the process dies
 * before the journal's queued write reaches storage.
 */
function crashingStore(): StateStore & { crashing: boolean } {
  const inner = createMemoryStateStore();
  const store = {
    crashing: false,
    get: (key: string) => inner.get(key),
    list: (prefix: string) => inner.list(prefix),
    listPage: (prefix: string, options?: Parameters<StateStore['listPage']>[1]) =>
      inner.listPage(prefix, options),
    apply: (batch: Parameters<StateStore['apply']>[0]) =>
      store.crashing ? new Promise<never>(() => {}) : inner.apply(batch),
    close: () => inner.close(),
  };
  return store;
}

describe('Reconciler', () => {
  it('a fill delivered three times (stream, redelivery, reconciliation) changes the position once', async () => {
    const { venue, engine } = setup();
    const reconciler = new Reconciler({ engine, client: venue });
    await reconciler.start();
    const fills: OrderEvent[] = [];
    engine.fills$.subscribe((f) => fills.push(f));
    const order = engine.submit({ instrumentId: 'BTCUSDT', side: 'buy', type: 'market', quantity: 1.5 });
    await tick();
    const trade = venue.trades[0] as VenueFillReport;
    venue.redeliver(trade);
    const report = await reconciler.reconcile();
    expect(report.fillsAlreadyApplied).toBe(1);
    expect(report.fillsApplied).toBe(0);
    expect(fills).toHaveLength(1);
    expect(position(engine)).toBe(1.5);
    expect(settled(engine, order.clientOrderId)).toBe('filled');
    expect(engine.account('acc').cash).toBe(100_000 - 150 - 0.1);
    reconciler.stop();
  });

  it('a submission whose response was lost is not sent again and ends filled after reconciliation', async () => {
    const { venue, engine } = setup();
    const client = createResilientClient(venue, { retry: { maxAttempts: 5, initialDelayMs: 1 } });
    const engineWithResilience = createEngine({
      instruments: engine.instruments,
      accounts: [{ id: 'acc', initialCash: 100_000, currency: 'USDT' }],
      execution: client,
      clock: engine.clock,
    });
    const reconciler = new Reconciler({ engine: engineWithResilience, client, inFlightCheckMs: 5 });
    await reconciler.start();
    venue.loseNextResponse = true;
    const next = firstValueFrom(reconciler.reports$);
    const order = engineWithResilience.submit({
      instrumentId: 'BTCUSDT',
      side: 'buy',
      type: 'market',
      quantity: 2,
    });
    await tick();
    // The venue filled it, but this process heard nothing: the order is in flight, not rejected.
    expect(settled(engineWithResilience, order.clientOrderId)).toBe('submitted');
    expect(client.unresolved().map((o) => o.clientOrderId)).toEqual([order.clientOrderId]);
    const report = await next; // triggered by the unknown outcome
    expect(report.status).toBe('ok');
    expect(report.fillsApplied).toBe(1);
    expect(settled(engineWithResilience, order.clientOrderId)).toBe('filled');
    expect(position(engineWithResilience)).toBe(2);
    expect(venue.received).toEqual([order.clientOrderId]);
    expect(engineWithResilience.tradingState()).toBe('ACTIVE');
    reconciler.stop();
  });

  it('fails closed: while the venue cannot be reached no new order is accepted', async () => {
    const { venue, engine } = setup();
    venue.unreachable = true;
    const reconciler = new Reconciler({ engine, client: venue, retryMs: 60_000 });
    const report = await reconciler.start();
    expect(report.status).toBe('unresolved');
    expect(report.unresolved[0]?.reason).toBe('VENUE_UNREACHABLE');
    expect(engine.tradingState()).toBe('HALTED');
    const denied = engine.submit({ instrumentId: 'BTCUSDT', side: 'buy', type: 'market', quantity: 1 });
    expect(denied.status).toBe('denied');
    expect(venue.received).toEqual([]);
    venue.unreachable = false;
    expect((await reconciler.reconcile()).status).toBe('ok');
    expect(engine.tradingState()).toBe('ACTIVE');
    expect(
      engine.submit({ instrumentId: 'BTCUSDT', side: 'buy', type: 'market', quantity: 1 }).status,
    ).not.toBe('denied');
    reconciler.stop();
  });

  it('resolves a never-acknowledged order the venue does not know only after notFoundChecks runs', async () => {
    const { venue, engine } = setup();
    const reconciler = new Reconciler({ engine, client: venue, notFoundChecks: 3, retryMs: 60_000 });
    await reconciler.start();
    venue.dropSubmissions = true;
    const order = engine.submit({ instrumentId: 'BTCUSDT', side: 'buy', type: 'market', quantity: 1 });
    await tick();
    const first = await reconciler.reconcile();
    expect(first.unresolved).toEqual([expect.objectContaining({ reason: 'IN_FLIGHT_UNCONFIRMED' })]);
    expect(engine.tradingState()).toBe('HALTED');
    expect((await reconciler.reconcile()).status).toBe('unresolved');
    const third = await reconciler.reconcile();
    expect(third.status).toBe('ok');
    expect(third.ordersSettled).toEqual([
      { clientOrderId: order.clientOrderId, from: 'submitted', to: 'rejected' },
    ]);
    expect(engine.tradingState()).toBe('ACTIVE');
    reconciler.stop();
  });

  it('adopts an external open order and books its fills', async () => {
    const { venue, engine } = setup();
    venue.placeExternal('manual-1', 0.5);
    const reconciler = new Reconciler({ engine, client: venue });
    const report = await reconciler.start();
    expect(report.ordersAdopted).toEqual(['manual-1']);
    expect(engine.order('manual-1')).toMatchObject({
      status: 'accepted',
      strategyId: EXTERNAL_STRATEGY,
      accountId: 'acc',
    });
    venue.fill('manual-1', 0.5, 120);
    expect(engine.order('manual-1')?.status).toBe('filled');
    expect(position(engine)).toBe(-0.5);
    reconciler.stop();
  });

  it('settles an order canceled at the venue while this process was not listening', async () => {
    const { venue, engine } = setup();
    const reconciler = new Reconciler({ engine, client: venue });
    await reconciler.start();
    const order = engine.submit({
      instrumentId: 'BTCUSDT',
      side: 'buy',
      type: 'limit',
      price: 90,
      quantity: 1,
    });
    await tick();
    venue.down = true;
    await venue.cancelOrder(engine.order(order.clientOrderId) as Order);
    venue.down = false;
    const report = await reconciler.reconcile();
    expect(report.ordersSettled).toEqual([
      { clientOrderId: order.clientOrderId, from: 'accepted', to: 'canceled' },
    ]);
    reconciler.stop();
  });

  it('keeps trading halted on a position mismatch, and never lifts a halt someone else set', async () => {
    const { venue, engine } = setup();
    venue.positions = async () => venue.reportPositions ?? [];
    venue.reportPositions = [{ instrumentId: 'BTCUSDT', quantity: 3 }];
    const reconciler = new Reconciler({ engine, client: venue, retryMs: 60_000 });
    const report = await reconciler.start();
    expect(report.unresolved).toEqual([expect.objectContaining({ reason: 'POSITION_MISMATCH' })]);
    expect(engine.tradingState()).toBe('HALTED');
    engine.setTradingState('HALTED', { reason: 'KILL_SWITCH' });
    venue.reportPositions = [];
    expect((await reconciler.reconcile()).status).toBe('ok');
    expect(engine.tradingState()).toBe('HALTED');
    reconciler.stop();
  });

  it('restores the state in force before it halted (REDUCING stays REDUCING)', async () => {
    const { venue, engine } = setup();
    engine.setTradingState('REDUCING', { reason: 'DRAWDOWN' });
    const reconciler = new Reconciler({ engine, client: venue });
    const states: string[] = [];
    engine.riskState$.subscribe((s) => states.push(`${s.state}:${s.reason}`));
    await reconciler.start();
    expect(engine.tradingState()).toBe('REDUCING');
    expect(states).toContain(`HALTED:${RECONCILING}`);
    reconciler.stop();
  });
});

describe('Reconciler with the order journal: restart', () => {
  it('a restart with an order filled while down applies that fill once', async () => {
    const store = createMemoryStateStore();
    const venue = new LedgerVenue();

    // Run 1: a resting limit order is partly filled, then the process dies.
    const run1 = setup({ venue });
    const journal1 = new OrderJournal({ store });
    const reconciler1 = new Reconciler({ engine: run1.engine, client: venue, journal: journal1 });
    await reconciler1.start();
    const order = run1.engine.submit({
      instrumentId: 'BTCUSDT',
      side: 'buy',
      type: 'limit',
      price: 100,
      quantity: 2,
    });
    venue.fill(order.clientOrderId, 0.5, 100);
    expect(position(run1.engine)).toBe(0.5);
    await journal1.flush();
    reconciler1.stop();
    venue.down = true; // nobody listens any more

    // While down, the rest fills.
    venue.fill(order.clientOrderId, 1.5, 100);
    venue.down = false;

    // Run 2: a new engine on the same store.
    const run2 = setup({ venue });
    const journal2 = new OrderJournal({ store });
    const reconciler2 = new Reconciler({ engine: run2.engine, client: venue, journal: journal2 });
    const report = await reconciler2.start();
    expect(report.status).toBe('ok');
    expect(report.fillsApplied).toBe(1);
    expect(report.fillsAlreadyApplied).toBe(1);
    expect(position(run2.engine)).toBe(2);
    expect(run2.engine.order(order.clientOrderId)?.status).toBe('filled');
    expect(run2.engine.account('acc').cash).toBe(100_000 - 200 - 0.2);

    // Again, and with the venue pushing the same fill: still once.
    venue.redeliver(venue.trades[1] as VenueFillReport);
    const again = await reconciler2.reconcile();
    expect(again.fillsApplied).toBe(0);
    expect(position(run2.engine)).toBe(2);

    // Run 3 restores from the journal alone (the look-back misses nothing new): same position.
    await journal2.flush();
    reconciler2.stop();
    const run3 = setup({ venue });
    const reconciler3 = new Reconciler({
      engine: run3.engine,
      client: venue,
      journal: new OrderJournal({ store }),
    });
    const third = await reconciler3.start();
    expect(third.fillsApplied).toBe(0);
    expect(position(run3.engine)).toBe(2);
    reconciler3.stop();
  });

  it('refuses a corrupt journal record with CORRUPT_STATE', async () => {
    const store = createMemoryStateStore();
    await store.apply({
      ops: [{ op: 'set', key: 'exec:order:x', fields: { clientOrderId: 'x', side: 'up' } }],
    });
    const { engine } = setup();
    await expect(new OrderJournal({ store }).restore(engine)).rejects.toMatchObject({
      code: 'CORRUPT_STATE',
    });
  });

  it('the reports stream and status follow each run', async () => {
    const { venue, engine } = setup();
    const reconciler = new Reconciler({ engine, client: venue });
    const statuses: string[] = [];
    reconciler.status$.subscribe((s) => statuses.push(s));
    const reports: ReconciliationReport[] = [];
    reconciler.reports$.pipe(filter((r) => r.status === 'ok')).subscribe((r) => reports.push(r));
    await reconciler.start();
    expect(statuses).toEqual(['idle', 'reconciling', 'ok']);
    expect(reports).toHaveLength(1);
    reconciler.stop();
    reconciler.stop();
  });
});

describe('Reconciler fails closed on a lost journal write', () => {
  /** Run 1 submits a market buy the venue fills, but the journal write never lands; then it dies. */
  async function crashAfterUnjournaledBuy(
    venue: LedgerVenue,
    store: StateStore & { crashing: boolean },
    options: Partial<ReconcilerOptions> = {},
  ) {
    const run1 = setup({ venue });
    const journal = new OrderJournal({ store });
    const reconciler = new Reconciler({ engine: run1.engine, client: venue, journal, ...options });
    await reconciler.start();
    store.crashing = true;
    const order = run1.engine.submit({ instrumentId: 'BTCUSDT', side: 'buy', type: 'market', quantity: 1.5 });
    await tick();
    expect(position(run1.engine)).toBe(1.5);
    reconciler.stop(); // the process dies with the write still queued
    store.crashing = false;
    return order;
  }

  it('a fill of an order the journal never recorded holds trading (UNKNOWN_FILL), not "ok"', async () => {
    const store = crashingStore();
    const venue = new LedgerVenue();
    const order = await crashAfterUnjournaledBuy(venue, store);

    // A restart takes a new id prefix (ClientOrderIds does this), so its ids never meet run 1's.
    const run2 = setup({ venue, orderIdPrefix: 'r2-' });
    const reconciler = new Reconciler({
      engine: run2.engine,
      client: venue,
      journal: new OrderJournal({ store }),
      retryMs: 60_000,
    });
    const report = await reconciler.start();
    expect(report.status).toBe('unresolved');
    expect(report.unresolved).toEqual([
      expect.objectContaining({ reason: 'UNKNOWN_FILL', clientOrderId: order.clientOrderId }),
    ]);
    expect(report.externalFillsIgnored).toBe(1);
    expect(run2.engine.tradingState()).toBe('HALTED');
    expect(
      run2.engine.submit({ instrumentId: 'BTCUSDT', side: 'sell', type: 'market', quantity: 1 }).status,
    ).toBe('denied');
    // Still held on the next run: the fill has not gone away.
    expect((await reconciler.reconcile()).status).toBe('unresolved');
    reconciler.stop();
  });

  it('a venue fill the engine will not book (its order was denied here) holds trading, not "ok"', async () => {
    const { venue, engine } = setup();
    venue.unreachable = true;
    const reconciler = new Reconciler({ engine, client: venue, retryMs: 60_000 });
    await reconciler.start();
    // Ids reused across a restart without ClientOrderIds: this id was denied here, and traded at the venue.
    const denied = engine.submit({ instrumentId: 'BTCUSDT', side: 'buy', type: 'market', quantity: 1 });
    expect(denied.status).toBe('denied');
    venue.placeExternal(denied.clientOrderId, 1);
    venue.fill(denied.clientOrderId, 1, 100);
    venue.unreachable = false;
    const report = await reconciler.reconcile();
    expect(report.status).toBe('unresolved');
    expect(report.unresolved).toEqual([
      expect.objectContaining({ reason: 'APPLY_FAILED', clientOrderId: denied.clientOrderId }),
    ]);
    expect(engine.tradingState()).toBe('HALTED');
    reconciler.stop();
  });

  it('unknownFills "adopt" books the venue\'s order and fills, so the position is the venue\'s again', async () => {
    const store = crashingStore();
    const venue = new LedgerVenue();
    const order = await crashAfterUnjournaledBuy(venue, store);

    const run2 = setup({ venue });
    const reconciler = new Reconciler({
      engine: run2.engine,
      client: venue,
      journal: new OrderJournal({ store }),
      unknownFills: 'adopt',
    });
    const report = await reconciler.start();
    expect(report.status).toBe('ok');
    expect(report.fillsApplied).toBe(1);
    expect(report.ordersAdopted).toEqual([order.clientOrderId]);
    expect(run2.engine.order(order.clientOrderId)).toMatchObject({
      status: 'filled',
      strategyId: EXTERNAL_STRATEGY,
      accountId: 'acc',
    });
    expect(position(run2.engine)).toBe(1.5);
    expect(run2.engine.account('acc').cash).toBe(100_000 - 150 - 0.1);
    expect(run2.engine.tradingState()).toBe('ACTIVE');
    reconciler.stop();
  });

  it('on a spot venue, a lost write whose fill is past the look-back is caught by the balances', async () => {
    const store = crashingStore();
    const venue = new LedgerVenue().spot();
    venue.btcBefore = 0.25;
    await crashAfterUnjournaledBuy(venue, store, { unmanagedBalances: { BTC: 0.25 } });
    venue.now += 10_000; // the fill is older than the look-back below

    const run2 = setup({ venue });
    run2.clock.set(venue.now);
    const reconciler = new Reconciler({
      engine: run2.engine,
      client: venue,
      journal: new OrderJournal({ store }),
      lookbackMs: 1_000,
      unmanagedBalances: { BTC: 0.25 },
      retryMs: 60_000,
    });
    const report = await reconciler.start();
    expect(report.fillsApplied + report.externalFillsIgnored).toBe(0);
    expect(report.status).toBe('unresolved');
    expect(report.unresolved).toEqual([
      expect.objectContaining({ reason: 'POSITION_MISMATCH', instrumentId: 'BTCUSDT' }),
    ]);
    expect(run2.engine.tradingState()).toBe('HALTED');
    reconciler.stop();
  });

  it('on a spot venue the base currency is read from the instrument id, and a matching balance is ok', async () => {
    const venue = new LedgerVenue().spot();
    venue.btcBefore = 0.25;
    const { engine } = setup({ venue });
    const strict = new Reconciler({ engine, client: venue, retryMs: 60_000 });
    // 0.25 BTC the engine does not manage and was not told about: held, not ignored.
    const held = await strict.start();
    expect(held.unresolved).toEqual([
      expect.objectContaining({ reason: 'POSITION_MISMATCH', instrumentId: 'BTCUSDT' }),
    ]);
    strict.stop();

    const told = new Reconciler({
      engine,
      client: venue,
      unmanagedBalances: { BTC: 0.25 },
    });
    expect((await told.start()).status).toBe('ok');
    engine.submit({ instrumentId: 'BTCUSDT', side: 'buy', type: 'market', quantity: 1.5 });
    await tick();
    const after = await told.reconcile();
    expect(after.status).toBe('ok');
    expect(engine.tradingState()).toBe('ACTIVE');
    told.stop();
  });
});

describe('Reconciler over a host that keeps no positions (the fleet order role)', () => {
  it('settles orders and fills without comparing balances, and refuses a journal it cannot restore', async () => {
    const venue = new LedgerVenue().spot();
    venue.btcBefore = 0.25; // a balance the host could not explain: no positions to compare it with
    const { engine } = setup({ venue });
    await engine.start();
    const order = engine.submit({ instrumentId: 'BTCUSDT', side: 'buy', type: 'market', quantity: 1.5 });
    await tick();
    const host = {
      clock: engine.clock,
      holds: engine.holds,
      running: true,
      start: () => Promise.resolve(),
      order: (id: string) => engine.order(id),
      openOrders: () => engine.openOrders(),
      applyVenueEvent: (event: Parameters<TradingEngine['applyVenueEvent']>[0]) =>
        engine.applyVenueEvent(event),
      adoptOrder: (o: Parameters<TradingEngine['adoptOrder']>[0]) => engine.adoptOrder(o),
      instruments: engine.instruments,
      accounts: () => engine.accounts(),
    };
    const reconciler = new Reconciler({ engine: host, client: venue, accountId: 'acc', retryMs: 60_000 });
    const report = await reconciler.start();
    expect(report.status).toBe('ok');
    expect(report.balances).toBeDefined();
    expect(settled(engine, order.clientOrderId)).toBe('filled');
    reconciler.stop();
    // The same venue with the engine's positions compared is held (see the spot tests above).
    const strict = new Reconciler({ engine, client: venue, retryMs: 60_000 });
    expect((await strict.start()).status).toBe('unresolved');
    strict.stop();

    expect(
      () =>
        new Reconciler({
          engine: host,
          client: venue,
          journal: new OrderJournal({ store: createMemoryStateStore() }),
        }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
