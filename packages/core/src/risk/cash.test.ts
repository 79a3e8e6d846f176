import { describe, expect, it } from 'vitest';
import { defineInstrument, type Instrument } from '../model/instrument';
import { createOrder, type Order, type OrderRequest } from '../model/order';
import { reservedCashUnits } from './cash';

const coin = defineInstrument({ id: 'COIN', pricePrecision: 2, quantityPrecision: 3, takerFee: 0.001 });
const stock = defineInstrument({ id: 'STK', pricePrecision: 2, quantityPrecision: 0, makerFee: 0.002 });
const instruments = new Map<string, Instrument>([
  [coin.id, coin],
  [stock.id, stock],
]);
const last = new Map<string, number>([[coin.id, 0.1]]);
const market = {
  instrument: (id: string) => instruments.get(id) as Instrument,
  lastPrice: (id: string) => last.get(id) ?? Number.NaN,
};

let seq = 0;
const open = (request: OrderRequest): Order =>
  createOrder(request, {
    clientOrderId: `o${++seq}`,
    accountId: 'acc',
    strategyId: 's',
    quantityPrecision: instruments.get(request.instrumentId)?.quantityPrecision ?? 0,
    ts: 0,
  });

describe('reservedCashUnits', () => {
  it("holds back each open buy at its limit, else trigger, else last price, with its own instrument's fee", () => {
    const orders = [
      // 3 × 0.10 at the last price = 30 cents; taker fee 0.1 % → 0.03 cents, held as 1.
      open({ instrumentId: 'COIN', side: 'buy', type: 'market', quantity: 3 }),
      // 10 × 50.00 limit = 500.00; the stock's maker fee 0.2 % = 1.00.
      open({ instrumentId: 'STK', side: 'buy', type: 'limit', price: 50, quantity: 10 }),
      // Stop at 60.00 with no limit: valued at the trigger, 2 × 60 = 120.00 + 0.24.
      open({ instrumentId: 'STK', side: 'buy', type: 'stop', triggerPrice: 60, quantity: 2 }),
      // Sells hold no cash.
      open({ instrumentId: 'STK', side: 'sell', type: 'limit', price: 70, quantity: 5 }),
    ];
    expect(reservedCashUnits(orders, market, 2)).toBe(31 + 50_100 + 12_024);
  });

  it('holds nothing for a buy with no price yet, and counts only what is left to fill', () => {
    const unpriced = { ...open({ instrumentId: 'STK', side: 'buy', type: 'market', quantity: 4 }) };
    const partly: Order = {
      ...open({ instrumentId: 'STK', side: 'buy', type: 'limit', price: 10, quantity: 10 }),
      filledQty: 7,
      leavesQty: 3,
    };
    expect(reservedCashUnits([unpriced], market, 2)).toBe(0);
    expect(reservedCashUnits([partly], market, 2)).toBe(3_000 + 6);
    expect(reservedCashUnits([], market, 2)).toBe(0);
  });
});
