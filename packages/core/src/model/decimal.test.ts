import Decimal from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRxtradeError } from '../errors';
import {
  divRound,
  formatUnits,
  fromUnits,
  mulDivCeil,
  mulDivRound,
  mulMulDivRound,
  parseUnits,
  pow10,
  rateToUnits,
  toUnitsExact,
} from './decimal';

// The reference: decimal.js with enough digits that nothing it computes here is rounded before we round.
const D = Decimal.clone({ precision: 80 });
// `+ 0` turns decimal.js's −0 into 0, as integer arithmetic has it.
const halfEven = (value: Decimal): number => value.toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toNumber() + 0;

describe('divRound', () => {
  it('rounds exact halves to the even neighbour, on both sides of zero', () => {
    expect(divRound(5, 2)).toBe(2); // 2.5 → 2
    expect(divRound(7, 2)).toBe(4); // 3.5 → 4
    expect(divRound(1, 2)).toBe(0); // 0.5 → 0
    expect(divRound(3, 2)).toBe(2); // 1.5 → 2
    expect(divRound(-5, 2)).toBe(-2); // −2.5 → −2
    expect(divRound(-7, 2)).toBe(-4); // −3.5 → −4
    expect(divRound(-3, 2)).toBe(-2); // −1.5 → −2
    expect(divRound(-1, 2) === 0).toBe(true); // −0.5 → 0
    expect(divRound(250, 100)).toBe(2);
    expect(divRound(350, 100)).toBe(4);
    expect(divRound(-250, 100)).toBe(-2);
    expect(divRound(-350, 100)).toBe(-4);
  });

  it('rounds non-halves to the nearest integer', () => {
    expect(divRound(251, 100)).toBe(3);
    expect(divRound(249, 100)).toBe(2);
    expect(divRound(-251, 100)).toBe(-3);
    expect(divRound(-249, 100)).toBe(-2);
    expect(divRound(-1, 3)).toBe(0);
    expect(divRound(-2, 3)).toBe(-1);
    expect(divRound(10, 5)).toBe(2);
    expect(divRound(-10, 5)).toBe(-2);
    expect(divRound(0, 7)).toBe(0);
  });

  it('agrees with decimal.js at and next to exact halves, up to and across 2^52', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(2, 3, 7, 10, 100, 10 ** 6, 2 ** 26 + 1)),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom(-1, 0, 1),
        fc.boolean(),
        fc.constantFrom(2 ** 40, 2 ** 52, 2 ** 53),
        (d, at, offset, negative, range) => {
          // k × d + d/2 (+/- 1): a tie or its neighbours, where a floating quotient is most likely off by one.
          const k = Math.floor((at * (range - d)) / d);
          const n = (negative ? -1 : 1) * (k * d + Math.floor(d / 2) + offset);
          fc.pre(Number.isSafeInteger(n));
          expect(divRound(n, d)).toBe(halfEven(new D(n).div(d)));
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('agrees with decimal.js ROUND_HALF_EVEN on random safe integers', () => {
    fc.assert(
      fc.property(
        fc.maxSafeInteger(),
        fc.oneof(
          fc.integer({ min: 1, max: 1000 }),
          fc.constantFrom(2, 10, 100, 10 ** 6, 10 ** 13),
          fc.maxSafeNat(),
        ),
        (n, d) => {
          fc.pre(d > 0);
          expect(divRound(n, d)).toBe(halfEven(new D(n).div(d)));
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('mulDivRound', () => {
  it('is exact below 2^53', () => {
    expect(mulDivRound(140255, 3, 100)).toBe(4208); // 4207.65 → 4208
    expect(mulDivRound(125, 1, 10)).toBe(12); // 12.5 → 12
    expect(mulDivRound(135, 1, 10)).toBe(14); // 13.5 → 14
    expect(mulDivRound(-125, 1, 10)).toBe(-12);
  });

  it('falls back to BigInt when a × b exceeds 2^53 and stays exact', () => {
    // (2^53 − 1) × 3 / 6 = 4503599627370495.5 → …496 (even); a float product would be off by several units.
    expect(mulDivRound(Number.MAX_SAFE_INTEGER, 3, 6)).toBe(4503599627370496);
    // 9007199254740991 × 1000 / 1000: the float product 9.007199254740991e18 is not exact.
    expect(mulDivRound(Number.MAX_SAFE_INTEGER, 1000, 1000)).toBe(Number.MAX_SAFE_INTEGER);
    // (2^52 + 1) × 3 / 2 = 6755399441055745.5: a tie (→ …746) that a float product could not even represent.
    expect(mulDivRound(4503599627370497, 3, 2)).toBe(6755399441055746);
    expect(mulDivRound(4503599627370497, -3, 2)).toBe(-6755399441055746);
    expect(mulDivRound(4503599627370499, 3, 2)).toBe(6755399441055748); // …747.5 → …748
    expect(mulDivRound(-Number.MAX_SAFE_INTEGER, 5, 10)).toBe(
      halfEven(new D(-Number.MAX_SAFE_INTEGER).times(5).div(10)),
    );
  });

  it('throws INVALID_ARGUMENT when the result is not a safe integer', () => {
    let error: unknown;
    try {
      mulDivRound(Number.MAX_SAFE_INTEGER, 4, 2);
    } catch (e) {
      error = e;
    }
    expect(isRxtradeError(error) && error.code).toBe('INVALID_ARGUMENT');
  });

  it('agrees with decimal.js on random products beyond 2^53', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 2 ** 50 }),
        (a, b, d) => {
          const expected = new D(a).times(b).div(d);
          fc.pre(expected.abs().lte(Number.MAX_SAFE_INTEGER));
          expect(mulDivRound(a, b, d)).toBe(halfEven(expected));
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('mulDivCeil', () => {
  it('rounds any remainder up, and an exact quotient not at all', () => {
    expect(mulDivCeil(30, 100_000, 100_000_000)).toBe(1); // 0.03 cents of fee still holds a cent
    expect(mulDivCeil(1_000, 100_000, 100_000_000)).toBe(1); // exactly 1
    expect(mulDivCeil(1_001, 100_000, 100_000_000)).toBe(2);
    expect(mulDivCeil(0, 100_000, 100_000_000)).toBe(0);
    expect(mulDivCeil(7, 0, 3)).toBe(0);
  });

  it('agrees with decimal.js on random products, below and beyond 2^53', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 52 }),
        fc.integer({ min: 0, max: 2 ** 30 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        (a, b, d) => {
          const expected = new D(a).times(b).div(d).ceil();
          fc.pre(expected.lte(Number.MAX_SAFE_INTEGER));
          expect(mulDivCeil(a, b, d)).toBe(expected.toNumber());
        },
      ),
      { numRuns: 5000 },
    );
    // Beyond 2^53 by one: the float product rounds to a multiple and would hide the remainder.
    expect(mulDivCeil(2 ** 52 + 1, 2, 2)).toBe(2 ** 52 + 1);
    expect(mulDivCeil(2 ** 52 + 1, 3, 2)).toBe(6755399441055746); // ceil(…745.5)
  });

  it('throws INVALID_ARGUMENT when the result is not a safe integer', () => {
    let error: unknown;
    try {
      mulDivCeil(Number.MAX_SAFE_INTEGER, 4, 2);
    } catch (e) {
      error = e;
    }
    expect(isRxtradeError(error) && error.code).toBe('INVALID_ARGUMENT');
  });
});

describe('formatUnits / parseUnits', () => {
  it('formats exact decimal strings', () => {
    expect(formatUnits(-5, 2)).toBe('-0.05');
    expect(formatUnits(140255, 2)).toBe('1402.55');
    expect(formatUnits(7, 0)).toBe('7');
    expect(formatUnits(0, 3)).toBe('0.000');
    expect(formatUnits(123456789012345678901234567890n, 8)).toBe('1234567890123456789012.34567890');
    expect(formatUnits(-1n, 8)).toBe('-0.00000001');
  });

  it('parses exact decimal strings and refuses what does not fit', () => {
    expect(parseUnits('1402.55', 2)).toBe(140255);
    expect(parseUnits('1402.5', 2)).toBe(140250);
    expect(parseUnits('-0.05', 2)).toBe(-5);
    expect(parseUnits(' 12 ', 3)).toBe(12000);
    for (const bad of ['1.005', '', '1.', '.5', '1e3', 'abc', '+1', '1,5', '--1']) {
      expect(() => parseUnits(bad, 2), bad).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => parseUnits('90071992547409.92', 2)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('round-trips every safe integer at every precision', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.integer({ min: 0, max: 18 }), (units, precision) => {
        const text = formatUnits(units, precision);
        expect(parseUnits(text, precision)).toBe(units === 0 ? 0 : units);
        // The string is the exact decimal value.
        expect(new D(text).equals(new D(units).div(new D(10).pow(precision)))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('round-trips decimal strings to their canonical form', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.stringMatching(/^[1-9]\d{0,6}$/),
        fc.stringMatching(/^\d{0,4}$/),
        fc.integer({ min: 0, max: 4 }),
        (negative, whole, frac, extra) => {
          const precision = frac.length + extra;
          const text = `${negative ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
          const units = parseUnits(text, precision);
          expect(formatUnits(units, precision)).toBe(
            `${negative ? '-' : ''}${whole}${precision > 0 ? `.${frac.padEnd(precision, '0')}` : ''}`,
          );
        },
      ),
    );
  });
});

describe('toUnitsExact', () => {
  it('accepts values on the grid, float noise included', () => {
    expect(toUnitsExact(1402.55, 2)).toBe(140255);
    expect(toUnitsExact(0.1 + 0.2, 1)).toBe(3);
    expect(toUnitsExact(-0.05, 2)).toBe(-5);
    expect(toUnitsExact(1e-8, 8)).toBe(1);
    expect(toUnitsExact(0.00012345, 8)).toBe(12345);
    expect(toUnitsExact(4.35, 2)).toBe(435); // 4.35 × 100 = 434.99999999999994
    expect(toUnitsExact(1.1 * 3, 2)).toBe(330); // 3.3000000000000003
    expect(toUnitsExact(0, 3)).toBe(0);
  });

  it('detects values off the grid', () => {
    expect(toUnitsExact(1.005, 2)).toBeNaN();
    expect(toUnitsExact(0.5, 0)).toBeNaN();
    expect(toUnitsExact(1.0001, 3)).toBeNaN();
    expect(toUnitsExact(0.000000015, 8)).toBeNaN();
    // Large magnitudes: a half unit off the grid is still off the grid.
    expect(toUnitsExact(123456.123456785, 8)).toBeNaN();
    expect(toUnitsExact(98765432.1235, 3)).toBeNaN();
    expect(toUnitsExact(5000000000.5, 0)).toBeNaN();
  });

  it('round-trips integer units through fromUnits at every precision', () => {
    // Up to 10^15 units: beyond, one ulp of the scaled double approaches a whole unit.
    fc.assert(
      fc.property(
        fc.integer({ min: -(10 ** 15), max: 10 ** 15 }),
        fc.integer({ min: 0, max: 12 }),
        (units, precision) => {
          expect(toUnitsExact(fromUnits(units, precision), precision)).toBe(units === 0 ? 0 : units);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('refuses a value half a unit off the grid up to 10^14 units', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(10 ** 14), max: 10 ** 14 }),
        fc.integer({ min: 0, max: 8 }),
        (units, precision) => {
          // (units + 0.5) × 10^-precision, parsed from its exact decimal string.
          const text = formatUnits(BigInt(units) * 10n + (units < 0 ? -5n : 5n), precision + 1);
          expect(toUnitsExact(Number(text), precision)).toBeNaN();
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

describe('rateToUnits', () => {
  it('holds rates in parts per 10^8 and refuses finer ones', () => {
    expect(rateToUnits(0.001)).toBe(100_000);
    expect(rateToUnits(0.0005)).toBe(50_000);
    expect(rateToUnits(-0.00012345)).toBe(-12_345);
    expect(rateToUnits(0.00000001)).toBe(1);
    expect(() => rateToUnits(0.000000005)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => rateToUnits(Number.NaN)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => rateToUnits(0.000000005)).toThrow('rate 5e-9 must be finite with at most 8 decimals');
    expect(() => rateToUnits(0.000000005, 'takerFee')).toThrow('takerFee 5e-9 must be finite');
  });
});

describe('mulMulDivRound', () => {
  /** The exact answer, from BigInt. */
  const exact = (a: number, b: number, c: number, divisor: number): number => {
    const n = BigInt(a) * BigInt(b) * BigInt(c);
    const d = BigInt(divisor);
    let q = n / d;
    let r = n % d;
    if (r < 0n) {
      q -= 1n;
      r += d;
    }
    if (r * 2n > d || (r * 2n === d && q % 2n !== 0n)) q += 1n;
    return Number(q);
  };

  it('rounds a × b × c / divisor half to even, with doubles while the product is exact', () => {
    expect(mulMulDivRound([3, 5, 7], 10)).toBe(10); // 10.5 → 10
    expect(mulMulDivRound([3, 5, 9], 10)).toBe(14); // 13.5 → 14
    expect(mulMulDivRound([-3, 5, 7], 4)).toBe(-26); // -26.25
    expect(mulMulDivRound([12, 10, 1], 7)).toBe(17); // 17.14…
  });

  it('takes BigInt when the product is beyond exact doubles, or the divisor is a bigint', () => {
    const factors: [number, number, number] = [831_898_763, 803_311_924, 1_000];
    expect(mulMulDivRound(factors, 100_000_000)).toBe(exact(...factors, 100_000_000));
    expect(mulMulDivRound(factors, 100_000_000)).toBe(6_682_741_958_788);
    expect(mulMulDivRound([2 ** 40, 3, 2 ** 20], 1_000)).toBe(exact(2 ** 40, 3, 2 ** 20, 1_000));
    expect(mulMulDivRound([12, 10, 3], 7n)).toBe(51); // 51.43
    expect(mulMulDivRound([25, 10, 7], 10n ** 2n)).toBe(18); // 17.5 → 18
  });

  it('refuses a result beyond exact integers', () => {
    let error: unknown;
    try {
      mulMulDivRound([2 ** 40, 2 ** 20, 2 ** 10], 3);
    } catch (e) {
      error = e;
    }
    expect(isRxtradeError(error) && [error.code, error.message]).toEqual([
      'INVALID_ARGUMENT',
      'amount overflows exact integer range',
    ]);
  });
});

describe('decimal refusals name the value', () => {
  const messageOf = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      return isRxtradeError(error) ? `${error.code}: ${error.message}` : 'other error';
    }
    return 'no error';
  };

  it('pow10 holds 10^0 … 10^18 and refuses the rest', () => {
    expect(pow10(0)).toBe(1);
    expect(pow10(18)).toBe(1e18);
    expect(messageOf(() => pow10(19))).toBe('INVALID_ARGUMENT: precision 19 is outside 0..18');
    expect(messageOf(() => pow10(-1))).toBe('INVALID_ARGUMENT: precision -1 is outside 0..18');
  });

  it('parseUnits says what it refused', () => {
    expect(messageOf(() => parseUnits('1.234', 2))).toBe(
      'INVALID_ARGUMENT: "1.234" is not a decimal with at most 2 decimals',
    );
    expect(messageOf(() => parseUnits('90071992547409.93', 2))).toBe(
      'INVALID_ARGUMENT: 90071992547409.93 is too large to hold exactly',
    );
  });

  it('mulDivRound names the product that overflowed', () => {
    expect(messageOf(() => mulDivRound(Number.MAX_SAFE_INTEGER, 4, 2))).toBe(
      `INVALID_ARGUMENT: amount overflows exact integer range: ${Number.MAX_SAFE_INTEGER} * 4`,
    );
    expect(messageOf(() => mulDivCeil(Number.MAX_SAFE_INTEGER, 4, 2))).toBe(
      `INVALID_ARGUMENT: amount overflows exact integer range: ${Number.MAX_SAFE_INTEGER} * 4`,
    );
  });
});
