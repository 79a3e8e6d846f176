import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { TradingEngine } from '../../engine/trading-engine';
import { defineInstrument } from '../../model/instrument';
import type { Bar } from '../../model/market-data';
import type { Order } from '../../model/order';
import { ManualClock } from '../../ports/clock';
import type { ExecutionClient, VenueEvent } from '../../ports/execution-client';
import { SimulatedVenue } from '../simulated-venue';
import { ShadowExecutionClient } from './shadow-execution-client';
import type { ShadowOrderReport } from './shadow-report';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 2, 14, 30);
const t = (i: number): number => T0 + i * MIN;
const SPX = { id: 'SPX', pricePrecision: 2, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.0005 };

const bar = (i: number, open: number, close = open): Bar => ({
  symbol: 'SPX',
  ts: t(i),
  open,
  high: Math.max(open, close) + 1,
  low: Math.min(open, close) - 1,
  close,
  volume: 1_000,
});

/** A venue the test drives by hand: what a broker would report, when the test says so. */
class ScriptedVenue implements ExecutionClient {
  readonly venue = 'LIVE';
  readonly #events = new Subject<VenueEvent>();
  readonly events$ = this.#events.asObservable();
  readonly orders = new Map<string, Order>();
  #trade = 0;
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
  async submitOrder(order: Order): Promise<void> {
    this.orders.set(order.clientOrderId, order);
  }
  async cancelOrder(order: Order): Promise<void> {
    this.emit(order.clientOrderId, 'OrderCanceled', t(0));
  }
  emit(id: string, type: 'OrderAccepted' | 'OrderExpired' | 'OrderCanceled', ts: number): void {
    const o = this.orders.get(id) as Order;
    const base = {
      clientOrderId: id,
      accountId: o.accountId,
      strategyId: o.strategyId,
      instrumentId: o.instrumentId,
      tsEvent: ts,
    };
    this.#events.next(
      type === 'OrderAccepted' ? { type, ...base, venueOrderId: `V-${id}` } : { type, ...base },
    );
  }
  reject(id: string, reason: string, ts: number): void {
    const o = this.orders.get(id) as Order;
    this.#events.next({
      type: 'OrderRejected',
      clientOrderId: id,
      accountId: o.accountId,
      strategyId: o.strategyId,
      instrumentId: o.instrumentId,
      tsEvent: ts,
      reason,
      message: reason,
    });
  }
  fill(id: string, fill: { qty: number; px: number; ts: number; fee: number; maker?: boolean }): void {
    const o = this.orders.get(id) as Order;
    this.#events.next({
      type: 'OrderFilled',
      clientOrderId: id,
      accountId: o.accountId,
      strategyId: o.strategyId,
      instrumentId: o.instrumentId,
      tsEvent: fill.ts,
      venueOrderId: `V-${id}`,
      tradeId: `T${++this.#trade}`,
      side: o.side,
      lastQty: fill.qty,
      lastPx: fill.px,
      fee: fill.fee,
      feeCurrency: 'USD',
      liquiditySide: fill.maker ? 'maker' : 'taker',
    });
  }
}

