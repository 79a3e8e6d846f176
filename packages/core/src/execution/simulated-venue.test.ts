import { describe, expect, it } from 'vitest';
import { TradingEngine } from '../engine/trading-engine';
import type { Bar } from '../model/market-data';
import type { OrderRequest } from '../model/order';
import type { OrderEvent } from '../model/order-events';
import { ManualClock } from '../ports/clock';
import type { SimulatedVenue, SimulatedVenueOptions } from './simulated-venue';

/**
 * The documented fill model, order type by order type, through a TradingEngine on hand-written bars.
 * Instrument: prices to the cent, whole shares, 0.1 % taker and 0.05 % maker fees.
 */

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 2, 14, 30); // bar i opens at T0 + i minutes
const t = (i: number): number => T0 + i * MIN;

const bar = (i: number, o: number, h: number, l: number, c: number, volume = 1_000): Bar => ({
  symbol: 'SPX',
  ts: t(i),
  open: o,
  high: h,
  low: l,
  close: c,
  volume,
});

type VenueOptions = Omit<SimulatedVenueOptions, 'instruments' | 'clock'>;

async function setup(venue: VenueOptions = {}, start = T0 - MIN) {
  const clock = new ManualClock(start);
  const engine = new TradingEngine({
    instruments: [{ id: 'SPX', pricePrecision: 2, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.0005 }],
    accounts: [{ id: 'acc', initialCash: 100_000 }],
    clock,
    venue,
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
  let seq = 0;
  const submit = (request: Omit<OrderRequest, 'instrumentId'> & { instrumentId?: string }): string => {
    const id = request.clientOrderId ?? `o${++seq}`;
    engine.submit({ instrumentId: 'SPX', ...request, clientOrderId: id });
    return id;
  };
  /** Events since the last call, as readable lines: time in minutes from T0. */
  const log = (): string[] => events.splice(0).map(describeEvent);
  const cash = (): number => engine.accountBook('acc').cashUnits;
  const position = (): number => engine.accountBook('acc').positions.get('SPX')?.qtyUnits ?? 0;
  return { engine, clock, run, submit, log, cash, position };
}

function describeEvent(e: OrderEvent): string {
  const at = `${e.clientOrderId} t${(e.tsEvent - T0) / MIN}`;
  switch (e.type) {
    case 'OrderFilled':
      return `Filled ${at} ${e.side} ${e.lastQty}@${e.lastPx} fee ${e.fee} ${e.liquiditySide}`;
    case 'OrderRejected':
    case 'OrderDenied':
    case 'OrderModifyRejected':
      return `${e.type.slice(5)} ${at} ${e.reason}`;
    case 'OrderUpdated':
      return `Updated ${at} qty ${e.quantity}${e.price === undefined ? '' : ` px ${e.price}`}${e.triggerPrice === undefined ? '' : ` trigger ${e.triggerPrice}`}`;
    default:
      return `${e.type.slice(5)} ${at}`;
  }
}

describe('SimulatedVenue: market orders', () => {
  it('fill at the next bar’s open as taker, never on the bar they were sent in', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'market', quantity: 10 });
    expect(v.log()).toEqual(['Submitted o1 t-1', 'Accepted o1 t-1']);
    v.run(bar(0, 100, 101, 99, 100.5));
    expect(v.log()).toEqual(['Filled o1 t0 buy 10@100 fee 1 taker']);
    expect(v.cash()).toBe(10_000_000 - 100_000 - 100);
    expect(v.engine.positions()).toMatchObject([
      { quantity: 10, avgPx: 100, markPx: 100.5, unrealizedPnl: 5 },
    ]);
    expect(v.engine.account('acc')).toMatchObject({ cash: 98_999, equity: 100_004, feesPaid: 1 });
    // Sent while bar 0 is current: fills at bar 1's open. Fee 1004 × 0.001 = 1.004 → 1.00.
    v.submit({ side: 'sell', type: 'market', quantity: 10 });
    v.run(bar(1, 100.4, 100.6, 100.1, 100.2));
    expect(v.log()).toEqual(['Submitted o2 t0', 'Accepted o2 t0', 'Filled o2 t1 sell 10@100.4 fee 1 taker']);
    expect(v.position()).toBe(0);
    expect(v.engine.account('acc')).toMatchObject({
      cash: 100_002,
      equity: 100_002,
      realizedPnl: 4,
      feesPaid: 2,
    });
  });

  it('slip by ticks against the trader (market and stop), not limits', async () => {
    const v = await setup({ slippage: { type: 'ticks', ticks: 2 } });
    v.submit({ side: 'buy', type: 'market', quantity: 10 });
    v.run(bar(0, 100, 100.5, 99.8, 100.2));
    v.submit({ side: 'sell', type: 'stop', triggerPrice: 99, quantity: 10 });
    v.submit({ side: 'buy', type: 'limit', price: 99.5, quantity: 1 });
    v.run(bar(1, 99.5, 99.7, 98.5, 98.8));
    expect(v.log()).toEqual([
      'Submitted o1 t-1',
      'Accepted o1 t-1',
      'Filled o1 t0 buy 10@100.02 fee 1 taker', // 1000.20 × 0.001 = 1.0002 → 1.00
      'Submitted o2 t0',
      'Accepted o2 t0',
      'Submitted o3 t0',
      'Accepted o3 t0',
      'Filled o2 t1 sell 10@98.98 fee 0.99 taker', // the trigger 99.00 less 2 ticks
      'Filled o3 t1 buy 1@99.5 fee 0.1 taker', // the limit at the open, not slipped
    ]);
    // 100000 − 1000.20 − 1.00 + 989.80 − 0.99 − 99.50 − 0.10
    expect(v.cash()).toBe(9_988_801);
  });

  it('slip by basis points, rounded to the tick against the trader', async () => {
    const v = await setup({ slippage: { type: 'bps', bps: 10 } });
    v.submit({ side: 'buy', type: 'market', quantity: 10 });
    v.run(bar(0, 123.45, 123.6, 123.3, 123.5));
    v.submit({ side: 'sell', type: 'market', quantity: 10 });
    v.run(bar(1, 123.45, 123.6, 123.3, 123.5));
    expect(v.log().filter((l) => l.startsWith('Filled'))).toEqual([
      'Filled o1 t0 buy 10@123.58 fee 1.24 taker', // 123.45 × 1.001 = 123.57345 → up; fee 1.2358
      'Filled o2 t1 sell 10@123.32 fee 1.23 taker', // 123.45 × 0.999 = 123.32655 → down; fee 1.2332
    ]);
    expect(v.cash()).toBe(10_000_000 - 123_580 - 124 + 123_320 - 123);
  });
});

