import { describe, expect, it } from 'vitest';
import { Sma } from '../data/indicators/index';
import type { StrategyEvent } from '../engine/types';
import { defineInstrument } from '../model/instrument';
import type { Bar } from '../model/market-data';
import { createOrder } from '../model/order';
import type { AccountState } from '../model/position';
import { ManualClock } from '../ports/clock';
import { BaseStrategy } from './base-strategy';
import { type OrderCommandSink, StrategyHost } from './strategy-host';

const T0 = Date.UTC(2024, 0, 2);
const SPX = defineInstrument({ id: 'SPX', pricePrecision: 2, quantityPrecision: 0 });
const GLD = defineInstrument({ id: 'GLD', pricePrecision: 2, quantityPrecision: 0 });
const bar = (symbol: string, i: number, close = 100): Bar => ({
  symbol,
  ts: T0 + i * 60_000,
  open: close,
  high: close,
  low: close,
  close,
  volume: 1,
});
const sink: OrderCommandSink = { submit: () => undefined, cancel: () => true };
const codeOf = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
  return undefined;
};

class Seen extends BaseStrategy {
  readonly sma = this.track(new Sma(2));
  readonly seen: string[] = [];
  failIn: string | undefined;
  override onStart(): void {
    this.seen.push('start');
    if (this.failIn === 'onStart') throw new Error('start broke');
  }
  override onBar(bar: Bar): void {
    this.seen.push(`${bar.symbol} ${bar.close} sma=${this.sma.value}`);
  }
  override onStop(): void {
    this.seen.push('stop');
    if (this.failIn === 'onStop') throw new Error('stop broke');
  }
  view(): { account: AccountState; net: number } {
    return { account: this.account, net: this.context.accountPositionQty('SPX') };
  }
}

describe('StrategyHost: strategies in and out', () => {
  it('adds strategies before start only, with unique ids and known symbols', () => {
    const host = new StrategyHost({ instruments: [SPX], sink });
    host.add(new Seen({ id: 'a', symbols: ['SPX'] }));
    expect(codeOf(() => host.add(new Seen({ id: 'a', symbols: ['SPX'] })))).toBe('INVALID_CONFIG');
    expect(codeOf(() => host.add(new Seen({ id: 'b', symbols: ['NOPE'] })))).toBe('UNKNOWN_INSTRUMENT');
    host.add(new Seen({ id: 'c', accountId: 'acc-c' }));
    expect(host.strategyIds).toEqual(['a', 'c']);
    expect([host.has('a'), host.has('b')]).toEqual([true, false]);
    expect([host.accountOf('a'), host.accountOf('c'), host.accountOf('x')]).toEqual([
      'default',
      'acc-c',
      undefined,
    ]);
    host.start();
    expect(codeOf(() => host.add(new Seen({ id: 'd' })))).toBe('INVALID_ARGUMENT');
  });

  it('starts and stops once each, and reports a strategy failing in onStart or onStop', () => {
    const clock = new ManualClock(T0);
    const events: StrategyEvent[] = [];
    const host = new StrategyHost({
      instruments: [SPX],
      sink,
      clock,
      onStrategyEvent: (e) => events.push(e),
    });
    const ok = new Seen({ id: 'ok', symbols: ['SPX'] });
    const badStart = new Seen({ id: 'bad-start', symbols: ['SPX'] });
    badStart.failIn = 'onStart';
    const badStop = new Seen({ id: 'bad-stop', symbols: ['SPX'] });
    badStop.failIn = 'onStop';
    for (const s of [ok, badStart, badStop]) host.add(s);
    host.start();
    host.start();
    host.onBar(bar('SPX', 0));
    clock.advance(1_000);
    host.stop();
    host.stop();
    expect(ok.seen).toEqual(['start', 'SPX 100 sma=NaN', 'stop']);
    expect(badStart.seen).toEqual(['start']);
    expect(badStop.seen).toEqual(['start', 'SPX 100 sma=NaN', 'stop']);
    expect(
      events.map((e) => `${e.type} ${e.strategyId} ${'hook' in e ? e.hook : ''} ${e.tsEvent - T0}`),
    ).toEqual([
      'StrategyStarted ok  0',
      'StrategyStarted bad-start  0',
      'StrategyFailed bad-start onStart 0',
      'StrategyStopped bad-start  0',
      'StrategyStarted bad-stop  0',
      'StrategyStopped ok  1000',
      'StrategyFailed bad-stop onStop 1000',
      'StrategyStopped bad-stop  1000',
    ]);
    const failed = events.find((e) => e.type === 'StrategyFailed');
    expect(failed && 'message' in failed && failed.message).toBe('start broke');
  });

  it('keeps a failing strategy running under onStrategyError continue', () => {
    const events: string[] = [];
    const host = new StrategyHost({
      instruments: [SPX],
      sink,
      onStrategyError: 'continue',
      onStrategyEvent: (e) => events.push(e.type),
    });
    class Throws extends BaseStrategy {
      bars = 0;
      override onBar(): void {
        this.bars++;
        throw 'not an Error';
      }
    }
    const throws = new Throws({ symbols: ['SPX'] });
    host.add(throws);
    host.start();
    host.onBar(bar('SPX', 0));
    host.onBar(bar('SPX', 1));
    expect(throws.bars).toBe(2);
    expect(events).toEqual(['StrategyStarted', 'StrategyFailed', 'StrategyFailed']);
  });
});

