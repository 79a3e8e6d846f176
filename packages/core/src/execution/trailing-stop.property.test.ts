import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineInstrument } from '../model/instrument';
import type { Bar } from '../model/market-data';
import { createOrder } from '../model/order';
import type { OrderFilled } from '../model/order-events';
import { ManualClock } from '../ports/clock';
import { SimulatedVenue } from './simulated-venue';

/**
 * A sell trailing stop, stated without its ratchet: it fills at the first point of the bar path
 * that is at or below `max(initial trigger, best point seen before it − distance)`, at that level,
 * or at the point itself when the point is a bar's open. Prices here are in ticks of 0.05.
 */

const TICK = 5; // cents
const instrument = defineInstrument({ id: 'X', pricePrecision: 2, quantityPrecision: 0, tickSize: 0.05 });

/** Bars as OHLC in ticks: open, then the high and low around it, then a close in between. */
const barsArb = fc.array(
  fc
    .tuple(
      fc.integer({ min: 1_800, max: 2_200 }),
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 40 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
    )
    .map(([open, up, down, at]) => {
      const high = open + up;
      const low = open - down;
      return { open, high, low, close: low + Math.round((high - low) * at) };
    }),
  { minLength: 1, maxLength: 30 },
);

type TickBar = { open: number; high: number; low: number; close: number };

const path = (b: TickBar): number[] =>
  b.close >= b.open ? [b.open, b.low, b.high, b.close] : [b.open, b.high, b.low, b.close];

function run(bars: readonly TickBar[], order: { trigger: number; amount?: number; percent?: number }) {
  const clock = new ManualClock(0);
  const venue = new SimulatedVenue({ instruments: [instrument], clock });
  const fills: OrderFilled[] = [];
  venue.addEventListener((e) => {
    if (e.type === 'OrderFilled') fills.push(e);
  });
  const o = createOrder(
    {
      instrumentId: 'X',
      side: 'sell',
      type: 'stop',
      quantity: 1,
      triggerPrice: (order.trigger * TICK) / 100,
      trailingAmount: order.amount === undefined ? undefined : (order.amount * TICK) / 100,
      trailingPercent: order.percent,
    },
    { clientOrderId: 'o', accountId: 'a', strategyId: 's', quantityPrecision: 0, ts: 0 },
  );
  venue.submitOrderSync(o);
  let filledOn = -1;
  bars.forEach((b, i) => {
    const bar: Bar = {
      symbol: 'X',
      ts: (i + 1) * 60_000,
      open: (b.open * TICK) / 100,
      high: (b.high * TICK) / 100,
      low: (b.low * TICK) / 100,
      close: (b.close * TICK) / 100,
      volume: 1_000,
    };
    clock.set(bar.ts);
    venue.processBar(bar);
    if (filledOn < 0 && fills.length > 0) filledOn = i;
  });
  return { fills, filledOn };
}

/** Where the stated rule fills, given how far below the best price seen the stop sits. */
function expected(bars: readonly TickBar[], trigger: number, level: (best: number) => number) {
  let best = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < bars.length; i++) {
    const points = path(bars[i] as TickBar);
    for (let j = 0; j < points.length; j++) {
      const p = points[j] as number;
      const stop = Math.max(trigger, level(best));
      if (p <= stop) return { bar: i, px: j === 0 ? p : stop };
      best = Math.max(best, p);
    }
  }
  return undefined;
}

describe('trailing stop (property): the ratchet is "the best price seen, less the distance"', () => {
  it('by amount', () => {
    fc.assert(
      fc.property(
        barsArb,
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 30 }),
        (bars, below, amount) => {
          const trigger = (bars[0] as TickBar).open - below;
          const { fills, filledOn } = run(bars, { trigger, amount });
          const want = expected(bars, trigger, (best) => best - amount);
          if (want === undefined) expect(fills).toEqual([]);
          else {
            expect(filledOn).toBe(want.bar);
            expect(fills.map((f) => Math.round((f.lastPx * 100) / TICK))).toEqual([want.px]);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('by percent, the level rounded down to the tick', () => {
    fc.assert(
      fc.property(
        barsArb,
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        (bars, below, tenths) => {
          const percent = tenths / 10;
          const trigger = (bars[0] as TickBar).open - below;
          const { fills, filledOn } = run(bars, { trigger, percent });
          // In ticks: floor(best × (1 − percent/100)), done in integers (tenths of a percent) to stay exact.
          const want = expected(bars, trigger, (best) => Math.floor((best * (1000 - tenths)) / 1000));
          if (want === undefined) expect(fills).toEqual([]);
          else {
            expect(filledOn).toBe(want.bar);
            expect(fills.map((f) => Math.round((f.lastPx * 100) / TICK))).toEqual([want.px]);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
