import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeExchange, startFake } from '../../test/helpers';
import { ccxtErrorNames } from '../errors';
import type { FakeBinance } from './fake-binance';

let fake: FakeBinance;
const now = Date.UTC(2026, 0, 5);

beforeEach(async () => {
  fake = await startFake({ now: () => now });
});
afterEach(async () => {
  await fake.close();
});

const failure = async (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'ok',
    (error: unknown) => `${[...ccxtErrorNames(error)][0]}: ${(error as Error).message}`,
  );

describe('FakeBinance', () => {
  it('checks the API key, the HMAC-SHA256 signature and the recvWindow', async () => {
    const exchange = fakeExchange(fake);
    await exchange.loadMarkets();
    exchange.options['adjustForTimeDifference'] = false;
    exchange.nonce = () => now;
    expect(await failure(exchange.fetchBalance())).toBe('ok');
    exchange.secret = 'wrong';
    expect(await failure(exchange.fetchBalance())).toMatch(/-1022/);
    exchange.secret = fake.secret;
    exchange.apiKey = 'other';
    expect(await failure(exchange.fetchBalance())).toMatch(/-2015/);
    exchange.apiKey = fake.apiKey;
    exchange.nonce = () => now - 60_000;
    expect(await failure(exchange.fetchBalance())).toMatch(/-1021/);
  });

  it('refuses a client order id of an open order, and accepts one of a finished order as a new order', async () => {
    const exchange = fakeExchange(fake);
    exchange.nonce = () => now;
    const params = { clientOrderId: 'same-id', timeInForce: 'GTC' };
    await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 20_000, params);
    expect(await failure(exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 20_000, params))).toMatch(
      /Duplicate order sent/,
    );
    fake.fillOrder('same-id');
    // What makes a blind resend unsafe: once the first has filled, the same id places a second order.
    expect(await failure(exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 20_000, params))).toBe('ok');
    expect(fake.orders.filter((o) => o.clientOrderId === 'same-id')).toHaveLength(2);
  });

  it('records every request, and answers routes it does not serve with 404', async () => {
    const exchange = fakeExchange(fake);
    exchange.nonce = () => now;
    await failure(
      (
        exchange as unknown as { sapiGetCapitalConfigGetall(): Promise<unknown> }
      ).sapiGetCapitalConfigGetall(),
    );
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/sapi/v1/capital/config/getall',
      status: 404,
    });
  });

  it('serves klines of the price path with the forming bar last', async () => {
    const exchange = fakeExchange(fake);
    const rows = await exchange.fetchOHLCV('BTC/USDT', '1m', undefined, 3);
    expect(rows).toHaveLength(3);
    expect(rows.at(-1)?.[0]).toBe(Math.floor(now / 60_000) * 60_000);
  });
});
