import { badInput, checkPeriod, checkValues, firstBadValue } from './internal';
import { MAX_SHIFT_RATIO, RollingMoments, recenterSums } from './rolling-moments';
import type { StreamingIndicator } from './types';

/**
 * Rolling population standard deviation (divide by `period`, like Bollinger's original definition, TA-Lib's
 * `STDDEV`, technicalindicators' `SD` and trading-signals' `getStandardDeviation`; multiply by
 * `sqrt(period / (period - 1))` for the sample estimate).
 *
 * Warm-up: `period - 1`.
 *
 * Amortised O(1) per update with shifted, compensated running sums; stays within ~1e-11 relative of a fresh
 * two-pass computation on arbitrarily long streams (see `rolling-moments.ts` for the numerics).
 * Non-finite inputs throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class RollingStdDev implements StreamingIndicator<number> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly moments: RollingMoments;
  private out = Number.NaN;

  constructor(period: number) {
    this.period = checkPeriod('RollingStdDev', 'period', period);
    this.warmup = period - 1;
    this.moments = new RollingMoments(period);
  }

  /** True once `period` inputs have been seen. */
  get isReady(): boolean {
    return this.moments.isFull;
  }

  /** Latest standard deviation, NaN before {@link RollingStdDev.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Mean of the same window, NaN before {@link RollingStdDev.isReady}. */
  get mean(): number {
    return this.moments.mean;
  }

  /** Adds one input; returns the new standard deviation, or NaN while warming up. */
  update(value: number): number {
    if (!Number.isFinite(value)) throw badInput('RollingStdDev', 'value', value);
    if (!this.moments.push(value)) return Number.NaN;
    const out = Math.sqrt(this.moments.variance);
    this.out = out;
    return out;
  }

  /** Forgets all inputs. */
  reset(): void {
    this.moments.reset();
    this.out = Number.NaN;
  }
}

/**
 * Batch {@link RollingStdDev}: one output per input, NaN for the first `period - 1`, bit for bit the streamed values.
 * One loop with `RollingMoments`' state in locals (see `momentsLoop`) instead of pushing value by value through the
 * class, which stored and reloaded the ring index, both sums and both compensations on every value.
 */
export function rollingStdDev(values: ArrayLike<number>, period: number): Float64Array {
  checkValues('rollingStdDev', values);
  checkPeriod('RollingStdDev', 'period', period);
  const out = new Float64Array(values.length);
  if (momentsLoop(values, period, out) !== 0) throw firstBadValue('RollingStdDev', values);
  return out;
}

/**
 * The loop of {@link rollingStdDev}: `RollingMoments.push` (warm-up, steady state, the fold once per pass of the ring
 * and the rare re-centring) with the same expressions in the same order, writing `sqrt(variance)` or NaN to `out`.
 * Returns 0 when every value was finite, NaN otherwise (`x - x` is NaN only for a non-finite x): no test and throw per
 * value, and nothing after the loop but the return (V8 compiles the loop on stack replacement before code after it
 * has run, and such code without type feedback deoptimised the compiled loop at the end of every later call).
 */
function momentsLoop(values: ArrayLike<number>, p: number, out: Float64Array): number {
  const n = out.length;
  const ring = new Float64Array(p);
  let idx = 0;
  let shift = 0;
  let s1 = 0;
  let c1 = 0;
  let s2 = 0;
  let c2 = 0;
  let finite = 0;
  const warm = Math.min(p, n);
  for (let k = 0; k < warm; k++) {
    const x = values[k] as number;
    finite += x - x;
    ring[idx] = x;
    idx = idx + 1 === p ? 0 : idx + 1;
    if (k === 0) shift = x;
    const d = x - shift;
    let t = s1 + d;
    let z = t - s1;
    c1 += s1 - (t - z) + (d - z);
    s1 = t;
    const q = d * d;
    t = s2 + q;
    z = t - s2;
    c2 += s2 - (t - z) + (q - z);
    s2 = t;
    if (k < p - 1) {
      out[k] = Number.NaN;
      continue;
    }
    // The fold, then the moments from the folded sums.
    let f = s1 + c1;
    z = f - s1;
    c1 = s1 - (f - z) + (c1 - z);
    s1 = f;
    f = s2 + c2;
    z = f - s2;
    c2 = s2 - (f - z) + (c2 - z);
    s2 = f;
    const m = (s1 + c1) / p;
    const v = (s2 + c2) / p - m * m;
    if (m * m > MAX_SHIFT_RATIO * v) {
      const st = recenterSums(ring, p);
      shift = st[0] as number;
      s1 = st[1] as number;
      c1 = st[2] as number;
      s2 = st[3] as number;
      c2 = st[4] as number;
      out[k] = Math.sqrt(st[6] as number);
    } else {
      out[k] = Math.sqrt(Math.max(v, 0));
    }
  }
  for (let k = warm; k < n; k++) {
    const x = values[k] as number;
    finite += x - x;
    const i = idx;
    const dNew = x - shift;
    const dOld = (ring[i] as number) - shift;
    ring[i] = x;
    let a = dNew - dOld;
    let z = a - dNew;
    let e = dNew - (a - z) + (-dOld - z);
    const t1 = s1 + a;
    z = t1 - s1;
    c1 = c1 + (s1 - (t1 - z) + (a - z) + e);
    const qNew = dNew * dNew;
    const qOld = dOld * dOld;
    a = qNew - qOld;
    z = a - qNew;
    e = qNew - (a - z) + (-qOld - z);
    const t2 = s2 + a;
    z = t2 - s2;
    c2 = c2 + (s2 - (t2 - z) + (a - z) + e);
    s1 = t1;
    s2 = t2;
    // The moments come from the sums before the fold (as in the class).
    const m = (t1 + c1) / p;
    const v = (t2 + c2) / p - m * m;
    if (i + 1 === p) {
      idx = 0;
      let f = s1 + c1;
      z = f - s1;
      c1 = s1 - (f - z) + (c1 - z);
      s1 = f;
      f = s2 + c2;
      z = f - s2;
      c2 = s2 - (f - z) + (c2 - z);
      s2 = f;
    } else {
      idx = i + 1;
    }
    if (m * m > MAX_SHIFT_RATIO * v) {
      const st = recenterSums(ring, p);
      shift = st[0] as number;
      s1 = st[1] as number;
      c1 = st[2] as number;
      s2 = st[3] as number;
      c2 = st[4] as number;
      out[k] = Math.sqrt(st[6] as number);
    } else {
      out[k] = Math.sqrt(v);
    }
  }
  return finite;
}
