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
import type { IndicatorBarSeries, IndicatorVolumeBar, StreamingIndicator } from './types';

/**
 * Chaikin money flow: `sum(moneyFlowVolume) / sum(volume)` over the last `period` bars, with the money flow volume of
 * {@link Adl} (0 for a bar with `high = low`); 0 when the window has no volume. In [-1, 1].
 *
 * Warm-up: `period - 1`. The window sums are drift-free (see internal `windowMean`).
 *
 * Tested against trading-signals' `CMF` and @ixjb94/indicators' `cmf`. Non-finite high/low/close, or a negative or
 * non-finite volume, throw INVALID_ARGUMENT and leave the state unchanged.
 */
export class Cmf implements StreamingIndicator<IndicatorVolumeBar> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  private readonly flow: WindowMean;
  private readonly volume: WindowMean;
  private out = Number.NaN;

  constructor(period = 20) {
    this.period = checkPeriod('Cmf', 'period', period);
    this.warmup = period - 1;
    this.flow = windowMean(period);
    this.volume = windowMean(period);
  }

  /** True once `period` bars have been seen. */
  get isReady(): boolean {
    return !Number.isNaN(this.out);
  }

  /** Latest CMF in [-1, 1], NaN before {@link Cmf.isReady}. */
  get value(): number {
    return this.out;
  }

  /** Adds one bar; returns the new CMF, or NaN while warming up. */
  update(bar: IndicatorVolumeBar): number {
    const high = bar.high;
    const low = bar.low;
    const close = bar.close;
    const volume = bar.volume;
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close))) throw badBar('Cmf', bar);
    if (!(volume >= 0) || volume === Number.POSITIVE_INFINITY) throw badVolume('Cmf', volume);
    const range = high - low;
    const mfv = range !== 0 ? ((close - low - (high - close)) / range) * volume : 0;
    const flow = this.flow.push(mfv);
    const vol = this.volume.push(volume);
    if (Number.isNaN(flow)) return flow;
    const out = vol > 0 ? flow / vol : 0;
    this.out = out;
    return out;
  }

  /** Forgets all bars. */
  reset(): void {
    this.flow.reset();
    this.volume.reset();
    this.out = Number.NaN;
  }
}

/**
 * Batch {@link Cmf} over bar objects or `{ high, low, close, volume }` columns (volume required): NaN for the first
 * `period - 1`, bit for bit the streamed values. Columns run their own loop (see `cmfColumns`) instead of copying
 * each row into a scratch bar for the class.
 */
export function cmf(bars: IndicatorBarSeries, period = 20): Float64Array {
  const cursor = barCursor('cmf', bars, true);
  const ind = new Cmf(period);
  const n = cursor.length;
  const out = new Float64Array(n);
  if (isColumns(bars) && bars.volume !== undefined) {
    const { high, low, close, volume } = bars;
    if (cmfColumns({ high, low, close, volume }, period, out) !== 0)
      checkColumns({ high, low, close, volume });
    out.fill(Number.NaN, 0, period - 1);
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = ind.update(cursor.at(i));
  return out;
}

/** High, low, close and volume columns (barCursor has checked they exist and have equal lengths). */
interface VolumeColumns {
  readonly high: ArrayLike<number>;
  readonly low: ArrayLike<number>;
  readonly close: ArrayLike<number>;
  readonly volume: ArrayLike<number>;
}

/**
 * The column loop of {@link cmf}: the class's two window means (money flow volume and volume, see internal
 * `windowMean`) with their rings and sums in locals, as `mfiColumns` does; a window of up to `DIRECT_SUM_MAX` is
 * re-summed in ring-slot order, a longer one keeps the compensated running sum folded once per pass of its ring. Writes
 * every row of `out` (the caller overwrites the warm-up rows with NaN) and returns 0 when every price is finite and
 * every volume finite and >= 0, NaN otherwise (`x - x` is NaN only for a non-finite x). Nothing follows the loop but
 * the return: V8 compiles the loop on stack replacement before code after it has run, and such code without type
 * feedback deoptimised the compiled loop at the end of every later call.
 */
function cmfColumns(columns: VolumeColumns, period: number, out: Float64Array): number {
  const { high, low, close, volume } = columns;
  const n = out.length;
  const flowRing = new Float64Array(period);
  const volRing = new Float64Array(period);
  const direct = period <= DIRECT_SUM_MAX;
  let idx = 0;
  let fSum = 0;
  let fComp = 0;
  let vSum = 0;
  let vComp = 0;
  let finite = 0;
  for (let k = 0; k < n; k++) {
    const h = high[k] as number;
    const l = low[k] as number;
    const c = close[k] as number;
    const v = volume[k] as number;
    finite += h - h + (l - l) + (c - c) + (v - v);
    if (v < 0) finite = Number.NaN;
    const range = h - l;
    const fx = range !== 0 ? ((c - l - (h - c)) / range) * v : 0;
    let flow: number;
    let vol: number;
    if (direct) {
      flowRing[idx] = fx;
      volRing[idx] = v;
      idx = idx + 1 === period ? 0 : idx + 1;
      let fs = flowRing[0] as number;
      let vs = volRing[0] as number;
      for (let j = 1; j < period; j++) {
        fs += flowRing[j] as number;
        vs += volRing[j] as number;
      }
      flow = fs / period;
      vol = vs / period;
    } else {
      const fOld = flowRing[idx] as number;
      const vOld = volRing[idx] as number;
      flowRing[idx] = fx;
      volRing[idx] = v;
      // d + ed = x - old exactly; then s + es = sum + d exactly (CompensatedWindowMean.push, twice).
      let d = fx - fOld;
      let z = d - fx;
      let ed = fx - (d - z) + (-fOld - z);
      let fs = fSum + d;
      z = fs - fSum;
      let fc = fComp + (fSum - (fs - z) + (d - z) + ed);
      d = v - vOld;
      z = d - v;
      ed = v - (d - z) + (-vOld - z);
      let vs = vSum + d;
      z = vs - vSum;
      let vc = vComp + (vSum - (vs - z) + (d - z) + ed);
      if (++idx === period) {
        idx = 0;
        let f = fs + fc;
        z = f - fs;
        fc = fs - (f - z) + (fc - z);
        fs = f;
        f = vs + vc;
        z = f - vs;
        vc = vs - (f - z) + (vc - z);
        vs = f;
      }
      fSum = fs;
      fComp = fc;
      vSum = vs;
      vComp = vc;
      flow = (fs + fc) / period;
      vol = (vs + vc) / period;
    }
    out[k] = vol > 0 ? flow / vol : 0;
  }
  return finite;
}

/** Throws the streaming class's error for the first bad row of `columns`. */
function checkColumns(columns: VolumeColumns): void {
  const { high, low, close, volume } = columns;
  for (let k = 0; k < close.length; k++) {
    const h = high[k] as number;
    const l = low[k] as number;
    const c = close[k] as number;
    const v = volume[k] as number;
    if (!(Number.isFinite(h) && Number.isFinite(l) && Number.isFinite(c)))
      throw badBar('Cmf', { high: h, low: l, close: c });
    if (!(v >= 0) || v === Number.POSITIVE_INFINITY) throw badVolume('Cmf', v);
  }
}
