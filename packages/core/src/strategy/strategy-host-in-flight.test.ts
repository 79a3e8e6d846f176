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
