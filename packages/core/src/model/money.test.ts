import Decimal from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineInstrument } from './instrument';
import { feeMinorUnits, notionalMinorUnits } from './money';

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