describe('SimulatedVenue: limit orders', () => {
  it('rest until the path reaches the limit, then fill at the limit as maker', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'limit', price: 99.5, quantity: 10 });
    v.run(bar(0, 100, 101, 99.8, 100.5)); // low above the limit
    v.run(bar(1, 100, 100.2, 99.4, 99.9));
    expect(v.log()).toEqual([
      'Submitted o1 t-1',
      'Accepted o1 t-1',
      'Filled o1 t1 buy 10@99.5 fee 0.5 maker', // 995 × 0.0005 = 0.4975 → 0.50
    ]);
    expect(v.cash()).toBe(10_000_000 - 99_500 - 50);
    expect(v.engine.order('o1')).toMatchObject({
      status: 'filled',
      filledQty: 10,
      leavesQty: 0,
      avgPx: 99.5,
    });
  });

  it('fill a sell limit when the high touches it exactly', async () => {
    const v = await setup();
    v.submit({ side: 'sell', type: 'limit', price: 101, quantity: 10 });
    v.run(bar(0, 100, 101, 99.5, 100.5));
    // 1010 × 0.0005 = 0.505: 50.5 cents → 50 (half-even).
    expect(v.log()).toEqual([
      'Submitted o1 t-1',
      'Accepted o1 t-1',
      'Filled o1 t0 sell 10@101 fee 0.5 maker',
    ]);
    expect(v.position()).toBe(-10);
    expect(v.cash()).toBe(10_000_000 + 101_000 - 50);
  });

  it('fill at the open when the open is through the limit: taker on the first bar, maker later', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'limit', price: 99.5, quantity: 10 }); // o1: gap on its first bar
    v.run(bar(0, 99, 99.6, 98.8, 99.2));
    v.submit({ side: 'buy', type: 'limit', price: 98.5, quantity: 10 }); // o2: rests one bar, then a gap
    v.run(bar(1, 99.1, 99.3, 98.9, 99));
    v.run(bar(2, 98.2, 98.6, 98, 98.4));
    expect(v.log().filter((l) => l.startsWith('Filled'))).toEqual([
      'Filled o1 t0 buy 10@99 fee 0.99 taker',
      'Filled o2 t2 buy 10@98.2 fee 0.49 maker', // 982 × 0.0005 = 0.491
    ]);
  });
});

