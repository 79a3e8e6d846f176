import { invalidArgument } from '../../errors';
import { badInput, checkPeriod, checkValues, type WindowMean, windowMean } from './internal';
import type { StreamingIndicator } from './types';

/** Parameters of {@link Kama}. */
export interface KamaOptions {
  /** Efficiency-ratio look-back, default 10. */
  readonly period?: number;
  /** Fast EMA period of the smoothing constant, default 2. */
  readonly fast?: number;
  /** Slow EMA period of the smoothing constant, default 30; must be greater than `fast`. */
  readonly slow?: number;
}

/**
 * Kaufman's adaptive moving average (Kaufman, *Smarter Trading*, 1995). Over the last `period` changes,
 * `ER = |x - x[period ago]| / sum(|x[i] - x[i-1]|)` (1 when the sum is 0, as TA-Lib and trading-signals),
 * `sc = (ER * (2 / (fast + 1) - 2 / (slow + 1)) + 2 / (slow + 1))²`, `kama += sc * (x - kama)`, seeded with the input
 * before the first full window (`x[period - 1]`, TA-Lib's convention).
 *
 * Warm-up: `period` (TA-Lib's lookback). The sum of absolute changes is a drift-free window sum (see internal
 * `windowMean`).
 *
 * Tested against trading-signals' `KAMA` (fixed 2/30) and @ixjb94/indicators' `kama`, which also emit the seed
 * `x[period - 1]` one input earlier. Non-finite inputs throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Kama implements StreamingIndicator<number> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly ring: Float64Array;
  private readonly noise: WindowMean;
  private readonly slowSc: number = Number.NaN;
  private readonly spanSc: number = Number.NaN;
  private idx = 0;
  private count = 0;
  private prevX = 0;
  private kama = Number.NaN;
  private out = Number.NaN;

  constructor(period = 10, fast = 2, slow = 30) {
    this.period = checkPeriod('Kama', 'period', period);
    checkPeriod('Kama', 'fast', fast);
    checkPeriod('Kama', 'slow', slow);
    if (fast >= slow)
      throw invalidArgument(`Kama: fast (${fast}) must be less than slow (${slow})`, { fast, slow });
    this.warmup = period;
    this.ring = new Float64Array(period);
    this.noise = windowMean(period);
    this.slowSc = 2 / (slow + 1);
    this.spanSc = 2 / (fast + 1) - this.slowSc;
  }

  /** True once `period + 1` inputs have been seen. */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest KAMA, NaN before {@link Kama.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one input; returns the new KAMA, or NaN while warming up. */
  update(value: number): number {
    if (!Number.isFinite(value)) throw badInput('Kama', 'value', value);
    const p = this.period;
    const i = this.idx;
    const old = this.ring[i] as number; // x[period ago] once the ring is full
    this.ring[i] = value;
    this.idx = i + 1 === p ? 0 : i + 1;
    const n = this.count;
    if (n === 0) {
      this.count = 1;
      this.prevX = value;
      if (p === 1) this.kama = value;
      return Number.NaN;
    }
    const meanNoise = this.noise.push(Math.abs(value - this.prevX));
    this.prevX = value;
    if (n < p) {
      this.count = n + 1;
      if (n === p - 1) this.kama = value;
      return Number.NaN;
    }
    const noise = meanNoise * p;
    const er = noise > 0 ? Math.abs(value - old) / noise : 1;
    const base = er * this.spanSc + this.slowSc;
    const prev = this.kama;
    const kama = prev + base * base * (value - prev);
    this.kama = kama;
    this.out = kama;
    return kama;
  }

  /** Forgets all inputs. */
  reset(): void {
    this.ring.fill(0);
    this.noise.reset();
    this.idx = 0;
    this.count = 0;
    this.prevX = 0;
    this.kama = Number.NaN;
    this.out = Number.NaN;
  }
}

/** Batch {@link Kama}: one output per input, NaN for the first `period`. */
export function kama(values: ArrayLike<number>, options: KamaOptions = {}): Float64Array {
  checkValues('kama', values);
  const ind = new Kama(options.period, options.fast, options.slow);
  const n = values.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(values[i] as number);
  return out;
}
