import { describe, expect, it } from 'vitest';
import type { StrategyEvent } from '../engine/types';
import type { OrderOrigin } from '../execution/order-manager';
import { defineInstrument } from '../model/instrument';
import type { Bar } from '../model/market-data';
import type { OrderRequest } from '../model/order';
import type { OrderEvent } from '../model/order-events';
import { ManualClock } from '../ports/clock';
import type { OrderAmendment } from '../ports/execution-client';
import type { Logger } from '../ports/logger';
import { BaseStrategy } from './base-strategy';
import { type OrderCommandSink, StrategyHost } from './strategy-host';

const T0 = Date.UTC(2024, 0, 2);
const SPX = defineInstrument({ id: 'SPX', pricePrecision: 2, quantityPrecision: 0 });
const bar = (i: number, close = 100): Bar => ({
  symbol: 'SPX',
  ts: T0 + i * 60_000,
  open: close,
  high: close,
  low: close,
  close,
  volume: 1,
});
const event = (type: OrderEvent['type'], clientOrderId: string, extra: object = {}): OrderEvent =>
  ({
    type,
    clientOrderId,
    accountId: 'main',
    strategyId: 'Hooks',
    instrumentId: 'SPX',
    tsEvent: T0,
    ...extra,
  }) as OrderEvent;
const fill = (clientOrderId: string, tradeId: string, lastQty: number, extra: object = {}): OrderEvent =>
  event('OrderFilled', clientOrderId, {
    venueOrderId: 'V1',
    tradeId,
    side: 'buy',
    lastQty,
    lastPx: 100,
    fee: 0,
    feeCurrency: 'USD',
    liquiditySide: 'taker',
    ...extra,
  });

/** Records its hooks; on its first bar buys 2 at a limit (an order that travels on: the sink returns none). */
class Hooks extends BaseStrategy {
  readonly seen: string[] = [];
  failIn: string | undefined;
  /** The context the host gave it, as the test's hands on it. */
  get ctx() {
    const context = this.context;
    return { ...context, amend: context.amend as NonNullable<typeof context.amend> };
  }
  override onBar(): void {
    if (this.failIn === 'onBar') throw new Error('bar boom');
    if (this.seen.length === 0) this.buy(2, { price: 99 });
    this.seen.push(`bar open=${this.context.openOrders().map((o) => `${o.clientOrderId}:${o.status}`)}`);
  }
  override onOrderEvent(e: OrderEvent): void {
    this.seen.push(e.type);
    if (this.failIn === 'onOrderEvent') throw new Error('event boom');
  }
  override onFill(): void {
    this.seen.push(`fill pos=${this.position()}`);
    if (this.failIn === 'onFill') throw new Error('fill boom');
  }
}

function recordingLogger() {
  const lines: [string, Record<string, unknown>, string][] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message?: string): void => {
      lines.push([level, fields, message ?? '']);
    };
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as Logger;
  logger.child = () => logger;
  return { logger, lines };
}

function setup(sinkExtras: Partial<OrderCommandSink> = {}) {
  const sent: { request: OrderRequest; origin: OrderOrigin }[] = [];
  const amended: [string, OrderAmendment, string][] = [];
  const sink: OrderCommandSink = {
    submit: (request, origin) => {
      sent.push({ request, origin });
      return undefined;
    },
    cancel: () => true,
    ...sinkExtras,
  };
  const { logger, lines } = recordingLogger();
  const events: StrategyEvent[] = [];
  const host = new StrategyHost({
    instruments: [SPX],
    sink,
    clock: new ManualClock(T0),
    defaultAccountId: 'main',
    logger,
    onStrategyEvent: (e) => events.push(e),
  });
  const hooks = new Hooks({ symbols: ['SPX'] });
  host.add(hooks);
  host.start();
  return { host, hooks, sent, amended, lines, events };
}

