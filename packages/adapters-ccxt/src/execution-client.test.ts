import {
  createMemoryMetrics,
  createOrder,
  type Order,
  type OrderRequest,
  type VenueEvent,
} from '@rxtrade/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeExchange, recordDnsLookups, startFake } from '../test/helpers';
import { CcxtExecutionClient } from './execution-client';
import type { FakeBinance } from './testing/index';

let fake: FakeBinance;
let client: CcxtExecutionClient;
let events: VenueEvent[];
let exchange: ReturnType<typeof fakeExchange>;
let dns: ReturnType<typeof recordDnsLookups>;
const metrics = createMemoryMetrics();
let seq = 0;

beforeEach(async () => {
  dns = recordDnsLookups();
  fake = await startFake();
  exchange = fakeExchange(fake, { timeoutMs: 1_000 });
  client = new CcxtExecutionClient({ exchange, symbols: ['BTC/USDT'], pollIntervalMs: 0, metrics });
  events = [];
  client.events$.subscribe((e) => events.push(e));
  await client.connect();
});

afterEach(async () => {
  await client.disconnect();
  await fake.close();
  dns.restore();
  // Nothing left the machine: every URL ccxt fetched was the fake's, and no host name but the
  // loopback address literal went through DNS.
  expect(exchange.fetched.every((u) => u.startsWith(`${fake.url}/`))).toBe(true);
  expect(dns.hosts.filter((h) => h !== '127.0.0.1')).toEqual([]);
});

function order(request: Partial<OrderRequest> = {}): Order {
  const o = createOrder(
    { instrumentId: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.001, ...request } as OrderRequest,
    {
      clientOrderId: `rx-t-S-${++seq}`,
      accountId: 'acc',
      strategyId: 'S',
      quantityPrecision: 5,
      ts: Date.now(),
    },
  );
  return { ...o, status: 'submitted' };
}

const types = (id: string): string[] => events.filter((e) => e.clientOrderId === id).map((e) => e.type);

