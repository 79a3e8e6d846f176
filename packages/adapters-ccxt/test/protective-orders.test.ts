import {
  ClientOrderIds,
  childOrderId,
  createEngine,
  createMemoryStateStore,
  createOrder,
  type OrderEvent,
  OrderJournal,
  Reconciler,
  type TradingEngine,
} from '@rxtrade/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createCcxtConnector } from '../src/connector';
import { DEFAULT_ORDER_TYPES, type FakeBinance, type FakeBinanceOptions } from '../src/testing/index';
import { fakeExchange, position, startFake, usdtEngine } from './helpers';

/**
 * Brackets, OCO and stop-market orders through the engine and the ccxt connector against the fake
 * Binance: native OCO order lists where Binance has them, the engine's emulator and the connector's
 * emulated stops where it has not.
 */

let fake: FakeBinance;
/** The fake venue's market price, moved by the tests. */
let px = 30_000;
const cleanup: (() => unknown)[] = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await fake.close();
  px = 30_000;
});

async function live(options: { fake?: FakeBinanceOptions; emulateStops?: boolean } = {}) {
  fake = await startFake({ price: () => px, ...options.fake });
  const exchange = fakeExchange(fake, { timeoutMs: 2_000 });
  const connector = createCcxtConnector({
    exchange,
    symbols: ['BTCUSDT'],
    orderPollIntervalMs: 0,
    ...(options.emulateStops === undefined ? {} : { emulateStops: options.emulateStops }),
  });
  const instruments = await connector.instruments();
  const engine = usdtEngine({ instruments, execution: connector.execution });
  const events: OrderEvent[] = [];
  engine.orderEvents$.subscribe((e) => events.push(e));
  await engine.start();
  cleanup.push(() => engine.stop());
  const poll = () => connector.execution.pollOnce();
  return { connector, engine, events, poll, instruments };
}