describe('StrategyHost.deliver across a process boundary (events only, no order records)', () => {
  it('ignores events of strategies it does not host', () => {
    const { host, hooks } = setup();
    expect(() => host.deliver({ ...event('OrderAccepted', 'x'), strategyId: 'nobody' })).not.toThrow();
    expect(hooks.seen).toEqual([]);
  });

  it('hands on an event for an order it never sent, leaving its open orders as they are', () => {
    const { host, hooks } = setup();
    host.onBar(bar(0));
    host.deliver(event('OrderCanceled', 'someone-elses'));
    host.onBar(bar(1));
    expect(hooks.seen).toEqual([
      'bar open=Hooks-1:initialized',
      'OrderCanceled',
      'bar open=Hooks-1:initialized',
    ]);
  });

  it('logs an event its copy of the order refuses and delivers it as is; the copy keeps following later events', () => {
    const { host, hooks, lines } = setup();
    host.onBar(bar(0));
    const early = event('OrderTriggered', 'Hooks-1'); // a limit in flight cannot have triggered
    host.deliver(early);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.[0]).toBe('warn');
    expect(lines[0]?.[1]).toMatchObject({ event: early, err: { code: 'INVALID_STATE_TRANSITION' } });
    expect(lines[0]?.[2]).toBe('order event does not apply to the order; delivered as is');
    host.deliver(event('OrderSubmitted', 'Hooks-1'));
    host.deliver(event('OrderAccepted', 'Hooks-1', { venueOrderId: 'V1' }));
    host.onBar(bar(1));
    host.deliver(fill('Hooks-1', 'T1', 2));
    host.onBar(bar(2));
    expect(hooks.seen).toEqual([
      'bar open=Hooks-1:initialized',
      'OrderTriggered',
      'OrderSubmitted',
      'OrderAccepted',
      'bar open=Hooks-1:accepted',
      'OrderFilled',
      'fill pos=2',
      'bar open=',
    ]);
    expect(lines).toHaveLength(1);
  });

  it('a fill of an instrument the host does not know reaches the strategy and moves no position', () => {
    const { host, hooks } = setup();
    host.deliver(fill('ext-1', 'T9', 5, { instrumentId: 'NOPE' }));
    expect(hooks.seen).toEqual(['OrderFilled', 'fill pos=0']);
    expect(host.positionQty('Hooks', 'SPX')).toBe(0);
  });

  it('a strategy failing in onOrderEvent is stopped and sees no onFill; its fills still move its position', () => {
    const { host, hooks, events } = setup();
    host.onBar(bar(0));
    host.deliver(event('OrderSubmitted', 'Hooks-1'));
    hooks.failIn = 'onOrderEvent';
    host.deliver(fill('Hooks-1', 'T1', 1));
    expect(hooks.seen).toEqual(['bar open=Hooks-1:initialized', 'OrderSubmitted', 'OrderFilled']);
    expect(events.map((e) => e.type)).toEqual(['StrategyStarted', 'StrategyFailed', 'StrategyStopped']);
    const failed = events.find((e) => e.type === 'StrategyFailed');
    expect(failed).toMatchObject({ strategyId: 'Hooks', hook: 'onOrderEvent' });
    host.deliver(fill('Hooks-1', 'T2', 1));
    expect(hooks.seen).toHaveLength(3);
    expect(host.positionQty('Hooks', 'SPX')).toBe(2);
  });

  it('a strategy failing in onFill is stopped, and the failure is logged with its hook', () => {
    const { host, hooks, events, lines } = setup();
    hooks.failIn = 'onFill';
    host.deliver(fill('ext', 'T1', 1));
    expect(hooks.seen).toEqual(['OrderFilled', 'fill pos=1']);
    expect(events.find((e) => e.type === 'StrategyFailed')).toMatchObject({ hook: 'onFill' });
    expect(lines).toContainEqual([
      'error',
      { err: expect.objectContaining({ message: 'fill boom' }), strategyId: 'Hooks', hook: 'onFill' },
      'strategy failed',
    ]);
  });
});

describe('StrategyHost: a strategy’s context', () => {
  it('refuses an invalid order before it reaches the sink, with the problem named', () => {
    const { hooks, sent } = setup();
    expect(() =>
      hooks.ctx.submit({ instrumentId: 'SPX', side: 'buy', type: 'market', quantity: -1 }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/^invalid order: .+/),
      }),
    );
    expect(sent).toEqual([]);
  });

  it('amends only its own open orders, through the sink when it can, else refused', () => {
    const amended: [string, OrderAmendment, string][] = [];
    const withAmend = setup({
      amend: (id, amendment, strategyId) => {
        amended.push([id, amendment, strategyId]);
        return true;
      },
    });
    withAmend.host.onBar(bar(0));
    const context = withAmend.hooks.ctx;
    expect(context.amend('Hooks-1', { price: 98 })).toBe(true);
    expect(context.amend('not-mine', { price: 98 })).toBe(false);
    expect(amended).toEqual([['Hooks-1', { price: 98 }, 'Hooks']]);
    const without = setup();
    without.host.onBar(bar(0));
    expect(without.hooks.ctx.amend('Hooks-1', { price: 98 })).toBe(false);
  });

  it('sends signals with defaults and the clock’s time, and drops them without a signal sink', () => {
    const signals: unknown[] = [];
    const { hooks } = setup({ signal: (s) => void signals.push(s) });
    hooks.ctx.signal({ direction: 'long' } as never);
    expect(signals).toEqual([
      { strategyId: 'Hooks', strength: 1, stopDistance: undefined, direction: 'long', tsEvent: T0 },
    ]);
    expect(() => setup().hooks.ctx.signal({ direction: 'long' } as never)).not.toThrow();
  });

  it('answers positions per symbol as fills move them, across symbols asked in turn', () => {
    const QQQ = defineInstrument({ id: 'QQQ', pricePrecision: 2, quantityPrecision: 0 });
    const host = new StrategyHost({
      instruments: [SPX, QQQ],
      sink: { submit: () => undefined, cancel: () => true },
      defaultAccountId: 'main',
    });
    const hooks = new Hooks({ symbols: ['SPX', 'QQQ'] });
    host.add(hooks);
    host.start();
    const context = hooks.ctx;
    host.onBar(bar(0)); // its limit on SPX
    expect(context.openOrders().map((o) => o.clientOrderId)).toEqual(['Hooks-1']);
    expect(context.openOrders('SPX').map((o) => o.clientOrderId)).toEqual(['Hooks-1']);
    expect(context.openOrders('QQQ')).toEqual([]);
    expect([context.positionQty('SPX'), context.positionQty('QQQ')]).toEqual([0, 0]);
    host.deliver(fill('a', 'T1', 3));
    expect([context.positionQty('SPX'), context.positionQty('QQQ')]).toEqual([3, 0]);
    host.deliver(fill('b', 'T2', 4, { instrumentId: 'QQQ' }));
    expect([context.positionQty('QQQ'), context.positionQty('SPX'), context.positionQty('QQQ')]).toEqual([
      4, 3, 4,
    ]);
    host.deliver(fill('c', 'T3', 1));
    expect(context.positionQty('SPX')).toBe(4);
    expect(context.openOrders('QQQ')).toEqual([]);
  });
});