describe('CcxtExecutionClient against the fake Binance', () => {
  it('places a signed market order under the engine’s client order id and reports acceptance and fills', async () => {
    const o = order();
    await client.submitOrder(o);
    const post = fake.requestsTo('POST', '/api/v3/order')[0];
    expect(post?.params).toMatchObject({
      newClientOrderId: o.clientOrderId,
      quantity: '0.001',
      side: 'BUY',
      type: 'MARKET',
    });
    expect(post?.params['signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(types(o.clientOrderId)).toEqual(['OrderAccepted', 'OrderFilled']);
    const fill = events.find((e) => e.type === 'OrderFilled');
    const trade = fake.trades[0];
    expect(fill).toMatchObject({
      tradeId: String(trade?.id),
      lastQty: 0.001,
      lastPx: trade?.price,
      fee: trade?.commission,
      feeCurrency: 'USDT',
      accountId: 'acc',
      strategyId: 'S',
    });
  });

  it('detects a resend of the same client order id and does not send it', async () => {
    const o = order();
    await client.submitOrder(o);
    await client.submitOrder(o);
    await Promise.all([client.submitOrder({ ...o }), client.submitOrder({ ...o })]);
    expect(fake.requestsTo('POST', '/api/v3/order')).toHaveLength(1);
    expect(fake.orders.filter((x) => x.clientOrderId === o.clientOrderId)).toHaveLength(1);
    expect(metrics.value('order_resends_refused_total', { venue: 'BINANCE' })).toBe(3);
  });

  it('refuses an order off the exchange grid without calling it', async () => {
    const o = order({ type: 'limit', price: 30_000.005, quantity: 0.001 });
    await client.submitOrder(o);
    expect(fake.requestsTo('POST', '/api/v3/order')).toHaveLength(0);
    expect(events).toEqual([expect.objectContaining({ type: 'OrderRejected', reason: 'PRICE_OFF_TICK' })]);
  });

  it('reports a venue rejection as an OrderRejected event', async () => {
    const o = order({ quantity: 0.0001 }); // ~3 USDT < NOTIONAL 5 (the connector leaves market notional to the venue)
    await client.submitOrder(o);
    expect(fake.requestsTo('POST', '/api/v3/order')[0]?.status).toBe(400);
    expect(events).toEqual([expect.objectContaining({ type: 'OrderRejected', reason: 'FILTER_NOTIONAL' })]);
  });

  it('on 429 with resends off: reports VENUE_RATE_LIMITED, throws NOT_SENT, backs off without calling the venue', async () => {
    const strict = new CcxtExecutionClient({
      exchange,
      symbols: ['BTC/USDT'],
      pollIntervalMs: 0,
      rateLimitRetryMs: 0,
    });
    strict.events$.subscribe((e) => events.push(e));
    await strict.connect();
    fake.fault({ path: '/api/v3/order', fault: { kind: 'rateLimit', retryAfterSeconds: 5 } });
    const first = order();
    await expect(strict.submitOrder(first)).rejects.toMatchObject({
      details: { reason: 'VENUE_RATE_LIMITED', outcome: 'NOT_SENT' },
    });
    const second = order();
    await expect(strict.submitOrder(second)).rejects.toMatchObject({ details: { outcome: 'NOT_SENT' } });
    expect(fake.requestsTo('POST', '/api/v3/order')).toHaveLength(1);
    expect(events.map((e) => (e.type === 'OrderRejected' ? e.reason : e.type))).toEqual([
      'VENUE_RATE_LIMITED',
      'VENUE_RATE_LIMITED',
    ]);
    await strict.disconnect();
  });

  it('on 429 sends the order again after the back-off, under the same client order id: placed once, nothing rejected', async () => {
    fake.fault({ path: '/api/v3/order', fault: { kind: 'rateLimit' }, times: 2 });
    const o = order();
    const started = Date.now();
    await client.submitOrder(o);
    const posts = fake.requestsTo('POST', '/api/v3/order');
    expect(posts.map((r) => [r.status, r.params['newClientOrderId']])).toEqual([
      [429, o.clientOrderId],
      [429, o.clientOrderId],
      [200, o.clientOrderId],
    ]);
    // 1 s after the first 429, 2 s after the second (no Retry-After reaches the client through ccxt: it doubles).
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    expect(types(o.clientOrderId)).toEqual(['OrderAccepted', 'OrderFilled']);
    expect(fake.orders.filter((f) => f.clientOrderId === o.clientOrderId)).toHaveLength(1);
    expect(metrics.value('order_rate_limit_resends_total', { venue: 'BINANCE' })).toBeGreaterThanOrEqual(2);
  });

  it('connect waits out a 429 on loadMarkets and asks again', async () => {
    const fresh = fakeExchange(fake, { timeoutMs: 1_000 });
    const other = new CcxtExecutionClient({ exchange: fresh, symbols: ['BTC/USDT'], pollIntervalMs: 0 });
    const before = fake.requestsTo('GET', '/api/v3/exchangeInfo').length;
    fake.fault({ path: '/api/v3/exchangeInfo', fault: { kind: 'rateLimit' } });
    await other.connect();
    const asked = fake.requestsTo('GET', '/api/v3/exchangeInfo').slice(before);
    expect(asked.map((r) => r.status)).toEqual([429, 200]);
    await other.disconnect();
    exchange.fetched.push(...fresh.fetched);
  });

  it('on a 418 ban waits until the end the venue names before sending again', async () => {
    fake.fault({ path: '/api/v3/order', fault: { kind: 'ban', ms: 1_500 } });
    const o = order();
    const started = Date.now();
    await client.submitOrder(o);
    expect(fake.requestsTo('POST', '/api/v3/order').map((r) => r.status)).toEqual([418, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(types(o.clientOrderId)).toEqual(['OrderAccepted', 'OrderFilled']);
  });

  it('a lost response is an unknown outcome: rejects typed, keeps following, polling settles it', async () => {
    fake.fault({ path: '/api/v3/order', fault: { kind: 'dropAfterAccept' } });
    const o = order();
    await expect(client.submitOrder(o)).rejects.toMatchObject({
      code: 'ADAPTER_FAILURE',
      details: { outcome: 'UNKNOWN' },
    });
    expect(client.following).toBe(1);
    await client.pollOnce();
    expect(types(o.clientOrderId)).toEqual(['OrderAccepted', 'OrderFilled']);
    expect(client.following).toBe(0);
    expect(fake.requestsTo('POST', '/api/v3/order')).toHaveLength(1);
  });

  it('a timeout is TIMEOUT with an unknown outcome', async () => {
    exchange.timeout = 200;
    fake.fault({ path: '/api/v3/order', fault: { kind: 'timeout' } });
    await expect(client.submitOrder(order())).rejects.toMatchObject({
      code: 'TIMEOUT',
      details: { outcome: 'UNKNOWN' },
    });
  });

  it('follows a partially filled limit order until polling has every fill', async () => {
    fake.partialFillRatio = 0.4;
    const o = order({ type: 'limit', price: 40_000, quantity: 0.001 });
    await client.submitOrder(o);
    expect(types(o.clientOrderId)).toEqual(['OrderAccepted', 'OrderFilled']);
    expect(events[1]).toMatchObject({ lastQty: 0.0004 });
    fake.fillOrder(o.clientOrderId, { price: 39_000 });
    await client.pollOnce();
    await client.pollOnce();
    expect(types(o.clientOrderId)).toEqual(['OrderAccepted', 'OrderFilled', 'OrderFilled']);
    expect(events[2]).toMatchObject({ lastQty: 0.0006, lastPx: 39_000, liquiditySide: 'maker' });
    expect(client.following).toBe(0);
  });

  it('cancels by client order id; a cancel of an order no longer working is OrderCancelRejected', async () => {
    const o = order({ type: 'limit', price: 20_000, quantity: 0.001 });
    await client.submitOrder(o);
    await client.cancelOrder(o);
    expect(fake.requestsTo('DELETE', '/api/v3/order')[0]?.params).toMatchObject({
      origClientOrderId: o.clientOrderId,
    });
    expect(types(o.clientOrderId)).toEqual(['OrderAccepted', 'OrderCanceled']);
    await client.cancelOrder(o);
    expect(types(o.clientOrderId).at(-1)).toBe('OrderCancelRejected');
  });

  it('answers reconciliation queries: status, open orders, fills with client ids, balances', async () => {
    const resting = order({ type: 'limit', price: 20_000, quantity: 0.001 });
    await client.submitOrder(resting);
    const filled = order();
    await client.submitOrder(filled);
    fake.placeExternalOrder({ clientOrderId: 'web_123', side: 'SELL', price: 45_000, qty: 0.002 });
    expect(await client.queryOrder(resting.clientOrderId)).toMatchObject({
      status: 'accepted',
      filledQty: 0,
      quantity: 0.001,
      side: 'buy',
      type: 'limit',
      price: 20_000,
    });
    expect(await client.queryOrder('never-sent')).toBeUndefined();
    expect((await client.openOrders()).map((o) => o.clientOrderId).sort()).toEqual(
      [resting.clientOrderId, 'web_123'].sort(),
    );
    fake.fillOrder('web_123');
    const fills = await client.fills({ since: 0 });
    expect(fills.map((f) => f.clientOrderId)).toEqual([filled.clientOrderId, 'web_123']);
    expect(fills[1]).toMatchObject({ side: 'sell', lastQty: 0.002, lastPx: 45_000, liquiditySide: 'maker' });
    const balances = await client.balances();
    expect(balances.find((b) => b.currency === 'BTC')?.total).toBeCloseTo(1 + 0.001 - 0.002, 8);
  });

  it('refuses calls before connect with NOT_CONNECTED', async () => {
    const other = new CcxtExecutionClient({ exchange, symbols: ['BTCUSDT'], pollIntervalMs: 0 });
    await expect(other.submitOrder(order())).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
  });
});