describe('SimulatedVenue: stop orders', () => {
  it('fill at the trigger when the path reaches it, at the open when the bar gaps through', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'stop', triggerPrice: 101, quantity: 10 });
    v.submit({ side: 'buy', type: 'stop', triggerPrice: 103, quantity: 10 });
    v.submit({ side: 'sell', type: 'stop', triggerPrice: 99, quantity: 5 });
    v.run(bar(0, 100, 101.5, 99.5, 101.2)); // o1 reached; o2 not; o3 not (low 99.5)
    v.run(bar(1, 104, 104.5, 103.8, 104.2)); // o2: gap above its trigger
    v.run(bar(2, 98.5, 99.2, 98.1, 98.9)); // o3: gap below its trigger
    expect(v.log().filter((l) => !l.startsWith('Submitted') && !l.startsWith('Accepted'))).toEqual([
      'Filled o1 t0 buy 10@101 fee 1.01 taker',
      'Filled o2 t1 buy 10@104 fee 1.04 taker',
      'Filled o3 t2 sell 5@98.5 fee 0.49 taker', // 492.50 × 0.001 = 0.4925
    ]);
    expect(v.position()).toBe(15);
    expect(v.cash()).toBe(10_000_000 - 101_000 - 101 - 104_000 - 104 + 49_250 - 49);
  });

  it('keep working while the trigger is not reached', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'stop', triggerPrice: 101, quantity: 10 });
    v.run(bar(0, 100, 100.99, 99.5, 100.5), bar(1, 100.5, 100.9, 100.1, 100.2));
    expect(v.log()).toEqual(['Submitted o1 t-1', 'Accepted o1 t-1']);
    expect(v.engine.order('o1')?.status).toBe('accepted');
    expect(v.engine.openOrders()).toHaveLength(1);
  });
});

describe('SimulatedVenue: stop-limit orders and the intrabar path', () => {
  // Buy stop-limit: trigger 105, limit 103 (buy on a breakout, but only on the pullback to 103).
  it('bearish bar (open → high → low → close): triggers on the way up, fills at the limit on the way down', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'stopLimit', triggerPrice: 105, price: 103, quantity: 10 });
    v.run(bar(0, 104, 106, 102, 103));
    expect(v.log()).toEqual([
      'Submitted o1 t-1',
      'Accepted o1 t-1',
      'Triggered o1 t0',
      'Filled o1 t0 buy 10@103 fee 0.52 maker', // 1030 × 0.0005 = 0.515 → 0.52 (half-even)
    ]);
    expect(v.cash()).toBe(10_000_000 - 103_000 - 52);
  });

  it('bullish bar (open → low → high → close): the low comes before the trigger, so no fill on that bar', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'stopLimit', triggerPrice: 105, price: 103, quantity: 10 });
    v.run(bar(0, 104, 106, 102, 105));
    expect(v.log()).toEqual(['Submitted o1 t-1', 'Accepted o1 t-1', 'Triggered o1 t0']);
    expect(v.engine.order('o1')?.status).toBe('triggered');
    // Now a resting limit at 103: bar 1 (bearish) dips to 102.80.
    v.run(bar(1, 104, 104.5, 102.8, 103.5));
    expect(v.log()).toEqual(['Filled o1 t1 buy 10@103 fee 0.52 maker']);
  });

  it('a triggered stop-limit fills at an open through its limit as maker', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'stopLimit', triggerPrice: 105, price: 103, quantity: 10 });
    v.run(bar(0, 104, 106, 102, 105)); // triggered, not filled
    v.run(bar(1, 102.5, 103.5, 102.2, 103));
    expect(v.log().slice(-1)).toEqual(['Filled o1 t1 buy 10@102.5 fee 0.51 maker']); // 1025 × 0.0005 = 0.5125
  });

  it('fills at the trigger as taker when the trigger is within the limit, and at the open on a gap within it', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'stopLimit', triggerPrice: 105, price: 106, quantity: 10 });
    v.run(bar(0, 104, 105.5, 103.5, 105.2)); // bullish: 104 → 103.5 → 105.5, trigger crossed on the way up
    v.submit({ side: 'buy', type: 'stopLimit', triggerPrice: 105, price: 106, quantity: 10 });
    v.run(bar(1, 105.5, 105.9, 105.1, 105.6)); // opens between trigger and limit
    expect(v.log().filter((l) => !l.startsWith('Submitted') && !l.startsWith('Accepted'))).toEqual([
      'Triggered o1 t0',
      'Filled o1 t0 buy 10@105 fee 1.05 taker',
      'Triggered o2 t1',
      'Filled o2 t1 buy 10@105.5 fee 1.06 taker', // 1.055 → 1.06 (half-even)
    ]);
  });

  it('gaps above the limit: triggered at the open, then fills at the limit if the path comes back', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'stopLimit', triggerPrice: 105, price: 106, quantity: 10 });
    v.run(bar(0, 107, 107.5, 105.8, 106.2)); // bearish: 107 → 107.5 → 105.8 → 106.2
    expect(v.log().slice(2)).toEqual(['Triggered o1 t0', 'Filled o1 t0 buy 10@106 fee 0.53 maker']);
  });

  // Sell stop-limit: trigger 95, limit 96 (sell on a breakdown, but only on the bounce to 96).
  it('sell side, bullish bar: triggers on the way down to the low, fills at the limit on the way up', async () => {
    const v = await setup();
    v.submit({ side: 'sell', type: 'stopLimit', triggerPrice: 95, price: 96, quantity: 10 });
    v.run(bar(0, 96.5, 97, 94.8, 96.8));
    expect(v.log().slice(2)).toEqual(['Triggered o1 t0', 'Filled o1 t0 sell 10@96 fee 0.48 maker']);
    expect(v.position()).toBe(-10);
    expect(v.cash()).toBe(10_000_000 + 96_000 - 48);
  });

  it('sell side, bearish bar: the high comes before the trigger, so no fill on that bar', async () => {
    const v = await setup();
    v.submit({ side: 'sell', type: 'stopLimit', triggerPrice: 95, price: 96, quantity: 10 });
    v.run(bar(0, 96.5, 97, 94.8, 95.5));
    expect(v.log().slice(2)).toEqual(['Triggered o1 t0']);
    expect(v.position()).toBe(0);
  });
});

