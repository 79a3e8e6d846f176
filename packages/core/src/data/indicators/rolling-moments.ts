/**
 * Ratio (squared distance of the window mean from the shift) / variance above which the shift is re-centred.
 * The variance is computed as E[d²] - E[d]² on shifted values d = x - shift, whose relative rounding error is
 * about eps * (1 + 2 * ratio); 1e4 keeps it below ~5e-12, far inside the 1e-9 contract.
 */
export const MAX_SHIFT_RATIO = 1e4;

/**
 * Rolling mean and population variance of the last `period` values, the engine of {@link RollingStdDev} and
 * {@link BollingerBands}. Internal: not exported from the barrel.
 *
 * Numerics, because the textbook `sum(x²)/n - mean²` is catastrophically wrong when the spread is small next
 * to the level (a calm window at price 5000), and running sums drift:
 * - values are shifted by a constant `shift` (a value of the window), so the sums are of `d = x - shift`;
 * - `sum(d)` and `sum(d²)` are compensated (TwoSum): every rounding error of every add and subtract is carried
 *   exactly in a second accumulator, folded back into the sum once per pass of the ring, so the sums stay equal
 *   to a fresh summation of the window however long the stream (a value leaves the sums bit-for-bit as it
 *   entered, because `shift` is unchanged while it is in the window);
 * - when the mean wanders too far from `shift` relative to the spread (`MAX_SHIFT_RATIO`), the shift is moved
 *   to the window value nearest the mean and both sums are rebuilt from the ring: O(period), but only on a
 *   regime change (on daily index data: a handful of times per million updates). Amortised O(1).
 */
export class RollingMoments {
  readonly period: number = 0;
  /** Population variance of the window (NaN until full). */
  variance = Number.NaN;
  /** Mean of the window (NaN until full). */
  mean = Number.NaN;
  private readonly ring: Float64Array;
  private idx = 0;
  private count = 0;
  private shift = 0;
  private s1 = 0;
  private c1 = 0;
  private s2 = 0;
  private c2 = 0;

  constructor(period: number) {
    this.period = period;
    this.ring = new Float64Array(period);
  }

  /** True once `period` values have been pushed. */
  get isFull(): boolean {
    return this.count === this.period;
  }

  /**
   * Adds `x` (finite, checked by the caller); returns true when the window is full and mean/variance are valid.
   * The steady-state path is kept small enough for V8 to inline it into the callers' `update`; warm-up, the
   * once-per-pass fold and the rare re-centring are out of line.
   */
  push(x: number): boolean {
    if (this.count !== this.period) return this.warm(x);
    const ring = this.ring;
    const i = this.idx;
    const shift = this.shift;
    const dNew = x - shift;
    const dOld = (ring[i] as number) - shift;
    ring[i] = x;
    // s1 += dNew - dOld exactly: a + e = dNew - dOld (TwoSum), then t + error = s1 + a (TwoSum); errors -> c1.
    let a = dNew - dOld;
    let z = a - dNew;
    let e = dNew - (a - z) + (-dOld - z);
    let s = this.s1;
    const t1 = s + a;
    z = t1 - s;
    const c1 = this.c1 + (s - (t1 - z) + (a - z) + e);
    // s2 += dNew² - dOld², exactly in the same sense.
    const qNew = dNew * dNew;
    const qOld = dOld * dOld;
    a = qNew - qOld;
    z = a - qNew;
    e = qNew - (a - z) + (-qOld - z);
    s = this.s2;
    const t2 = s + a;
    z = t2 - s;
    const c2 = this.c2 + (s - (t2 - z) + (a - z) + e);
    this.s1 = t1;
    this.c1 = c1;
    this.s2 = t2;
    this.c2 = c2;
    if (i + 1 === this.period) {
      this.idx = 0;
      this.fold();
    } else {
      this.idx = i + 1;
    }
    const m = (t1 + c1) / this.period;
    const v = (t2 + c2) / this.period - m * m;
    if (m * m > MAX_SHIFT_RATIO * v) {
      this.recenter();
      return true;
    }
    this.mean = shift + m;
    this.variance = v;
    return true;
  }

