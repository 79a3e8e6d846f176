import { createOrder, type Order, type OrderRequest } from '@rxtrade/core';
import type { Exchange, MarketInterface } from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeExchange, startFake } from '../test/helpers';
import { CCXT_PRECISION_MODE, decimalsOf, instrumentFromMarket } from './instruments';
import { toVenueOrder } from './precision';
import type { FakeBinance } from './testing/index';

let fake: FakeBinance;
let exchange: Exchange;

beforeAll(async () => {
  fake = await startFake({
    symbols: [
      {
        symbol: 'BTCUSDT',
        base: 'BTC',
        quote: 'USDT',
        tickSize: '0.01000000',
        stepSize: '0.00001000',
        minQty: '0.00001000',
        maxQty: '9000.00000000',
        minNotional: '5.00000000',
      },
      {
        symbol: 'DOGEUSDT',
        base: 'DOGE',
        quote: 'USDT',
        tickSize: '0.00001000',
        stepSize: '1.00000000',
        minQty: '1.00000000',
        maxQty: '9000000.00000000',
        minNotional: '1.00000000',
      },
    ],
  });
  exchange = fakeExchange(fake);
  await exchange.loadMarkets();
});
afterAll(async () => {
  await fake.close();
});

const market = (symbol: string): MarketInterface => exchange.markets?.[symbol] as MarketInterface;
const rules = {
  amountToPrecision: (s: string, a: number) => exchange.amountToPrecision(s, a) as string,
  priceToPrecision: (s: string, p: number) => exchange.priceToPrecision(s, p) as string,
};
const order = (
  request: Partial<OrderRequest> & { quantity: number },
  id = 'rx-1-S-1',
  quantityPrecision = 5,
): Order =>
  createOrder({ instrumentId: 'BTCUSDT', side: 'buy', type: 'market', ...request } as OrderRequest, {
    clientOrderId: id,
    accountId: 'acc',
    strategyId: 'S',
    quantityPrecision,
    ts: 0,
  });

describe('instrumentFromMarket', () => {
  it('takes tick, lot, min quantity and min notional from Binance filters', () => {
    const btc = instrumentFromMarket(market('BTC/USDT'), { precisionMode: exchange.precisionMode as number });
    expect(btc).toMatchObject({
      id: 'BTCUSDT',
      pricePrecision: 2,
      quantityPrecision: 5,
      tickSize: 0.01,
      lotSize: 0.00001,
      minQuantity: 0.00001,
      maxQuantity: 9000,
      minNotional: 5,
      quoteCurrency: 'USDT',
      takerFee: 0.001,
    });
    const doge = instrumentFromMarket(market('DOGE/USDT'), {
      precisionMode: exchange.precisionMode as number,
    });
    expect(doge).toMatchObject({
      pricePrecision: 5,
      quantityPrecision: 0,
      tickSize: 0.00001,
      lotSize: 1,
      minNotional: 1,
    });
  });

  it('reads decimal-places precision, and refuses significant digits (no fixed grid)', () => {
    const m = { ...market('BTC/USDT'), precision: { price: 2, amount: 5 } } as MarketInterface;
    expect(instrumentFromMarket(m, { precisionMode: CCXT_PRECISION_MODE.DECIMAL_PLACES })).toMatchObject({
      tickSize: 0.01,
      lotSize: 0.00001,
    });
    expect(() => instrumentFromMarket(m, { precisionMode: CCXT_PRECISION_MODE.SIGNIFICANT_DIGITS })).toThrow(
      /significant digits/,
    );
  });

  it('counts decimals of steps written in exponent form', () => {
    expect([
      decimalsOf(0.01),
      decimalsOf(1e-8),
      decimalsOf(1.5e-7),
      decimalsOf(5),
      decimalsOf(0.00001),
    ]).toEqual([2, 8, 8, 0, 5]);
  });
});

describe('toVenueOrder: the exchange precision rules before sending', () => {
  it('sends quantity and price as exact strings on the grid, and the client order id as the venue’s', () => {
    const mapped = toVenueOrder(
      order({ type: 'limit', price: 29_999.99, quantity: 0.1 + 0.2 }),
      market('BTC/USDT'),
      rules,
    );
    expect(mapped).toEqual({
      ok: true,
      request: {
        symbol: 'BTC/USDT',
        type: 'limit',
        side: 'buy',
        amount: '0.3',
        price: '29999.99',
        params: { clientOrderId: 'rx-1-S-1', timeInForce: 'GTC' },
      },
    });
  });

  it('refuses rather than changes an order off the grid', () => {
    const cases: [Partial<OrderRequest> & { quantity: number }, string][] = [
      [{ quantity: 0.000015 }, 'QUANTITY_OFF_LOT'],
      [{ quantity: 0.000001 }, 'BELOW_MIN_QUANTITY'],
      [{ quantity: 9000.00001 }, 'MAX_QUANTITY_EXCEEDED'],
      [{ type: 'limit', price: 30_000.005, quantity: 0.001 }, 'PRICE_OFF_TICK'],
      [{ type: 'limit', price: 20_000, quantity: 0.0002 }, 'BELOW_MIN_NOTIONAL'],
      [{ type: 'stop', triggerPrice: 20_000, quantity: 0.001 }, 'UNSUPPORTED_ORDER_TYPE'],
      [{ type: 'limit', price: 20_000, quantity: 0.001, timeInForce: 'DAY' }, 'UNSUPPORTED_TIME_IN_FORCE'],
      [{ quantity: 0.001, reduceOnly: true }, 'UNSUPPORTED_REDUCE_ONLY'],
    ];
    for (const [request, reason] of cases) {
      const mapped = toVenueOrder(order(request, 'rx-1-S-1', 6), market('BTC/USDT'), rules);
      expect(mapped, reason).toMatchObject({ ok: false, reason });
    }
  });

  it('refuses a client order id the venue would not accept', () => {
    const mapped = toVenueOrder(order({ quantity: 0.001 }, 'x'.repeat(37)), market('BTC/USDT'), rules);
    expect(mapped).toMatchObject({ ok: false, reason: 'INVALID_CLIENT_ORDER_ID' });
  });

  it('maps whole-unit lots (DOGE) and a stop-limit with its trigger on the tick', () => {
    const doge = toVenueOrder(
      order(
        { instrumentId: 'DOGEUSDT', type: 'stopLimit', price: 0.12345, triggerPrice: 0.1235, quantity: 100 },
        'rx-1-S-2',
        0,
      ),
      market('DOGE/USDT'),
      rules,
    );
    expect(doge).toMatchObject({
      ok: true,
      request: { amount: '100', price: '0.12345', params: { triggerPrice: '0.1235' } },
    });
    const half = toVenueOrder(
      order({ instrumentId: 'DOGEUSDT', quantity: 10.5 }, 'rx-1-S-3', 1),
      market('DOGE/USDT'),
      rules,
    );
    expect(half).toMatchObject({ ok: false, reason: 'QUANTITY_OFF_LOT' });
  });
});
