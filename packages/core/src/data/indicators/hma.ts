import { invalidArgument } from '../../errors';
import { badInput, checkPeriod, checkValues, firstBadValue } from './internal';
import type { StreamingIndicator } from './types';

/**
 * Hull moving average (Alan Hull, 2005): `HMA = WMA(2 * WMA(x, floor(period / 2)) - WMA(x, period), floor(sqrt(period)))`,
 * from three WMAs with the drift-free sums of {@link Wma}.
 *
 * Warm-up: `period - 1 + floor(sqrt(period)) - 1`. `period` must be at least 2 (the half window is `floor(period / 2)`).
 *
 * Tested against trading-signals' `HMA` and @ixjb94/indicators' `hma` (same definition, exact agreement).
 * Non-finite inputs throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Hma implements StreamingIndicator<number> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  // The three WMAs' state (see Wma.push) in this object's own fields: as three Wma objects, each update paid three
  // calls and three objects' loads and stores, and ran below @ixjb94's batch hma in some bench runs.
  private readonly hp: number = 0;
  private readonly rp: number = 0;
  private readonly hRing: Float64Array;
  private readonly fRing: Float64Array;
  private readonly rRing: Float64Array;
  private readonly hDenom: number = Number.NaN;
  private readonly fDenom: number = Number.NaN;
  private readonly rDenom: number = Number.NaN;
  private count = 0;
  private hi = 0;
  private fi = 0;
  private ri = 0;
  private hSum = 0;
  private hW = 0;
  private hFreshSum = 0;
  private hFreshW = 0;
  private fSum = 0;
  private fW = 0;
  private fFreshSum = 0;
  private fFreshW = 0;
  private rSum = 0;
  private rW = 0;
  private rFreshSum = 0;
  private rFreshW = 0;
  private out = Number.NaN;

  constructor(period = 9) {
    checkPeriod('Hma', 'period', period);
    if (period < 2) throw invalidArgument(`Hma: period must be at least 2, got ${period}`, { period });
    this.period = period;
    const sqrt = Math.floor(Math.sqrt(period));
    this.warmup = period - 1 + sqrt - 1;
    const hp = Math.floor(period / 2);
    this.hp = hp;
    this.rp = sqrt;
    this.hRing = new Float64Array(hp);
    this.fRing = new Float64Array(period);
    this.rRing = new Float64Array(sqrt);
    this.hDenom = (hp * (hp + 1)) / 2;
    this.fDenom = (period * (period + 1)) / 2;
    this.rDenom = (sqrt * (sqrt + 1)) / 2;
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
    // Half window.
    const hp = this.hp;
    let i = this.hi;
    let ring = this.hRing;
    let old = ring[i] as number;
    ring[i] = value;
    let w = this.hW - this.hSum + hp * value;
    let sum = this.hSum - old + value;
    let freshSum = this.hFreshSum + value;
    let freshW = this.hFreshW + (i + 1) * value;
    if (i + 1 === hp) {
      this.hi = 0;
      w = freshW;
      sum = freshSum;
      freshSum = 0;
      freshW = 0;
    } else {
      this.hi = i + 1;
    }
    this.hW = w;
    this.hSum = sum;
    this.hFreshSum = freshSum;
    this.hFreshW = freshW;
    const half = w / this.hDenom;
    // Full window.
    const p = this.period;
    i = this.fi;
    ring = this.fRing;
    old = ring[i] as number;
    ring[i] = value;
    w = this.fW - this.fSum + p * value;
    sum = this.fSum - old + value;
    freshSum = this.fFreshSum + value;
    freshW = this.fFreshW + (i + 1) * value;
    if (i + 1 === p) {
      this.fi = 0;
      w = freshW;
      sum = freshSum;
      freshSum = 0;
      freshW = 0;
    } else {
      this.fi = i + 1;
    }
    this.fW = w;
    this.fSum = sum;
    this.fFreshSum = freshSum;
    this.fFreshW = freshW;
    if (this.count < p && ++this.count < p) return Number.NaN;
    // Root window over 2 * half - full (the input is finite, so this is too).
    const d = 2 * half - w / this.fDenom;
    const rp = this.rp;
    i = this.ri;
    ring = this.rRing;
    old = ring[i] as number;
    ring[i] = d;
    w = this.rW - this.rSum + rp * d;
    sum = this.rSum - old + d;
    freshSum = this.rFreshSum + d;
    freshW = this.rFreshW + (i + 1) * d;
    if (i + 1 === rp) {
      this.ri = 0;
      w = freshW;
      sum = freshSum;
      freshSum = 0;
      freshW = 0;
    } else {
      this.ri = i + 1;
    }
    this.rW = w;
    this.rSum = sum;
    this.rFreshSum = freshSum;
    this.rFreshW = freshW;
    if (this.count < p + rp - 1) {
      this.count++;
      return Number.NaN;
    }
    const out = w / this.rDenom;
    this.out = out;
    return out;
  }

  /** Forgets all inputs. */
  reset(): void {
    this.hRing.fill(0);
    this.fRing.fill(0);
    this.rRing.fill(0);
    this.count = 0;
    this.hi = 0;
    this.fi = 0;
    this.ri = 0;
    this.hSum = 0;
    this.hW = 0;
    this.hFreshSum = 0;
    this.hFreshW = 0;
    this.fSum = 0;
    this.fW = 0;
    this.fFreshSum = 0;
    this.fFreshW = 0;
    this.rSum = 0;
    this.rW = 0;
    this.rFreshSum = 0;
    this.rFreshW = 0;
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
  const out = new Float64Array(values.length);
  if (hmaInto(values, period, out) !== 0) throw firstBadValue('Hma', values);
  out.fill(Number.NaN, 0, warmup);
  return out;
}

/**
 * The loop of {@link hma}: writes `out` (its warm-up rows left for the caller to overwrite with NaN) and returns 0
 * when every value was finite, NaN otherwise. Nothing follows the loop but the return: V8 compiles the loop on stack
 * replacement during the first call, and code after it that had not run by then (no type feedback) deoptimised the
 * compiled loop at the end of every later call (seen with the WMA loop).
 */
function hmaInto(values: ArrayLike<number>, period: number, out: Float64Array): number {
  const n = out.length;
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
  return finite;
}
