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

  async function setUp() {
    fake = await startFake({
      balances: { USDT: 1e9, BTC: 1e3 },
      rateLimits: { weight: { limit: 60, windowMs: 1_000 }, orders: { limit: 20, windowMs: 1_000 } },
    });
    const exchange = fakeExchange(fake);
    const limiter = createMemoryRateLimiter({ buckets });
    shareRateLimit(exchange, { limiter });
    client = new CcxtExecutionClient({ exchange, symbols: ['BTC/USDT'], pollIntervalMs: 0 });
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

  it('penalizes the limiter for the Retry-After of a 429, so the next request waits', async () => {
    const { limiter } = await setUp();
    fake.fault({ path: '/api/v3/order', fault: { kind: 'rateLimit', retryAfterSeconds: 3 } });
    const error = await client.submitOrder(order()).catch((e: unknown) => e);
    expect(isRxtradeError(error) && error.details?.['reason']).toBe('VENUE_RATE_LIMITED');
    const wait = await limiter.tryAcquire({ 'ip-weight': 1 });
    expect(wait).toBeGreaterThan(2_500);
    expect(wait).toBeLessThanOrEqual(3_000);
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
