import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { TradingEngine } from '../engine/trading-engine';
import type { Order, OrderRequest } from '../model/order';
import type { OrderEvent } from '../model/order-events';
import { ManualClock } from '../ports/clock';
import type { ExecutionClient, VenueEvent } from '../ports/execution-client';
import { childOrderId } from './order-emulator';
import { VENUE_CLIENT_ORDER_ID } from './order-ids';
import { createResilientClient } from './resilient-client';

/** Child order ids, and pairs a venue holds as native OCO (`ExecutionClient.submitOco`). */

const T0 = Date.UTC(2024, 0, 2, 14, 30);
const ids = { accountId: 'acc', strategyId: 'manual', instrumentId: 'SPX' } as const;

/** An asynchronous venue that takes native OCO pairs of a limit and a stop; the test emits its events. */
class OcoVenue implements ExecutionClient {
  readonly venue = 'OCO';
  readonly subject = new Subject<VenueEvent>();
  readonly events$ = this.subject.asObservable();
  readonly submitted: string[] = [];
  readonly pairs: string[][] = [];
  readonly cancels: string[] = [];
  constructor(readonly native = true) {}
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
  async submitOrder(order: Order): Promise<void> {
    this.submitted.push(order.clientOrderId);
  }
  async cancelOrder(order: Order): Promise<void> {
    this.cancels.push(order.clientOrderId);
  }
  supportsOco(legs: readonly [OrderRequest, OrderRequest]): boolean {
    const types = legs.map((l) => l.type).sort();
    return this.native && types[0] === 'limit' && (types[1] === 'stop' || types[1] === 'stopLimit');
  }
  async submitOco(orders: readonly [Order, Order]): Promise<void> {
    this.pairs.push(orders.map((o) => `${o.clientOrderId} ${o.side} ${o.type} ${o.quantity}`));
  }
  accept(clientOrderId: string): void {
    this.subject.next({
      type: 'OrderAccepted',
      clientOrderId,
      ...ids,
      tsEvent: T0,
      venueOrderId: clientOrderId,
    });
  }
  fill(clientOrderId: string, side: 'buy' | 'sell', lastQty: number, lastPx: number): void {
    this.subject.next({
      type: 'OrderFilled',
      clientOrderId,
      ...ids,
      tsEvent: T0,
      venueOrderId: clientOrderId,
      tradeId: `t-${clientOrderId}-${lastQty}`,
      side,
      lastQty,
      lastPx,
      fee: 0,
      feeCurrency: 'USD',
      liquiditySide: 'taker',
    });
  }
}

async function engineOn(venue: ExecutionClient) {
  const engine = new TradingEngine({
    instruments: [{ id: 'SPX', pricePrecision: 2, quantityPrecision: 0 }],
    accounts: [{ id: 'acc', initialCash: 100_000 }],
    clock: new ManualClock(T0),
    execution: venue,
  });
  const events: OrderEvent[] = [];
  engine.orderEvents$.subscribe((e) => events.push(e));
  await engine.start();
  return { engine, events };
}

describe('childOrderId', () => {
  it('is the parent id and the suffix when that fits in 36 characters', () => {
    expect(childOrderId('rx-1a-SmaCross-17', 'tp')).toBe('rx-1a-SmaCross-17-tp');
    expect(childOrderId('a'.repeat(33), 'tp')).toBe(`${'a'.repeat(33)}-tp`); // 36 exactly
  });

  it('stays within 36 venue-safe characters, deterministic, distinct for parents sharing a long head', () => {
    const parents = Array.from({ length: 2_000 }, (_, i) => `rx-1a-BreakoutWithBracket-${1_000_000 + i}`);
    const children = new Set<string>();
    for (const parent of parents) {
      for (const suffix of ['tp', 'sl', 'sl2', 'oco']) {
        const child = childOrderId(parent, suffix);
        expect(child).toMatch(VENUE_CLIENT_ORDER_ID);
        expect(child.length).toBe(36);
        expect(child.endsWith(`-${suffix}`)).toBe(true);
        expect(childOrderId(parent, suffix)).toBe(child);
        children.add(child);
      }
    }
    expect(children.size).toBe(parents.length * 4);
    // A 64-character parent (the longest core takes) still gets a 36-character child.
    expect(childOrderId('x'.repeat(64), 'tp')).toHaveLength(36);
  });

  it('names a bracket’s exits and an OCO sibling of a long entry id within 36 characters', async () => {
    const venue = new OcoVenue(false);
    const { engine } = await engineOn(venue);
    const entry = 'rx-1a-BreakoutWithBracket-1234567';
    engine.submit({
      ...ids,
      clientOrderId: entry,
      side: 'buy',
      type: 'market',
      quantity: 10,
      takeProfit: { price: 110 },
      stopLoss: { triggerPrice: 95 },
    });
    venue.accept(entry);
    venue.fill(entry, 'buy', 10, 100);
    expect(venue.submitted.slice(1)).toEqual([childOrderId(entry, 'tp'), childOrderId(entry, 'sl')]);
    for (const id of venue.submitted) expect(id).toMatch(VENUE_CLIENT_ORDER_ID);
    const oco = 'rx-1a-BreakoutWithBracket-7654321';
    engine.submit({
      ...ids,
      clientOrderId: oco,
      side: 'sell',
      type: 'limit',
      price: 120,
      quantity: 5,
      oco: { type: 'stop', triggerPrice: 90 },
    });
    expect(venue.submitted.at(-1)).toBe(childOrderId(oco, 'oco'));
    expect(venue.submitted.at(-1)).toHaveLength(36);
  });
});