async function setup(real: ExecutionClient = new ScriptedVenue()) {
  const clock = new ManualClock(t(0));
  const shadow = new ShadowExecutionClient({ real, instruments: [SPX], clock });
  const engine = new TradingEngine({
    instruments: [SPX],
    accounts: [{ id: 'acc', initialCash: 100_000, currencyPrecision: 8 }],
    clock,
    execution: shadow,
  });
  const reports: ShadowOrderReport[] = [];
  let completed = false;
  shadow.reports$.subscribe({ next: (r) => reports.push(r), complete: () => (completed = true) });
  await engine.start();
  const run = (...bars: Bar[]): void => {
    for (const b of bars) {
      clock.set(b.ts);
      engine.processBar(b);
    }
  };
  return { engine, shadow, clock, run, reports, completed: () => completed };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('ShadowExecutionClient beside a broker', () => {
  it('a market buy filled 0.30 worse in the same bar: slippage and fees, reported once a later bar opened', async () => {
    const real = new ScriptedVenue();
    const s = await setup(real);
    s.run(bar(0, 100));
    s.engine.submit({ clientOrderId: 'b1', instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 10 });
    await settle();
    real.emit('b1', 'OrderAccepted', t(1) + 200);
    real.fill('b1', { qty: 10, px: 100.3, ts: t(1) + 400, fee: 1.003 });
    s.run(bar(1, 100, 101));
    expect(s.reports).toEqual([]); // the real fill lies in bar 1: known only once bar 2 opens
    s.run(bar(2, 101, 102));
    expect(s.reports).toHaveLength(1);
    expect(s.reports[0]).toMatchObject({
      clientOrderId: 'b1',
      outcome: 'matched',
      simulated: { status: 'filled', filledQty: 10, avgPx: 100, firstFillTs: t(1), fees: '1.00' },
      real: { status: 'filled', filledQty: 10, avgPx: 100.3, firstFillTs: t(1) + 400, fees: '1.003' },
      delayMs: 400,
      mark: { px: 102, ts: t(2) },
      attribution: {
        slippage: '-3.00',
        latency: '0.00',
        fees: '-0.003',
        partialFills: '0.00',
        missedFills: '0.00',
        extraFills: '0.00',
        total: '-3.003',
      },
    });
    expect(s.reports[0]?.priceDiffBps).toBeCloseTo(30, 9);
    // The engine's books follow the real venue only.
    expect(s.engine.positions('acc').find((p) => p.instrumentId === 'SPX')?.quantity).toBe(10);
    expect(s.engine.account('acc').feesPaid).toBeCloseTo(1.003, 9);
  });

  it('a fill that came a bar late: the market move is latency, the rest slippage', async () => {
    const real = new ScriptedVenue();
    const s = await setup(real);
    s.run(bar(0, 100));
    s.engine.submit({ clientOrderId: 'b1', instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 10 });
    await settle();
    s.run(bar(1, 100));
    real.fill('b1', { qty: 10, px: 101.2, ts: t(2) + 100, fee: 1 });
    s.run(bar(2, 101), bar(3, 101.5, 103));
    expect(s.reports[0]).toMatchObject({
      outcome: 'matched',
      delayMs: MIN + 100,
      attribution: { latency: '-10.00', slippage: '-2.00', fees: '0.00', total: '-12.00' },
    });
  });

  it('rejected live: the simulated fill is missed, marked at the last close; partial: the rest is', async () => {
    const real = new ScriptedVenue();
    const s = await setup(real);
    s.run(bar(0, 100));
    s.engine.submit({ clientOrderId: 'r1', instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 10 });
    s.engine.submit({ clientOrderId: 'p1', instrumentId: 'SPX', side: 'sell', type: 'market', quantity: 10 });
    await settle();
    real.reject('r1', 'INSUFFICIENT_BALANCE', t(1));
    real.fill('p1', { qty: 4, px: 100, ts: t(1) + 10, fee: 0.4 });
    real.emit('p1', 'OrderExpired', t(1) + 10);
    s.run(bar(1, 100, 102), bar(2, 102, 102));
    const byId = Object.fromEntries(s.reports.map((r) => [r.clientOrderId, r]));
    expect(byId['r1']).toMatchObject({
      outcome: 'missed',
      real: { status: 'rejected', reason: 'INSUFFICIENT_BALANCE', fills: 0, avgPx: null },
      delayMs: null,
      // The simulation bought 10 at 100, worth 102 now: live missed 20.00, and the 1.00 fee.
      attribution: { missedFills: '-20.00', fees: '1.00', total: '-19.00' },
    });
    expect(byId['p1']).toMatchObject({
      outcome: 'partial',
      real: { status: 'expired', filledQty: 4 },
      // 6 not sold at 100 before the price rose to 102: a sell that missed saved 12.00.
      attribution: { partialFills: '12.00', fees: '0.60', total: '12.60' },
    });
    // A fill after the order was reported is logged, not counted: the report stays as it was emitted.
    real.fill('p1', { qty: 2, px: 101, ts: t(2) + 10, fee: 0.2 });
    expect(s.shadow.report().orders.find((o) => o.clientOrderId === 'p1')).toEqual(byId['p1']);
    const doc = s.shadow.report();
    expect(doc).toMatchObject({
      v: 1,
      venues: { real: 'LIVE', simulated: 'SHADOW' },
      pending: 0,
      outcomes: { matched: 0, partial: 1, missed: 1, extra: 0, unfilled: 0 },
      totals: { USD: { missedFills: '-20.00', partialFills: '12.00', fees: '1.60', total: '-6.40' } },
    });
    // A JSON document: it survives a round trip unchanged.
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('the document marks quantity one venue filled at the latest close; stop() reports what is still working', async () => {
    const real = new ScriptedVenue();
    const s = await setup(real);
    s.run(bar(0, 100));
    s.engine.submit({ clientOrderId: 'r1', instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 10 });
    s.engine.submit({
      clientOrderId: 'l1',
      instrumentId: 'SPX',
      side: 'buy',
      type: 'limit',
      price: 90,
      quantity: 5,
    });
    await settle();
    real.reject('r1', 'X', t(1));
    s.run(bar(1, 100, 105));
    // Settled on bar 1 (nothing real to place in time), marked at its close.
    expect(s.reports.map((r) => [r.mark.px, r.attribution.missedFills])).toEqual([[105, '-50.00']]);
    s.run(bar(3, 110, 110));
    expect(s.shadow.report().orders[0]?.attribution.missedFills).toBe('-100.00');
    expect(s.shadow.report().pending).toBe(1);
    await s.engine.stop();
    expect(s.completed()).toBe(true);
    expect(s.reports[1]).toMatchObject({
      clientOrderId: 'l1',
      outcome: 'unfilled',
      simulated: { status: 'accepted' },
      real: { status: 'submitted' },
    });
  });
});

describe('ShadowExecutionClient beside a paper venue', () => {
  it('keeps the synchronous path and places the paper fills on the bar they were matched on, whatever their clock says', async () => {
    // Live paper trading: the engine's clock is the wall clock, a minute past the bar's open when it arrives.
    const wall = new ManualClock(t(0));
    const paper = new SimulatedVenue({
      instruments: [defineInstrument(SPX)],
      clock: wall,
      slippage: { type: 'ticks', ticks: 5 },
    });
    const shadow = new ShadowExecutionClient({ real: paper, instruments: [SPX], clock: wall });
    expect(typeof shadow.submitOrderSync).toBe('function');
    const engine = new TradingEngine({ instruments: [SPX], clock: wall, execution: shadow });
    const reports: ShadowOrderReport[] = [];
    shadow.reports$.subscribe((r) => reports.push(r));
    await engine.start();
    const run = (b: Bar): void => {
      wall.set(b.ts + MIN + 1_500);
      engine.processBar(b);
    };
    run(bar(0, 100));
    engine.submit({ clientOrderId: 's1', instrumentId: 'SPX', side: 'sell', type: 'market', quantity: 10 });
    // Accepted synchronously, as the paper venue does on its own.
    expect(engine.order('s1')?.status).toBe('accepted');
    run(bar(1, 100));
    run(bar(2, 100));
    expect(reports[0]).toMatchObject({
      outcome: 'matched',
      real: { avgPx: 99.95, firstFillTs: t(1) + MIN + 1_500 },
      simulated: { avgPx: 100, firstFillTs: t(1) },
      attribution: { slippage: '-0.50', latency: '0.00', fees: '0.00', total: '-0.50' },
    });
  });
});

describe('ShadowExecutionClient keeps what the real client can do', () => {
  it('amends up only where the real venue can: a bracket’s exits are placed as without the shadow', () => {
    const real = new ScriptedVenue();
    const amendable = Object.assign(real, {
      modifyOrder: async (): Promise<void> => {},
      amendsUp: false,
    });
    const shadow = new ShadowExecutionClient({ real: amendable, instruments: [SPX] });
    expect(typeof shadow.modifyOrder).toBe('function');
    expect(shadow.amendsUp).toBe(false);
    expect(shadow.real).toBe(real);
    expect(
      new ShadowExecutionClient({ real: new ScriptedVenue(), instruments: [SPX] }).amendsUp,
    ).toBeUndefined();
  });
});