describe('SimulatedVenue: trailing stops (ratchet on the favourable points of the path, trigger on the adverse)', () => {
  const fills = (v: { log(): string[] }): string[] =>
    v.log().filter((l) => !l.startsWith('Submitted') && !l.startsWith('Accepted'));

  it('sell by amount: the high moves the trigger up, the low of the next bar reaches it', async () => {
    const v = await setup();
    v.submit({ side: 'sell', type: 'stop', triggerPrice: 98, trailingAmount: 2, quantity: 10 });
    // Bullish 100 → 99 → 103 → 102: 100 and 99 leave it at 98, 103 moves it to 101, 102 is above 101.
    v.run(bar(0, 100, 103, 99, 102));
    expect(fills(v)).toEqual([]);
    // Bearish 101.5 → 102 → 100: 102 − 2 = 100 is below 101, so it stays; the low 100 reaches 101.
    v.run(bar(1, 101.5, 102, 100, 100.5));
    expect(fills(v)).toEqual(['Filled o1 t1 sell 10@101 fee 1.01 taker']);
    expect(v.position()).toBe(-10);
  });

  it('sell by amount: a bullish bar that closes back from its high triggers on the same bar', async () => {
    const v = await setup();
    v.submit({ side: 'sell', type: 'stop', triggerPrice: 98, trailingAmount: 2, quantity: 10 });
    // 100 → 99.5 → 105 (trigger 103) → 102.5: at or below 103, filled at the trigger.
    v.run(bar(0, 100, 105, 99.5, 102.5));
    expect(fills(v)).toEqual(['Filled o1 t0 sell 10@103 fee 1.03 taker']);
  });

  it('sell by amount: a bar that gaps below the trigger fills at its open', async () => {
    const v = await setup();
    v.submit({ side: 'sell', type: 'stop', triggerPrice: 98, trailingAmount: 2, quantity: 10 });
    v.run(bar(0, 100, 103, 99, 102)); // trigger 101
    v.run(bar(1, 99, 100, 98, 99.5)); // opens at 99, through 101
    expect(fills(v)).toEqual(['Filled o1 t1 sell 10@99 fee 0.99 taker']);
  });

  it('never moves away from the price: a falling market leaves the trigger where it was', async () => {
    const v = await setup();
    v.submit({ side: 'sell', type: 'stop', triggerPrice: 95, trailingAmount: 3, quantity: 1 });
    v.run(bar(0, 99, 99.5, 98.5, 99)); // 99.5 → 96.5
    v.run(bar(1, 98, 98.2, 96.6, 96.7)); // 98.2 → 95.2 < 96.5: stays 96.5; low 96.6 above it
    expect(fills(v)).toEqual([]);
    v.run(bar(2, 96.6, 96.6, 96.5, 96.55)); // the low touches 96.5 exactly
    expect(fills(v)).toEqual(['Filled o1 t2 sell 1@96.5 fee 0.1 taker']);
  });

  it('buy by percent (short cover): the trigger follows the lows at 1 %, rounded up to the tick', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'stop', triggerPrice: 102, trailingPercent: 1, quantity: 10 });
    // Bearish 100 → 100.5 → 97 → 97.2: 100 moves it to 101, 97 to 97.97; 97.2 gives 98.18, not lower.
    v.run(bar(0, 100, 100.5, 97, 97.2));
    expect(fills(v)).toEqual([]);
    // Bullish 97.5 → 97.4 → 98.5: 97.4 gives 98.374 → 98.38, not lower; 98.5 reaches 97.97.
    v.run(bar(1, 97.5, 98.5, 97.4, 98.2));
    expect(fills(v)).toEqual(['Filled o1 t1 buy 10@97.97 fee 0.98 taker']); // 0.9797
  });

  it('sell by percent rounds the trigger down to the tick (away from the price)', async () => {
    const v = await setup();
    v.submit({ side: 'sell', type: 'stop', triggerPrice: 90, trailingPercent: 2.5, quantity: 1 });
    // 100.01 × 0.975 = 97.50975 → 97.50; the close 97.5 reaches it.
    v.run(bar(0, 99, 100.01, 99, 97.5));
    expect(fills(v)).toEqual(['Filled o1 t0 sell 1@97.5 fee 0.1 taker']);
  });

  it('stop-limit by amount: the limit moves with the trigger; filled at the trigger within the limit', async () => {
    const v = await setup();
    v.submit({
      side: 'sell',
      type: 'stopLimit',
      triggerPrice: 98,
      price: 97.5,
      trailingAmount: 2,
      quantity: 10,
    });
    v.run(bar(0, 100, 103, 99, 102)); // trigger 101, limit 100.5
    // Bearish 102 → 104 (trigger 102, limit 101.5) → 99: triggered at 102, within the limit.
    v.run(bar(1, 102, 104, 99, 99.5));
    expect(fills(v)).toEqual(['Triggered o1 t1', 'Filled o1 t1 sell 10@102 fee 1.02 taker']);
  });

  it('stop-limit by amount: a gap through the limit triggers it; it rests at the moved limit', async () => {
    const v = await setup();
    v.submit({
      side: 'sell',
      type: 'stopLimit',
      triggerPrice: 98,
      price: 97.5,
      trailingAmount: 2,
      quantity: 10,
    });
    v.run(bar(0, 100, 103, 99, 102)); // trigger 101, limit 100.5
    v.run(bar(1, 99, 99.8, 98, 99.5)); // opens at 99: triggered, below the limit; never back to 100.5
    expect(fills(v)).toEqual(['Triggered o1 t1']);
    v.run(bar(2, 100.6, 101, 100.2, 100.8)); // opens above the limit: a resting limit's maker fill
    expect(fills(v)).toEqual(['Filled o1 t2 sell 10@100.6 fee 0.5 maker']); // 0.503
  });

  it('stop-limit by amount: after a trigger the limit no longer moves', async () => {
    const v = await setup();
    v.submit({
      side: 'buy',
      type: 'stopLimit',
      triggerPrice: 104,
      price: 104.5,
      trailingAmount: 1,
      quantity: 1,
    });
    // Bullish 100 → 99 (trigger 100, limit 100.5) → 101.2: triggered at 100, within the limit.
    v.run(bar(0, 100, 101.2, 99, 101));
    expect(fills(v)).toEqual(['Triggered o1 t0', 'Filled o1 t0 buy 1@100 fee 0.1 taker']);
  });

  it('refuses a trailing amount off the tick, and trailing on other types or both distances', async () => {
    const v = await setup();
    v.submit({ side: 'sell', type: 'stop', triggerPrice: 98, trailingAmount: 0.005, quantity: 1 });
    expect(v.log()).toEqual(['Denied o1 t-1 PRICE_OFF_TICK']);
    expect(() =>
      v.submit({ side: 'sell', type: 'limit', price: 98, trailingAmount: 1, quantity: 1 }),
    ).toThrow(/only stop and stopLimit orders trail, not limit/);
    expect(() =>
      v.submit({
        side: 'sell',
        type: 'stop',
        triggerPrice: 98,
        trailingAmount: 1,
        trailingPercent: 1,
        quantity: 1,
      }),
    ).toThrow(/not both/);
    expect(() =>
      v.submit({ side: 'sell', type: 'stop', triggerPrice: 98, trailingPercent: 100, quantity: 1 }),
    ).toThrow(/trailingPercent/);
  });
});

