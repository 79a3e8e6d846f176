import { describe, expect, it } from 'vitest';
import { TradingEngine } from '../engine/trading-engine';
import type { Bar } from '../model/market-data';
import type { OrderRequest } from '../model/order';
import type { OrderEvent } from '../model/order-events';
import { ManualClock } from '../ports/clock';

/**
 * Brackets, OTO and OCO through the engine and its simulated venue, on hand-written bars. Prices to
 * the cent, whole shares, 0.1 % taker and 0.05 % maker fees; fees round half-even to the cent.
 */

const T0 = Date.UTC(2024, 0, 2, 14, 30);
const minute = (i: number): number => T0 + i * 60_000;
const ohlc = (i: number, [open, high, low, close]: readonly number[], volume = 1_000): Bar => ({
  symbol: 'SPX',
  ts: minute(i),
  open: open as number,
  high: high as number,
  low: low as number,
  close: close as number,
  volume,
});

function line(e: OrderEvent): string {
  const who = `${e.clientOrderId}@${(e.tsEvent - T0) / 60_000}`;
  if (e.type === 'OrderFilled')
    return `fill ${who} ${e.side} ${e.lastQty}@${e.lastPx} ${e.fee} ${e.liquiditySide}`;
  if (e.type === 'OrderUpdated') return `amend ${who} qty ${e.quantity}`;
  if (e.type === 'OrderDenied' || e.type === 'OrderRejected') return `${e.type} ${who} ${e.reason}`;
  return `${e.type.slice(5).toLowerCase()} ${who}`;
}

async function harness(maxVolumeShare?: number) {
  const clock = new ManualClock(minute(-1));
  const engine = new TradingEngine({
    instruments: [{ id: 'SPX', pricePrecision: 2, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.0005 }],
    accounts: [{ id: 'acc', initialCash: 100_000 }],
    clock,
    venue: maxVolumeShare === undefined ? {} : { maxVolumeShare },
  });
  const seen: string[] = [];
  engine.orderEvents$.subscribe((e) => seen.push(line(e)));
  await engine.start();
  return {
    engine,
    order: (request: Omit<OrderRequest, 'instrumentId'>) =>
      engine.submit({ instrumentId: 'SPX', ...request }),
    bars: (...bars: Bar[]) => {
      for (const b of bars) {
        clock.set(b.ts);
        engine.processBar(b);
      }
    },
    /** Events since the last call, without the submitted/accepted pairs. */
    events: () => seen.splice(0).filter((l) => !l.startsWith('submitted') && !l.startsWith('accepted')),
    position: () => engine.accountBook('acc').positions.get('SPX')?.qtyUnits ?? 0,
  };
}

describe('bracket (entry + take-profit + stop-loss)', () => {
  it('places both exits on the entry’s fill, for the bar after; the take-profit fills, the stop-loss is canceled', async () => {
    const h = await harness();
    h.order({
      clientOrderId: 'b',
      side: 'buy',
      type: 'market',
      quantity: 10,
      takeProfit: { price: 103 },
      stopLoss: { triggerPrice: 98 },
    });
    h.bars(ohlc(0, [100, 101, 99.5, 100.5])); // entry at the open; exits placed, not matched on this bar
    expect(h.events()).toEqual(['fill b@0 buy 10@100 1 taker']);
    expect(
      h.engine.openOrders().map((o) => [o.clientOrderId, o.side, o.type, o.quantity, o.reduceOnly]),
    ).toEqual([
      ['b-tp', 'sell', 'limit', 10, true],
      ['b-sl', 'sell', 'stop', 10, true],
    ]);
    h.bars(ohlc(1, [100.5, 103.5, 100, 103])); // 100.5 → 100 → 103.5: the limit at 103 is reached
    expect(h.events()).toEqual(['fill b-tp@1 sell 10@103 0.52 maker', 'canceled b-sl@1']); // 0.515 → 0.52
    expect(h.position()).toBe(0);
    expect(h.engine.openOrders()).toEqual([]);
  });

  it('a gap below the stop-loss fills it at the open; the take-profit is canceled', async () => {
    const h = await harness();
    h.order({
      clientOrderId: 'b',
      side: 'buy',
      type: 'limit',
      price: 100,
      quantity: 10,
      takeProfit: { price: 105 },
      stopLoss: { triggerPrice: 98 },
    });
    h.bars(ohlc(0, [100, 100.4, 99.9, 100.2])); // the open is at the limit: taker on its first bar
    h.bars(ohlc(1, [97, 97.5, 96, 97.2]));
    expect(h.events()).toEqual([
      'fill b@0 buy 10@100 1 taker',
      'fill b-sl@1 sell 10@97 0.97 taker',
      'canceled b-tp@1',
    ]);
    expect(h.position()).toBe(0);
  });

  it('partial fills: the exits grow with the entry and a partial exit shrinks its sibling', async () => {
    const h = await harness(0.5);
    h.order({
      clientOrderId: 'b',
      side: 'buy',
      type: 'market',
      quantity: 10,
      takeProfit: { price: 103 },
      stopLoss: { triggerPrice: 98 },
    });
    h.bars(ohlc(0, [100, 101, 99.5, 100.5], 12)); // 6 of 10 (half of 12)
    expect(h.events()).toEqual(['fill b@0 buy 6@100 0.6 taker']);
    h.bars(ohlc(1, [100, 101, 99.5, 100.5], 12)); // the other 4: both exits amended to 10
    expect(h.events()).toEqual([
      'fill b@1 buy 4@100 0.4 taker',
      'amend b-tp@1 qty 10',
      'amend b-sl@1 qty 10',
    ]);
    h.bars(ohlc(2, [101, 103.5, 100.8, 103], 8)); // 4 of the take-profit (half of 8): the stop-loss shrinks to 6
    expect(h.events()).toEqual(['fill b-tp@2 sell 4@103 0.21 maker', 'amend b-sl@2 qty 6']); // 0.206
    h.bars(ohlc(3, [102, 102.5, 97, 97.5], 100)); // bearish, never back to 103; the low reaches 98
    expect(h.events()).toEqual(['fill b-sl@3 sell 6@98 0.59 taker', 'canceled b-tp@3']); // 0.588
    expect(h.position()).toBe(0);
  });

  it('a trailing stop-loss follows the price after the entry', async () => {
    const h = await harness();
    h.order({
      clientOrderId: 'b',
      side: 'buy',
      type: 'market',
      quantity: 1,
      stopLoss: { triggerPrice: 97, trailingAmount: 2 },
    });
    h.bars(ohlc(0, [100, 100, 100, 100]));
    h.bars(ohlc(1, [100, 104, 99.5, 103.5])); // 100 → 99.5 → 104 (trail 102) → 103.5
    h.bars(ohlc(2, [103, 103.2, 101.5, 101.8])); // the low reaches 102
    expect(h.events()).toEqual(['fill b@0 buy 1@100 0.1 taker', 'fill b-sl@2 sell 1@102 0.1 taker']);
  });

  it('an entry canceled before any fill places no exits; a take-profit alone is an OTO', async () => {
    const h = await harness();
    h.order({
      clientOrderId: 'b',
      side: 'buy',
      type: 'limit',
      price: 90,
      quantity: 1,
      takeProfit: { price: 110 },
    });
    h.engine.cancel('b');
    h.order({ clientOrderId: 'c', side: 'sell', type: 'market', quantity: 2, takeProfit: { price: 95 } });
    h.bars(ohlc(0, [100, 100, 96, 97]), ohlc(1, [96, 96, 94, 94.5]));
    expect(h.events()).toEqual([
      'canceled b@-1',
      'fill c@0 sell 2@100 0.2 taker',
      'fill c-tp@1 buy 2@95 0.1 maker',
    ]);
    expect(h.engine.order('b-tp')).toBeUndefined();
    expect(h.position()).toBe(0);
  });
});

