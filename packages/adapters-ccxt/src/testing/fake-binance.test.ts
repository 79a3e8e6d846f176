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

describe('FakeBinance rate limits', () => {
  it('answers 429 with Retry-After past the weight, then 418 to a client that does not back off', async () => {
    let now = 1_699_999_980_000; // a minute boundary
    const { FakeBinance } = await import('./fake-binance');
    const venue = await FakeBinance.start({
      now: () => now,
      rateLimits: { weight: { limit: 45, windowMs: 60_000 }, banAfter: 2, banMs: 60_000 },
    });
    try {
      const get = async (path: string) => {
        const res = await fetch(`${venue.url}${path}`);
        await res.text();
        return { status: res.status, retryAfter: res.headers.get('retry-after') };
      };
      expect((await get('/api/v3/exchangeInfo')).status).toBe(200); // 20
      expect((await get('/api/v3/exchangeInfo')).status).toBe(200); // 40
      for (let i = 0; i < 5; i++) expect((await get('/api/v3/ping')).status).toBe(200); // 45
      now += 15_000;
      expect(await get('/api/v3/ping')).toEqual({ status: 429, retryAfter: '45' });
      expect(venue.rateStats.peakWeight).toBe(45);
      now += 1_000;
      expect((await get('/api/v3/ping')).status).toBe(429); // 1st request during Retry-After
      expect(await get('/api/v3/ping')).toEqual({ status: 418, retryAfter: '60' }); // 2nd: banned
      now += 45_000; // next window, still banned
      expect((await get('/api/v3/ping')).status).toBe(418);
      now += 30_000;
      expect((await get('/api/v3/ping')).status).toBe(200);
      expect(venue.rateStats).toMatchObject({ answered429: 2, answered418: 2 });
    } finally {
      await venue.close();
    }
  });

  it('counts orders per window per account, refused orders are not placed', async () => {
    let now = 1_700_000_000_000;
    const { FakeBinance } = await import('./fake-binance');
    const venue = await FakeBinance.start({
      now: () => now,
      rateLimits: { orders: { limit: 2, windowMs: 10_000 } },
    });
    try {
      const post = async () => (await fetch(`${venue.url}/api/v3/order`, { method: 'POST' })).status;
      // Unsigned: answered 401 by the venue, but counted against the order limit first, as Binance does.
      expect(await post()).toBe(401);
      expect(await post()).toBe(401);
      expect(await post()).toBe(429);
      now += 10_000;
      expect(await post()).toBe(401);
      expect(venue.rateStats.peakOrders).toBe(2);
    } finally {
      await venue.close();
    }
  });
});

describe('FakeBinance order types and OCO order lists', () => {
  let px = 30_000;
  let venue: FakeBinance;
  let exchange: ReturnType<typeof fakeExchange>;
  beforeEach(async () => {
    px = 30_000;
    venue = await startFake({ now: () => now, price: () => px });
    exchange = fakeExchange(venue);
    exchange.nonce = () => now;
    await exchange.loadMarkets();
  });
  afterEach(async () => {
    await venue.close();
  });
  const oco = (params: Record<string, string>) =>
    (exchange as unknown as { privatePostOrderListOco(p: object): Promise<unknown> }).privatePostOrderListOco(
      {
        symbol: 'BTCUSDT',
        side: 'SELL',
        quantity: '0.001',
        aboveType: 'LIMIT_MAKER',
        aboveClientOrderId: 'tp',
        abovePrice: '31000',
        belowType: 'STOP_LOSS_LIMIT',
        belowClientOrderId: 'sl',
        belowStopPrice: '29000',
        belowPrice: '28900',
        belowTimeInForce: 'GTC',
        ...params,
      },
    );
  const statuses = () => venue.orders.map((o) => `${o.clientOrderId} ${o.type} ${o.status}`);

  it('a fill of one leg expires the other', async () => {
    await oco({});
    expect(statuses()).toEqual(['sl STOP_LOSS_LIMIT NEW', 'tp LIMIT_MAKER NEW']);
    venue.fillOrder('tp', { qty: 0.0005 }); // even in part
    expect(statuses()).toEqual(['sl STOP_LOSS_LIMIT EXPIRED', 'tp LIMIT_MAKER PARTIALLY_FILLED']);
  });

  it('a trigger of the stop expires the limit; the stop-limit then works as a limit', async () => {
    await oco({});
    px = 28_800; // a gap through 29,000 and below the limit 28,900: triggered, resting as a sell limit
    await exchange.fetchOpenOrders('BTC/USDT');
    expect(statuses()).toEqual(['sl STOP_LOSS_LIMIT NEW', 'tp LIMIT_MAKER EXPIRED']);
    expect(venue.orders[0]?.isWorking).toBe(true);
    px = 28_900;
    await exchange.fetchOpenOrders('BTC/USDT');
    expect(statuses()).toEqual(['sl STOP_LOSS_LIMIT FILLED', 'tp LIMIT_MAKER EXPIRED']);
    expect(venue.trades.map((t) => [t.price, t.isMaker])).toEqual([[28_900, true]]);
  });

  it('canceling either leg cancels both', async () => {
    await oco({});
    await exchange.cancelOrder(undefined as unknown as string, 'BTC/USDT', { clientOrderId: 'sl' });
    expect(statuses()).toEqual(['sl STOP_LOSS_LIMIT CANCELED', 'tp LIMIT_MAKER CANCELED']);
  });

  it('refuses a LIMIT_MAKER that would take, a stop that would trigger at once, a wrong combination — placing nothing', async () => {
    expect(await failure(oco({ abovePrice: '29500' }))).toMatch(/^OrderImmediatelyFillable/);
    expect(await failure(oco({ belowStopPrice: '30100', belowPrice: '30000' }))).toMatch(
      /trigger immediately/,
    );
    expect(await failure(oco({ aboveType: 'STOP_LOSS_LIMIT' }))).toMatch(/-1014/);
    expect(venue.orders).toEqual([]);
  });

  it('takes only the order types the symbol lists: no stop-market by default', async () => {
    expect(
      await failure(
        exchange.createOrder('BTC/USDT', 'market', 'sell', 0.001, undefined, { triggerPrice: 29_000 }),
      ),
    ).toMatch(/^InvalidOrder: .*not allowed/);
    expect(
      await failure(
        exchange.createOrder('BTC/USDT', 'limit', 'sell', 0.001, 28_900, { triggerPrice: 29_000 }),
      ),
    ).toBe('ok');
    expect(statuses()).toEqual([`${venue.orders[0]?.clientOrderId} STOP_LOSS_LIMIT NEW`]);
  });
});
