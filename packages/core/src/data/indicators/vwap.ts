import { invalidArgument } from '../../errors';
import { badBar, badVolume, barCursor, checkPeriod } from './internal';
import type { IndicatorBarSeries, IndicatorVolumeBar, StreamingIndicator } from './types';

/** Session handling of {@link Vwap}; give at most one of the two. */
export interface VwapOptions<B extends IndicatorVolumeBar = IndicatorVolumeBar> {
  /**
   * Called with each bar before it is added; returning true starts a new session with that bar. Use it for
   * calendar sessions, e.g. a new UTC day from `bar.ts`. May keep its own state (it is called exactly once per
   * accepted bar, in order).
   */
  readonly newSession?: (bar: B) => boolean;
  /** Fixed session length in bars: the sums restart every `sessionLength` bars (e.g. 390 one-minute bars). */
  readonly sessionLength?: number;
}

/**
 * Volume-weighted average price of the typical price `(high + low + close) / 3`, cumulative since the start of
 * the session. Without options the session never ends (the technicalindicators / trading-signals behaviour);
 * `newSession` (a caller predicate, typically on the bar's timestamp) or `sessionLength` (a bar count) restart
 * it; `reset()` restarts it by hand.
 *
 * Warm-up: 0. The value is NaN while the session's cumulative volume is 0 (no trade, no price), and
 * `isReady` is false then. `period` is the session length (`Infinity` unless `sessionLength` is given).
 *
 * Non-finite prices/volume or a negative volume throw INVALID_ARGUMENT and leave the state unchanged (the
 * `newSession` predicate is not called for a rejected bar).
 *
 * @example
 * let day = -1;
 * const vwap = new Vwap<Bar>({ newSession: (b) => day !== (day = Math.floor(b.ts / 86_400_000)) });
 */
export class Vwap<B extends IndicatorVolumeBar = IndicatorVolumeBar> implements StreamingIndicator<B> {
  readonly period: number = 0;
  readonly warmup = 0;
  private readonly newSession: ((bar: B) => boolean) | undefined;
  private readonly sessionLength: number = 0;
  private barsInSession = 0;
  private pv = 0;
  private vol = 0;
  private out = Number.NaN;

  constructor(options: VwapOptions<B> = {}) {
    if (typeof options !== 'object' || options === null) {
      throw invalidArgument('Vwap: options must be an object');
    }
    const { newSession, sessionLength } = options;
    if (newSession !== undefined && typeof newSession !== 'function') {
      throw invalidArgument('Vwap: newSession must be a function');
    }
    if (newSession !== undefined && sessionLength !== undefined) {
      throw invalidArgument('Vwap: give either newSession or sessionLength, not both');
    }
    this.newSession = newSession;
    this.sessionLength =
      sessionLength === undefined
        ? Number.POSITIVE_INFINITY
        : checkPeriod('Vwap', 'sessionLength', sessionLength);
    this.period = this.sessionLength;
  }

  /** True while the current session has traded volume. */
  get isReady(): boolean {
    return this.vol > 0;
  }

  /** Latest VWAP, NaN while the session has no volume. */
  get value(): number {
    return this.out;
  }

  /** Cumulative volume of the current session. */
  get sessionVolume(): number {
    return this.vol;
  }

  /** Adds one bar; returns the session VWAP (NaN while the session volume is 0). */
  update(bar: B): number {
    const high = bar.high;
    const low = bar.low;
    const close = bar.close;
    const volume = bar.volume;
    if (!(Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close))) throw badBar('Vwap', bar);
    if (!(volume >= 0) || volume === Number.POSITIVE_INFINITY) throw badVolume('Vwap', volume);
    let pv = this.pv;
    let vol = this.vol;
    if (this.barsInSession === this.sessionLength || (this.newSession?.(bar) && this.barsInSession > 0)) {
      pv = 0;
      vol = 0;
      this.barsInSession = 0;
    }
    this.barsInSession++;
    pv += ((high + low + close) / 3) * volume;
    vol += volume;
    this.pv = pv;
    this.vol = vol;
    const out = vol > 0 ? pv / vol : Number.NaN;
    this.out = out;
    return out;
  }

  /** Ends the current session: the next bar starts a new one. */
  reset(): void {
    this.barsInSession = 0;
    this.pv = 0;
    this.vol = 0;
    this.out = Number.NaN;
  }
}

/**
 * Batch {@link Vwap} over bar objects or `{ high, low, close, volume }` columns (volume required). With
 * `newSession`, column input calls the predicate with a reused scratch object holding only high/low/close/volume:
 * pass bar objects if the predicate needs other fields (such as `ts`).
 */
export function vwap(bars: IndicatorBarSeries, options: VwapOptions = {}): Float64Array {
  const cursor = barCursor('vwap', bars, true);
  const ind = new Vwap(options);
  const n = cursor.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(cursor.at(i));
  return out;
}
