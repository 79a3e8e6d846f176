import {
  badBar,
  badVolume,
  barCursor,
  checkPeriod,
  DIRECT_SUM_MAX,
  isColumns,
  type WindowMean,
  windowMean,
} from './internal';
import type {
  IndicatorBarColumns,
  IndicatorBarSeries,
  IndicatorVolumeBar,
  StreamingIndicator,
} from './types';

/**
 * Money flow index (Quong and Soudack, 1989), a volume-weighted RSI. With `tp = (high + low + close) / 3` and the raw
 * flow `tp * volume`, a bar's flow is positive when `tp` rose from the previous bar, negative when it fell, neither
 * when equal; `MFI = 100 * positive / (positive + negative)` over the last `period` flows. The first bar only seeds
 * the previous `tp`. No flow at all in the window (flat prices or zero volume) gives 50, like a flat {@link Rsi}
 * (trading-signals does the same).
 *
 * Warm-up: `period` (the `period + 1`-th bar gives the first value). The window sums are drift-free (see internal
 * `windowMean`).
 *
 * Tested against technicalindicators' `MFI`, trading-signals' `MFI` and @ixjb94/indicators' `mfi`. Non-finite
 * high/low/close, or a negative or non-finite volume, throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Mfi implements StreamingIndicator<IndicatorVolumeBar> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly positive: WindowMean;
  private readonly negative: WindowMean;
  private started = false;
  private prevTp = 0;
  private out = Number.NaN;

  constructor(period = 14) {
    this.period = checkPeriod('Mfi', 'period', period);
    this.warmup = period;
    this.positive = windowMean(period);
    this.negative = windowMean(period);
  }

  /** True once `period + 1` bars have been seen. */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest MFI in [0, 100], NaN before {@link Mfi.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one bar; returns the new MFI, or NaN while warming up. */
  update(bar: IndicatorVolumeBar): number {
    const high = bar.high;
    const low = bar.low;
    const close = bar.close;
    const volume = bar.volume;
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close))) throw badBar('Mfi', bar);
    if (!(volume >= 0) || volume === Number.POSITIVE_INFINITY) throw badVolume('Mfi', volume);
    const tp = (high + low + close) / 3;
    const prev = this.prevTp;
    this.prevTp = tp;
    if (!this.started) {
      this.started = true;
      return Number.NaN;
    }
    const flow = tp * volume;
    const pos = this.positive.push(tp > prev ? flow : 0);
    const neg = this.negative.push(tp < prev ? flow : 0);
    if (Number.isNaN(pos)) return pos;
    const total = pos + neg;
    const out = total > 0 ? (100 * pos) / total : 50;
    this.out = out;
    return out;
  }

  /** Forgets all bars. */
  reset(): void {
    this.positive.reset();
    this.negative.reset();
    this.started = false;
    this.prevTp = 0;
    this.out = Number.NaN;
  }
}

/**
 * Batch {@link Mfi} over bars with volume or `{ high, low, close, volume }` columns: NaN for the first `period`, bit for
 * bit the streamed values. Columns run their own loop (see `mfiColumns`) instead of pushing row by row through the class.
 */
export function mfi(bars: IndicatorBarSeries, period = 14): Float64Array {
  const cursor = barCursor('mfi', bars, true);
  const ind = new Mfi(period);
  const n = cursor.length;
  const out = new Float64Array(n);
  if (isColumns(bars)) {
    mfiColumns(bars, period, out);
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = ind.update(cursor.at(i));
  return out;
}

/**
 * The column loop of {@link mfi}: the class's two window means of the positive and negative flows (see internal
 * `windowMean`) with their rings and sums in locals, in one pass. Bit for bit the class's arithmetic: a window of up to
 * `DIRECT_SUM_MAX` is re-summed in ring-slot order, a longer one keeps the compensated running sum folded once per pass
 * of its ring.
 */
function mfiColumns(columns: IndicatorBarColumns, period: number, out: Float64Array): void {
  const { high, low, close } = columns;
  // barCursor checked that a volume column is there.
  const volume = columns.volume as ArrayLike<number>;
  const n = out.length;
  const posRing = new Float64Array(period);
  const negRing = new Float64Array(period);
  const direct = period <= DIRECT_SUM_MAX;
  let idx = 0;
  let flows = 0;
  let pSum = 0;
  let pComp = 0;
  let nSum = 0;
  let nComp = 0;
  let prev = 0;
  for (let k = 0; k < n; k++) {
    const h = high[k] as number;
    const l = low[k] as number;
    const c = close[k] as number;
    const v = volume[k] as number;
    if (!(Number.isFinite(h) && Number.isFinite(l) && Number.isFinite(c)))
      throw badBar('Mfi', { high: h, low: l, close: c });
    if (!(v >= 0) || v === Number.POSITIVE_INFINITY) throw badVolume('Mfi', v);
    const tp = (h + l + c) / 3;
    const up = tp > prev;
    const down = tp < prev;
    prev = tp;
    if (k === 0) {
      out[0] = Number.NaN;
      continue;
    }
    const flow = tp * v;
    const px = up ? flow : 0;
    const nx = down ? flow : 0;
    let pos: number;
    let neg: number;
    if (direct) {
      posRing[idx] = px;
      negRing[idx] = nx;
      idx = idx + 1 === period ? 0 : idx + 1;
      let ps = posRing[0] as number;
      let ns = negRing[0] as number;
      for (let j = 1; j < period; j++) {
        ps += posRing[j] as number;
        ns += negRing[j] as number;
      }
      pos = ps / period;
      neg = ns / period;
    } else {
      const pOld = posRing[idx] as number;
      const nOld = negRing[idx] as number;
      posRing[idx] = px;
      negRing[idx] = nx;
      // d + ed = x - old exactly; then s + es = sum + d exactly (CompensatedWindowMean.push, twice).
      let d = px - pOld;
      let z = d - px;
      let ed = px - (d - z) + (-pOld - z);
      let ps = pSum + d;
      z = ps - pSum;
      let pc = pComp + (pSum - (ps - z) + (d - z) + ed);
      d = nx - nOld;
      z = d - nx;
      ed = nx - (d - z) + (-nOld - z);
      let ns = nSum + d;
      z = ns - nSum;
      let nc = nComp + (nSum - (ns - z) + (d - z) + ed);
      if (++idx === period) {
        idx = 0;
        let f = ps + pc;
        z = f - ps;
        pc = ps - (f - z) + (pc - z);
        ps = f;
        f = ns + nc;
        z = f - ns;
        nc = ns - (f - z) + (nc - z);
        ns = f;
      }
      pSum = ps;
      pComp = pc;
      nSum = ns;
      nComp = nc;
      pos = (ps + pc) / period;
      neg = (ns + nc) / period;
    }
    if (++flows < period) {
      out[k] = Number.NaN;
      continue;
    }
    const total = pos + neg;
    out[k] = total > 0 ? (100 * pos) / total : 50;
  }
}
