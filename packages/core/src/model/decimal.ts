import { RxtradeError } from '../errors';

/**
 * Exact arithmetic on scaled integers. Inside the engine, prices, quantities, cash and fees are
 * integers counted in units of 10^-precision (a price of 1402.55 at precision 2 is 140255). Plain
 * `number`s hold them while they are safe integers (|n| < 2^53) and the few products that could
 * overflow fall back to BigInt, so results are exact without paying for BigInt on every bar.
 *
 * Rounding is half-to-even (banker's rounding) everywhere, so rounding errors do not accumulate in
 * one direction over millions of fills.
 */

const POW10: number[] = Array.from({ length: 19 }, (_, i) => 10 ** i);

/** 10^n for 0 ≤ n ≤ 18. */
export function pow10(n: number): number {
  const value = POW10[n];
  if (value === undefined) {
    throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: `precision ${n} is outside 0..18` });
  }
  return value;
}

/**
 * Converts a decimal number to integer units at `precision`, if it lies on that grid (within float
 * representation error). Returns NaN when it does not: 1.005 at precision 2 is off the grid.
 */
export function toUnitsExact(value: number, precision: number): number {
  const scaled = value * pow10(precision);
  const units = Math.round(scaled);
  // A value on the grid is within a few ulps of an integer after scaling. (A relative tolerance of
  // 1e-12, thousands of ulps, accepted anything beyond ~5·10^11 units: 123456.123456785 at 8 decimals.)
  // Stryker disable next-line EqualityOperator: equivalent — `<=` → `<` differs only when the rounding error equals the tolerance to the last bit, which no input was found to do (not proven); `>` is killed
  return Math.abs(scaled - units) <= Math.abs(scaled) * 8 * Number.EPSILON + 1e-9 ? units : Number.NaN;
}

/** Converts integer units back to a number (the closest double to the decimal value). */
export function fromUnits(units: number, precision: number): number {
  // Division by an exact power of ten gives the correctly rounded double of the decimal value.
  return units / pow10(precision);
}

/** Formats integer units as an exact decimal string: `formatUnits(-5, 2) === '-0.05'`. */
export function formatUnits(units: number | bigint, precision: number): string {
  const negative = units < 0;
  const digits = (negative ? -BigInt(units) : BigInt(units)).toString().padStart(precision + 1, '0');
  const whole = digits.slice(0, digits.length - precision);
  const frac = precision > 0 ? `.${digits.slice(digits.length - precision)}` : '';
  return `${negative ? '-' : ''}${whole}${frac}`;
}

/** Parses an exact decimal string to integer units; throws if it has more decimals than `precision`. */
export function parseUnits(text: string, precision: number): number {
  const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text.trim());
  const frac = match?.[3] ?? '';
  if (!match || frac.length > precision) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `${JSON.stringify(text)} is not a decimal with at most ${precision} decimals`,
    });
  }
  const units = BigInt(`${match[2]}${frac.padEnd(precision, '0')}`);
  const value = Number(match[1] ? -units : units);
  if (!Number.isSafeInteger(value)) {
    throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: `${text} is too large to hold exactly` });
  }
  return value;
}

/** Where {@link divRound}'s fast path is exact: every product and difference stays within 2^53. */
const FAST_DIV_LIMIT = 2 ** 52;

/** Divides integers with half-to-even rounding. `divisor` must be positive. */
export function divRound(numerator: number, divisor: number): number {
  // Stryker disable next-line ConditionalExpression,EqualityOperator,LogicalOperator,UnaryOperator,BlockStatement: equivalent — both paths are exact for every safe integer numerator and positive safe divisor (the fast one also past 2^52: checked against BigInt on 2,000,000 random inputs with ties), so which one a number takes cannot show
  if (numerator <= FAST_DIV_LIMIT && numerator >= -FAST_DIV_LIMIT && divisor <= FAST_DIV_LIMIT) {
    // A floating division, then the exact remainder: no % on doubles (a C call V8 does not inline;
    // it was the hottest line of marking a position every bar). The floor is exact: when n / d is not
    // an integer it lies at least 1/d from one, while rounding it to a double moves it by at most
    // |n / d| × 2^-53 < 1/d (as |n| < 2^53), so no integer is crossed; and q × d ≤ |n| is exact.
    const q = Math.floor(numerator / divisor);
    const twice = (numerator - q * divisor) * 2;
    // `+ 0` turns the -0 of a -0 numerator into 0.
    return (twice > divisor || (twice === divisor && q % 2 !== 0) ? q + 1 : q) + 0;
  }
  // Beyond 2^52 (still safe integers), % is exact and so is the division of the remainder-free numerator.
  let remainder = numerator % divisor;
  let q = (numerator - remainder) / divisor;
  // Stryker disable next-line EqualityOperator: equivalent — at remainder 0, `q − 1` and `remainder + divisor` round back up to `q`
  if (remainder < 0) {
    q -= 1;
    remainder += divisor;
  }
  const twice = remainder * 2;
  if (twice > divisor || (twice === divisor && q % 2 !== 0)) q += 1;
  return q;
}

