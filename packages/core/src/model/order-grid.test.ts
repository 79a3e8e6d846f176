import { describe, expect, it } from 'vitest';
import { defineInstrument } from './instrument';
import { createOrder, type OrderRequest } from './order';
import { checkOrderGrid, MAX_NOTIONAL_UNITS } from './order-grid';

// Whole shares, a 5-cent tick, at least 100 USD per order, at most 1,000 shares.
const spx = defineInstrument({
  id: 'SPX',
  pricePrecision: 2,
  quantityPrecision: 0,
  tickSize: 0.05,
  minNotional: 100,
  maxQuantity: 1_000,
});
const btc = defineInstrument({ id: 'BTC', pricePrecision: 2, quantityPrecision: 8, lotSize: 0.001 });

const order = (request: Partial<Record<keyof OrderRequest, unknown>>) =>
  createOrder(
    { instrumentId: 'SPX', side: 'buy', type: 'limit', quantity: 2, price: 100, ...request } as OrderRequest,
    {
      clientOrderId: 'o',
      accountId: 'a',
      strategyId: 's',
      quantityPrecision: 0,
      ts: 0,
    },
  );

describe('checkOrderGrid', () => {
  it('passes an order on the grid', () => {
    expect(checkOrderGrid(spx, order({}))).toBeUndefined();
    expect(
      checkOrderGrid(btc, order({ instrumentId: 'BTC', quantity: 0.003, price: 30_000.01 })),
    ).toBeUndefined();
    expect(
      checkOrderGrid(spx, order({ type: 'market', price: undefined }), { referencePrice: 100 }),
    ).toBeUndefined();
  });

  it.each([
    [{ side: 'hold' }, 'INVALID_ORDER'],
    [{ type: 'iceberg' }, 'INVALID_ORDER'],
    [{ timeInForce: 'GTD' }, 'INVALID_ORDER'],
    [{ quantity: 0 }, 'INVALID_QUANTITY'],
    [{ quantity: -0 }, 'INVALID_QUANTITY'],
    [{ quantity: -2 }, 'INVALID_QUANTITY'],
    [{ quantity: Number.NaN }, 'INVALID_QUANTITY'],
    [{ quantity: Number.POSITIVE_INFINITY }, 'INVALID_QUANTITY'],
    [{ quantity: '2' }, 'INVALID_QUANTITY'],
    [{ quantity: 0.5 }, 'QUANTITY_OFF_LOT'],
    [{ quantity: 2.5 }, 'QUANTITY_OFF_LOT'],
    [{ quantity: 1e-12 }, 'BELOW_MIN_QUANTITY'],
    [{ quantity: Number.MIN_VALUE }, 'BELOW_MIN_QUANTITY'],
    [{ quantity: 1_001 }, 'MAX_QUANTITY_EXCEEDED'],
    [{ price: undefined }, 'INVALID_PRICE'],
    [{ price: Number.NaN }, 'INVALID_PRICE'],
    [{ price: -0 }, 'INVALID_PRICE'],
    [{ type: 'stop', price: undefined, triggerPrice: Number.POSITIVE_INFINITY }, 'INVALID_PRICE'],
    [{ price: 100.02 }, 'PRICE_OFF_TICK'],
    [{ price: 1e-12 }, 'PRICE_OFF_TICK'],
    [{ type: 'stopLimit', triggerPrice: 100.01 }, 'PRICE_OFF_TICK'],
    [{ price: 49.95 }, 'BELOW_MIN_NOTIONAL'],
    [{ price: 1e300 }, 'AMOUNT_OUT_OF_RANGE'],
    [{ price: 2 ** 50 }, 'AMOUNT_OUT_OF_RANGE'],
  ])('refuses %j with %s', (fields, reason) => {
    const violation = checkOrderGrid(spx, order(fields));
    expect(violation?.reason).toBe(reason);
    expect(violation?.message.startsWith(`${reason}: `)).toBe(true);
  });

  it('refuses quantities beyond exact integer range and notionals beyond MAX_NOTIONAL_UNITS', () => {
    const unbounded = defineInstrument({ id: 'X', pricePrecision: 2, quantityPrecision: 0 });
    expect(checkOrderGrid(unbounded, order({ quantity: 2 ** 60, price: 1 }))?.reason).toBe(
      'AMOUNT_OUT_OF_RANGE',
    );
    // 2^49 cents is the most one order may be worth; one more share at 1.00 is too much.
    const most = Math.floor(MAX_NOTIONAL_UNITS / 100);
    expect(
      checkOrderGrid(unbounded, order({ type: 'market', price: undefined, quantity: most }), {
        referencePrice: 1,
      }),
    ).toBeUndefined();
    expect(
      checkOrderGrid(unbounded, order({ type: 'market', price: undefined, quantity: most + 1 }), {
        referencePrice: 1,
      })?.reason,
    ).toBe('AMOUNT_OUT_OF_RANGE');
    // A market order without a reference price is judged at fill time (by the venue).
    expect(
      checkOrderGrid(unbounded, order({ type: 'market', price: undefined, quantity: most + 1 })),
    ).toBeUndefined();
  });

  it('refuses a leaves quantity that is not a whole number of lots within the quantity', () => {
    for (const leavesQty of [0, 2.5, 3, Number.NaN]) {
      expect(checkOrderGrid(spx, { ...order({}), leavesQty })?.reason).toBe('INVALID_QUANTITY');
    }
    expect(checkOrderGrid(spx, { ...order({}), leavesQty: 1 })).toBeUndefined();
  });
});
