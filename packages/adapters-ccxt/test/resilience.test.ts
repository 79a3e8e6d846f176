import {
  ClientOrderIds,
  createMemoryStateStore,
  createResilientClient,
  type Fill,
  OrderJournal,
  Reconciler,
  type StateStore,
  type TradingEngine,
} from '@rxtrade/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CcxtExecutionClient } from '../src/execution-client';
import { CcxtMarketDataClient } from '../src/market-data-client';
import type { FakeBinance } from '../src/testing/index';
import { fakeExchange, position, recordDnsLookups, startFake, usdtEngine } from './helpers';

let fake: FakeBinance;
let dns: ReturnType<typeof recordDnsLookups>;
const cleanup: (() => unknown)[] = [];

beforeEach(async () => {
  dns = recordDnsLookups();
  fake = await startFake();
});

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await fake.close();
  dns.restore();
  expect(dns.hosts.filter((h) => h !== '127.0.0.1')).toEqual([]);
});

/** A live stack on the fake venue: connector → resilient client → engine, with a reconciler. */
async function live(
  options: {
    store?: StateStore;
    prefix?: string;
    rateLimit?: Parameters<typeof createResilientClient>[1];
  } = {},
) {
  const exchange = fakeExchange(fake, { timeoutMs: 2_000 });
  const connector = new CcxtExecutionClient({ exchange, symbols: ['BTCUSDT'], pollIntervalMs: 0 });
  const execution = createResilientClient(connector, {
    timeoutMs: 1_000,
    retry: { maxAttempts: 3, initialDelayMs: 10 },
    breaker: { consecutiveFailures: 3, halfOpenAfterMs: 200 },
    ...options.rateLimit,
  });
  const instruments = await new CcxtMarketDataClient({ exchange }).instruments(['BTCUSDT']);
  const store = options.store ?? createMemoryStateStore();
  const ids = await ClientOrderIds.create({ store, prefix: options.prefix ?? 'rx' });
  const engine = usdtEngine({ instruments, execution, orderIdPrefix: ids.orderIdPrefix });
  const journal = new OrderJournal({ store });
  const reconciler = new Reconciler({
    engine,
    client: execution,
    journal,
    accountId: 'acc',
    // The fake venue starts with 1 BTC that the engine does not manage; the rest must match its position.
    unmanagedBalances: { BTC: 1 },
    inFlightCheckMs: 20,
    retryMs: 50,
  });
  const fills: Fill[] = [];
  engine.fills$.subscribe((f) => fills.push(f));
  cleanup.push(async () => {
    reconciler.stop();
    await journal.close();
    await engine.stop();
  });
  return { exchange, connector, execution, engine, journal, reconciler, fills, store };
}

