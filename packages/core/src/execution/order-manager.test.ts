import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { AccountBook } from '../account/account-book';
import { defineInstrument } from '../model/instrument';
import type { Order } from '../model/order';
import type { OrderEvent } from '../model/order-events';
import { ManualClock } from '../ports/clock';
import type { ExecutionClient, VenueEvent } from '../ports/execution-client';
import { RiskEngine } from '../risk/risk-engine';
import { OrderManager } from './order-manager';

const T0 = Date.UTC(2024, 0, 2);
const SPX = defineInstrument({ id: 'SPX', pricePrecision: 2, quantityPrecision: 0 });
const origin = (clientOrderId: string) => ({ clientOrderId, strategyId: 's', accountId: 'a' });
const ids = (o: Order) => ({
  clientOrderId: o.clientOrderId,
  accountId: o.accountId,
  strategyId: o.strategyId,
  instrumentId: o.instrumentId,
});

/** An asynchronous client: the manager may only call submitOrder/cancelOrder and listen to events$. */
class AsyncVenue implements ExecutionClient {
  readonly venue = 'A';
  readonly subject = new Subject<VenueEvent>();
  readonly events$ = this.subject.asObservable();
  readonly sent: Order[] = [];
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
  async submitOrder(order: Order): Promise<void> {
    this.sent.push(order);
  }
  async cancelOrder(order: Order): Promise<void> {
    this.subject.next({ type: 'OrderCanceled', ...ids(order), tsEvent: T0 });
  }
}

describe('OrderManager and RiskEngine without an engine', () => {
  it('risk decides, the manager denies or sends; venue events apply once; open orders are tracked', async () => {
    const venue = new AsyncVenue();
    const clock = new ManualClock(T0);
    const events: string[] = [];
    const risk = new RiskEngine({ market: { lastPrice: () => 100, instrument: () => SPX }, clock });
    const orders = new OrderManager({
      execution: venue,
      clock,
      onEvent: (event: OrderEvent, order, openChanged) => {
        if (openChanged) risk.track(order);
        events.push(`${event.type} ${order.status}`);
      },
    });
    await orders.connect();
    const account = new AccountBook({ id: 'a', initialCash: 10_000 });
    const submit = (id: string, quantity: number) => {
      const order = orders.create(
        { instrumentId: 'SPX', side: 'buy', type: 'market', quantity },
        origin(id),
        0,
      );
      const denial = risk.check(order, SPX, account);
      if (denial) orders.deny(order, denial);
      else orders.send(order);
      return denial;
    };
    expect(submit('o1', 2)).toBeUndefined();
    expect(venue.sent.map((o) => o.clientOrderId)).toEqual(['o1']);
    expect(risk.openOrders('a').size).toBe(1);
    expect(submit('o2', 0.5)).toMatchObject({ reason: 'QUANTITY_OFF_LOT' });
    expect(() => submit('o1', 1)).toThrow(/already in use/);
    risk.holds.place({ owner: 'test', state: 'HALTED', reason: 'drill' });
    expect(submit('o3', 1)).toEqual({ reason: 'TRADING_HALTED', message: 'TRADING_HALTED: drill' });
    risk.holds.release({ owner: 'test' });
    const o1 = orders.get('o1') as Order;
    venue.subject.next({ type: 'OrderAccepted', ...ids(o1), tsEvent: T0, venueOrderId: 'V1' });
    const fill: VenueEvent = {
      type: 'OrderFilled',
      ...ids(o1),
      tsEvent: T0,
      venueOrderId: 'V1',
      tradeId: 'T1',
      side: 'buy',
      lastQty: 2,
      lastPx: 100,
      fee: 0,
      feeCurrency: 'USD',
      liquiditySide: 'taker',
    };
    venue.subject.next(fill);
    venue.subject.next(fill); // redelivered
    expect(orders.order('o1')).toMatchObject({ status: 'filled', filledQty: 2 });
    expect(risk.openOrders('a').size).toBe(0);
    expect(orders.cancel('o1')).toBe(false);
    expect(events).toEqual([
      'OrderSubmitted submitted',
      'OrderDenied denied',
      'OrderDenied denied',
      'OrderAccepted accepted',
      'OrderFilled filled',
    ]);
    await orders.disconnect();
  });
});

describe('OrderManager: amendments', () => {
  it('refuses an amendment itself when the client cannot amend, and sends it to one that can', async () => {
    const clock = new ManualClock(T0);
    const events: string[] = [];
    const setup = async (venue: ExecutionClient) => {
      const orders = new OrderManager({
        execution: venue,
        clock,
        onEvent: (event: OrderEvent, order) =>
          events.push(`${event.type} ${order.status} ${'reason' in event ? event.reason : order.quantity}`),
      });
      await orders.connect();
      const order = orders.create(
        { instrumentId: 'SPX', side: 'buy', type: 'limit', price: 10, quantity: 5 },
        origin('x'),
        0,
      );
      orders.send(order);
      return { orders, order };
    };
    const plain = new AsyncVenue();
    const a = await setup(plain);
    plain.subject.next({ type: 'OrderAccepted', ...ids(a.order), tsEvent: T0, venueOrderId: 'V1' });
    expect(a.orders.amend('x', { quantity: 3 })).toBe(true);
    expect(a.orders.amend('nope', { quantity: 3 })).toBe(false);
    expect(events.splice(0)).toEqual([
      'OrderSubmitted submitted 5',
      'OrderAccepted accepted 5',
      'OrderModifyRejected accepted AMEND_NOT_SUPPORTED',
    ]);

    const amending = new AsyncVenue();
    const asked: unknown[] = [];
    Object.assign(amending, {
      async modifyOrder(order: Order, amendment: { quantity?: number }) {
        asked.push(amendment);
        amending.subject.next({ type: 'OrderUpdated', ...ids(order), tsEvent: T0, quantity: 3 });
      },
    });
    const b = await setup(amending);
    amending.subject.next({ type: 'OrderAccepted', ...ids(b.order), tsEvent: T0, venueOrderId: 'V1' });
    expect(b.orders.amend('x', { quantity: 3 })).toBe(true);
    await Promise.resolve();
    expect(asked).toEqual([{ quantity: 3 }]);
    expect(events.splice(0)).toEqual([
      'OrderSubmitted submitted 5',
      'OrderAccepted accepted 5',
      'OrderUpdated accepted 3',
    ]);
    expect(b.orders.order('x')).toMatchObject({ quantity: 3, leavesQty: 3 });
  });
});
