import { describe, expect, it } from 'vitest';
import type { OrderEvent } from '../model/order-events';
import { BaseStrategy } from '../strategy/base-strategy';
import { killSwitch } from './kill-switch';
import { riskHarness } from './test-support';

describe('killSwitch', () => {
  it('halts, cancels every open order and leaves positions, in one call visible on riskState$', async () => {
    const h = await riskHarness();
    h.tick(100);
    h.send({ quantity: 10 });
    h.tick(100);
    const resting = h.send({ quantity: 5, type: 'limit', price: 90 });
    const result = killSwitch(h.engine, { reason: 'operator' });
    expect(result).toEqual({ canceled: 1, flattenOrders: [] });
    expect(h.engine.order(resting.clientOrderId)?.status).toBe('canceled');
    expect(h.engine.tradingState('acc')).toBe('HALTED');
    expect(h.states.at(-1)).toMatchObject({ state: 'HALTED', reason: 'operator', accountId: undefined });
    expect(h.send({ side: 'sell', quantity: 10 }).status).toBe('denied');
    expect(h.lastDenial()).toMatchObject({ reason: 'TRADING_HALTED', message: 'TRADING_HALTED: operator' });
    h.tick(100);
    expect(h.engine.positions('acc')[0]?.quantity).toBe(10);
  });

  it('flattens each account net through the strategies that hold it, and ends HALTED', async () => {
    const h = await riskHarness();
    h.tick(100);
    h.send({ strategyId: 'a', quantity: 10 });
    h.send({ strategyId: 'b', quantity: 5 });
    h.send({ strategyId: 'c', side: 'sell', quantity: 3 });
    h.tick(100); // net long 12: a +10, b +5, c −3
    const result = killSwitch(h.engine, { reason: 'drawdown', flatten: true });
    expect(result.flattenOrders.map((o) => [o.side, o.quantity, o.strategyId, o.status])).toEqual([
      ['sell', 10, 'a', 'accepted'],
      ['sell', 2, 'b', 'accepted'],
    ]);
    expect(h.states.slice(-2).map((s) => [s.state, s.reason])).toEqual([
      ['REDUCING', 'drawdown'],
      ['HALTED', 'drawdown'],
    ]);
    h.tick(101); // the flattening orders fill at this bar's open
    expect(h.engine.positions('acc')[0]?.quantity).toBe(0);
    const virtual = (id: string) => h.engine.strategyPositions(id, 'acc')[0]?.quantity;
    // a is flat; b and c hedge each other (+3 / −3): closing them would grow the account's position.
    expect([virtual('a'), virtual('b'), virtual('c')]).toEqual([0, 3, -3]);
  });

  it('one account only: the other keeps trading', async () => {
    const h = await riskHarness({
      accounts: [
        { id: 'acc', initialCash: 100_000 },
        { id: 'other', initialCash: 100_000 },
      ],
    });
    h.tick(100);
    h.send({ accountId: 'acc', quantity: 3 });
    h.send({ accountId: 'other', quantity: 3 });
    h.tick(100);
    killSwitch(h.engine, { reason: 'acc breached', flatten: true, accountId: 'acc' });
    expect(h.engine.tradingState('acc')).toBe('HALTED');
    expect(h.engine.tradingState('other')).toBe('ACTIVE');
    expect(h.states.at(-1)).toMatchObject({ accountId: 'acc', state: 'HALTED' });
    expect(h.send({ accountId: 'other', quantity: 1 }).status).toBe('accepted');
    h.tick(100);
    expect(h.engine.positions().map((p) => [p.accountId, p.quantity])).toEqual([
      ['acc', 0],
      ['other', 4],
    ]);
  });

  it('a strategy reacting to the cancel cannot slip a new order in', async () => {
    class Stubborn extends BaseStrategy {
      readonly statuses: string[] = [];
      override onBar(): void {
        if (this.context.openOrders().length === 0) this.buy(1, { price: 90 });
      }
      override onOrderEvent(event: OrderEvent): void {
        if (event.type === 'OrderCanceled') this.statuses.push(this.buy(1, { price: 90 }).status);
      }
    }
    const stubborn = new Stubborn();
    const h = await riskHarness({ strategies: [stubborn] });
    h.tick(100);
    killSwitch(h.engine, { reason: 'stop' });
    expect(stubborn.statuses).toEqual(['denied']);
    expect(h.engine.openOrders()).toEqual([]);
  });
});