describe('SimulatedVenue: amendments and GTD', () => {
  it('amends price and quantity of a working limit: the next bar matches the new order', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'limit', price: 99.5, quantity: 10 });
    v.run(bar(0, 100, 100.5, 99.8, 100.2)); // never down to 99.5
    expect(v.engine.amend('o1', { price: 100.1, quantity: 5 })).toBe(true);
    v.run(bar(1, 100.5, 101, 100, 100.8)); // bullish: 100.5 → 100 reaches 100.10
    expect(v.log().slice(2)).toEqual([
      'Updated o1 t0 qty 5 px 100.1',
      'Filled o1 t1 buy 5@100.1 fee 0.25 maker',
    ]);
    expect(v.engine.order('o1')).toMatchObject({ status: 'filled', quantity: 5, price: 100.1, filledQty: 5 });
    expect(v.engine.amend('o1', { quantity: 6 })).toBe(false); // filled: nothing to amend
  });

  it('refuses what the order cannot take, and a quantity at or below what has filled', async () => {
    const v = await setup({ maxVolumeShare: 0.5 });
    v.submit({ side: 'buy', type: 'limit', price: 100, quantity: 10 });
    v.run(bar(0, 100, 100.5, 99.8, 100.2, 10)); // 5 of the 10 fill (half the volume)
    v.engine.amend('o1', { quantity: 5 });
    v.engine.amend('o1', { triggerPrice: 99 }); // a limit has no trigger
    v.engine.amend('o1', { price: 100.005 });
    expect(() => v.engine.amend('o1', {})).toThrow(/quantity, price or triggerPrice/);
    v.engine.amend('o1', { quantity: 8 });
    expect(v.log().slice(3)).toEqual([
      'ModifyRejected o1 t0 QUANTITY_NOT_ABOVE_FILLED',
      'ModifyRejected o1 t0 INVALID_AMENDMENT',
      'ModifyRejected o1 t0 PRICE_OFF_TICK',
      'Updated o1 t0 qty 8',
    ]);
    expect(v.engine.order('o1')).toMatchObject({ status: 'partiallyFilled', quantity: 8, leavesQty: 3 });
    v.run(bar(1, 99.9, 100.5, 99.8, 100.2, 10));
    expect(v.log()).toEqual(['Filled o1 t1 buy 3@99.9 fee 0.15 maker']); // 299.7 × 0.0005
    expect(v.position()).toBe(8);
  });

  it('an amended trailing stop restarts its trail from the new trigger', async () => {
    const v = await setup();
    v.submit({ side: 'sell', type: 'stop', triggerPrice: 95, trailingAmount: 2, quantity: 1 });
    v.run(bar(0, 100, 103, 99.5, 102)); // trigger 101
    v.engine.amend('o1', { triggerPrice: 97 });
    v.run(bar(1, 100, 100.5, 99, 99.5)); // 100.5 → 98.5; the low 99 stays above it
    v.run(bar(2, 99, 99.2, 98.4, 98.6)); // the low 98.4 reaches 98.5
    expect(v.log().slice(2)).toEqual([
      'Updated o1 t0 qty 1 trigger 97',
      'Filled o1 t2 sell 1@98.5 fee 0.1 taker',
    ]);
  });

  it('GTD: expires at the first bar that opens at or after its expireTime', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'limit', price: 90, quantity: 1, timeInForce: 'GTD', expireTime: t(2) });
    v.run(bar(0, 100, 101, 99, 100), bar(1, 100, 101, 99, 100));
    expect(v.engine.order('o1')?.status).toBe('accepted');
    v.run(bar(2, 89, 90, 88, 89)); // would have filled, but the order has expired
    expect(v.log().slice(2)).toEqual(['Expired o1 t2']);
    expect(() =>
      v.submit({ side: 'buy', type: 'limit', price: 90, quantity: 1, timeInForce: 'GTD' }),
    ).toThrow(/expireTime/);
  });
});