describe('StrategyHost: bars', () => {
  it('runs a bar through the strategies of its symbol and those of every symbol, after start only', () => {
    const host = new StrategyHost({ instruments: [SPX, GLD], sink });
    const spx = new Seen({ id: 'spx', symbols: ['SPX'] });
    const gld = new Seen({ id: 'gld', symbols: ['GLD'] });
    const all = new Seen({ id: 'all' });
    for (const s of [spx, gld, all]) host.add(s);
    host.onBar(bar('SPX', 0, 1)); // not started: nothing runs
    host.start();
    host.onBar(bar('SPX', 1, 2));
    host.onBar(bar('SPX', 2, 4));
    host.onBar(bar('GLD', 3, 10));
    host.onBar(bar('OIL', 4, 50));
    expect(spx.seen).toEqual(['start', 'SPX 2 sma=NaN', 'SPX 4 sma=3']);
    expect(gld.seen).toEqual(['start', 'GLD 10 sma=NaN']);
    expect(all.seen).toEqual(['start', 'SPX 2 sma=NaN', 'SPX 4 sma=3', 'GLD 10 sma=7', 'OIL 50 sma=30']);
  });

  it('warms indicators up without onBar, and not before start', () => {
    const host = new StrategyHost({ instruments: [SPX], sink });
    const spx = new Seen({ id: 'spx', symbols: ['SPX'] });
    const all = new Seen({ id: 'all' });
    host.add(spx);
    host.add(all);
    host.warmUp(bar('SPX', 0, 50));
    host.start();
    host.warmUp(bar('SPX', 1, 2));
    host.warmUp(bar('GLD', 2, 6));
    expect(spx.sma.value).toBeNaN(); // one bar of its symbol warmed: SMA(2) not ready
    expect(all.sma.value).toBe(4);
    host.onBar(bar('SPX', 3, 4));
    expect(spx.seen).toEqual(['start', 'SPX 4 sma=3']);
  });
});

