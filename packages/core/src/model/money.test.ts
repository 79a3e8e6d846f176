import Decimal from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRxtradeError } from '../errors';
import { defineInstrument } from './instrument';
import { buyCostMinorUnits, feeMinorUnits, notionalMinorUnits } from './money';

const D = Decimal.clone({ precision: 80 });
const scaled = (units: number, precision: number): Decimal => new D(units).div(new D(10).pow(precision));
const minor = (value: Decimal, currencyPrecision: number): number =>
  value.times(new D(10).pow(currencyPrecision)).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toNumber() + 0;

describe('notionalMinorUnits / feeMinorUnits', () => {
  it('match decimal.js (half-even, the fee rounded once) at every precision', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 10 ** 9 }),
        fc.integer({ min: 1, max: 10 ** 7 }),
        fc.integer({ min: -1_000_000, max: 10_000_000 }),
        (pricePrecision, quantityPrecision, currencyPrecision, pxUnits, qtyUnits, rateUnits) => {
          fc.pre(pricePrecision + quantityPrecision - currencyPrecision <= 18);
          const instrument = defineInstrument({ id: 'X', pricePrecision, quantityPrecision });
          const gross = scaled(pxUnits, pricePrecision).times(scaled(qtyUnits, quantityPrecision));
          const expectedNotional = minor(gross, currencyPrecision);
          const expectedFee = minor(gross.times(scaled(rateUnits, 8)), currencyPrecision);
          fc.pre(Math.abs(expectedNotional) < Number.MAX_SAFE_INTEGER);
          expect(notionalMinorUnits(instrument, { pxUnits, qtyUnits }, currencyPrecision)).toBe(
            expectedNotional,
          );
          expect(feeMinorUnits(instrument, { pxUnits, qtyUnits, rateUnits }, currencyPrecision)).toBe(
            expectedFee,
          );
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('rounds exact half-cent fees to even, also where 10^(shift + 8) is beyond exact doubles', () => {
    const spx = defineInstrument({ id: 'SPX', pricePrecision: 2, quantityPrecision: 0 });
    // 104.50 × 10 × 0.001 = 1.045 → 1.04; 105.50 × 10 × 0.001 = 1.055 → 1.06.
    expect(feeMinorUnits(spx, { pxUnits: 10_450, qtyUnits: 10, rateUnits: 100_000 }, 2)).toBe(104);
    expect(feeMinorUnits(spx, { pxUnits: 10_550, qtyUnits: 10, rateUnits: 100_000 }, 2)).toBe(106);
    expect(feeMinorUnits(spx, { pxUnits: 10_450, qtyUnits: 10, rateUnits: -100_000 }, 2)).toBe(-104);
    // 9 + 8 price/quantity decimals: divisor 10^(15 + 8) = 10^23, which a double holds as 99999999999999991611392.
    const fine = defineInstrument({ id: 'FINE', pricePrecision: 9, quantityPrecision: 8 });
    // 0.25 × 1 × 0.1 = 0.025 → 0.02; 0.35 × 1 × 0.1 = 0.035 → 0.04.
    expect(
      feeMinorUnits(fine, { pxUnits: 250_000_000, qtyUnits: 100_000_000, rateUnits: 10_000_000 }, 2),
    ).toBe(2);
    expect(
      feeMinorUnits(fine, { pxUnits: 350_000_000, qtyUnits: 100_000_000, rateUnits: 10_000_000 }, 2),
    ).toBe(4);
  });
});

describe('buyCostMinorUnits', () => {
  it('is the half-even notional plus the fee at the larger rate, rounded up (decimal.js)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 10 ** 8 }),
        fc.integer({ min: 1, max: 10 ** 6 }),
        fc.integer({ min: -1_000_000, max: 10_000_000 }),
        fc.integer({ min: -1_000_000, max: 10_000_000 }),
        (pricePrecision, quantityPrecision, currencyPrecision, pxUnits, qtyUnits, maker, taker) => {
          const instrument = defineInstrument({
            id: 'X',
            pricePrecision,
            quantityPrecision,
            makerFee: maker / 1e8,
            takerFee: taker / 1e8,
          });
          const notional = minor(
            scaled(pxUnits, pricePrecision).times(scaled(qtyUnits, quantityPrecision)),
            currencyPrecision,
          );
          fc.pre(notional < Number.MAX_SAFE_INTEGER / 10);
          const rate = new D(Math.max(maker, taker, 0)).div(1e8);
          const fee = new D(notional).times(rate).ceil().toNumber();
          expect(buyCostMinorUnits(instrument, { pxUnits, qtyUnits }, currencyPrecision)).toBe(
            notional + fee,
          );
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('holds a whole minor unit for a fee of a fraction of one, and none for a rebate', () => {
    const coin = defineInstrument({ id: 'C', pricePrecision: 2, quantityPrecision: 3, takerFee: 0.001 });
    // 3 × 0.10 = 0.30 (a float product says 0.30000000000000004); fee 0.0003 → one cent.
    expect(buyCostMinorUnits(coin, { pxUnits: 10, qtyUnits: 3_000 }, 2)).toBe(31);
    const rebate = defineInstrument({ id: 'R', pricePrecision: 2, quantityPrecision: 0, makerFee: -0.0002 });
    expect(buyCostMinorUnits(rebate, { pxUnits: 10_000, qtyUnits: 10 }, 2)).toBe(100_000);
  });
});

describe('notionalMinorUnits at the precision boundary', () => {
  it("refuses a notional beyond exact integers when price and quantity decimals equal the currency's", () => {
    // shift 0: the product itself is the notional, and it must still be exact.
    const x = defineInstrument({ id: 'X', pricePrecision: 2, quantityPrecision: 0 });
    let error: unknown;
    try {
      notionalMinorUnits(x, { pxUnits: 2 ** 40, qtyUnits: 2 ** 14 + 1 }, 2);
    } catch (e) {
      error = e;
    }
    expect(isRxtradeError(error) && error.code).toBe('INVALID_ARGUMENT');
  });

  it('scales up when the currency has more decimals than price and quantity together', () => {
    const whole = defineInstrument({ id: 'W', pricePrecision: 0, quantityPrecision: 0 });
    expect(notionalMinorUnits(whole, { pxUnits: 7, qtyUnits: 3 }, 4)).toBe(210_000);
    expect(feeMinorUnits(whole, { pxUnits: 7, qtyUnits: 3, rateUnits: 50_000_000 }, 4)).toBe(105_000);
  });

  it('keeps the fee exact at shift 0 when price × quantity is beyond exact doubles', () => {
    // 8,318,987.63 × 803,311,924 at 0.001 %: the product of the units (6.7e17) is not a double, the fee is.
    const x = defineInstrument({ id: 'X', pricePrecision: 2, quantityPrecision: 0 });
    const amounts = { pxUnits: 831_898_763, qtyUnits: 803_311_924, rateUnits: 1_000 };
    const exact = new D(amounts.pxUnits).times(amounts.qtyUnits).times(amounts.rateUnits).div(1e8);
    expect(exact.toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toNumber()).toBe(6_682_741_958_788);
    expect(feeMinorUnits(x, amounts, 2)).toBe(6_682_741_958_788);
  });
});
