import { type Observable, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { isRxtradeError } from '../errors';
import type { SimulatedVenue } from '../execution/simulated-venue';
import type { Bar } from '../model/market-data';
import type { Order, OrderRequest, OrderStatus } from '../model/order';
import type { Fill, OrderEvent } from '../model/order-events';
import type { AccountState, Position } from '../model/position';
import { ManualClock } from '../ports/clock';
import type { ExecutionClient, VenueEvent } from '../ports/execution-client';
import type { Logger } from '../ports/logger';
import { BaseStrategy } from '../strategy/base-strategy';
import { type EngineOptions, TradingEngine } from './trading-engine';
import type { RiskStateChanged, StrategyEvent } from './types';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 2, 14, 30);
const bar = (i: number, price = 100, volume = 1_000): Bar => ({
  symbol: 'SPX',
  ts: T0 + i * MIN,
  open: price,
  high: price + 1,
  low: price - 1,
  close: price,
  volume,
});

// Tick 0.05, whole shares, at least 100 USD per order.
const SPX = {
  id: 'SPX',
  pricePrecision: 2,
  quantityPrecision: 0,
  tickSize: 0.05,
  minNotional: 100,
  takerFee: 0.001,
  makerFee: 0.0005,
} as const;

/** A strategy whose actions the test scripts: `onBarDo` runs inside onBar; `send` submits through the strategy context. */
class Scripted extends BaseStrategy {
  bars = 0;
  onBarDo: ((bar: Bar, self: Scripted) => void) | undefined;
  fills: { fill: Fill; account: AccountState; position: number }[] = [];

  override onBar(b: Bar): void {
    this.bars++;
    this.onBarDo?.(b, this);
  }

  override onFill(fill: Fill): void {
    this.fills.push({ fill, account: this.account, position: this.position('SPX') });
  }

  send(request: OrderRequest): Order {
    return this.submit(request);
  }

  ownOpenOrders(): readonly Order[] {
    return this.context.openOrders();
  }
}

const errors: { message: string; fields: object }[] = [];
const recordingLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (fields: object | string, message?: string) => {
    errors.push({ fields: typeof fields === 'object' ? fields : {}, message: message ?? String(fields) });
  },
  child: () => recordingLogger,
};