describe('SimulatedVenue: time in force', () => {
  it('IOC: canceled on its first bar when it cannot trade', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'limit', price: 99.5, quantity: 10, timeInForce: 'IOC' });
    v.run(bar(0, 100, 101, 99.8, 100.5));
    expect(v.log()).toEqual(['Submitted o1 t-1', 'Accepted o1 t-1', 'Canceled o1 t0']);
    expect(v.engine.order('o1')?.status).toBe('canceled');
  });

  it('IOC: fills what the volume allows and cancels the rest', async () => {
    const v = await setup({ maxVolumeShare: 0.1 });
    v.submit({ side: 'buy', type: 'market', quantity: 10, timeInForce: 'IOC' });
    v.run(bar(0, 100, 101, 99, 100.5, 40)); // 10 % of 40 = 4
    expect(v.log().slice(2)).toEqual(['Filled o1 t0 buy 4@100 fee 0.4 taker', 'Canceled o1 t0']);
    expect(v.engine.order('o1')).toMatchObject({ status: 'canceled', filledQty: 4, leavesQty: 6 });
    expect(v.position()).toBe(4);
  });

  it('FOK: canceled without any fill on insufficient volume; filled whole when there is enough', async () => {
    const v = await setup({ maxVolumeShare: 0.1 });
    v.submit({ side: 'buy', type: 'market', quantity: 10, timeInForce: 'FOK' });
    v.run(bar(0, 100, 101, 99, 100.5, 40));
    v.submit({ side: 'buy', type: 'market', quantity: 10, timeInForce: 'FOK' });
    v.run(bar(1, 100, 101, 99, 100.5, 100));
    v.submit({ side: 'buy', type: 'limit', price: 90, quantity: 10, timeInForce: 'FOK' });
    v.run(bar(2, 100, 101, 99, 100.5, 1_000));
    expect(v.log().filter((l) => !l.startsWith('Submitted') && !l.startsWith('Accepted'))).toEqual([
      'Canceled o1 t0',
      'Filled o2 t1 buy 10@100 fee 1 taker',
      'Canceled o3 t2', // limit not reached
    ]);
    expect(v.position()).toBe(10);
  });

  it('DAY: expires at the first bar of a later UTC day than its first bar; GTC keeps working', async () => {
    const midnight = Date.UTC(2024, 0, 3);
    const at = (m: number, o: number, h: number, l: number, c: number): Bar => ({
      symbol: 'SPX',
      ts: midnight + m * MIN,
      open: o,
      high: h,
      low: l,
      close: c,
      volume: 1_000,
    });
    const v = await setup({}, midnight - 3 * MIN);
    v.submit({
      clientOrderId: 'day1',
      side: 'buy',
      type: 'limit',
      price: 90,
      quantity: 1,
      timeInForce: 'DAY',
    });
    v.submit({ clientOrderId: 'gtc', side: 'buy', type: 'limit', price: 90, quantity: 1 });
    v.run(at(-2, 100, 100.5, 99.5, 100), at(-1, 100, 100.5, 99.5, 100)); // 23:58, 23:59: no fill
    // Sent during the last bar of the day: its first bar is 00:00, so the new day is its day.
    v.submit({
      clientOrderId: 'day2',
      side: 'buy',
      type: 'limit',
      price: 90,
      quantity: 1,
      timeInForce: 'DAY',
    });
    v.run(at(0, 91, 91.5, 89.5, 90)); // 00:00: would fill day1, but it expired first
    const lines = v.log().filter((l) => !l.startsWith('Submitted') && !l.startsWith('Accepted'));
    expect(lines).toEqual([
      `Expired day1 t${(midnight - T0) / MIN}`,
      `Filled gtc t${(midnight - T0) / MIN} buy 1@90 fee 0.04 maker`, // 0.045: 4.5 cents → 4 (half-even)
      `Filled day2 t${(midnight - T0) / MIN} buy 1@90 fee 0.04 maker`,
    ]);
    expect(v.engine.order('day1')).toMatchObject({ status: 'expired', filledQty: 0 });
  });
});