function divRoundBig(numerator: bigint, divisor: bigint): bigint {
  let q = numerator / divisor; // truncates toward zero
  let r = numerator % divisor;
  // Stryker disable next-line EqualityOperator: equivalent — at remainder 0, `q − 1` and `r + divisor` round back up to `q`
  if (r < 0n) {
    q -= 1n;
    r += divisor;
  }
  const twice = r * 2n;
  if (twice > divisor || (twice === divisor && q % 2n !== 0n)) q += 1n;
  return q;
}

/**
 * round_half_even(a * b / divisor), exact for integer inputs. Uses plain numbers while a * b is a
 * safe integer and BigInt otherwise. Throws if the result itself is not a safe integer.
 */
export function mulDivRound(a: number, b: number, divisor: number): number {
  const product = a * b;
  // Stryker disable next-line ConditionalExpression: equivalent — a fast path; the BigInt path below gives the same exact result
  if (Number.isSafeInteger(product) && Number.isSafeInteger(divisor)) return divRound(product, divisor);
  const result = Number(divRoundBig(BigInt(a) * BigInt(b), BigInt(divisor)));
  if (!Number.isSafeInteger(result)) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `amount overflows exact integer range: ${a} * ${b}`,
    });
  }
  return result;
}

/**
 * ceil(a * b / divisor) for integers a, b ≥ 0 and a positive divisor, exact (BigInt when a * b is not a
 * safe integer). Throws if the result is not a safe integer.
 */
export function mulDivCeil(a: number, b: number, divisor: number): number {
  const product = a * b;
  // Stryker disable next-line ConditionalExpression,BlockStatement: equivalent — a fast path; the BigInt path below gives the same exact result
  if (Number.isSafeInteger(product)) {
    // The floor of a safe integer quotient is exact (see divRound); one more when it leaves a remainder.
    const q = Math.floor(product / divisor);
    return q * divisor < product ? q + 1 : q;
  }
  const big = BigInt(a) * BigInt(b);
  const d = BigInt(divisor);
  const result = Number((big + d - 1n) / d);
  if (!Number.isSafeInteger(result)) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `amount overflows exact integer range: ${a} * ${b}`,
    });
  }
  return result;
}

/**
 * round_half_even(a * b * c / divisor), exact (for notional × fee rate). Pass a divisor beyond 2^53
 * as a bigint: 10^23 and larger powers of ten are not exact as doubles.
 */
export function mulMulDivRound(factors: readonly [number, number, number], divisor: number | bigint): number {
  const [a, b, c] = factors;
  const product = a * b * c;
  // Stryker disable next-line ConditionalExpression,EqualityOperator,LogicalOperator,StringLiteral,BlockStatement: equivalent — a fast path; the BigInt path below gives the same exact result (the mutants that let an inexact product in are killed, but share these mutators)
  if (typeof divisor === 'number' && Number.isSafeInteger(product) && Number.isSafeInteger(divisor)) {
    return divRound(product, divisor);
  }
  const result = Number(divRoundBig(BigInt(a) * BigInt(b) * BigInt(c), BigInt(divisor)));
  if (!Number.isSafeInteger(result)) {
    throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: 'amount overflows exact integer range' });
  }
  return result;
}

/** Fee and slippage rates are held as integers in parts per 10^8 (1 bp = 10,000). */
export const RATE_SCALE = 100_000_000;

/** Converts a rate such as 0.001 (0.1 %) to parts per 10^8; throws when it is finer than that. */
export function rateToUnits(rate: number, name = 'rate'): number {
  const units = toUnitsExact(rate, 8);
  if (!Number.isFinite(rate) || Number.isNaN(units)) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `${name} ${rate} must be finite with at most 8 decimals`,
    });
  }
  return units;
}
