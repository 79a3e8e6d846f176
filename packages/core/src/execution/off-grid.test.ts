import { describe, expect, it } from 'vitest';
import { TradingEngine } from '../engine/trading-engine';
import { defineInstrument } from '../model/instrument';
import type { Bar } from '../model/market-data';
import { createOrder, type Order, type OrderRequest } from '../model/order';
import type { OrderEvent } from '../model/order-events';
import { ManualClock } from '../ports/clock';
import type { VenueEvent } from '../ports/execution-client';
import { BaseStrategy } from '../strategy/base-strategy';
import { SimulatedVenue } from './simulated-venue';

/** Issue #15: an order off the lot grid (0.5 on a whole-unit instrument) must never reach a fill. */

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 2, 14, 30);
const bar = (i: number, price = 100): Bar => ({
  symbol: 'SPX',
  ts: T0 + i * MIN,
  open: price,
  high: price + 1,
  low: price - 1,
  close: price,
  volume: 1_000,
});
const SPX = { id: 'SPX', pricePrecision: 2, quantityPrecision: 0 } as const;

class HalfBuyer extends BaseStrategy {
  denied: Order | undefined;
  override onBar(): void {
    if (this.denied === undefined) this.denied = this.buy(0.5);
  }
}

const hasNonFinite = (event: object): boolean =>
  Object.values(event).some((v) => typeof v === 'number' && !Number.isFinite(v));

describe('orders off the lot grid', () => {
  it('are denied by engine.submit and a strategy’s buy, and later orders still fill', async () => {
    const clock = new ManualClock(T0 - MIN);
    const strategy = new HalfBuyer({ id: 'half', accountId: 'a' });
    const engine = new TradingEngine({
      instruments: [SPX],
      accounts: [
        { id: 'a', initialCash: 100_000 },
        { id: 'b', initialCash: 100_000 },
      ],
      clock,
      strategies: [strategy],
    });
    const events: OrderEvent[] = [];
    engine.orderEvents$.subscribe((e) => events.push(e));
    await engine.start();
    const api = engine.submit({
      instrumentId: 'SPX',
      side: 'buy',
      type: 'market',
      quantity: 0.5,
      accountId: 'b',
    });
    expect(api.status).toBe('denied');
    clock.set(T0);
    engine.processBar(bar(0));
    expect(strategy.denied?.status).toBe('denied');
    engine.submit({
      instrumentId: 'SPX',
      side: 'buy',
      type: 'market',
      quantity: 3,
      accountId: 'a',
      clientOrderId: 'ok',
    });
    clock.set(T0 + MIN);
    engine.processBar(bar(1));
    expect(events.filter((e) => e.type === 'OrderDenied').map((e) => 'reason' in e && e.reason)).toEqual([
      'QUANTITY_OFF_LOT',
      'QUANTITY_OFF_LOT',
    ]);
    expect(events.filter((e) => e.type === 'OrderFilled')).toEqual([
      expect.objectContaining({ clientOrderId: 'ok', lastQty: 3, lastPx: 100 }),
    ]);
    expect(events.filter(hasNonFinite)).toEqual([]);
  });

  it('are rejected by the simulated venue itself, which keeps filling other orders', () => {
    const clock = new ManualClock(T0 - MIN);
    const instrument = defineInstrument(SPX);
    const venue = new SimulatedVenue({ instruments: [instrument], clock });
    const events: VenueEvent[] = [];
    venue.events$.subscribe((e) => events.push(e));
    const order = (clientOrderId: string, accountId: string, quantity: number): Order =>
      createOrder({ instrumentId: 'SPX', side: 'buy', type: 'market', quantity } satisfies OrderRequest, {
        clientOrderId,
        accountId,
        strategyId: 's',
        quantityPrecision: 0,
        ts: clock.now(),
      });
    venue.submitOrderSync(order('bad', 'a', 0.5));
    venue.submitOrderSync(order('good-a', 'a', 2));
    venue.submitOrderSync(order('good-b', 'b', 1));
    clock.set(T0);
    venue.processBar(bar(0));
    expect(events.map((e) => `${e.type} ${e.clientOrderId}${'reason' in e ? ` ${e.reason}` : ''}`)).toEqual([
      'OrderRejected bad QUANTITY_OFF_LOT',
      'OrderAccepted good-a',
      'OrderAccepted good-b',
      'OrderFilled good-a',
      'OrderFilled good-b',
    ]);
    expect(events.filter(hasNonFinite)).toEqual([]);
    expect(venue.workingCount).toBe(0);
  });
});

describe('orders too large to hold exactly', () => {
  it('are rejected by the venue when a market order’s fill would leave exact range, and others still fill', async () => {
    const clock = new ManualClock(T0 - MIN);
    const engine = new TradingEngine({
      instruments: [SPX],
      accounts: [{ id: 'a', initialCash: 100_000 }],
      clock,
    });
    const events: OrderEvent[] = [];
    engine.orderEvents$.subscribe((e) => events.push(e));
    await engine.start();
    // Before the first bar there is no price to judge a market order's notional at: the venue judges it.
    engine.submit({
      instrumentId: 'SPX',
      side: 'buy',
      type: 'market',
      quantity: 2 ** 52,
      clientOrderId: 'huge',
    });
    engine.submit({ instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 1, clientOrderId: 'ok' });
    clock.set(T0);
    engine.processBar(bar(0));
    // After it, the risk engine denies it up front.
    engine.submit({
      instrumentId: 'SPX',
      side: 'buy',
      type: 'market',
      quantity: 2 ** 52,
      clientOrderId: 'huge-2',
    });
    expect(events.map((e) => `${e.type} ${e.clientOrderId}${'reason' in e ? ` ${e.reason}` : ''}`)).toEqual([
      'OrderSubmitted huge',
      'OrderAccepted huge',
      'OrderSubmitted ok',
      'OrderAccepted ok',
      'OrderRejected huge AMOUNT_OUT_OF_RANGE',
      'OrderFilled ok',
      'OrderDenied huge-2 AMOUNT_OUT_OF_RANGE',
    ]);
    expect(events.filter(hasNonFinite)).toEqual([]);
    expect(engine.order('huge')?.status).toBe('rejected');
  });
});