describe('SimulatedVenue: post-only and reduce-only', () => {
  it('post-only: rejected when it would take at its first open, maker when the path reaches it', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'limit', price: 100, quantity: 10, postOnly: true });
    v.submit({ side: 'buy', type: 'limit', price: 99.5, quantity: 10, postOnly: true });
    v.run(bar(0, 99.9, 100.2, 99.4, 100));
    expect(v.log().slice(4)).toEqual([
      'Rejected o1 t0 POST_ONLY_WOULD_TAKE',
      'Filled o2 t0 buy 10@99.5 fee 0.5 maker',
    ]);
    expect(v.engine.order('o1')?.status).toBe('rejected');
    expect(() => v.submit({ side: 'buy', type: 'market', quantity: 1, postOnly: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('reduce-only: fills only what reduces the position and cancels the excess', async () => {
    const v = await setup();
    v.submit({ side: 'buy', type: 'market', quantity: 10 });
    v.run(bar(0, 100, 101, 99, 100.5));
    v.submit({ side: 'sell', type: 'market', quantity: 15, reduceOnly: true });
    v.submit({ side: 'buy', type: 'market', quantity: 5, reduceOnly: true });
    v.run(bar(1, 101, 101.5, 100.5, 101));
    expect(v.log().filter((l) => !l.startsWith('Submitted') && !l.startsWith('Accepted'))).toEqual([
      'Filled o1 t0 buy 10@100 fee 1 taker',
      'Filled o2 t1 sell 10@101 fee 1.01 taker',
      'Canceled o2 t1',
      'Canceled o3 t1', // a buy cannot reduce a flat (or long) position
    ]);
    expect(v.position()).toBe(0);
    expect(v.engine.order('o2')).toMatchObject({ status: 'canceled', filledQty: 10, leavesQty: 5 });
    expect(v.cash()).toBe(10_000_000 - 100_000 - 100 + 101_000 - 101);
  });
});

describe('SimulatedVenue: partial fills by volume share', () => {
  it('a limit fills over several bars within 10 % of each bar’s volume', async () => {
    const v = await setup({ maxVolumeShare: 0.1 });
    v.submit({ side: 'buy', type: 'limit', price: 100, quantity: 10 });
    v.run(
      bar(0, 100.5, 100.8, 99.8, 100.2, 40),
      bar(1, 100.3, 100.6, 99.9, 100.1, 40),
      bar(2, 100.2, 100.4, 99.7, 100, 40),
    );
    expect(v.log()).toEqual([
      'Submitted o1 t-1',
      'Accepted o1 t-1',
      'Filled o1 t0 buy 4@100 fee 0.2 maker',
      'Filled o1 t1 buy 4@100 fee 0.2 maker',
      'Filled o1 t2 buy 2@100 fee 0.1 maker',
    ]);
    expect(v.engine.order('o1')).toMatchObject({ status: 'filled', filledQty: 10, leavesQty: 0 });
  });

  it('orders on the same bar share its volume in submission order', async () => {
    const v = await setup({ maxVolumeShare: 0.1 });
    v.submit({ side: 'buy', type: 'market', quantity: 3 });
    v.submit({ side: 'buy', type: 'market', quantity: 5 });
    v.run(bar(0, 100, 101, 99, 100.5, 40), bar(1, 100.5, 101, 100, 100.8, 40));
    expect(v.log().slice(4)).toEqual([
      'Filled o1 t0 buy 3@100 fee 0.3 taker',
      'Filled o2 t0 buy 1@100 fee 0.1 taker',
      'Filled o2 t1 buy 4@100.5 fee 0.4 taker', // 0.402
    ]);
    expect(v.engine.order('o2')?.status).toBe('filled');
  });

  it('a triggered stop cut short by volume stays triggered: the rest fills at later opens', async () => {
    const v = await setup({ maxVolumeShare: 0.1 });
    v.submit({ side: 'buy', type: 'stop', triggerPrice: 101, quantity: 10 });
    v.run(bar(0, 100, 101.5, 99.5, 101.2, 40));
    v.run(bar(1, 100.5, 100.8, 100.2, 100.6, 40)); // back below the trigger
    v.run(bar(2, 100.6, 100.7, 100.4, 100.5, 40));
    expect(v.log().slice(2)).toEqual([
      'Filled o1 t0 buy 4@101 fee 0.4 taker',
      'Filled o1 t1 buy 4@100.5 fee 0.4 taker',
      'Filled o1 t2 buy 2@100.6 fee 0.2 taker',
    ]);
  });

  it('takes the volume share exactly (29 % of 100 is 29, not 28.999…)', async () => {
    const v = await setup({ maxVolumeShare: 0.29 });
    v.submit({ side: 'buy', type: 'market', quantity: 50 });
    v.run(bar(0, 100, 101, 99, 100.5, 100));
    expect(v.log().slice(2)).toEqual(['Filled o1 t0 buy 29@100 fee 2.9 taker']);
  });
});

describe('SimulatedVenue event listeners', () => {
  it('hands each event to plain listeners first, then to events$, until a listener is removed', async () => {
    const { engine, run, submit } = await setup();
    const venue = engine.execution as SimulatedVenue;
    const seen: string[] = [];
    venue.events$.subscribe((e) => seen.push(`rx ${e.type}`));
    const remove = venue.addEventListener((e) => seen.push(`listener ${e.type}`));
    submit({ side: 'buy', type: 'market', quantity: 5 });
    run(bar(1, 100, 101, 99, 100.5));
    expect(seen).toEqual([
      'listener OrderAccepted',
      'rx OrderAccepted',
      'listener OrderFilled',
      'rx OrderFilled',
    ]);
    remove();
    seen.length = 0;
    submit({ side: 'sell', type: 'market', quantity: 5 });
    run(bar(2, 100, 101, 99, 100.5));
    expect(seen).toEqual(['rx OrderAccepted', 'rx OrderFilled']);
    // The engine gets its events through its own listener: the position is flat again.
    expect(engine.accountBook('acc').positions.get('SPX')?.qtyUnits).toBe(0);
  });
});
