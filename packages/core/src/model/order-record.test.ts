import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRxtradeError } from '../errors';
import { applyOrderEvent, createOrder, type Order } from './order';
import { OrderSchema, orderFromRecord, orderToRecord } from './order-record';

const base = createOrder(
  {
    instrumentId: 'BTCUSDT',
    side: 'buy',
    type: 'stopLimit',
    quantity: 1.5,
    price: 101.25,
    triggerPrice: 100,
  },
  { clientOrderId: 'c-1', accountId: 'acc', strategyId: 's', quantityPrecision: 3, ts: 1_000 },
);

const corruptCode = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return isRxtradeError(error) ? error.code : error;
  }
  return 'no error';
};

describe('orderToRecord / orderFromRecord', () => {
  it('round-trips an unfilled order (NaN avgPx, no venue id) and a partly filled one', () => {
    expect(orderFromRecord(orderToRecord(base))).toEqual(base);
    const accepted = applyOrderEvent(base, {
      type: 'OrderAccepted',
      clientOrderId: 'c-1',
      accountId: 'acc',
      strategyId: 's',
      instrumentId: 'BTCUSDT',
      tsEvent: 1_001,
      venueOrderId: 'V1',
    });
    const partly = applyOrderEvent(accepted, {
      type: 'OrderFilled',
      clientOrderId: 'c-1',
      accountId: 'acc',
      strategyId: 's',
      instrumentId: 'BTCUSDT',
      tsEvent: 1_002,
      venueOrderId: 'V1',
      tradeId: 'T,1"',
      side: 'buy',
      lastQty: 0.5,
      lastPx: 101.25,
      fee: 0.05,
      feeCurrency: 'USDT',
      liquiditySide: 'maker',
    });
    const record = orderToRecord(partly);
    expect(record).toMatchObject({ venueOrderId: 'V1', filledQty: '0.5', leavesQty: '1', avgPx: '101.25' });
    expect(orderFromRecord(record)).toEqual(partly);
  });

  it('round-trips any valid order exactly, every value through its decimal text', () => {
    const order = fc.record({
      quantity: fc.double({ min: 1e-8, max: 1e12, noNaN: true }),
      filledQty: fc.double({ min: 0, max: 1e12, noNaN: true }),
      avgPx: fc.oneof(fc.constant(Number.NaN), fc.double({ min: 1e-8, max: 1e9, noNaN: true })),
      price: fc.option(fc.double({ min: 1e-8, max: 1e9, noNaN: true }), { nil: undefined }),
      reduceOnly: fc.boolean(),
      tradeIds: fc.array(fc.string({ minLength: 1 }), { maxLength: 4 }),
      tsLast: fc.integer({ min: 1_000, max: 2 ** 45 }),
    });
    fc.assert(
      fc.property(order, (fields) => {
        const o: Order = { ...base, ...fields, leavesQty: fields.quantity };
        expect(orderFromRecord(orderToRecord(o))).toEqual(o);
      }),
      { numRuns: 500 },
    );
  });

  it('reads a journal record of 0.1 (no fill fields) as an unfilled order', () => {
    const { filledQty, leavesQty, avgPx, tradeIds, ...old } = orderToRecord(base);
    expect([filledQty, leavesQty, avgPx, tradeIds]).toEqual(['0', '1.5', 'NaN', '[]']);
    expect(orderFromRecord(old)).toEqual(base);
  });

  it('refuses what is not an order with CORRUPT_STATE, naming the key', () => {
    const good = orderToRecord(base);
    for (const bad of [
      { ...good, side: 'up' },
      { ...good, quantity: '1.5.0' },
      { ...good, quantity: 'Infinity' },
      { ...good, tsInit: '-1' },
      { ...good, reduceOnly: 'yes' },
      { ...good, tradeIds: '[unclosed' },
      { ...good, tradeIds: '{}' },
      { ...good, status: 'lost' },
      { clientOrderId: 'x' },
    ]) {
      expect(corruptCode(() => orderFromRecord(bad, 'exec:order:x'))).toBe('CORRUPT_STATE');
    }
    try {
      orderFromRecord({ ...good, side: 'up' }, 'exec:order:x');
    } catch (error) {
      expect(isRxtradeError(error) && error.details).toEqual({ key: 'exec:order:x' });
    }
  });

  it('OrderSchema accepts an order object as the engine holds it', () => {
    expect(OrderSchema.parse(base)).toEqual(base);
    expect(OrderSchema.safeParse({ ...base, avgPx: Number.POSITIVE_INFINITY }).success).toBe(false);
  });
});