const until = async (check: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

const status = (engine: TradingEngine, id: string) => engine.order(id)?.status;
const ENTRY = 'rx-1a-BreakoutWithBracket-1234567'; // 33 characters: its children need the hashed form
const TP = childOrderId(ENTRY, 'tp');
const SL = childOrderId(ENTRY, 'sl');

function bracket(engine: TradingEngine, stopLoss: { triggerPrice: number; price?: number }) {
  return engine.submit({
    clientOrderId: ENTRY,
    instrumentId: 'BTCUSDT',
    side: 'buy',
    type: 'market',
    quantity: 0.001,
    takeProfit: { price: 31_000 },
    stopLoss,
  });
}

describe('native OCO on the fake Binance', () => {
  it('a bracket with a stop-limit exit: the exits go out as one OCO order list; the take-profit fills, the venue expires the stop', async () => {
    const { engine, poll } = await live();
    bracket(engine, { triggerPrice: 29_000, price: 28_900 });
    await until(() => status(engine, SL) === 'accepted' && status(engine, TP) === 'accepted', 'the exits');
    expect(TP.length).toBe(36);
    const legs = fake.orders.filter((o) => o.orderListId > 0);
    expect(legs.map((o) => [o.clientOrderId, o.side, o.type, o.price, o.stopPrice, o.origQty])).toEqual([
      [SL, 'SELL', 'STOP_LOSS_LIMIT', 28_900, 29_000, 0.001],
      [TP, 'SELL', 'LIMIT_MAKER', 31_000, 0, 0.001],
    ]);
    expect(fake.requestsTo('POST', '/api/v3/orderList/oco')).toHaveLength(1);
    px = 31_000;
    await poll();
    await until(
      () => status(engine, TP) === 'filled' && status(engine, SL) === 'expired',
      'the exits to end',
    );
    expect(fake.orders.find((o) => o.clientOrderId === SL)?.status).toBe('EXPIRED');
    expect(position(engine)).toBe(0);
  });

  it('with STOP_LOSS listed, a stop exit is a native STOP_LOSS leg; it triggers and fills, the take-profit expires', async () => {
    const { engine, poll } = await live({
      fake: { symbols: [{ ...defaultSymbol(), orderTypes: [...DEFAULT_ORDER_TYPES, 'STOP_LOSS'] }] },
    });
    bracket(engine, { triggerPrice: 29_000 });
    await until(() => status(engine, SL) === 'accepted', 'the exits');
    expect(fake.orders.filter((o) => o.orderListId > 0).map((o) => o.type)).toEqual([
      'STOP_LOSS',
      'LIMIT_MAKER',
    ]);
    px = 28_800; // through the stop
    await poll();
    await until(
      () => status(engine, SL) === 'filled' && status(engine, TP) === 'expired',
      'the stop to fill',
    );
    const fills = engine.order(SL);
    expect(fills?.avgPx).toBe(28_800);
    expect(position(engine)).toBe(0);
  });

  it('an OCO request is one order list; canceling one leg cancels both at the venue', async () => {
    const { engine, poll } = await live();
    engine.submit({
      clientOrderId: 'oco-1',
      instrumentId: 'BTCUSDT',
      side: 'sell',
      type: 'limit',
      price: 31_000,
      quantity: 0.001,
      oco: { type: 'stopLimit', triggerPrice: 29_000, price: 28_900 },
    });
    await until(
      () => status(engine, 'oco-1-oco') === 'accepted' && status(engine, 'oco-1') === 'accepted',
      'the pair',
    );
    expect(fake.requestsTo('POST', '/api/v3/order')).toHaveLength(0);
    engine.cancel('oco-1');
    await until(() => status(engine, 'oco-1') === 'canceled', 'the cancel');
    expect(fake.orders.map((o) => o.status)).toEqual(['CANCELED', 'CANCELED']);
    await poll();
    await until(() => status(engine, 'oco-1-oco') === 'canceled', 'the other leg');
  });

  it('a pair Binance refuses (the limit would take) is rejected leg by leg, nothing placed', async () => {
    const { engine } = await live();
    engine.submit({
      clientOrderId: 'oco-2',
      instrumentId: 'BTCUSDT',
      side: 'sell',
      type: 'limit',
      price: 29_500, // below the market: a LIMIT_MAKER sell here would take
      quantity: 0.001,
      oco: { type: 'stopLimit', triggerPrice: 29_000, price: 28_900 },
    });
    await until(
      () => status(engine, 'oco-2') === 'rejected' && status(engine, 'oco-2-oco') === 'rejected',
      'rejections',
    );
    expect(fake.orders).toEqual([]);
  });
});

describe('stop-market orders on Binance spot (no STOP_LOSS)', () => {
  it('are emulated: held by the connector, triggered by 1-second bars, sent as a market order under the same id', async () => {
    const { engine, events, poll, instruments } = await live();
    expect(instruments[0]?.orderTypes).toEqual(['market', 'limit', 'stop', 'stopLimit']);
    const stop = engine.submit({
      instrumentId: 'BTCUSDT',
      side: 'buy',
      type: 'stop',
      triggerPrice: 30_500,
      quantity: 0.001,
    });
    const id = stop.clientOrderId;
    await until(() => status(engine, id) === 'accepted', 'the stop to be accepted');
    expect(fake.orders).toEqual([]);
    await poll(); // below the trigger: still held
    expect(fake.orders).toEqual([]);
    px = 30_600;
    await poll();
    await until(() => status(engine, id) === 'filled', 'the stop to fill');
    expect(fake.orders.map((o) => [o.clientOrderId, o.type, o.side])).toEqual([[id, 'MARKET', 'BUY']]);
    expect(events.filter((e) => e.clientOrderId === id).map((e) => e.type)).toEqual([
      'OrderSubmitted',
      'OrderAccepted',
      'OrderTriggered',
      'OrderFilled',
    ]);
    expect(position(engine)).toBeCloseTo(0.001, 8);
  });

  it('a bracket’s stop-loss is emulated beside a take-profit at the venue; the stop fires, the engine cancels the take-profit', async () => {
    const { engine, poll } = await live();
    bracket(engine, { triggerPrice: 29_000 });
    await until(() => status(engine, SL) === 'accepted' && status(engine, TP) === 'accepted', 'the exits');
    expect(fake.requestsTo('POST', '/api/v3/orderList/oco')).toHaveLength(0);
    expect(fake.orders.map((o) => [o.clientOrderId, o.type])).toEqual([
      [ENTRY, 'MARKET'],
      [TP, 'LIMIT'],
    ]);
    px = 28_500;
    await poll();
    await until(
      () => status(engine, SL) === 'filled' && status(engine, TP) === 'canceled',
      'the stop to fire',
    );
    expect(fake.orders.find((o) => o.clientOrderId === TP)?.status).toBe('CANCELED');
    expect(position(engine)).toBe(0);
  });

  it('an emulated OCO pair: a partial fill of the limit shrinks the held stop, which then fires for the rest', async () => {
    const { engine, poll } = await live();
    engine.submit({
      clientOrderId: 'pair',
      instrumentId: 'BTCUSDT',
      side: 'sell',
      type: 'limit',
      price: 31_000,
      quantity: 0.002,
      oco: { type: 'stop', triggerPrice: 29_000 },
    });
    await until(
      () => status(engine, 'pair') === 'accepted' && status(engine, 'pair-oco') === 'accepted',
      'the pair',
    );
    fake.fillOrder('pair', { qty: 0.0005 });
    await poll();
    await until(() => engine.order('pair-oco')?.quantity === 0.0015, 'the stop to shrink');
    px = 28_500;
    await poll();
    await until(
      () => status(engine, 'pair-oco') === 'filled' && status(engine, 'pair') === 'canceled',
      'the stop',
    );
    expect(fake.orders.map((o) => [o.clientOrderId, o.type, o.origQty, o.status])).toEqual([
      ['pair', 'LIMIT', 0.002, 'CANCELED'],
      ['pair-oco', 'MARKET', 0.0015, 'FILLED'],
    ]);
  });

  it('a held stop is canceled without a call to the venue, and reported open while held', async () => {
    const { engine, connector } = await live();
    const stop = engine.submit({
      instrumentId: 'BTCUSDT',
      side: 'sell',
      type: 'stop',
      triggerPrice: 29_000,
      quantity: 0.001,
    });
    await until(() => status(engine, stop.clientOrderId) === 'accepted', 'the stop');
    expect((await connector.execution.openOrders()).map((o) => [o.clientOrderId, o.type, o.status])).toEqual([
      [stop.clientOrderId, 'stop', 'accepted'],
    ]);
    const requests = fake.requests.length;
    engine.cancel(stop.clientOrderId);
    await until(() => status(engine, stop.clientOrderId) === 'canceled', 'the cancel');
    expect(fake.requests.length).toBe(requests);
  });

  it('with emulateStops: false they are refused up front, and a backtest on the same instruments refuses them too', async () => {
    const { engine, events, instruments, connector } = await live({ emulateStops: false });
    expect(instruments[0]?.orderTypes).toEqual(['market', 'limit', 'stopLimit']);
    const request = {
      instrumentId: 'BTCUSDT',
      side: 'sell',
      type: 'stop',
      triggerPrice: 29_000,
      quantity: 0.001,
    } as const;
    expect(engine.submit(request).status).toBe('denied');
    expect(events.find((e) => e.type === 'OrderDenied')).toMatchObject({ reason: 'UNSUPPORTED_ORDER_TYPE' });
    const backtest = createEngine({
      instruments,
      accounts: [{ id: 'acc', initialCash: 10_000, currency: 'USDT' }],
    });
    await backtest.start();
    expect(backtest.submit(request).status).toBe('denied');
    await backtest.stop();
    // Handed to the client anyway, it refuses it with the same code.
    const rejected: string[] = [];
    connector.execution.events$.subscribe((e) => e.type === 'OrderRejected' && rejected.push(e.reason));
    await connector.execution.submitOrder({
      ...createOrder(request, {
        clientOrderId: 'direct-1',
        accountId: 'acc',
        strategyId: 'S',
        quantityPrecision: 5,
        ts: 0,
      }),
      status: 'submitted',
    });
    expect(rejected).toEqual(['UNSUPPORTED_ORDER_TYPE']);
    expect(fake.orders).toEqual([]);
  });
});

function defaultSymbol() {
  return {
    symbol: 'BTCUSDT',
    base: 'BTC',
    quote: 'USDT',
    tickSize: '0.01',
    stepSize: '0.00001',
    minQty: '0.00001',
    maxQty: '9000.00000000',
    minNotional: '5.00000000',
  };
}

describe('an emulated stop across a restart', () => {
  it('is missing at the venue on the first reconciliation, held again, settled on the retry, and still fires', async () => {
    fake = await startFake({ price: () => px });
    const store = createMemoryStateStore();
    const start = async () => {
      const exchange = fakeExchange(fake, { timeoutMs: 2_000 });
      const connector = createCcxtConnector({ exchange, symbols: ['BTCUSDT'], orderPollIntervalMs: 0 });
      const ids = await ClientOrderIds.create({ store, prefix: 'rx' });
      const engine = usdtEngine({
        instruments: await connector.instruments(),
        execution: connector.execution,
        orderIdPrefix: ids.orderIdPrefix,
      });
      const journal = new OrderJournal({ store });
      const reconciler = new Reconciler({
        engine,
        client: connector.execution,
        journal,
        accountId: 'acc',
        unmanagedBalances: { BTC: 1 },
        retryMs: 50,
      });
      const reports: string[] = [];
      reconciler.reports$.subscribe((r) =>
        reports.push(`${r.status} ${r.unresolved.map((u) => u.reason).join(',')}`),
      );
      return { connector, engine, journal, reconciler, reports };
    };
    const first = await start();
    await first.reconciler.start();
    const stop = first.engine.submit({
      instrumentId: 'BTCUSDT',
      side: 'sell',
      type: 'stop',
      triggerPrice: 29_000,
      quantity: 0.001,
    });
    await until(() => first.engine.order(stop.clientOrderId)?.status === 'accepted', 'the stop');
    await first.journal.flush();
    first.reconciler.stop();
    await first.journal.close();
    await first.engine.stop(); // the process dies

    const second = await start();
    cleanup.push(async () => {
      second.reconciler.stop();
      await second.journal.close();
      await second.engine.stop();
    });
    await second.reconciler.start();
    await until(() => second.engine.tradingState() === 'ACTIVE', 'the retry to settle it');
    expect(second.reports).toEqual(['unresolved ORDER_MISSING_AT_VENUE', 'ok ']);
    expect(second.engine.order(stop.clientOrderId)?.status).toBe('accepted');
    px = 28_800;
    await second.connector.execution.pollOnce();
    await until(() => second.engine.order(stop.clientOrderId)?.status === 'filled', 'the stop to fire');
    expect(fake.orders.map((o) => [o.clientOrderId, o.type])).toEqual([[stop.clientOrderId, 'MARKET']]);
  });
});