async function setup(options: Partial<EngineOptions> = {}) {
  const clock = new ManualClock(T0 - MIN);
  const engine = new TradingEngine({
    instruments: [SPX],
    accounts: [
      { id: 'acc', initialCash: 100_000 },
      { id: 'other', initialCash: 50_000 },
    ],
    clock,
    logger: recordingLogger,
    ...options,
  });
  const events: OrderEvent[] = [];
  engine.orderEvents$.subscribe((e) => events.push(e));
  await engine.start();
  const run = (...bars: Bar[]): void => {
    for (const b of bars) {
      clock.set(b.ts);
      engine.processBar(b);
    }
  };
  const state = () => ({
    accounts: engine.accounts(),
    positions: engine.positions(),
    open: engine.openOrders().map((o) => [o.clientOrderId, o.status]),
    working: (engine.execution as Partial<SimulatedVenue>).workingCount,
  });
  return { engine, clock, run, events, state };
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

const codeOf = (fn: () => unknown): string | undefined => {
  const error = caught(fn);
  return isRxtradeError(error) ? error.code : `not an RxtradeError: ${String(error)}`;
};

describe('TradingEngine: bad input changes nothing', () => {
  async function withPosition() {
    const probe = new Scripted({ id: 'probe', symbols: ['SPX'] });
    const s = await setup({ strategies: [probe] });
    s.engine.submit({
      clientOrderId: 'long',
      instrumentId: 'SPX',
      side: 'buy',
      type: 'market',
      quantity: 10,
    });
    s.engine.submit({
      clientOrderId: 'rest',
      instrumentId: 'SPX',
      side: 'buy',
      type: 'limit',
      price: 90,
      quantity: 2,
    });
    s.run(bar(0));
    s.events.length = 0;
    return { ...s, probe };
  }

  const base = { instrumentId: 'SPX', side: 'buy', quantity: 5 } as const;

  it('refuses malformed requests with INVALID_ARGUMENT or UNKNOWN_INSTRUMENT, before any event', async () => {
    const { engine, probe, state, events } = await withPosition();
    const before = state();
    expect(before.positions).toMatchObject([{ quantity: 10 }]);
    expect(before.open).toEqual([['rest', 'accepted']]);
    const cases: [string, OrderRequest, string][] = [
      ['NaN price', { ...base, type: 'limit', price: Number.NaN }, 'INVALID_ARGUMENT'],
      [
        'infinite quantity',
        { ...base, type: 'market', quantity: Number.POSITIVE_INFINITY },
        'INVALID_ARGUMENT',
      ],
      ['negative quantity', { ...base, type: 'market', quantity: -5 }, 'INVALID_ARGUMENT'],
      ['zero quantity', { ...base, type: 'market', quantity: 0 }, 'INVALID_ARGUMENT'],
      ['missing price on a limit', { ...base, type: 'limit' }, 'INVALID_ARGUMENT'],
      ['missing trigger on a stop', { ...base, type: 'stop' }, 'INVALID_ARGUMENT'],
      ['price on a market order', { ...base, type: 'market', price: 100 }, 'INVALID_ARGUMENT'],
      ['unknown instrument', { ...base, instrumentId: 'NOPE', type: 'market' }, 'UNKNOWN_INSTRUMENT'],
    ];
    for (const [name, request, code] of cases) {
      expect(
        codeOf(() => engine.submit(request)),
        `engine.submit: ${name}`,
      ).toBe(code);
      expect(
        codeOf(() => probe.send(request)),
        `strategy: ${name}`,
      ).toBe(code);
    }
    expect(codeOf(() => engine.submit({ ...base, type: 'market', accountId: 'nope' }))).toBe(
      'UNKNOWN_ACCOUNT',
    );
    expect(codeOf(() => engine.submit({ ...base, type: 'market', clientOrderId: 'long' }))).toBe(
      'DUPLICATE_ORDER',
    );
    expect(events).toEqual([]);
    expect(state()).toEqual(before);
    expect(engine.order('long')?.status).toBe('filled');
  });

  it('denies orders off the instrument grid with an OrderDenied reason code, and nothing reaches the venue', async () => {
    const { engine, probe, state, events, run } = await withPosition();
    const before = state();
    const cases: [OrderRequest, string][] = [
      [{ ...base, type: 'market', quantity: 1.5 }, 'QUANTITY_OFF_LOT'],
      [{ ...base, type: 'limit', price: 100.02 }, 'PRICE_OFF_TICK'],
      [{ ...base, type: 'stop', triggerPrice: 100.01 }, 'PRICE_OFF_TICK'],
      [{ ...base, type: 'limit', price: 19.95 }, 'BELOW_MIN_NOTIONAL'], // 5 × 19.95 = 99.75 < 100
      [{ ...base, type: 'market', quantity: 0.99 }, 'QUANTITY_OFF_LOT'],
    ];
    let n = 0;
    for (const [request, reason] of cases) {
      for (const via of ['engine', 'strategy'] as const) {
        const clientOrderId = `bad-${++n}`;
        const order =
          via === 'engine'
            ? engine.submit({ ...request, clientOrderId })
            : probe.send({ ...request, clientOrderId });
        expect(order.status, `${reason} via ${via}`).toBe('denied');
        expect(engine.order(clientOrderId)?.status).toBe('denied');
        expect(events.splice(0)).toEqual([
          expect.objectContaining({
            type: 'OrderDenied',
            clientOrderId,
            reason,
            message: expect.stringContaining(reason),
          }),
        ]);
      }
    }
    // Market orders are checked against the last price: 1 × 100 is fine, 1 × 99 (after a bar at 99) is not.
    run(bar(1, 99));
    const afterBar = state();
    expect(engine.submit({ ...base, type: 'market', quantity: 1, clientOrderId: 'mkt' }).status).toBe(
      'denied',
    );
    expect(events.splice(0)).toMatchObject([{ type: 'OrderDenied', reason: 'BELOW_MIN_NOTIONAL' }]);
    expect(state()).toEqual(afterBar);
    expect(afterBar.open).toEqual(before.open);
    expect(afterBar.positions[0]?.quantity).toBe(10);
    expect(afterBar.accounts[0]?.cash).toBe(before.accounts[0]?.cash);
  });
});

describe('TradingEngine: life cycle', () => {
  it('refuses work before start with NOT_STARTED', () => {
    const engine = new TradingEngine({ instruments: [SPX], clock: new ManualClock(T0) });
    expect(
      codeOf(() => engine.submit({ instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 1 })),
    ).toBe('NOT_STARTED');
    expect(codeOf(() => engine.processBar(bar(0)))).toBe('NOT_STARTED');
    expect(codeOf(() => engine.cancel('x'))).toBe('NOT_STARTED');
    expect(engine.running).toBe(false);
  });

  it('starts and stops idempotently; stop completes every stream; a stopped engine stays stopped', async () => {
    const strategy = new Scripted({ id: 's1' });
    const engine = new TradingEngine({
      instruments: [SPX],
      clock: new ManualClock(T0),
      strategies: [strategy],
    });
    const lifecycle: string[] = [];
    engine.strategyEvents$.subscribe((e) => lifecycle.push(e.type));
    const completed = new Set<string>();
    const streams: Record<string, Observable<unknown>> = {
      bars$: engine.bars$,
      orderEvents$: engine.orderEvents$,
      fills$: engine.fills$,
      positions$: engine.positions$,
      account$: engine.account$,
      closedTrades$: engine.closedTrades$,
      riskState$: engine.riskState$,
      strategyEvents$: engine.strategyEvents$,
      signals$: engine.signals$,
    };
    for (const [name, stream$] of Object.entries(streams))
      stream$.subscribe({ complete: () => completed.add(name) });
    await engine.start();
    await engine.start();
    expect(engine.running).toBe(true);
    expect(lifecycle).toEqual(['StrategyStarted']);
    await engine.stop();
    await engine.stop();
    expect(lifecycle).toEqual(['StrategyStarted', 'StrategyStopped']);
    expect([...completed].sort()).toEqual(Object.keys(streams).sort());
    expect(engine.running).toBe(false);
    expect(codeOf(() => engine.processBar(bar(0)))).toBe('NOT_STARTED');
    await expect(engine.start()).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('stop() before start() also completes the streams', async () => {
    const engine = new TradingEngine({ instruments: [SPX], clock: new ManualClock(T0) });
    let fillsDone = false;
    let accountDone = false;
    engine.fills$.subscribe({ complete: () => (fillsDone = true) });
    engine.account$.subscribe({ complete: () => (accountDone = true) });
    await engine.stop();
    expect([fillsDone, accountDone]).toEqual([true, true]);
    await expect(engine.start()).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('TradingEngine: state is updated before it is published', () => {
  it('fills$, orderEvents$ and onFill see the state the event reports', async () => {
    const strategy = new Scripted({ id: 's1', symbols: ['SPX'] });
    const s = await setup({ strategies: [strategy], venue: { maxVolumeShare: 0.1 } });
    const seenOnFill: { cash: number; position: number | undefined; status: OrderStatus | undefined }[] = [];
    s.engine.fills$.subscribe((fill) => {
      seenOnFill.push({
        cash: s.engine.account('acc').cash,
        position: s.engine.positions('acc')[0]?.quantity,
        status: s.engine.order(fill.clientOrderId)?.status,
      });
    });
    const statusSeen: [OrderEvent['type'], OrderStatus | undefined, number | undefined][] = [];
    s.engine.orderEvents$.subscribe((e) => {
      const order = s.engine.order(e.clientOrderId);
      statusSeen.push([e.type, order?.status, order?.filledQty]);
    });
    strategy.send({ instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 150 });
    s.run(bar(0, 100, 1_000), bar(1, 101, 1_000)); // 100 per bar
    expect(seenOnFill).toEqual([
      { cash: 100_000 - 10_000 - 10, position: 100, status: 'partiallyFilled' },
      { cash: 100_000 - 10_000 - 10 - 5_050 - 5.05, position: 150, status: 'filled' },
    ]);
    expect(statusSeen).toEqual([
      ['OrderSubmitted', 'submitted', 0],
      ['OrderAccepted', 'accepted', 0],
      ['OrderFilled', 'partiallyFilled', 100],
      ['OrderFilled', 'filled', 150],
    ]);
    expect(strategy.fills.map((f) => [f.position, f.account.cash])).toEqual([
      [100, 89_990],
      [150, 84_934.95],
    ]);
  });

  it('positions$ and account$ replay the latest value to a late subscriber, then follow changes', async () => {
    const s = await setup();
    s.engine.submit({ instrumentId: 'SPX', accountId: 'acc', side: 'buy', type: 'market', quantity: 10 });
    s.run(bar(0, 100));
    const positions: Position[] = [];
    const accounts: AccountState[] = [];
    s.engine.positions$.subscribe((p) => positions.push(p));
    s.engine.account$.subscribe((a) => accounts.push(a));
    expect(positions).toMatchObject([{ instrumentId: 'SPX', accountId: 'acc', quantity: 10, markPx: 100 }]);
    expect(accounts).toMatchObject([
      { accountId: 'acc', cash: 98_999, equity: 99_999 },
      { accountId: 'other', cash: 50_000, equity: 50_000 },
    ]);
    s.run(bar(1, 102));
    expect(positions.slice(1)).toMatchObject([{ quantity: 10, markPx: 102, unrealizedPnl: 20 }]);
    expect(accounts.slice(2)).toMatchObject([{ accountId: 'acc', equity: 100_019 }]);
    let replayedRisk: RiskStateChanged[] = [];
    s.engine.setTradingState('REDUCING', { reason: 'drawdown' });
    s.engine.riskState$.subscribe((r) => replayedRisk.push(r)).unsubscribe();
    expect(replayedRisk).toMatchObject([{ accountId: undefined, state: 'REDUCING', reason: 'drawdown' }]);
    replayedRisk = [];
  });
});

describe('BaseStrategy ids', () => {
  it('an anonymous strategy class gets a usable id, so its fills reach its own position', async () => {
    const Anonymous = (() => class extends Scripted {})();
    expect(Anonymous.name).toBe('');
    const strategy = new Anonymous({ symbols: ['SPX'] });
    expect(strategy.id).toBe('Strategy');
    const s = await setup({ strategies: [strategy] });
    strategy.send({ instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 10 });
    s.run(bar(0));
    expect(strategy.fills.map((f) => f.position)).toEqual([10]);
  });

  it('refuses an empty or over-long id with INVALID_CONFIG', () => {
    expect(codeOf(() => new Scripted({ id: '' }))).toBe('INVALID_CONFIG');
    expect(codeOf(() => new Scripted({ id: 'x'.repeat(65) }))).toBe('INVALID_CONFIG');
  });
});

describe('BaseStrategy.cancelAll', () => {
  /** Rests limit buys far under the market; on its first cancel it places one more. */
  class Canceller extends BaseStrategy {
    replaced: Order | undefined;
    override onBar(): void {}
    rest(symbol: string, price: number): Order {
      return this.buy(3, { symbol, price }); // 150 and more: over SPX's min notional
    }
    cancelEverything(symbol?: string): number {
      return this.cancelAll(symbol);
    }
    override onOrderEvent(e: OrderEvent): void {
      if (e.type === 'OrderCanceled' && this.replaced === undefined) this.replaced = this.rest('SPX', 51);
    }
  }

  it('cancels the open orders of the symbol asked, and not an order placed in reaction to a cancel', async () => {
    const strategy = new Canceller({ symbols: ['SPX', 'NDX'] });
    const s = await setup({ instruments: [SPX, { ...SPX, id: 'NDX' }], strategies: [strategy] });
    s.run(bar(0));
    const [a, b, c] = [strategy.rest('SPX', 50), strategy.rest('SPX', 50.5), strategy.rest('NDX', 50)];
    expect(strategy.cancelEverything('SPX')).toBe(2);
    const status = (id: string) =>
      s.engine.openOrders().find((o) => o.clientOrderId === id)?.status ?? 'closed';
    expect([a, b].map((o) => status(o.clientOrderId))).toEqual(['closed', 'closed']);
    expect(status(c.clientOrderId)).toBe('accepted');
    expect(status(strategy.replaced?.clientOrderId ?? '')).toBe('accepted');
    expect(strategy.cancelEverything()).toBe(2);
    expect(s.engine.openOrders()).toEqual([]);
  });
});

describe('TradingEngine: pausing one strategy', () => {
  it('a paused strategy places nothing on bars while its working stop fills; the others trade on; it resumes', async () => {
    const paused = new Scripted({ id: 'paused', symbols: ['SPX'], accountId: 'acc' });
    const other = new Scripted({ id: 'other', symbols: ['SPX'], accountId: 'acc' });
    // Each buys 2 on every bar it sees.
    for (const s of [paused, other])
      s.onBarDo = (_b, self) => {
        self.send({ instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 2 });
      };
    const s = await setup({ strategies: [paused, other] });
    const lifecycle: string[] = [];
    s.engine.strategyEvents$.subscribe((e) => lifecycle.push(`${e.type} ${e.strategyId}`));
    s.run(bar(0, 100));
    // A protective sell stop under the market, then the pause.
    paused.send({ instrumentId: 'SPX', side: 'sell', type: 'stop', quantity: 2, triggerPrice: 95 });
    expect(s.engine.pauseStrategy('paused')).toBe('paused');
    expect(s.engine.strategyStatus('paused')).toBe('paused');
    s.run(bar(1, 100), bar(2, 90), bar(3, 90));
    expect([paused.bars, other.bars]).toEqual([1, 4]);
    // Its market buy of bar 0 filled at bar 1's open; its stop at bar 2: flat, and told so.
    expect(paused.fills.map((f) => [f.fill.side, f.position])).toEqual([
      ['buy', 2],
      ['sell', 0],
    ]);
    expect(s.engine.strategyPositions('other')[0]?.quantity).toBe(6);
    expect(s.engine.resumeStrategy('paused')).toBe('running');
    s.run(bar(4, 90));
    expect(paused.bars).toBe(2);
    expect(s.engine.pauseStrategy('nope')).toBeUndefined();
    expect(lifecycle).toEqual(['StrategyPaused paused', 'StrategyResumed paused']);
  });
});

describe('TradingEngine: orders handed out are snapshots', () => {
  it('an order from submit, order() or openOrders() keeps its state when later events change the order', async () => {
    const strategy = new Scripted({ id: 's1', symbols: ['SPX'] });
    const s = await setup({ strategies: [strategy], venue: { maxVolumeShare: 0.1 } });
    const submitted = strategy.send({ instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 150 });
    const looked = s.engine.order(submitted.clientOrderId);
    const listed = s.engine.openOrders();
    const own = strategy.ownOpenOrders();
    expect([submitted.status, looked?.status, listed[0]?.status, own[0]?.status]).toEqual([
      'accepted',
      'accepted',
      'accepted',
      'accepted',
    ]);
    s.run(bar(0, 100, 1_000), bar(1, 101, 1_000)); // 100, then 50: two fills
    const filled = s.engine.order(submitted.clientOrderId) as Order;
    expect(filled).toMatchObject({ status: 'filled', filledQty: 150, leavesQty: 0 });
    expect(filled.tradeIds).toHaveLength(2);
    for (const earlier of [submitted, looked, listed[0], own[0]]) {
      expect(earlier).toMatchObject({ status: 'accepted', filledQty: 0, leavesQty: 150 });
      expect(earlier?.tradeIds).toEqual([]);
    }
    // A snapshot changed by its holder does not change the engine's order.
    (filled.tradeIds as string[]).push('forged');
    expect(s.engine.order(submitted.clientOrderId)?.tradeIds).toHaveLength(2);
    expect(s.engine.openOrders()).toEqual([]);
  });

  it("an adopted order is copied: events applied to it leave the caller's object as it was", async () => {
    const s = await setup();
    const external: Order = {
      clientOrderId: 'ext-1',
      venueOrderId: 'V-9',
      accountId: 'acc',
      strategyId: 'manual',
      instrumentId: 'SPX',
      side: 'buy',
      type: 'limit',
      quantity: 10,
      price: 99,
      triggerPrice: undefined,
      timeInForce: 'GTC',
      reduceOnly: false,
      postOnly: false,
      status: 'accepted',
      previousStatus: undefined,
      filledQty: 0,
      leavesQty: 10,
      avgPx: Number.NaN,
      quantityPrecision: 0,
      tradeIds: [],
      tsInit: T0,
      tsLast: T0,
    };
    expect(s.engine.adoptOrder(external)).toBe(true);
    s.engine.applyVenueEvent({
      type: 'OrderFilled',
      clientOrderId: 'ext-1',
      accountId: 'acc',
      strategyId: 'manual',
      instrumentId: 'SPX',
      tsEvent: T0 + MIN,
      venueOrderId: 'V-9',
      tradeId: 'T-1',
      side: 'buy',
      lastQty: 10,
      lastPx: 99,
      fee: 0.99,
      feeCurrency: 'USD',
      liquiditySide: 'maker',
    });
    expect(s.engine.order('ext-1')).toMatchObject({ status: 'filled', filledQty: 10, tradeIds: ['T-1'] });
    expect(external).toMatchObject({ status: 'accepted', filledQty: 0, tradeIds: [] });
  });
});

describe('TradingEngine: a failing strategy', () => {
  it('is reported, stopped and its orders canceled, while another strategy keeps trading', async () => {
    const bad = new Scripted({ id: 'bad', symbols: ['SPX'] });
    const good = new Scripted({ id: 'good', symbols: ['SPX'] });
    bad.onBarDo = (b, self) => {
      if (self.bars === 1)
        self.send({ instrumentId: 'SPX', side: 'buy', type: 'limit', price: 50, quantity: 10 });
      if (self.bars === 2) throw new Error(`boom at ${b.ts}`);
    };
    good.onBarDo = (_b, self) =>
      void self.send({ instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 1 });
    const s = await setup({ strategies: [bad, good] });
    const strategyEvents: StrategyEvent[] = [];
    s.engine.strategyEvents$.subscribe((e) => strategyEvents.push(e));
    s.run(bar(0), bar(1), bar(2), bar(3));
    expect(strategyEvents).toMatchObject([
      { type: 'StrategyFailed', strategyId: 'bad', hook: 'onBar', message: `boom at ${T0 + MIN}` },
      { type: 'StrategyStopped', strategyId: 'bad' },
    ]);
    expect(bad.bars).toBe(2);
    expect(good.bars).toBe(4);
    expect(s.engine.order('bad-1')?.status).toBe('canceled');
    expect(s.events.filter((e) => e.strategyId === 'bad').map((e) => e.type)).toEqual([
      'OrderSubmitted',
      'OrderAccepted',
      'OrderCanceled',
    ]);
    // good's orders from bars 0, 1, 2 filled at the next opens; the one from bar 3 is working.
    expect(s.events.filter((e) => e.strategyId === 'good' && e.type === 'OrderFilled')).toHaveLength(3);
    expect(s.engine.accountBook('acc').strategyPositions.get('good')?.get('SPX')?.qtyUnits).toBe(3);
    expect(s.engine.openOrders().map((o) => o.clientOrderId)).toEqual(['good-4']);
  });
});

describe('TradingEngine: trading state', () => {
  it('HALTED denies every new order with TRADING_HALTED but still cancels', async () => {
    const s = await setup();
    s.engine.submit({
      clientOrderId: 'rest',
      instrumentId: 'SPX',
      side: 'buy',
      type: 'limit',
      price: 90,
      quantity: 2,
    });
    s.engine.setTradingState('HALTED', { reason: 'kill switch' });
    const before = s.state();
    const order = s.engine.submit({ instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 1 });
    expect(order.status).toBe('denied');
    expect(s.events.at(-1)).toMatchObject({
      type: 'OrderDenied',
      reason: 'TRADING_HALTED',
      message: expect.stringContaining('kill switch'),
    });
    expect(s.state()).toEqual(before);
    expect(s.engine.cancel('rest')).toBe(true);
    expect(s.engine.order('rest')?.status).toBe('canceled');
    s.engine.setTradingState('ACTIVE', { reason: 'resumed' });
    expect(s.engine.submit({ instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 1 }).status).toBe(
      'accepted',
    );
  });

  it('REDUCING lets through only orders that shrink the position', async () => {
    const s = await setup();
    s.engine.submit({ instrumentId: 'SPX', accountId: 'acc', side: 'buy', type: 'market', quantity: 10 });
    s.run(bar(0));
    s.engine.setTradingState('REDUCING', { reason: 'drawdown' });
    const send = (side: 'buy' | 'sell', quantity: number, accountId = 'acc') =>
      s.engine.submit({ instrumentId: 'SPX', accountId, side, type: 'market', quantity }).status;
    expect(send('buy', 1)).toBe('denied');
    expect(s.events.at(-1)).toMatchObject({ type: 'OrderDenied', reason: 'REDUCING_ONLY' });
    expect(send('sell', 15)).toBe('denied'); // would flip to short 5
    expect(send('sell', 1, 'other')).toBe('denied'); // flat: nothing to reduce
    expect(send('sell', 4)).toBe('accepted');
    s.run(bar(1));
    expect(s.engine.positions('acc')[0]?.quantity).toBe(6);
    expect(send('sell', 6)).toBe('accepted'); // down to flat is reducing
  });

  it('a per-account state applies to that account only', async () => {
    const s = await setup();
    s.engine.setTradingState('HALTED', { reason: 'margin', accountId: 'other' });
    const send = (accountId: string) =>
      s.engine.submit({ instrumentId: 'SPX', accountId, side: 'buy', type: 'market', quantity: 1 }).status;
    expect(send('other')).toBe('denied');
    expect(send('acc')).toBe('accepted');
    expect(s.engine.tradingState('other')).toBe('HALTED');
    expect(s.engine.tradingState('acc')).toBe('ACTIVE');
  });
});

/** An execution client whose events the test emits by hand. */
class ScriptedVenue implements ExecutionClient {
  readonly venue = 'SCRIPT';
  readonly subject = new Subject<VenueEvent>();
  readonly events$ = this.subject.asObservable();
  readonly submitted: Order[] = [];
  readonly cancels: string[] = [];
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
  async submitOrder(order: Order): Promise<void> {
    this.submitted.push(order);
  }
  async cancelOrder(order: Order): Promise<void> {
    this.cancels.push(order.clientOrderId);
  }
}

describe('TradingEngine: an asynchronous venue', () => {
  const ids = { accountId: 'acc', strategyId: 'manual', instrumentId: 'SPX' } as const;
  const filled = (clientOrderId: string, tradeId: string, lastQty: number, ts: number): Fill => ({
    type: 'OrderFilled',
    clientOrderId,
    ...ids,
    tsEvent: ts,
    venueOrderId: 'V1',
    tradeId,
    side: 'buy',
    lastQty,
    lastPx: 100,
    fee: lastQty * 0.1,
    feeCurrency: 'USD',
    liquiditySide: 'taker',
  });

  it('applies a fill delivered twice (same tradeId) once', async () => {
    const venue = new ScriptedVenue();
    const s = await setup({ execution: venue });
    const fills: Fill[] = [];
    s.engine.fills$.subscribe((f) => fills.push(f));
    const order = s.engine.submit({
      clientOrderId: 'o1',
      instrumentId: 'SPX',
      accountId: 'acc',
      side: 'buy',
      type: 'limit',
      price: 100,
      quantity: 10,
    });
    expect(order.status).toBe('submitted');
    expect(venue.submitted.map((o) => o.clientOrderId)).toEqual(['o1']);
    venue.subject.next({
      type: 'OrderAccepted',
      clientOrderId: 'o1',
      ...ids,
      tsEvent: T0,
      venueOrderId: 'V1',
    });
    venue.subject.next(filled('o1', 'T1', 4, T0 + 1));
    venue.subject.next(filled('o1', 'T1', 4, T0 + 2)); // the same execution, redelivered
    const book = s.engine.accountBook('acc');
    expect([book.positions.get('SPX')?.qtyUnits, book.cashUnits, book.feeUnits]).toEqual([
      4,
      10_000_000 - 40_000 - 40,
      40,
    ]);
    expect(s.engine.order('o1')).toMatchObject({ status: 'partiallyFilled', filledQty: 4, tradeIds: ['T1'] });
    venue.subject.next(filled('o1', 'T2', 6, T0 + 3));
    venue.subject.next(filled('o1', 'T2', 6, T0 + 4)); // redelivered after the order is filled
    venue.subject.next(filled('o1', 'T1', 4, T0 + 5));
    expect(book.positions.get('SPX')?.qtyUnits).toBe(10);
    expect(book.cashUnits).toBe(10_000_000 - 100_000 - 100);
    expect(fills.map((f) => f.tradeId)).toEqual(['T1', 'T2']);
    expect(s.events.filter((e) => e.type === 'OrderFilled')).toHaveLength(2);
    expect(s.engine.order('o1')?.status).toBe('filled');
  });

  it('cancels through pendingCancel; a rejected cancel restores the order', async () => {
    const venue = new ScriptedVenue();
    const s = await setup({ execution: venue });
    s.engine.submit({
      clientOrderId: 'o1',
      instrumentId: 'SPX',
      accountId: 'acc',
      side: 'buy',
      type: 'limit',
      price: 100,
      quantity: 10,
    });
    venue.subject.next({
      type: 'OrderAccepted',
      clientOrderId: 'o1',
      ...ids,
      tsEvent: T0,
      venueOrderId: 'V1',
    });
    expect(s.engine.cancel('o1')).toBe(true);
    expect(venue.cancels).toEqual(['o1']);
    expect(s.engine.order('o1')?.status).toBe('pendingCancel');
    venue.subject.next(filled('o1', 'T1', 3, T0 + 1)); // filled before the cancel arrived
    venue.subject.next({
      type: 'OrderCancelRejected',
      clientOrderId: 'o1',
      ...ids,
      tsEvent: T0 + 2,
      reason: 'TOO_LATE',
    });
    expect(s.engine.order('o1')).toMatchObject({ status: 'partiallyFilled', filledQty: 3 });
    expect(s.engine.openOrders().map((o) => o.clientOrderId)).toEqual(['o1']);
    expect(s.events.map((e) => e.type)).toEqual([
      'OrderSubmitted',
      'OrderAccepted',
      'OrderPendingCancel',
      'OrderFilled',
      'OrderCancelRejected',
    ]);
  });
});

describe('TradingEngine: warm-up', () => {
  /** Tracks the close of SPX, of any symbol, and of another symbol; fails on a bar when told to. */
  class Warm extends Scripted {
    spx: number[] = [];
    any: string[] = [];
    qqq: number[] = [];
    throwOn = Number.NaN;
    constructor(options: ConstructorParameters<typeof Scripted>[0]) {
      super(options);
      this.track({ update: (x: number) => this.spx.push(x) } as never, { symbol: 'SPX' });
      this.trackBar({ update: (b: Bar) => this.#any(b) } as never);
      this.track({ update: (x: number) => this.qqq.push(x) } as never, { symbol: 'QQQ' });
    }
    #any(b: Bar): void {
      if (b.close === this.throwOn) throw new Error('broken indicator');
      this.any.push(`${b.symbol}:${b.close}`);
    }
  }

  it('updates tracked indicators of the bar symbol only: no onBar, no order, no mark, no fill', async () => {
    const QQQ = { ...SPX, id: 'QQQ' };
    const all = new Warm({ id: 'all' });
    const spxOnly = new Warm({ id: 'spxOnly', symbols: ['SPX'] });
    all.onBarDo = (_b, self) => self.send({ instrumentId: 'SPX', side: 'buy', quantity: 1, type: 'market' });
    const engine = new TradingEngine({
      instruments: [SPX, QQQ],
      accounts: [{ id: 'acc', initialCash: 100_000 }],
      strategies: [all, spxOnly],
      clock: new ManualClock(T0),
      logger: recordingLogger,
    });
    expect(() => engine.warmUp(bar(0))).toThrow(/start\(\) must be awaited before bars are warmed up/);
    await engine.start();
    engine.warmUp(bar(0, 101));
    engine.warmUp({ ...bar(1, 202), symbol: 'QQQ' });
    engine.warmUp(bar(2, 103));
    expect(all.bars).toBe(0);
    expect(all.spx).toEqual([101, 103]);
    expect(all.qqq).toEqual([202]);
    expect(all.any).toEqual(['SPX:101', 'QQQ:202', 'SPX:103']);
    expect(spxOnly.any).toEqual(['SPX:101', 'SPX:103']);
    expect(spxOnly.qqq).toEqual([]);
    expect(engine.openOrders()).toEqual([]);
    expect(engine.account('acc').equity).toBe(100_000);
    expect(engine.positions()).toEqual([]);
    engine.processBar(bar(3, 104));
    expect(all.bars).toBe(1);
    expect(all.spx).toEqual([101, 103, 104]);
    await engine.stop();
  });

  it('a throwing indicator stops its strategy (stop policy), others keep warming', async () => {
    const broken = new Warm({ id: 'broken' });
    const fine = new Warm({ id: 'fine' });
    broken.throwOn = 101;
    const engine = new TradingEngine({
      instruments: [SPX],
      strategies: [broken, fine],
      clock: new ManualClock(T0),
      logger: recordingLogger,
    });
    const events: StrategyEvent[] = [];
    engine.strategyEvents$.subscribe((e) => events.push(e));
    await engine.start();
    engine.warmUp(bar(0, 101));
    engine.warmUp(bar(1, 102));
    expect(broken.any).toEqual([]);
    expect(broken.spx).toEqual([101]);
    expect(fine.any).toEqual(['SPX:101', 'SPX:102']);
    expect(events.map((e) => `${e.type}:${e.strategyId}`)).toContain('StrategyFailed:broken');
    await engine.stop();
  });
});
