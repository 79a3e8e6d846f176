import { describe, expect, it } from 'vitest';
import { defineInstrument } from '../model/instrument';
import { createOrder, type Order, type OrderRequest, type OrderStatus } from '../model/order';
import {
  openSideUnits,
  pendingSameSideUnits,
  reducesPosition,
  reducesPositionWithOpenOrders,
} from './pre-trade';

const COIN = defineInstrument({ id: 'COIN', pricePrecision: 2, quantityPrecision: 3 });

let seq = 0;
const order = (request: Partial<OrderRequest>, status: OrderStatus = 'accepted'): Order => ({
  ...createOrder(
    { instrumentId: 'COIN', side: 'buy', type: 'limit', price: 10, quantity: 1, ...request } as OrderRequest,
    {
      clientOrderId: `o${++seq}`,
      accountId: 'acc',
      strategyId: 's',
      quantityPrecision: 3,
      ts: 0,
    },
  ),
  status,
});

describe('openSideUnits', () => {
  const open = [
    order({ quantity: 1.5 }),
    order({ quantity: 0.25 }, 'pendingCancel'),
    order({ quantity: 7, side: 'sell' }),
    order({ quantity: 9, instrumentId: 'OTHER' }),
    { ...order({ quantity: 2 }, 'partiallyFilled'), filledQty: 1.2, leavesQty: 0.8 },
  ];

  it('sums what is left to fill on one instrument and side, in quantity units', () => {
    expect(openSideUnits(open, { instrumentId: 'COIN', side: 'buy' })).toBe(1_500 + 250 + 800);
    expect(openSideUnits(open, { instrumentId: 'COIN', side: 'sell' })).toBe(7_000);
    expect(openSideUnits(open, { instrumentId: 'NONE', side: 'buy' })).toBe(0);
  });

  it('counts orders waiting for a cancel unless told to skip them (the REDUCING check)', () => {
    expect(openSideUnits(open, { instrumentId: 'COIN', side: 'buy', pendingCancel: 'count' })).toBe(2_550);
    expect(openSideUnits(open, { instrumentId: 'COIN', side: 'buy', pendingCancel: 'skip' })).toBe(2_300);
    const map = new Map(open.map((o) => [o.clientOrderId, o]));
    expect(pendingSameSideUnits(order({ quantity: 1 }), map)).toBe(2_300);
    expect(pendingSameSideUnits(order({ quantity: 1, side: 'sell' }), map)).toBe(7_000);
  });
});

describe('reducesPosition', () => {
  it('is true only for an order against the position no larger than it', () => {
    expect(reducesPosition(order({ side: 'sell', quantity: 1.5 }), 1.5, 3)).toBe(true);
    expect(reducesPosition(order({ side: 'sell', quantity: 1.501 }), 1.5, 3)).toBe(false);
    expect(reducesPosition(order({ side: 'buy', quantity: 0.001 }), 1.5, 3)).toBe(false);
    expect(reducesPosition(order({ side: 'buy', quantity: 0.5 }), -0.5, 3)).toBe(true);
    expect(reducesPosition(order({ side: 'sell', quantity: 0.5 }), 0, 3)).toBe(false);
  });
});

describe('reducesPositionWithOpenOrders', () => {
  const ctx = (o: Order, positionQty: number, open: Order[] = []) => ({
    order: o,
    instrument: COIN,
    positionQty,
    openOrders: new Map(open.map((x) => [x.clientOrderId, x])),
  });

  it('counts the open orders of the same side, so two sells cannot flip a long', () => {
    const sell = order({ side: 'sell', quantity: 1 });
    expect(reducesPositionWithOpenOrders(ctx(sell, 1))).toBe(true);
    expect(reducesPositionWithOpenOrders(ctx(sell, 1, [order({ side: 'sell', quantity: 0.001 })]))).toBe(
      false,
    );
    // A sell waiting for its cancel does not count: the flatten goes on while cancels are in flight.
    expect(
      reducesPositionWithOpenOrders(ctx(sell, 1, [order({ side: 'sell', quantity: 1 }, 'pendingCancel')])),
    ).toBe(true);
    // Open buys add to a short's cover the same way.
    const buy = order({ side: 'buy', quantity: 0.5 });
    expect(reducesPositionWithOpenOrders(ctx(buy, -1, [order({ side: 'buy', quantity: 0.5 })]))).toBe(true);
    expect(reducesPositionWithOpenOrders(ctx(buy, -1, [order({ side: 'buy', quantity: 0.501 })]))).toBe(
      false,
    );
    expect(reducesPositionWithOpenOrders(ctx(buy, 0))).toBe(false);
  });
});
