import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Bar } from '../model/market-data';
import type { Order } from '../model/order';
import type { OrderEvent } from '../model/order-events';
import { ManualClock } from '../ports/clock';
import type { BarDrivenExecutionClient, VenueEvent } from '../ports/execution-client';
import { BaseStrategy } from '../strategy/base-strategy';
import { createEngine } from './trading-engine';

const T0 = Date.UTC(2024, 0, 2);
const bar = (i: number): Bar => ({
  symbol: 'SPX',
  ts: T0 + i * 60_000,
  open: 100,
  high: 101,
  low: 99,
  close: 100,
  volume: 1_000,
});

/**
 * A client written to the public port and nothing else: `processBar`, the async `submitOrder` and
 * `cancelOrder`, events on `events$`. It accepts each order when sent, and at the next bar fills
 * the first one and cancels the rest.
 */
class PortOnlyVenue implements BarDrivenExecutionClient {
  readonly venue = 'PORT';
  readonly subject = new Subject<VenueEvent>();
  readonly events$ = this.subject.asObservable();
  readonly working: Order[] = [];
  bars = 0;
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
  async submitOrder(order: Order): Promise<void> {
    this.working.push(order);
    this.subject.next({
      type: 'OrderAccepted',
      ...ids(order),
      tsEvent: T0,
      venueOrderId: `V${order.clientOrderId}`,
    });
  }
  async cancelOrder(order: Order): Promise<void> {
    const i = this.working.findIndex((w) => w.clientOrderId === order.clientOrderId);
    if (i >= 0) this.working.splice(i, 1);
    this.subject.next({ type: 'OrderCanceled', ...ids(order), tsEvent: T0 });
  }
  processBar(b: Bar): void {
    this.bars++;
    const first = this.working.shift();
    if (first === undefined) return;
    this.subject.next({
      type: 'OrderFilled',
      ...ids(first),
      tsEvent: b.ts,
      tradeId: `T${first.clientOrderId}`,
      venueOrderId: `V${first.clientOrderId}`,
      side: first.side,
      lastQty: first.quantity,
      lastPx: b.open,
      fee: 0,
      feeCurrency: 'USD',
      liquiditySide: 'taker',
    });
  }
}

const ids = (o: Order) => ({
  clientOrderId: o.clientOrderId,
  accountId: o.accountId,
  strategyId: o.strategyId,
  instrumentId: o.instrumentId,
});

class BuyThenCancel extends BaseStrategy {
  override onBar(): void {
    if (this.position() === 0 && this.context.openOrders().length === 0) {
      this.buy(1);
      this.buy(1, { price: 90 });
    } else {
      this.cancelAll();
    }
  }
}

describe('an execution client written to the public BarDrivenExecutionClient port', () => {
  it('trades through the engine: the engine calls only what the port declares', async () => {
    const venue = new PortOnlyVenue();
    const clock = new ManualClock(T0);
    const engine = createEngine({
      instruments: [{ id: 'SPX', pricePrecision: 2, quantityPrecision: 0 }],
      execution: venue,
      clock,
      strategies: [new BuyThenCancel()],
    });
    const events: OrderEvent['type'][] = [];
    engine.orderEvents$.subscribe((e) => events.push(e.type));
    const failures: string[] = [];
    engine.strategyEvents$.subscribe((e) => {
      if (e.type === 'StrategyFailed') failures.push(`${e.hook}: ${e.message}`);
    });
    await engine.start();
    for (let i = 0; i < 3; i++) {
      clock.set(bar(i).ts);
      engine.processBar(bar(i));
      await Promise.resolve();
    }
    await engine.stop();
    expect(failures).toEqual([]);
    expect(venue.bars).toBe(3);
    expect(engine.positions()[0]?.quantity).toBe(1);
    expect(events).toEqual([
      'OrderSubmitted',
      'OrderAccepted',
      'OrderSubmitted',
      'OrderAccepted',
      'OrderFilled',
      'OrderPendingCancel',
      'OrderCanceled',
    ]);
  });
});