describe('OCO', () => {
  it('a fill of one cancels the other; a cancel of one cancels the other', async () => {
    const h = await harness();
    h.order({ side: 'buy', type: 'market', quantity: 5 });
    h.order({
      clientOrderId: 'x',
      side: 'sell',
      type: 'limit',
      price: 105,
      quantity: 5,
      oco: { type: 'stop', triggerPrice: 95 },
    });
    h.order({
      clientOrderId: 'y',
      side: 'sell',
      type: 'limit',
      price: 120,
      quantity: 1,
      oco: { type: 'stopLimit', triggerPrice: 80, price: 79 },
    });
    h.engine.cancel('y-oco');
    h.bars(ohlc(0, [100, 106, 99, 104]));
    expect(h.events()).toEqual([
      'canceled y-oco@-1',
      'canceled y@-1',
      'fill manual-1@0 buy 5@100 0.5 taker',
      'fill x@0 sell 5@105 0.26 maker', // 0.2625
      'canceled x-oco@0',
    ]);
  });

  it('a sibling the risk engine denies takes the order along', async () => {
    const h = await harness();
    h.order({
      clientOrderId: 'z',
      side: 'sell',
      type: 'limit',
      price: 105,
      quantity: 5,
      oco: { type: 'stop', triggerPrice: 95.001 },
    });
    expect(h.events()).toEqual(['OrderDenied z-oco@-1 PRICE_OFF_TICK', 'canceled z@-1']);
  });
});

describe('contingent requests: validation', () => {
  it('refuses malformed and mixed contingent parts', async () => {
    const h = await harness();
    const bad: Omit<OrderRequest, 'instrumentId'>[] = [
      { side: 'buy', type: 'market', quantity: 1, oco: { type: 'limit', price: 1 } },
      {
        side: 'buy',
        type: 'limit',
        price: 1,
        quantity: 1,
        oco: { type: 'limit', price: 2 },
        takeProfit: { price: 3 },
      },
      { side: 'buy', type: 'limit', price: 1, quantity: 1, oco: { type: 'stop', triggerPrice: 2, price: 1 } },
      { side: 'buy', type: 'limit', price: 1, quantity: 1, oco: { type: 'stopLimit', triggerPrice: 2 } },
      {
        side: 'buy',
        type: 'limit',
        price: 1,
        quantity: 1,
        oco: { type: 'limit', price: 2, trailingAmount: 1 },
      },
      {
        side: 'buy',
        type: 'limit',
        price: 1,
        quantity: 1,
        stopLoss: { triggerPrice: 1, trailingAmount: 1, trailingPercent: 1 },
      },
      { side: 'buy', type: 'limit', price: 1, quantity: 1, takeProfit: { price: -1 } },
    ];
    const messages = bad.map((request) => {
      try {
        h.order(request);
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(messages).toEqual([
      expect.stringContaining('a market order cannot have an OCO sibling'),
      expect.stringContaining('not both'),
      expect.stringContaining('oco: price is not allowed for stop'),
      expect.stringContaining('oco: price is required for stopLimit'),
      expect.stringContaining('only stop and stopLimit orders trail, not limit'),
      expect.stringContaining('stopLoss: give trailingAmount or trailingPercent, not both'),
      expect.stringContaining('takeProfit'),
    ]);
  });
});
