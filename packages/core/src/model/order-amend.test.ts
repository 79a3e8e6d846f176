import { describe, expect, it } from 'vitest';
import { applyOrderEvent, createOrder, type Order } from './order';
import type { OrderEvent } from './order-events';

const ids = { clientOrderId: 'o', accountId: 'a', strategyId: 's', instrumentId: 'X' } as const;
const working = (): Order =>
  (
    [
      { type: 'OrderSubmitted', ...ids, tsEvent: 2 },
      { type: 'OrderAccepted', ...ids, tsEvent: 3, venueOrderId: 'V' },
      {
        type: 'OrderFilled',
        ...ids,
        tsEvent: 4,
        venueOrderId: 'V',
        tradeId: 'T1',
        side: 'sell',
        lastQty: 0.3,
        lastPx: 100,
        fee: 0,
        feeCurrency: 'USD',
        liquiditySide: 'maker',
      },
    ] satisfies OrderEvent[]
  ).reduce(
    applyOrderEvent,
    createOrder(
      { instrumentId: 'X', side: 'sell', type: 'stopLimit', quantity: 1, price: 99, triggerPrice: 100 },
      { ...ids, quantityPrecision: 1, ts: 1 },
    ),
  );

describe('OrderUpdated (an amendment the venue made)', () => {
  it('sets the quantity, the leaves and the prices given, and keeps the status', () => {
    const order = applyOrderEvent(working(), {
      type: 'OrderUpdated',
      ...ids,
      tsEvent: 5,
      quantity: 0.7,
      price: 98,
    });
    expect(order).toMatchObject({
      status: 'partiallyFilled',
      quantity: 0.7,
      filledQty: 0.3,
      leavesQty: 0.4,
      price: 98,
      triggerPrice: 100,
      tsLast: 5,
    });
    const trigger = applyOrderEvent(order, {
      type: 'OrderUpdated',
      ...ids,
      tsEvent: 6,
      quantity: 0.7,
      triggerPrice: 101,
    });
    expect(trigger).toMatchObject({ price: 98, triggerPrice: 101, leavesQty: 0.4 });
  });

  it('refuses a quantity at or below what has filled, and leaves the order as it was', () => {
    const order = working();
    for (const quantity of [0.3, 0.2]) {
      expect(() => applyOrderEvent(order, { type: 'OrderUpdated', ...ids, tsEvent: 5, quantity })).toThrow(
        /amended quantity .* is not above the filled 0.3/,
      );
    }
    expect(order).toMatchObject({ quantity: 1, leavesQty: 0.7 });
    const justAbove = applyOrderEvent(order, { type: 'OrderUpdated', ...ids, tsEvent: 5, quantity: 0.4 });
    expect(justAbove.leavesQty).toBe(0.1);
  });

  it('OrderModifyRejected changes nothing but the time', () => {
    const order = working();
    const after = applyOrderEvent(order, { type: 'OrderModifyRejected', ...ids, tsEvent: 9, reason: 'X' });
    expect(after).toEqual({ ...order, tsLast: 9 });
  });
});
