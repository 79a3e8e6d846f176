import Decimal from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromUnits } from '../model/decimal';
import { defineInstrument } from '../model/instrument';
import { notionalMinorUnits } from '../model/money';
import { feeToMinorUnits, PositionBook, withoutFloatNoise } from './position-book';

const D = Decimal.clone({ precision: 60 });
const book = (pricePrecision: number, quantityPrecision: number, currencyPrecision = 2) =>
  new PositionBook({
    instrument: defineInstrument({ id: 'X', pricePrecision, quantityPrecision }),
    accountId: 'acc',
    currencyPrecision,
  });

describe('PositionBook notional at every precision', () => {
  it('a coin with 8 quantity decimals: cash moves by the exact notional, rounded half-even once', () => {
    const coin = book(2, 8);
    // 0.12345678 at 43,210.55 = 5,334.6358970290 → 5,334.64
    const { cashDelta } = coin.applyFill({
      signedQtyUnits: 12_345_678,
      pxUnits: 4_321_055,
      feeUnits: 0,
      ts: 1,
    });
    expect(cashDelta).toBe(-533_464);
    expect(coin.costUnits).toBe(533_464);
  });

  it('whole prices and quantities in a currency with cents (coarser than the cash grid) scale up', () => {
    const whole = book(0, 0, 2);
    const { cashDelta } = whole.applyFill({ signedQtyUnits: 3, pxUnits: 7, feeUnits: 5, ts: 1 });
    expect(cashDelta).toBe(-2_100 - 5);
    whole.mark(9, 2);
    expect(whole.valueUnits).toBe(2_700);
    expect(whole.snapshot()).toMatchObject({
      quantity: 3,
      avgPx: 7,
      markPx: 9,
      marketValue: 27,
      unrealizedPnl: 6,
    });
  });

  it("agrees with core's notionalMinorUnits (and decimal.js) whatever the precisions", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 10 ** 7 }),
        fc.integer({ min: 1, max: 10 ** 6 }),
        (pp, qp, cp, pxUnits, qtyUnits) => {
          const b = book(pp, qp, cp);
          const expected = new D(pxUnits)
            .times(qtyUnits)
            .div(new D(10).pow(pp + qp - cp))
            .toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN)
            .toNumber();
          expect(b.notional(pxUnits, qtyUnits)).toBe(expected);
          expect(notionalMinorUnits(b.instrument, { pxUnits, qtyUnits }, cp)).toBe(expected);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('PositionBook trades and marks', () => {
  it('applyFill returns the cash and realized change and the closed round trip', () => {
    const b = book(2, 0);
    expect(b.applyFill({ signedQtyUnits: 10, pxUnits: 10_000, feeUnits: 100, ts: 1 })).toEqual({
      cashDelta: -100_000 - 100,
      realizedDelta: 0,
      closed: undefined,
    });
    const out = b.applyFill({ signedQtyUnits: -10, pxUnits: 11_000, feeUnits: 110, ts: 2 });
    expect(out.cashDelta).toBe(110_000 - 110);
    expect(out.realizedDelta).toBe(10_000);
    expect(out.closed).toMatchObject({ side: 'long', entryPx: 100, exitPx: 110, quantity: 10, pnl: 97.9 });
  });

  it('a virtual book (describeTrade false) never builds the closed trade, also when a fill flips it', () => {
    const b = book(2, 0);
    b.apply({ signedQtyUnits: 10, pxUnits: 10_000, feeUnits: 0, ts: 1 }, false);
    expect(b.apply({ signedQtyUnits: -15, pxUnits: 10_500, feeUnits: 0, ts: 2 }, false)).toBeUndefined();
    expect(b.qtyUnits).toBe(-5);
    expect(b.apply({ signedQtyUnits: 5, pxUnits: 10_000, feeUnits: 0, ts: 3 }, false)).toBeUndefined();
    // The same flip described: the long closes, and the short then opens.
    const c = book(2, 0);
    c.apply({ signedQtyUnits: 10, pxUnits: 10_000, feeUnits: 0, ts: 1 }, true);
    expect(c.apply({ signedQtyUnits: -15, pxUnits: 10_500, feeUnits: 0, ts: 2 }, true)).toMatchObject({
      side: 'long',
    });
    expect(c.apply({ signedQtyUnits: 5, pxUnits: 10_000, feeUnits: 0, ts: 3 }, true)).toMatchObject({
      side: 'short',
      pnl: 25,
    });
  });

  it('a round trip at a price of zero has no return rather than NaN', () => {
    const b = book(2, 0);
    b.applyFill({ signedQtyUnits: 10, pxUnits: 0, feeUnits: 0, ts: 1 });
    expect(b.applyFill({ signedQtyUnits: -10, pxUnits: 0, feeUnits: 0, ts: 2 }).closed?.returnPct).toBe(0);
  });

  it('a mark never moves tsLast back; an unmarked book has no mark price', () => {
    const b = book(2, 0);
    expect(b.snapshot().markPx).toBeNaN();
    b.applyFill({ signedQtyUnits: 1, pxUnits: 10_000, feeUnits: 0, ts: 100 });
    b.mark(10_100, 50);
    expect(b.tsLast).toBe(100);
    b.mark(10_200, 200);
    expect(b.tsLast).toBe(200);
    b.setMark(10_300, 150);
    expect(b.tsLast).toBe(200);
    b.setMark(10_300, 300);
    expect(b.tsLast).toBe(300);
    expect(b.markPxUnits).toBe(10_300);
  });
});

describe('average prices of closed trades and snapshots', () => {
  it('is the quotient of notional and quantity to 15 digits, on the tick grid or off it, at any precision', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 2_000_000 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer({ min: 1, max: 2_000_000 }),
        (pp, qp, cp, buys, exitPx) => {
          const b = book(pp, qp, cp);
          let notional = 0;
          let qty = 0;
          for (const [q, px] of buys) {
            b.apply({ signedQtyUnits: q, pxUnits: px, feeUnits: 0, ts: 1 }, false);
            notional += b.notional(px, q);
            qty += q;
          }
          const reference = (n: number, q: number): number =>
            withoutFloatNoise(fromUnits(n, cp) / fromUnits(q, qp));
          expect(b.snapshot().avgPx).toBe(reference(notional, qty));
          const closed = b.apply({ signedQtyUnits: -qty, pxUnits: exitPx, feeUnits: 0, ts: 2 }, true);
          expect(closed?.entryPx).toBe(reference(notional, qty));
          expect(closed?.exitPx).toBe(reference(b.notional(exitPx, qty), qty));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('one fill on the grid gives its price back exactly; a price beyond 15 digits is rounded to 15', () => {
    const b = book(2, 0);
    // 144161 / 100 as a quotient of amounts would be 1441.6100000000001.
    b.apply({ signedQtyUnits: 3, pxUnits: 144_161, feeUnits: 0, ts: 1 }, false);
    expect(b.snapshot().avgPx).toBe(1441.61);
    const closed = b.apply({ signedQtyUnits: -3, pxUnits: 144_163, feeUnits: 0, ts: 2 }, true);
    expect(closed).toMatchObject({ entryPx: 1441.61, exitPx: 1441.63 });
    // Two fills a tick apart average off the grid: 1441.615.
    b.apply({ signedQtyUnits: 1, pxUnits: 144_161, feeUnits: 0, ts: 3 }, false);
    b.apply({ signedQtyUnits: 1, pxUnits: 144_162, feeUnits: 0, ts: 4 }, false);
    expect(b.snapshot().avgPx).toBe(1441.615);
    // 16 digits of price units: the average keeps 15 significant digits.
    const wide = book(8, 0, 8);
    wide.apply({ signedQtyUnits: 1, pxUnits: 1_234_567_890_123_456, feeUnits: 0, ts: 1 }, false);
    expect(wide.snapshot().avgPx).toBe(12_345_678.9012346);
  });

  it('names the strategy given for a closed trade, else its own', () => {
    const own = new PositionBook({
      instrument: defineInstrument({ id: 'X', pricePrecision: 2, quantityPrecision: 0 }),
      accountId: 'acc',
      strategyId: 'S',
      currencyPrecision: 2,
    });
    own.apply({ signedQtyUnits: 1, pxUnits: 100, feeUnits: 0, ts: 1 }, true);
    expect(own.apply({ signedQtyUnits: -1, pxUnits: 100, feeUnits: 0, ts: 2 }, true)?.strategyId).toBe('S');
    own.apply({ signedQtyUnits: 1, pxUnits: 100, feeUnits: 0, ts: 3 }, true);
    const named = own.apply({ signedQtyUnits: -1, pxUnits: 100, feeUnits: 0, ts: 4 }, true, 'T');
    expect(named?.strategyId).toBe('T');
    own.apply({ signedQtyUnits: 1, pxUnits: 100, feeUnits: 0, ts: 5 }, true);
    expect(own.apply({ signedQtyUnits: -1, pxUnits: 100, feeUnits: 0, ts: 6 }, false)).toBeUndefined();
  });
});

describe('feeToMinorUnits', () => {
  it('takes a fee on the grid as it is, float noise included', () => {
    expect(feeToMinorUnits(0.1, 2)).toBe(10);
    expect(feeToMinorUnits(0.29, 2)).toBe(29); // 28.999999999999996
    expect(feeToMinorUnits(0, 2)).toBe(0);
  });

  it('rounds a fee off the grid half-even', () => {
    expect(feeToMinorUnits(0.125, 2)).toBe(12);
    expect(feeToMinorUnits(0.135, 2)).toBe(14);
    expect(feeToMinorUnits(0.12345678, 2)).toBe(12);
    expect(feeToMinorUnits(0.1251, 2)).toBe(13);
  });
});
