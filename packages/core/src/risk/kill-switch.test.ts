import { describe, expect, it } from 'vitest';
import type { OrderEvent } from '../model/order-events';
import { BaseStrategy } from '../strategy/base-strategy';
import { flattenLateFill, type KillSwitchTarget, killSwitch } from './kill-switch';
import { riskHarness } from './test-support';

describe('killSwitch', () => {
  it('halts, cancels every open order and leaves positions, in one call visible on riskState$', async () => {
    const h = await riskHarness();
    h.tick(100);
    h.send({ quantity: 10 });
    h.tick(100);
    const resting = h.send({ quantity: 5, type: 'limit', price: 90 });
    const result = killSwitch(h.engine, { reason: 'operator' });
    expect(result).toEqual({ canceled: 1, cancelRequested: [resting.clientOrderId], flattenOrders: [] });
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

  describe('on an asynchronous venue, an order that fills before its cancel lands', () => {
    /** The engine as a fleet's risk role sees it: a cancel is a request, and the order works until it lands. */
    const slowCancels = (engine: KillSwitchTarget): KillSwitchTarget => ({
      holds: engine.holds,
      openOrders: () => engine.openOrders(),
      cancel: () => true,
      submit: (request) => engine.submit(request),
      accountBook: (id) => engine.accountBook(id),
      accounts: () => engine.accounts(),
    });

    it('a buy working at a flat kill: its fill is flattened after, reduce-only, and the account ends flat and HALTED', async () => {
      const h = await riskHarness();
      h.tick(100);
      const buy = h.send({ quantity: 10 });
      const options = { reason: 'operator', flatten: true } as const;
      const target = slowCancels(h.engine);
      const result = killSwitch(target, options);
      // Flat when the switch was pressed: nothing to flatten; the buy's cancel is on its way.
      expect(result).toMatchObject({ cancelRequested: [buy.clientOrderId], flattenOrders: [] });
      h.tick(101); // the venue fills the buy first
      expect(h.engine.positions('acc')[0]?.quantity).toBe(10);
      const fill = h.events.find((e) => e.type === 'OrderFilled' && e.clientOrderId === buy.clientOrderId);
      const late = flattenLateFill(target, fill as OrderEvent & { type: 'OrderFilled' }, options);
      expect(late.map((o) => [o.side, o.quantity, o.reduceOnly, o.strategyId, o.status])).toEqual([
        ['sell', 10, true, buy.strategyId, 'accepted'],
      ]);
      expect(h.engine.tradingState('acc')).toBe('HALTED');
      h.tick(102);
      expect(h.engine.positions('acc')[0]?.quantity).toBe(0);
    });

    it('a buy working at a long kill fills while the flatten works: only what the flatten does not cover is closed', async () => {
      const h = await riskHarness();
      h.tick(100);
      h.send({ quantity: 100 });
      h.tick(100);
      h.send({ quantity: 10 });
      const options = { reason: 'operator', flatten: true } as const;
      const target = slowCancels(h.engine);
      const { cancelRequested, flattenOrders } = killSwitch(target, options);
      expect(flattenOrders.map((o) => [o.side, o.quantity])).toEqual([['sell', 100]]);
      // As the docs wire it: each fill of an order whose cancel was requested, as it happens.
      const late: unknown[][] = [];
      h.engine.fills$.subscribe((f) => {
        if (!cancelRequested.includes(f.clientOrderId)) return;
        for (const o of flattenLateFill(target, f, options)) late.push([o.side, o.quantity, o.reduceOnly]);
      });
      h.tick(101); // the buy fills before the flatten's sell: 110 held, 100 of it being closed
      expect(late).toEqual([['sell', 10, true]]);
      h.tick(102);
      expect(h.engine.positions('acc')[0]?.quantity).toBe(0);
    });

    it('a sell working at a long kill fills first: the flatten, reduce-only, fills nothing instead of flipping the position', async () => {
      const h = await riskHarness();
      h.tick(100);
      h.send({ quantity: 10 });
      h.tick(100);
      const sell = h.send({ side: 'sell', quantity: 10 });
      const result = killSwitch(slowCancels(h.engine), { reason: 'operator', flatten: true });
      expect(result.cancelRequested).toEqual([sell.clientOrderId]);
      const [flatten] = result.flattenOrders;
      expect(flatten).toMatchObject({ side: 'sell', quantity: 10, reduceOnly: true });
      h.tick(101); // both fill at this bar: the strategy's sell closes the position, the flatten finds nothing
      h.tick(102);
      expect(h.engine.positions('acc')[0]?.quantity ?? 0).toBe(0);
      expect(h.engine.order(flatten?.clientOrderId as string)?.filledQty).toBe(0);
    });

    it('does nothing once trading resumed, or for a kill switch that did not flatten', async () => {
      const h = await riskHarness();
      h.tick(100);
      h.send({ quantity: 10 });
      h.tick(101);
      const fill = { accountId: 'acc', instrumentId: 'SPX', strategyId: 'manual' };
      expect(flattenLateFill(h.engine, fill, { reason: 'halt only' })).toEqual([]);
      killSwitch(h.engine, { reason: 'x', flatten: true });
      h.engine.holds.releaseAll({ reason: 'operator resumed' });
      expect(flattenLateFill(h.engine, fill, { reason: 'x', flatten: true })).toEqual([]);
    });
  });
});