describe('orderFromRecord reads every value the engine writes', () => {
  it('every side, type, time in force and status', () => {
    const sides = ['buy', 'sell'] as const;
    const types = ['market', 'limit', 'stop', 'stopLimit'] as const;
    const tifs = ['GTC', 'IOC', 'FOK', 'DAY'] as const;
    const statuses = [
      'initialized',
      'denied',
      'submitted',
      'accepted',
      'rejected',
      'triggered',
      'pendingCancel',
      'partiallyFilled',
      'filled',
      'canceled',
      'expired',
    ] as const;
    for (const side of sides) expect(orderFromRecord(orderToRecord({ ...base, side })).side).toBe(side);
    for (const type of types) expect(orderFromRecord(orderToRecord({ ...base, type })).type).toBe(type);
    for (const timeInForce of tifs) {
      expect(orderFromRecord(orderToRecord({ ...base, timeInForce })).timeInForce).toBe(timeInForce);
    }
    for (const status of statuses) {
      const o = { ...base, status, previousStatus: status };
      expect(orderFromRecord(orderToRecord(o))).toMatchObject({ status, previousStatus: status });
    }
  });

  it('numbers in exponent form, and nothing around a number', () => {
    const good = orderToRecord(base);
    expect(orderFromRecord({ ...good, quantity: '2e3', leavesQty: '2E+3', price: '1e-7' })).toMatchObject({
      quantity: 2_000,
      leavesQty: 2_000,
      price: 1e-7,
    });
    for (const quantity of ['x1.5', '1.5x', '', 'NaN']) {
      expect(corruptCode(() => orderFromRecord({ ...good, quantity }))).toBe('CORRUPT_STATE');
    }
    const { tradeIds: _, ...noTradeIds } = good;
    expect(orderFromRecord(noTradeIds).tradeIds).toEqual([]);
  });
});

// Issue #15: each case below fails on a mutant of order-record.ts that the cases above leave alive.
describe('orderToRecord / orderFromRecord: optional fields and what is refused', () => {
  const errorOf = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (error) {
      return error;
    }
    return undefined;
  };

  it('leaves absent optional fields out of the record, and reads a market order back', () => {
    const market = createOrder(
      { instrumentId: 'BTCUSDT', side: 'sell', type: 'market', quantity: 2 },
      { clientOrderId: 'm-1', accountId: 'acc', strategyId: 's', quantityPrecision: 0, ts: 5 },
    );
    const record = orderToRecord(market);
    for (const field of ['venueOrderId', 'price', 'triggerPrice', 'previousStatus', 'expireTime']) {
      expect(field in record).toBe(false);
    }
    expect(orderFromRecord(record)).toEqual(market);
  });

  it('round-trips a trailing stop and a GTD order', () => {
    const stop = { ...base, type: 'stop' as const, price: undefined, trailingAmount: 2.5 };
    expect(orderFromRecord(orderToRecord(stop))).toEqual(stop);
    const percent = { ...base, trailingPercent: 1.25 };
    expect(orderFromRecord(orderToRecord(percent))).toEqual(percent);
    const gtd = { ...base, timeInForce: 'GTD' as const, expireTime: 1_700_000_000_000 };
    expect(orderFromRecord(orderToRecord(gtd))).toEqual(gtd);
  });

  it('reads only NaN and decimal text as an average price', () => {
    const good = orderToRecord(base);
    for (const avgPx of ['abc', '', 'x1.5', '1.5x', 'nan']) {
      expect(corruptCode(() => orderFromRecord({ ...good, avgPx }))).toBe('CORRUPT_STATE');
    }
  });

  it('says which record is wrong and why: the default key, a bad JSON list', () => {
    const good = orderToRecord(base);
    const noKey = errorOf(() => orderFromRecord({ ...good, side: 'up' }));
    expect(isRxtradeError(noKey) && [noKey.message, noKey.details]).toEqual([
      'order record order is not valid',
      { key: 'order' },
    ]);
    const badList = errorOf(() => orderFromRecord({ ...good, tradeIds: '[unclosed' }));
    expect(isRxtradeError(badList) && badList.cause).toBeInstanceOf(SyntaxError);
  });
});
