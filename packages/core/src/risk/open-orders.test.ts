import { describe, expect, it } from 'vitest';
import { createOrder, type Order, type OrderStatus } from '../model/order';
import { OpenOrderIndex } from './open-orders';

const order = (clientOrderId: string, accountId: string, status: OrderStatus): Order => ({
  ...createOrder(
    { instrumentId: 'X', side: 'buy', type: 'limit', price: 10, quantity: 1 },
    { clientOrderId, accountId, strategyId: 's', quantityPrecision: 0, ts: 0 },
  ),
  status,
});

describe('OpenOrderIndex', () => {
  it('keeps the latest snapshot of each open order per account and drops it once terminal', () => {
    const index = new OpenOrderIndex();
    expect(index.forAccount('a').size).toBe(0);
    index.track(order('1', 'a', 'submitted'));
    index.track(order('2', 'a', 'accepted'));
    index.track(order('3', 'b', 'accepted'));
    const partly = order('1', 'a', 'partiallyFilled');
    index.track(partly);
    expect([...index.forAccount('a').keys()]).toEqual(['1', '2']);
    expect(index.forAccount('a').get('1')).toBe(partly);
    expect([...index.forAccount('b').keys()]).toEqual(['3']);
    index.track(order('1', 'a', 'filled'));
    index.track(order('3', 'b', 'canceled'));
    expect([...index.forAccount('a').keys()]).toEqual(['2']);
    expect(index.forAccount('b').size).toBe(0);
    // A terminal order of an account never seen is nothing to drop.
    index.track(order('9', 'c', 'rejected'));
    expect(index.forAccount('c').size).toBe(0);
  });
});
