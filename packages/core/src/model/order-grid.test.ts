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
    [{ timeInForce: 'GTX' }, 'INVALID_ORDER'],
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

  it('passes every known side and time in force, and a quantity at the maximum', () => {
    for (const side of ['buy', 'sell']) expect(checkOrderGrid(spx, order({ side }))).toBeUndefined();
    for (const timeInForce of ['GTC', 'IOC', 'FOK', 'DAY']) {
      expect(checkOrderGrid(spx, order({ timeInForce }))).toBeUndefined();
    }
    expect(checkOrderGrid(spx, order({ quantity: 1_000 }))).toBeUndefined();
  });

  it('says in the message what is wrong, numbers as a person writes them', () => {
    const message = (instrument: typeof spx, fields: Parameters<typeof order>[0], leavesQty?: number) =>
      checkOrderGrid(instrument, leavesQty === undefined ? order(fields) : { ...order(fields), leavesQty })
        ?.message;
    expect(message(spx, { side: 'hold' })).toBe('INVALID_ORDER: side hold is unknown');
    expect(message(spx, { type: 'iceberg' })).toBe('INVALID_ORDER: type iceberg is unknown');
    expect(message(spx, { timeInForce: 'GTX' })).toBe('INVALID_ORDER: timeInForce GTX is unknown');
    expect(message(spx, { quantity: -2 })).toBe('INVALID_QUANTITY: quantity -2 is not a finite number > 0');
    expect(message(btc, { instrumentId: 'BTC', quantity: 0.0015, price: 30_000 })).toBe(
      'QUANTITY_OFF_LOT: 0.0015 is not a multiple of lot 0.001',
    );
    expect(message(spx, { quantity: 1_001 })).toBe('MAX_QUANTITY_EXCEEDED: 1,001 > 1,000');
    const unbounded = defineInstrument({ id: 'X', pricePrecision: 2, quantityPrecision: 0 });
    expect(message(unbounded, { type: 'market', price: undefined, quantity: 1e17 })).toBe(
      'AMOUNT_OUT_OF_RANGE: quantity 100,000,000,000,000,000 is too large to hold exactly',
    );
    expect(message(spx, { quantity: 1e-12 })).toBe('BELOW_MIN_QUANTITY: 0.000000000001 < 1');
    expect(message(spx, {}, 3)).toBe(
      'INVALID_QUANTITY: leaves quantity 3 is not a whole number of lots in (0, 2]',
    );
    expect(message(spx, { price: undefined })).toBe(
      'INVALID_PRICE: price undefined of a limit order is not a finite number > 0',
    );
    expect(message(spx, { type: 'stop', price: undefined, triggerPrice: -1 })).toBe(
      'INVALID_PRICE: triggerPrice -1 of a stop order is not a finite number > 0',
    );
    expect(message(spx, { price: 100.02 })).toBe(
      'PRICE_OFF_TICK: price 100.02 is not a positive multiple of tick 0.05',
    );
    expect(message(spx, { type: 'stopLimit', triggerPrice: 100.01 })).toBe(
      'PRICE_OFF_TICK: triggerPrice 100.01 is not a positive multiple of tick 0.05',
    );
    expect(message(spx, { price: 1e300 })).toBe(
      `AMOUNT_OUT_OF_RANGE: price ${(1e300).toLocaleString('en-US')} is too large to hold exactly`,
    );
    expect(message(spx, { price: 49.95 })).toBe('BELOW_MIN_NOTIONAL: 99.9 < 100');
    expect(message(unbounded, { quantity: 2 ** 48, price: 1 })).toBe(
      'AMOUNT_OUT_OF_RANGE: notional 281,474,976,710,656 is too large to hold exactly',
    );
  });

  it('checks the lot, the minimum quantity and the leaves quantity each on its own', () => {
    // 0.0015 BTC is above the minimum (0.001) but between two lots.
    expect(checkOrderGrid(btc, order({ instrumentId: 'BTC', quantity: 0.0015, price: 30_000 }))?.reason).toBe(
      'QUANTITY_OFF_LOT',
    );
    // On the lot, below a minimum of five shares.
    const five = defineInstrument({ id: 'F', pricePrecision: 2, quantityPrecision: 0, minQuantity: 5 });
    expect(checkOrderGrid(five, order({ quantity: 2 }))?.reason).toBe('BELOW_MIN_QUANTITY');
    expect(checkOrderGrid(five, order({ quantity: 5 }))).toBeUndefined();
    // A quantity that rounds to no units is below the minimum, even a minimum finer than the grid.
    const fine = defineInstrument({ id: 'T', pricePrecision: 2, quantityPrecision: 0, minQuantity: 1e-13 });
    expect(checkOrderGrid(fine, order({ quantity: 1e-12 }))?.reason).toBe('BELOW_MIN_QUANTITY');
    // Left: a sliver that rounds to no units, half a lot.
    expect(checkOrderGrid(spx, { ...order({}), leavesQty: 1e-12 })?.reason).toBe('INVALID_QUANTITY');
    expect(
      checkOrderGrid(btc, {
        ...order({ instrumentId: 'BTC', quantity: 0.003, price: 30_000 }),
        leavesQty: 0.0015,
      })?.reason,
    ).toBe('INVALID_QUANTITY');
  });

  it('needs both prices of a stop-limit order', () => {
    expect(
      checkOrderGrid(spx, order({ type: 'stopLimit', price: undefined, triggerPrice: 100 }))?.reason,
    ).toBe('INVALID_PRICE');
    expect(checkOrderGrid(spx, order({ type: 'stopLimit', triggerPrice: 100 }))).toBeUndefined();
  });

  it('takes the bounds of the notional and the tick as allowed', () => {
    // Exactly the minimum notional, exactly one tick, exactly MAX_NOTIONAL_UNITS.
    expect(checkOrderGrid(spx, order({ price: 50 }))).toBeUndefined();
    const unbounded = defineInstrument({ id: 'X', pricePrecision: 2, quantityPrecision: 0 });
    expect(checkOrderGrid(unbounded, order({ quantity: 1, price: 0.01 }))).toBeUndefined();
    const market = order({ type: 'market', price: undefined, quantity: MAX_NOTIONAL_UNITS });
    expect(checkOrderGrid(unbounded, market, { referencePrice: 1, currencyPrecision: 0 })).toBeUndefined();
    expect(checkOrderGrid(unbounded, market, { referencePrice: 1.01, currencyPrecision: 0 })?.reason).toBe(
      'AMOUNT_OUT_OF_RANGE',
    );
  });

  it('skips the notional of a market order whose reference price is not finite', () => {
    for (const referencePrice of [Number.POSITIVE_INFINITY, Number.NaN]) {
      expect(
        checkOrderGrid(spx, order({ type: 'market', price: undefined }), { referencePrice }),
      ).toBeUndefined();
    }
  });
});