describe('native OCO (ExecutionClient.submitOco)', () => {
  it('an OCO request goes out as one pair; the venue, not the engine, cancels the other leg', async () => {
    const venue = new OcoVenue();
    const { engine } = await engineOn(venue);
    const first = engine.submit({
      ...ids,
      clientOrderId: 'o',
      side: 'sell',
      type: 'limit',
      price: 105,
      quantity: 5,
      oco: { type: 'stop', triggerPrice: 95 },
    });
    expect(first).toMatchObject({ clientOrderId: 'o', status: 'submitted', type: 'limit' });
    expect(venue.submitted).toEqual([]);
    expect(venue.pairs).toEqual([['o sell limit 5', 'o-oco sell stop 5']]);
    expect(engine.order('o-oco')).toMatchObject({ status: 'submitted', triggerPrice: 95 });
    venue.accept('o');
    venue.accept('o-oco');
    venue.fill('o', 'sell', 2, 105); // a partial fill: the venue expires the stop itself
    expect(venue.cancels).toEqual([]);
    expect(engine.order('o-oco')?.status).toBe('accepted');
  });

  it('a pair the venue cannot hold is emulated: two submissions, and the engine cancels the other leg', async () => {
    const venue = new OcoVenue();
    const { engine } = await engineOn(venue);
    engine.submit({
      ...ids,
      clientOrderId: 'o',
      side: 'sell',
      type: 'limit',
      price: 105,
      quantity: 5,
      oco: { type: 'limit', price: 106 },
    });
    expect(venue.pairs).toEqual([]);
    expect(venue.submitted).toEqual(['o', 'o-oco']);
    venue.accept('o');
    venue.accept('o-oco');
    venue.fill('o', 'sell', 5, 105);
    expect(venue.cancels).toEqual(['o-oco']);
  });

  it('a bracket whose entry filled whole places its exits as one native pair', async () => {
    const venue = new OcoVenue();
    const { engine } = await engineOn(venue);
    engine.submit({
      ...ids,
      clientOrderId: 'b',
      side: 'buy',
      type: 'market',
      quantity: 10,
      takeProfit: { price: 110 },
      stopLoss: { triggerPrice: 95 },
    });
    venue.accept('b');
    venue.fill('b', 'buy', 10, 100);
    expect(venue.submitted).toEqual(['b']);
    expect(venue.pairs).toEqual([['b-tp sell limit 10', 'b-sl sell stop 10']]);
    expect(engine.order('b-sl')).toMatchObject({ reduceOnly: true, status: 'submitted' });
  });

  const partlyFilledBracket = async (venue: ExecutionClient & OcoVenue) => {
    const { engine } = await engineOn(venue);
    engine.submit({
      ...ids,
      clientOrderId: 'b',
      side: 'buy',
      type: 'limit',
      price: 100,
      quantity: 10,
      takeProfit: { price: 110 },
      stopLoss: { triggerPrice: 95 },
    });
    venue.accept('b');
    venue.fill('b', 'buy', 4, 100);
    return engine;
  };

  it('a bracket whose entry fills in part, at a venue that amends up: emulated exits, amended by later fills', async () => {
    const amended: string[] = [];
    const venue = Object.assign(new OcoVenue(), {
      async modifyOrder(order: Order, amendment: { quantity?: number }): Promise<void> {
        amended.push(`${order.clientOrderId} ${amendment.quantity}`);
      },
    });
    await partlyFilledBracket(venue);
    expect(venue.pairs).toEqual([]);
    expect(venue.submitted).toEqual(['b', 'b-tp', 'b-sl']);
    venue.accept('b-tp');
    venue.accept('b-sl');
    venue.fill('b', 'buy', 6, 100);
    expect(amended).toEqual(['b-tp 10', 'b-sl 10']);
  });

  it('a bracket whose entry fills in parts, at a venue that cannot amend up: its exits once it filled, for all of it, as one pair', async () => {
    // Before: exits of 4 on the first fill, and the amendments up to 10 refused (AMEND_NOT_SUPPORTED).
    const venue = new OcoVenue();
    const engine = await partlyFilledBracket(venue);
    expect(venue.submitted).toEqual(['b']);
    venue.fill('b', 'buy', 6, 100);
    expect(venue.pairs).toEqual([['b-tp sell limit 10', 'b-sl sell stop 10']]);
    expect(engine.order('b-tp')).toMatchObject({ quantity: 10, reduceOnly: true });
  });

  it('an entry canceled after a partial fill at such a venue gets exits for what it filled', async () => {
    const venue = new OcoVenue();
    await partlyFilledBracket(venue);
    venue.subject.next({ type: 'OrderCanceled', clientOrderId: 'b', ...ids, tsEvent: T0 });
    expect(venue.pairs).toEqual([['b-tp sell limit 4', 'b-sl sell stop 4']]);
  });

  it('a denial of either leg denies both, each with a reason', async () => {
    const venue = new OcoVenue();
    const { engine, events } = await engineOn(venue);
    // The stop's trigger is off the tick: the grid check denies it, and its sibling with it.
    engine.submit({
      ...ids,
      clientOrderId: 'o',
      side: 'sell',
      type: 'limit',
      price: 105,
      quantity: 5,
      oco: { type: 'stop', triggerPrice: 95.001 },
    });
    expect(venue.pairs).toEqual([]);
    const denied = events.filter((e) => e.type === 'OrderDenied');
    expect(denied.map((e) => [e.clientOrderId, e.type === 'OrderDenied' && e.reason])).toEqual([
      ['o', 'PRICE_OFF_TICK'],
      ['o-oco', 'PRICE_OFF_TICK'],
    ]);
    expect(denied[0]?.type === 'OrderDenied' && denied[0].message).toMatch(/OCO sibling was denied/);
  });

  it('the resilient client passes native OCO through, counting each order against its rate limit', async () => {
    const venue = new OcoVenue();
    const resilient = createResilientClient(venue, {
      rateLimit: { venue: { ratePerSecond: 1, burst: 2 }, maxWaitMs: 0 },
    });
    expect(
      resilient.supportsOco?.([
        { ...ids, side: 'sell', type: 'limit', price: 1, quantity: 1 },
        { ...ids, side: 'sell', type: 'stop', triggerPrice: 1, quantity: 1 },
      ]),
    ).toBe(true);
    const { engine } = await engineOn(resilient);
    engine.submit({
      ...ids,
      clientOrderId: 'o',
      side: 'sell',
      type: 'limit',
      price: 105,
      quantity: 5,
      oco: { type: 'stop', triggerPrice: 95 },
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(venue.pairs).toHaveLength(1);
    // Two tokens taken by the pair: the next order finds the bucket empty and is refused, not sent.
    const rejected: string[] = [];
    engine.orderEvents$.subscribe(
      (e) => e.type === 'OrderRejected' && rejected.push(`${e.clientOrderId} ${e.reason}`),
    );
    engine.submit({ ...ids, clientOrderId: 'n', side: 'buy', type: 'limit', price: 90, quantity: 1 });
    await new Promise((r) => setTimeout(r, 10));
    expect(venue.submitted).toEqual([]);
    expect(rejected).toEqual(['n RATE_LIMITED']);
    expect(createResilientClient(new OcoVenue(), {}).submitOco).toBeTypeOf('function');
    const inner = new OcoVenue();
    const plain: ExecutionClient = {
      venue: 'PLAIN',
      events$: inner.events$,
      connect: () => inner.connect(),
      disconnect: () => inner.disconnect(),
      submitOrder: (o) => inner.submitOrder(o),
      cancelOrder: (o) => inner.cancelOrder(o),
    };
    expect(createResilientClient(plain, {}).submitOco).toBeUndefined();
  });
});

describe('Instrument.orderTypes', () => {
  it('a type the venue does not take is denied UNSUPPORTED_ORDER_TYPE in a backtest; a bracket’s stop with it', async () => {
    const engine = new TradingEngine({
      instruments: [
        { id: 'SPX', pricePrecision: 2, quantityPrecision: 0, orderTypes: ['market', 'limit', 'stopLimit'] },
      ],
      accounts: [{ id: 'acc', initialCash: 100_000 }],
      clock: new ManualClock(T0),
    });
    const events: OrderEvent[] = [];
    engine.orderEvents$.subscribe((e) => events.push(e));
    await engine.start();
    const stop = engine.submit({ ...ids, side: 'sell', type: 'stop', triggerPrice: 95, quantity: 1 });
    expect(stop).toMatchObject({ status: 'denied' });
    expect(events.find((e) => e.type === 'OrderDenied')).toMatchObject({
      reason: 'UNSUPPORTED_ORDER_TYPE',
      message: "UNSUPPORTED_ORDER_TYPE: SPX's venue takes market, limit, stopLimit orders, not stop",
    });
    expect(
      engine.submit({ ...ids, side: 'sell', type: 'stopLimit', triggerPrice: 95, price: 94.5, quantity: 1 })
        .status,
    ).toBe('accepted');
    engine.submit({
      ...ids,
      clientOrderId: 'b',
      side: 'buy',
      type: 'market',
      quantity: 10,
      takeProfit: { price: 110 },
      stopLoss: { triggerPrice: 95 },
    });
    engine.processBar({
      symbol: 'SPX',
      ts: T0 + 60_000,
      open: 100,
      high: 101,
      low: 99,
      close: 100,
      volume: 1_000,
    });
    expect(engine.order('b-sl')).toMatchObject({ status: 'denied' });
    expect(engine.order('b-tp')).toMatchObject({ status: 'canceled' });
  });
});
