import { invalidArgument } from '../../errors';
import { badInput, checkPeriod, checkValues } from './internal';
import type { StreamingIndicator } from './types';
import { firstBadValue, Wma } from './wma';

/**
 * Hull moving average (Alan Hull, 2005): `HMA = WMA(2 * WMA(x, floor(period / 2)) - WMA(x, period), floor(sqrt(period)))`,
 * built from three {@link Wma}s (so it inherits their drift-free sums).
 *
 * Warm-up: `period - 1 + floor(sqrt(period)) - 1`. `period` must be at least 2 (the half window is `floor(period / 2)`).
 *
 * Tested against trading-signals' `HMA` and @ixjb94/indicators' `hma` (same definition, exact agreement).
 * Non-finite inputs throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Hma implements StreamingIndicator<number> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly half: Wma;
  private readonly full: Wma;
  private readonly root: Wma;
  private out = Number.NaN;

  constructor(period = 9) {
    checkPeriod('Hma', 'period', period);
    if (period < 2) throw invalidArgument(`Hma: period must be at least 2, got ${period}`, { period });
    this.period = period;
    const sqrt = Math.floor(Math.sqrt(period));
    this.warmup = period - 1 + sqrt - 1;
    this.half = new Wma(Math.floor(period / 2));
    this.full = new Wma(period);
    this.root = new Wma(sqrt);
  }

  /** True once `warmup + 1` inputs have been seen. */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest HMA, NaN before {@link Hma.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one input; returns the new HMA, or NaN while warming up. */
  update(value: number): number {
    if (!Number.isFinite(value)) throw badInput('Hma', 'value', value);
    // The input was checked above, and 2 * half - full of finite inputs is finite: the unchecked path is safe.
    const half = this.half.push(value);
    const full = this.full.push(value);
    if (Number.isNaN(full)) return full;
    const out = this.root.push(2 * half - full);
    this.out = out;
    return out;
  }

  /** Forgets all inputs. */
  reset(): void {
    this.half.reset();
    this.full.reset();
    this.root.reset();
    this.out = Number.NaN;
  }
}

/**
 * Batch {@link Hma}: one output per input, NaN for the first `period + floor(sqrt(period)) - 2`, bit for bit the
 * streamed values. One loop runs the three WMAs' `push` arithmetic (see {@link Wma}) with their sums in locals,
 * the root one fed `2 * half - full` from the row where the full window is ready, as the class does: updating
 * three WMA objects per input stored and reloaded fifteen running values, and three separate passes (one per WMA)
 * lost the overlap of the three dependency chains. Input is checked once, after the loop (`x - x` is NaN only for a
 * non-finite x).
 */
export function hma(values: ArrayLike<number>, period = 9): Float64Array {
  checkValues('hma', values);
  const { warmup } = new Hma(period); // throws for a bad period, as the streaming class does
  const n = values.length;
  const out = new Float64Array(n);
  const hp = Math.floor(period / 2);
  const rp = Math.floor(Math.sqrt(period));
  const hRing = new Float64Array(hp);
  const fRing = new Float64Array(period);
  const rRing = new Float64Array(rp);
  const hDenom = (hp * (hp + 1)) / 2;
  const fDenom = (period * (period + 1)) / 2;
  const rDenom = (rp * (rp + 1)) / 2;
  let hi = 0;
  let hSum = 0;
  let hW = 0;
  let hFreshSum = 0;
  let hFreshW = 0;
  let fi = 0;
  let fSum = 0;
  let fW = 0;
  let fFreshSum = 0;
  let fFreshW = 0;
  let ri = 0;
  let rSum = 0;
  let rW = 0;
  let rFreshSum = 0;
  let rFreshW = 0;
  let finite = 0;
  for (let k = 0; k < n; k++) {
    const x = values[k] as number;
    finite += x - x;
    // Half window.
    let old = hRing[hi] as number;
    hRing[hi] = x;
    hW = hW - hSum + hp * x;
    hSum = hSum - old + x;
    hFreshSum += x;
    hFreshW += (hi + 1) * x;
    if (hi + 1 === hp) {
      hi = 0;
      hW = hFreshW;
      hSum = hFreshSum;
      hFreshSum = 0;
      hFreshW = 0;
    } else {
      hi++;
    }
    // Full window.
    old = fRing[fi] as number;
    fRing[fi] = x;
    fW = fW - fSum + period * x;
    fSum = fSum - old + x;
    fFreshSum += x;
    fFreshW += (fi + 1) * x;
    if (fi + 1 === period) {
      fi = 0;
      fW = fFreshW;
      fSum = fFreshSum;
      fFreshSum = 0;
      fFreshW = 0;
    } else {
      fi++;
    }
    if (k < period - 1) continue;
    // Root window over 2 * half - full.
    const d = 2 * (hW / hDenom) - fW / fDenom;
    old = rRing[ri] as number;
    rRing[ri] = d;
    rW = rW - rSum + rp * d;
    rSum = rSum - old + d;
    rFreshSum += d;
    rFreshW += (ri + 1) * d;
    if (ri + 1 === rp) {
      ri = 0;
      rW = rFreshW;
      rSum = rFreshSum;
      rFreshSum = 0;
      rFreshW = 0;
    } else {
      ri++;
    }
    out[k] = rW / rDenom;
  }
  if (finite !== 0) throw firstBadValue('Hma', values);
  out.fill(Number.NaN, 0, warmup);
  return out;
}
