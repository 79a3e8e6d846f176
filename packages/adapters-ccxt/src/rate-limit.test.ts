import {
  createMemoryRateLimiter,
  createOrder,
  isRxtradeError,
  type Order,
  type OrderRequest,
} from '@rxtrade/core';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeExchange, startFake } from '../test/helpers';
import { CcxtExecutionClient } from './execution-client';
import { binanceRequestCosts, shareRateLimit } from './rate-limit';
import type { FakeBinance } from './testing/index';

let seq = 0;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
function order(): Order {
  const o = createOrder(
    { instrumentId: 'BTCUSDT', side: 'buy', type: 'limit', price: 20_000, quantity: 0.001 } as OrderRequest,
    {
      clientOrderId: `rx-rl-${++seq}`,
      accountId: 'acc',
      strategyId: 'S',
      quantityPrecision: 5,
      ts: Date.now(),
    },
  );
  return { ...o, status: 'submitted' };
}

const buckets = {
  'ip-weight': { limit: 60, windowMs: 1_000 },
  'uid-orders': { limit: 20, windowMs: 1_000 },
  'uid-orders-day': { limit: 100_000, windowMs: 86_400_000 },
};

describe('shareRateLimit', () => {
  let fake: FakeBinance;
  let client: CcxtExecutionClient;
  afterEach(async () => {
    await client.disconnect();
    await fake.close();
  });

  async function setUp(options: { rateLimitRetryMs?: number } = {}) {
    fake = await startFake({
      balances: { USDT: 1e9, BTC: 1e3 },
      rateLimits: { weight: { limit: 60, windowMs: 1_000 }, orders: { limit: 20, windowMs: 1_000 } },
    });
    const exchange = fakeExchange(fake);
    const limiter = createMemoryRateLimiter({ buckets });
    shareRateLimit(exchange, { limiter });
    client = new CcxtExecutionClient({ exchange, symbols: ['BTC/USDT'], pollIntervalMs: 0, ...options });
    await client.connect();
    return { exchange, limiter };
  }

  it('keeps a burst of orders under the venue limits: no 429, every order placed once', async () => {
    await setUp();
    const orders = Array.from({ length: 60 }, order);
    const started = Date.now();
    await Promise.all(orders.map((o) => client.submitOrder(o)));
    expect(fake.rateStats.answered429 + fake.rateStats.answered418).toBe(0);
    expect(fake.rateStats.peakOrders).toBeLessThanOrEqual(20);
    const placed = fake.orders.map((o) => o.clientOrderId).sort();
    expect(placed).toEqual(orders.map((o) => o.clientOrderId).sort());
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900); // 60 orders at 20 per second
  });

  it('counts an order until the venue answered it: a slow network never puts two windows of orders in one', async () => {
    await setUp();
    // The venue counts orders in fixed 1 s windows as they arrive. Start 100 ms before a window ends
    // and let the first 20 orders take 250 ms to get there: they count in the next window. A limiter
    // that dated them at sending would grant the next 20 one second later, into that same window.
    while (Date.now() % 1_000 < 850 || Date.now() % 1_000 >= 900) await sleep(5);
    fake.fault({ path: '/api/v3/order', fault: { kind: 'latency', ms: 250 }, times: 20 });
    const orders = Array.from({ length: 40 }, order);
    await Promise.all(orders.map((o) => client.submitOrder(o)));
    expect(fake.rateStats.answered429 + fake.rateStats.answered418).toBe(0);
    expect(fake.rateStats.peakOrders).toBeLessThanOrEqual(20);
    expect(fake.orders.map((o) => o.clientOrderId).sort()).toEqual(orders.map((o) => o.clientOrderId).sort());
  });

  it('penalizes the limiter for the Retry-After of a 429, so the next request waits', async () => {
    const { limiter } = await setUp({ rateLimitRetryMs: 0 });
    fake.fault({ path: '/api/v3/order', fault: { kind: 'rateLimit', retryAfterSeconds: 3 } });
    const error = await client.submitOrder(order()).catch((e: unknown) => e);
    expect(isRxtradeError(error) && error.details?.['reason']).toBe('VENUE_RATE_LIMITED');
    const wait = await limiter.tryAcquire({ 'ip-weight': 1 });
    expect(wait).toBeGreaterThan(2_500);
    expect(wait).toBeLessThanOrEqual(3_000);
  });

  it('sends an order refused 429 again once the shared back-off is over, under the same id, placed once', async () => {
    await setUp();
    fake.fault({ path: '/api/v3/order', fault: { kind: 'rateLimit', retryAfterSeconds: 2 } });
    const o = order();
    const started = Date.now();
    await client.submitOrder(o);
    const posts = fake.requestsTo('POST', '/api/v3/order');
    expect(posts.map((r) => [r.status, r.params['newClientOrderId']])).toEqual([
      [429, o.clientOrderId],
      [200, o.clientOrderId],
    ]);
    // The resend waited for the limiter's penalty (the venue's Retry-After), not just the local 1 s.
    expect((posts[1]?.ts ?? 0) - (posts[0]?.ts ?? 0)).toBeGreaterThanOrEqual(1_900);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(fake.orders.filter((f) => f.clientOrderId === o.clientOrderId)).toHaveLength(1);
  });

  it('costs an OCO order list two orders', () => {
    expect(
      binanceRequestCosts({ api: 'private', method: 'POST', path: 'orderList/oco', params: {} }),
    ).toEqual({
      'ip-weight': 1,
      'uid-orders': 2,
      'uid-orders-day': 2,
    });
  });

  it('costs a Binance order its weight and one order in each order bucket', () => {
    expect(binanceRequestCosts({ api: 'private', method: 'POST', path: 'order', params: {} })).toEqual({
      'ip-weight': 1,
      'uid-orders': 1,
      'uid-orders-day': 1,
    });
    expect(binanceRequestCosts({ api: 'public', method: 'GET', path: 'exchangeInfo', params: {} })).toEqual({
      'ip-weight': 20,
    });
  });
});