const until = async (check: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

const buy = (engine: TradingEngine, quantity = 0.001) =>
  engine.submit({ instrumentId: 'BTCUSDT', side: 'buy', type: 'market', quantity });

describe('live execution against the fake Binance', () => {
  it('a submit whose response is lost is not sent twice and ends FILLED after reconciliation', async () => {
    const { engine, reconciler, execution } = await live();
    await reconciler.start();
    fake.fault({ path: '/api/v3/order', fault: { kind: 'dropAfterAccept' } });
    const order = buy(engine, 0.002);
    await until(() => execution.unresolved().length === 1, 'the unknown outcome');
    expect(engine.order(order.clientOrderId)?.status).toBe('submitted');
    await until(() => engine.order(order.clientOrderId)?.status === 'filled', 'reconciliation');
    const posts = fake
      .requestsTo('POST', '/api/v3/order')
      .filter((r) => r.params['newClientOrderId'] === order.clientOrderId);
    expect(posts).toHaveLength(1);
    expect(fake.orders.filter((o) => o.clientOrderId === order.clientOrderId)).toHaveLength(1);
    expect(position(engine)).toBe(0.002);
    expect(engine.tradingState()).toBe('ACTIVE');
  });

  it('a fill delivered three times (answer, poll, reconciliation) changes the position once', async () => {
    const { engine, reconciler, connector, fills } = await live();
    await reconciler.start();
    const order = buy(engine);
    await until(() => fills.length === 1, 'the fill');
    connector.track(engine.order(order.clientOrderId) ?? order); // follow it again, as after a restart
    await connector.pollOnce();
    const report = await reconciler.reconcile();
    expect(report.fillsAlreadyApplied).toBe(1);
    expect(fills).toHaveLength(1);
    expect(position(engine)).toBe(0.001);
  });

  it('the breaker opens after N failures, rejects fast while open, and closes after a successful probe', async () => {
    const { engine, reconciler, execution } = await live();
    await reconciler.start();
    const states: string[] = [];
    execution.breakerState$.subscribe((s) => states.push(s));
    fake.fault({ method: 'GET', fault: { kind: 'error5xx' }, times: 1_000 });
    // The venue answers 503 to every read: reconciliation's queries fail and open a 3-failure breaker.
    await reconciler.reconcile();
    expect(execution.breaker.state).toBe('open');
    const before = fake.requests.length;
    const refused = buy(engine);
    await until(() => engine.order(refused.clientOrderId)?.status !== 'submitted', 'the fast refusal');
    // Halted by the failed reconciliation, or refused by the open breaker: either way nothing was sent.
    expect(['denied', 'rejected']).toContain(engine.order(refused.clientOrderId)?.status);
    expect(fake.requests.length).toBe(before);
    fake.clearFaults();
    // After halfOpenAfter a probe goes through (the reconciler's retry), succeeds, and the breaker closes.
    await until(() => execution.breaker.state === 'closed', 'the breaker to close');
    await until(() => engine.tradingState() === 'ACTIVE', 'trading to resume');
    expect(states.slice(0, 4)).toEqual(['closed', 'open', 'halfOpen', 'closed']);
    buy(engine);
    await until(() => fake.trades.length === 1, 'the next order to fill');
  });

  it('1,000 orders/s offered never exceed the configured outbound rate at the venue', async () => {
    const { engine, reconciler } = await live({
      rateLimit: {
        rateLimit: { venue: { ratePerSecond: 20, burst: 5 }, maxWaitMs: 1_000, maxQueue: 2_000 },
        bulkhead: { limit: 64, queue: 2_000 },
      },
    });
    await reconciler.start();
    const offered: string[] = [];
    for (let ms = 0; ms < 1_000; ms += 10) {
      for (let i = 0; i < 10; i++) offered.push(buy(engine).clientOrderId);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(offered).toHaveLength(1_000);
    await until(
      () => offered.every((id) => engine.order(id)?.status !== 'submitted'),
      'every order to settle',
    );
    const posts = fake.requestsTo('POST', '/api/v3/order').map((r) => r.ts);
    // Token bucket bound: in any window of W ms at most burst + rate × W / 1000 (+1 for arrival jitter).
    for (const windowMs of [250, 1_000]) {
      let worst = 0;
      for (let i = 0, j = 0; i < posts.length; i++) {
        while ((posts[i] as number) - (posts[j] as number) >= windowMs) j++;
        worst = Math.max(worst, i - j + 1);
      }
      expect(worst, `${windowMs} ms window`).toBeLessThanOrEqual(5 + (20 * windowMs) / 1000 + 1);
    }
    // Nothing was dropped silently: every order was sent or refused with a reason.
    const statuses = offered.map((id) => engine.order(id)?.status);
    const rejected = offered.filter((id) => engine.order(id)?.status === 'rejected');
    expect(statuses.filter((s) => s === 'filled').length).toBe(posts.length);
    expect(posts.length + rejected.length).toBe(1_000);
    expect(posts.length).toBeGreaterThan(10);
  }, 30_000);

  it('a restart with an order filled while down applies that fill once', async () => {
    const store = createMemoryStateStore();
    const first = await live({ store });
    await first.reconciler.start();
    const order = first.engine.submit({
      instrumentId: 'BTCUSDT',
      side: 'buy',
      type: 'limit',
      price: 20_000,
      quantity: 0.003,
    });
    await until(() => first.engine.order(order.clientOrderId)?.status === 'accepted', 'acceptance');
    fake.partialFillRatio = 1;
    fake.fillOrder(order.clientOrderId, { qty: 0.001 });
    await first.connector.pollOnce();
    await until(() => position(first.engine) === 0.001, 'the first fill');
    await first.journal.flush();
    // The process dies: nothing of it runs any more.
    first.reconciler.stop();
    await first.journal.close();

    fake.fillOrder(order.clientOrderId); // the rest fills while down

    const second = await live({ store });
    const report = await second.reconciler.start();
    expect(report.status).toBe('ok');
    expect(report.fillsApplied).toBe(1);
    expect(report.fillsAlreadyApplied).toBe(1);
    expect(position(second.engine)).toBe(0.003);
    expect(second.engine.order(order.clientOrderId)?.status).toBe('filled');
    // The journal replay, the venue's fills and another reconciliation: still once.
    await second.connector.pollOnce();
    await second.reconciler.reconcile();
    expect(position(second.engine)).toBe(0.003);
    // fills$ saw the replayed fill and the one learned from the venue: each trade once.
    expect(second.fills.map((f) => f.tradeId)).toEqual([...new Set(second.fills.map((f) => f.tradeId))]);
    expect(second.fills).toHaveLength(2);
    // Ids stay unique across the restart.
    const next = buy(second.engine);
    expect(next.clientOrderId).not.toBe(order.clientOrderId);
    expect(next.clientOrderId.startsWith('rx-2-')).toBe(true);
  });

  it('adopts an order placed at the venue by hand', async () => {
    fake.placeExternalOrder({ clientOrderId: 'web_1', side: 'SELL', price: 45_000, qty: 0.001 });
    const { engine, reconciler } = await live();
    const report = await reconciler.start();
    expect(report.ordersAdopted).toEqual(['web_1']);
    expect(engine.order('web_1')).toMatchObject({
      status: 'accepted',
      strategyId: 'EXTERNAL',
      accountId: 'acc',
    });
  });
});
