import { describe, expect, it } from 'vitest';
import { defineInstrument } from '../model/instrument';
import type { Bar } from '../model/market-data';
import type { OrderEvent } from '../model/order-events';
import { BaseStrategy } from './base-strategy';
import { StrategyHost } from './strategy-host';

const bar: Bar = { symbol: 'X', ts: 1, open: 10, high: 10, low: 10, close: 10, volume: 1 };

/** Buys, then at once replaces the order: what a strategy does in one bar with a process boundary in between. */
class Replace extends BaseStrategy {
  seen: number[] = [];
  canceled: boolean[] = [];
  override onBar(): void {
    const first = this.buy(1, { price: 9 });
    this.seen.push(this.context.openOrders().length);
    this.canceled.push(this.cancel(first.clientOrderId));
  }
}

describe('StrategyHost with orders that travel on (the sink returns none)', () => {
  it('lists an order in flight among the open orders and lets the strategy cancel it at once', () => {
    const cancels: string[] = [];
    const host = new StrategyHost({
      instruments: [defineInstrument({ id: 'X', pricePrecision: 2, quantityPrecision: 0 })],
      sink: { submit: () => undefined, cancel: (id) => cancels.push(id) > 0 },
    });
    const strategy = new Replace({ id: 's', symbols: ['X'] });
    host.add(strategy);
    host.start();
    host.onBar(bar);
    expect(strategy.seen).toEqual([1]);
    expect(strategy.canceled).toEqual([true]);
    expect(cancels).toEqual(['s-1']);
    expect(host.openOrderCount('s')).toBe(1);
    const denied: OrderEvent = {
      type: 'OrderDenied',
      clientOrderId: 's-1',
      accountId: 'default',
      strategyId: 's',
      instrumentId: 'X',
      tsEvent: 1,
      reason: 'TRADING_HALTED',
      message: 'halted',
    };
    host.deliver(denied);
    expect(host.openOrderCount('s')).toBe(0);
  });
});

/** Trades nothing; lets the test look at its open orders and cancel one. */
class Idle extends BaseStrategy {
  override onBar(): void {}
  open() {
    return this.context.openOrders();
  }
  cancelOrder(id: string): boolean {
    return this.cancel(id);
  }
}

describe('StrategyHost.follow: an order placed on a strategy’s behalf elsewhere', () => {
  it('is among the strategy’s open orders, cancelable, and its events move it until it ends', () => {
    const cancels: string[] = [];
    const host = new StrategyHost({
      instruments: [defineInstrument({ id: 'X', pricePrecision: 2, quantityPrecision: 0 })],
      sink: { submit: () => undefined, cancel: (id) => cancels.push(id) > 0 },
    });
    const strategy = new Idle({ id: 's', symbols: ['X'] });
    host.add(strategy);
    host.start();
    const origin = { clientOrderId: 's-1-tp', strategyId: 's', accountId: 'default' };
    const base = {
      clientOrderId: 's-1-tp',
      accountId: 'default',
      strategyId: 's',
      instrumentId: 'X',
      tsEvent: 2,
    };
    host.follow(
      { instrumentId: 'X', side: 'sell', type: 'limit', quantity: 3, price: 11, reduceOnly: true },
      origin,
    );
    host.deliver({ ...base, type: 'OrderSubmitted' });
    host.deliver({ ...base, type: 'OrderAccepted', venueOrderId: 'v1' });
    expect(strategy.open().map((o) => [o.clientOrderId, o.status, o.price, o.reduceOnly])).toEqual([
      ['s-1-tp', 'accepted', 11, true],
    ]);
    expect(strategy.cancelOrder('s-1-tp')).toBe(true);
    expect(cancels).toEqual(['s-1-tp']);
    // Following it again (a redelivered placement) changes nothing; an unknown strategy's order is ignored.
    host.follow({ instrumentId: 'X', side: 'sell', type: 'limit', quantity: 9, price: 12 }, origin);
    host.follow(
      { instrumentId: 'X', side: 'sell', type: 'market', quantity: 1 },
      { ...origin, strategyId: 'x' },
    );
    expect(strategy.open().map((o) => o.quantity)).toEqual([3]);
    host.deliver({ ...base, type: 'OrderCanceled' });
    expect(host.openOrderCount('s')).toBe(0);
  });
});
