import { describe, expect, it } from 'vitest';
import { Sma } from '../data/indicators/index';
import type { StrategyEvent } from '../engine/types';
import { RxtradeError } from '../errors';
import type { OrderOrigin } from '../execution/order-manager';
import { defineInstrument } from '../model/instrument';
import type { Bar } from '../model/market-data';
import type { OrderRequest } from '../model/order';
import type { OrderEvent } from '../model/order-events';
import { ManualClock } from '../ports/clock';
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

/** Buys 3 when flat with nothing working, rests a limit beside it, and records what it saw. */
class Probe extends BaseStrategy {
  readonly sma = this.track(new Sma(2));
  readonly seen: string[] = [];
  override onBar(): void {
    this.seen.push(
      `bar pos=${this.position()} open=${this.context.openOrders().length} sma=${this.sma.value}`,
    );
    if (this.position() === 0 && this.context.openOrders().length === 0) {
      this.buy(3);
      this.buy(1, { price: 90 });
    }
  }
  override onOrderEvent(event: OrderEvent): void {
    this.seen.push(event.type);
  }
  override onFill(): void {
    this.seen.push(`fill pos=${this.position()}`);
  }
  openIds(symbol?: string): readonly string[] | undefined {
    return this.context.openOrderIds?.(symbol);
  }
}

/** A sink that keeps the commands, as a bus would carry them to another process. */
function recordingSink() {
  const sent: { request: OrderRequest; origin: OrderOrigin }[] = [];
  const canceled: string[] = [];
  const sink: OrderCommandSink = {
    submit: (request, origin) => {
      sent.push({ request, origin });
      return undefined;
    },
    cancel: (id) => {
      canceled.push(id);
      return true;
    },
  };
  return { sink, sent, canceled };
}

const event = (type: OrderEvent['type'], clientOrderId: string, extra: object = {}): OrderEvent =>
  ({
    type,
    clientOrderId,
    accountId: 'main',
    strategyId: 'Probe',
    instrumentId: 'SPX',
    tsEvent: T0,
    ...extra,
  }) as OrderEvent;

const fill = (clientOrderId: string, tradeId: string, lastQty: number): OrderEvent =>
  event('OrderFilled', clientOrderId, {
    venueOrderId: 'V1',
    tradeId,
    side: 'buy',
    lastQty,
    lastPx: 100,
    fee: 0,
    feeCurrency: 'USD',
    liquiditySide: 'taker',
  });

describe('StrategyHost without an engine', () => {
  it('sends order commands with generated ids, and follows positions and open orders from delivered events', () => {
    const clock = new ManualClock(T0);
    const { sink, sent } = recordingSink();
    const host = new StrategyHost({
      instruments: [SPX],
      sink,
      clock,
      defaultAccountId: 'main',
      orderIdPrefix: 'r1-',
    });
    const probe = new Probe({ symbols: ['SPX'] });
    host.add(probe);
    host.start();
    host.onBar(bar(0));
    expect(sent.map((s) => s.origin)).toEqual([
      { clientOrderId: 'r1-Probe-1', strategyId: 'Probe', accountId: 'main' },
      { clientOrderId: 'r1-Probe-2', strategyId: 'Probe', accountId: 'main' },
    ]);
    expect(sent[0]?.request).toMatchObject({ instrumentId: 'SPX', side: 'buy', quantity: 3, type: 'market' });
    // What comes back over the bus: no order objects, only events.
    host.deliver(event('OrderSubmitted', 'r1-Probe-1'));
    host.deliver(event('OrderAccepted', 'r1-Probe-1', { venueOrderId: 'V1' }));
    host.deliver(event('OrderSubmitted', 'r1-Probe-2'));
    host.onBar(bar(1));
    host.deliver(fill('r1-Probe-1', 'T1', 2));
    host.deliver(fill('r1-Probe-1', 'T1', 2)); // redelivered: applied once
    host.deliver(fill('r1-Probe-1', 'T2', 1));
    host.onBar(bar(2));
    expect(host.positionQty('Probe', 'SPX')).toBe(3);
    expect(probe.seen).toEqual([
      'bar pos=0 open=0 sma=NaN',
      'OrderSubmitted',
      'OrderAccepted',
      'OrderSubmitted',
      'bar pos=0 open=2 sma=100',
      'OrderFilled',
      'fill pos=2',
      'OrderFilled',
      'fill pos=3',
      'bar pos=3 open=1 sma=100',
    ]);
    // What cancelAll() cancels: the ids of the open orders, of one symbol or all.
    expect(probe.openIds()).toEqual(['r1-Probe-2']);
    expect(probe.openIds('SPX')).toEqual(['r1-Probe-2']);
    expect(probe.openIds('NDX')).toEqual([]);
  });

  it('isolates a failing strategy: it stops and its open orders are canceled through the sink', () => {
    const { sink, canceled } = recordingSink();
    const events: StrategyEvent['type'][] = [];
    const host = new StrategyHost({ instruments: [SPX], sink, onStrategyEvent: (e) => events.push(e.type) });
    class Fails extends BaseStrategy {
      override onBar(): void {
        if (this.context.openOrders().length === 0) this.buy(1, { price: 99 });
        else throw new Error('boom');
      }
    }
    const ok = new Probe({ symbols: ['SPX'] });
    host.add(new Fails({ symbols: ['SPX'] }));
    host.add(ok);
    host.start();
    host.onBar(bar(0));
    host.deliver({ ...event('OrderSubmitted', 'Fails-1'), strategyId: 'Fails', accountId: 'default' });
    host.onBar(bar(1));
    host.onBar(bar(2));
    expect(canceled).toEqual(['Fails-1']);
    expect(events).toEqual(['StrategyStarted', 'StrategyStarted', 'StrategyFailed', 'StrategyStopped']);
    expect(ok.seen.filter((s) => s.startsWith('bar'))).toHaveLength(3);
  });

  it('uses no id for a submit the sink refuses by throwing, nor for an order that names its own', () => {
    const { sink, sent } = recordingSink();
    const refusing: OrderCommandSink = {
      submit: (request, origin) => {
        if (request.instrumentId !== 'SPX') {
          throw new RxtradeError({ code: 'UNKNOWN_INSTRUMENT', message: `unknown ${request.instrumentId}` });
        }
        return sink.submit(request, origin);
      },
      cancel: sink.cancel,
    };
    const errors: string[] = [];
    class Sends extends BaseStrategy {
      override onBar(): void {
        const nope = { instrumentId: 'NOPE', side: 'buy', type: 'market', quantity: 1 } as const;
        const refused = (request: OrderRequest) => {
          try {
            this.submit(request);
          } catch (error) {
            errors.push((error as Error).message);
          }
        };
        // Each refusal on its own, followed by an order that shows which id is next.
        refused(nope);
        this.buy(1);
        refused({ ...nope, clientOrderId: 'mine-0' });
        this.buy(2);
        this.submit({
          instrumentId: 'SPX',
          side: 'buy',
          type: 'market',
          quantity: 1,
          clientOrderId: 'mine-1',
        });
        this.buy(3);
      }
    }
    const host = new StrategyHost({ instruments: [SPX], sink: refusing });
    host.add(new Sends({ symbols: ['SPX'] }));
    host.start();
    host.onBar(bar(0));
    expect(errors).toEqual(['unknown NOPE', 'unknown NOPE']);
    expect(sent.map((s) => s.origin.clientOrderId)).toEqual(['Sends-1', 'Sends-2', 'mine-1', 'Sends-3']);
    expect(host.nextClientOrderId('Sends')).toBe('Sends-4');
  });
});