  /** Warm-up: the first value becomes the shift; later ones are added (nothing leaves the window yet). */
  private warm(x: number): boolean {
    const p = this.period;
    const i = this.idx;
    this.ring[i] = x;
    this.idx = i + 1 === p ? 0 : i + 1;
    if (this.count++ === 0) this.shift = x;
    const d = x - this.shift;
    let s = this.s1;
    let t = s + d;
    let z = t - s;
    this.c1 += s - (t - z) + (d - z);
    this.s1 = t;
    const q = d * d;
    s = this.s2;
    t = s + q;
    z = t - s;
    this.c2 += s - (t - z) + (q - z);
    this.s2 = t;
    if (this.count < p) return false;
    this.fold();
    const m = (this.s1 + this.c1) / p;
    const v = (this.s2 + this.c2) / p - m * m;
    if (m * m > MAX_SHIFT_RATIO * v) {
      this.recenter();
      return true;
    }
    this.mean = this.shift + m;
    this.variance = Math.max(v, 0);
    return true;
  }

  /**
   * Once per pass of the ring: folds each compensation into its sum (TwoSum, exact), so the compensations stay
   * a few ulps of the sums instead of accumulating every error since construction.
   */
  private fold(): void {
    let s = this.s1;
    let c = this.c1;
    let f = s + c;
    let z = f - s;
    this.c1 = s - (f - z) + (c - z);
    this.s1 = f;
    s = this.s2;
    c = this.c2;
    f = s + c;
    z = f - s;
    this.c2 = s - (f - z) + (c - z);
    this.s2 = f;
  }

  /** Moves the shift to the window value nearest the mean and rebuilds both sums from the ring. */
  private recenter(): void {
    const st = recenterSums(this.ring, this.period);
    this.shift = st[0] as number;
    this.s1 = st[1] as number;
    this.c1 = st[2] as number;
    this.s2 = st[3] as number;
    this.c2 = st[4] as number;
    this.mean = st[5] as number;
    this.variance = st[6] as number;
  }

  /** Forgets every value. */
  reset(): void {
    this.ring.fill(0);
    this.idx = 0;
    this.count = 0;
    this.shift = 0;
    this.s1 = 0;
    this.c1 = 0;
    this.s2 = 0;
    this.c2 = 0;
    this.mean = Number.NaN;
    this.variance = Number.NaN;
  }
}

/** The rare path of {@link RollingMoments} and of the batch `rollingStdDev`'s loop, written back through this. */
const recentered = new Float64Array(7);

/**
 * Re-centring of {@link RollingMoments} (and of the batch `rollingStdDev`, which keeps the same state in locals): moves
 * the shift to the ring value nearest the window mean and rebuilds both sums from the ring (compensated, so that when
 * these values later leave the window the sums return exactly to zero). Returns `[shift, s1, c1, s2, c2, mean,
 * variance]` in a shared scratch array, valid until the next call.
 */
export function recenterSums(ring: Float64Array, p: number): Float64Array {
  let mean = 0;
  for (let j = 0; j < p; j++) mean += ring[j] as number;
  mean /= p;
  let shift = ring[0] as number;
  for (let j = 1; j < p; j++) {
    const x = ring[j] as number;
    if (Math.abs(x - mean) < Math.abs(shift - mean)) shift = x;
  }
  let s1 = 0;
  let c1 = 0;
  let s2 = 0;
  let c2 = 0;
  for (let j = 0; j < p; j++) {
    const d = (ring[j] as number) - shift;
    let t = s1 + d;
    let z = t - s1;
    c1 += s1 - (t - z) + (d - z);
    s1 = t;
    const q = d * d;
    t = s2 + q;
    z = t - s2;
    c2 += s2 - (t - z) + (q - z);
    s2 = t;
  }
  const m = (s1 + c1) / p;
  const v = (s2 + c2) / p - m * m;
  const st = recentered;
  st[0] = shift;
  st[1] = s1;
  st[2] = c1;
  st[3] = s2;
  st[4] = c2;
  st[5] = shift + m;
  st[6] = Math.max(v, 0);
  return st;
}