describe('StrategyHost: what it answers', () => {
  it('refuses ids for strategies it does not host and unknown instruments; knows nothing of them', () => {
    const host = new StrategyHost({ instruments: [SPX], sink, orderIdPrefix: 'p-' });
    host.add(new Seen({ id: 'a', symbols: ['SPX'] }));
    expect(host.nextClientOrderId('a')).toBe('p-a-1');
    expect(codeOf(() => host.nextClientOrderId('x'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => host.instrument('NOPE'))).toBe('UNKNOWN_INSTRUMENT');
    expect(host.instrument('SPX')).toBe(SPX);
    expect(host.positionQty('x', 'SPX')).toBe(0);
    expect(host.positionQty('a', 'SPX')).toBe(0);
    expect(host.openOrderCount('x')).toBe(0);
  });

  it('adopts open orders of hosted strategies only', () => {
    const host = new StrategyHost({ instruments: [SPX], sink });
    host.add(new Seen({ id: 'a', symbols: ['SPX'] }));
    const order = (clientOrderId: string, strategyId: string, status: 'accepted' | 'filled') => ({
      ...createOrder(
        { instrumentId: 'SPX', side: 'buy', type: 'limit', price: 10, quantity: 1 },
        { clientOrderId, accountId: 'default', strategyId, quantityPrecision: 0, ts: T0 },
      ),
      status,
    });
    host.adopt(order('o1', 'a', 'accepted'));
    host.adopt(order('o2', 'a', 'filled'));
    host.adopt(order('o3', 'x', 'accepted'));
    expect(host.openOrderCount('a')).toBe(1);
  });

  it('answers account and net position from what it was told, net positions only', () => {
    const host = new StrategyHost({ instruments: [SPX], sink });
    const s = new Seen({ id: 's', symbols: ['SPX'], accountId: 'acc' });
    host.add(s);
    expect(s.view().account).toMatchObject({ accountId: 'acc', cash: 0, equity: 0 });
    const state: AccountState = {
      accountId: 'acc',
      currency: 'USD',
      initialCash: 1_000,
      cash: 900,
      equity: 1_010,
      realizedPnl: 0,
      unrealizedPnl: 10,
      feesPaid: 0,
      tsLast: T0,
    };
    host.setAccount(state);
    const position = { accountId: 'acc', instrumentId: 'SPX', quantity: 3 } as Parameters<
      StrategyHost['setPosition']
    >[0];
    host.setPosition(position);
    host.setPosition({ ...position, strategyId: 's', quantity: 99 });
    expect(s.view()).toEqual({ account: state, net: 3 });
  });
});

describe('StrategyHost: pause and resume', () => {
  it('a paused strategy sees no onBar, its indicators keep up, and it resumes warm', () => {
    const clock = new ManualClock(T0);
    const events: string[] = [];
    const host = new StrategyHost({
      instruments: [SPX],
      sink,
      clock,
      onStrategyEvent: (e) => events.push(`${e.type} ${e.strategyId} ${e.tsEvent - T0}`),
    });
    const paused = new Seen({ id: 'p', symbols: ['SPX'] });
    const other = new Seen({ id: 'o', symbols: ['SPX'] });
    host.add(paused);
    host.add(other);
    expect(host.status('p')).toBe('pending');
    host.start();
    expect(host.status('p')).toBe('running');
    host.onBar(bar('SPX', 0, 2));
    clock.advance(1_000);
    expect(host.pause('p')).toBe('paused');
    expect(host.pause('p')).toBe('paused'); // once: one event
    host.onBar(bar('SPX', 1, 4));
    host.onBar(bar('SPX', 2, 6));
    expect(paused.sma.value).toBe(5); // updated through the pause
    clock.advance(1_000);
    expect(host.resume('p')).toBe('running');
    host.onBar(bar('SPX', 3, 8));
    expect(paused.seen).toEqual(['start', 'SPX 2 sma=NaN', 'SPX 8 sma=7']);
    expect(other.seen).toEqual(['start', 'SPX 2 sma=NaN', 'SPX 4 sma=3', 'SPX 6 sma=5', 'SPX 8 sma=7']);
    expect(host.status('o')).toBe('running');
    host.stop();
    expect(host.status('p')).toBe('stopped');
    expect(events).toEqual([
      'StrategyStarted p 0',
      'StrategyStarted o 0',
      'StrategyPaused p 1000',
      'StrategyResumed p 2000',
      'StrategyStopped p 2000',
      'StrategyStopped o 2000',
    ]);
  });

  it('order events still reach a paused strategy: its position moves, onOrderEvent and onFill run', () => {
    const sent: string[] = [];
    const host = new StrategyHost({
      instruments: [SPX],
      sink: {
        submit: (_request, origin) => {
          sent.push(origin.clientOrderId);
          return undefined;
        },
        cancel: () => true,
      },
    });
    class Exits extends Seen {
      override onBar(b: Bar): void {
        super.onBar(b);
        if (this.position() === 0) this.buy(2);
      }
      override onFill(): void {
        this.seen.push(`fill pos=${this.position()}`);
      }
      held(): number {
        return this.position();
      }
    }
    const s = new Exits({ id: 's', symbols: ['SPX'], accountId: 'main' });
    host.add(s);
    host.start();
    host.onBar(bar('SPX', 0, 10));
    expect(sent).toEqual(['s-1']);
    host.pause('s');
    const order = createOrder(
      { instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 2 },
      { clientOrderId: 's-1', accountId: 'main', strategyId: 's', quantityPrecision: 0, ts: T0 },
    );
    const base = {
      clientOrderId: 's-1',
      accountId: 'main',
      strategyId: 's',
      instrumentId: 'SPX',
      tsEvent: T0,
    };
    host.deliver({ ...base, type: 'OrderSubmitted' }, { ...order, status: 'submitted' });
    host.deliver(
      {
        ...base,
        type: 'OrderFilled',
        venueOrderId: 'V1',
        tradeId: 'T1',
        side: 'buy',
        lastQty: 2,
        lastPx: 10,
        fee: 0,
        feeCurrency: 'USD',
        liquiditySide: 'taker',
      },
      { ...order, status: 'filled', filledQty: 2, leavesQty: 0 },
    );
    host.onBar(bar('SPX', 1, 12));
    expect(s.seen).toEqual(['start', 'SPX 10 sma=NaN', 'fill pos=2']);
    expect(s.held()).toBe(2);
  });

  it('a strategy that stopped stays stopped; an unknown id is undefined; a pause before start starts paused', () => {
    const events: string[] = [];
    const host = new StrategyHost({ instruments: [SPX], sink, onStrategyEvent: (e) => events.push(e.type) });
    const bad = new Seen({ id: 'bad', symbols: ['SPX'] });
    bad.failIn = 'onStart';
    const early = new Seen({ id: 'early', symbols: ['SPX'] });
    host.add(bad);
    host.add(early);
    expect(host.pause('early')).toBe('pending');
    host.start();
    expect(host.status('early')).toBe('paused');
    host.onBar(bar('SPX', 0));
    expect(early.seen).toEqual(['start']);
    expect(host.status('bad')).toBe('stopped');
    expect(host.resume('bad')).toBe('stopped');
    expect(host.pause('bad')).toBe('stopped');
    expect(host.pause('nope')).toBeUndefined();
    expect(host.resume('nope')).toBeUndefined();
    expect(host.status('nope')).toBeUndefined();
    expect(events).toEqual([
      'StrategyStarted',
      'StrategyFailed',
      'StrategyStopped',
      'StrategyStarted',
      'StrategyPaused',
    ]);
  });
});
