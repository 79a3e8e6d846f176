import { invalidArgument } from '../../errors';
import { badBar, badInput, barCursor, isColumns, runBarBatch } from './internal';
import type { IndicatorBarColumns, IndicatorCandle, StreamingIndicator } from './types';

// Candlestick patterns as streaming indicators over bars with an open. Each returns, per bar, `+1` when a bullish
// pattern ends on that bar, `-1` for a bearish one, `0` for none (a {@link Doji} returns `1` when found), and NaN
// while fewer bars than the pattern spans have been seen (`period` = bars spanned, `warmup = period - 1`).
//
// The definitions are the textbook shapes (Steve Nison, *Japanese Candlestick Charting Techniques*), with every
// threshold fixed and stated on the class, measured on the pattern's own bars: `body = |close - open|`,
// `range = high - low`, upper shadow `high - max(open, close)`, lower shadow `min(open, close) - low`. TA-Lib instead
// compares bodies and shadows with averages of the preceding bars, and technicalindicators uses its own ad hoc rules
// (each class says where its answer differs). Bars are assumed well formed (`low <= open, close <= high`); a
// non-finite field throws INVALID_ARGUMENT and leaves the state unchanged. No allocation per update: the previous two
// bars live in fields.

/** Input of the candlestick batch functions: bars with an open, or columns including `open`. */
export type IndicatorCandleSeries =
  | ArrayLike<IndicatorCandle>
  | (IndicatorBarColumns & { readonly open: ArrayLike<number> });

/**
 * The bars a pattern looks at: the current one (0) and the previous two (1 = previous, 2 = the one before), plus the
 * warm-up count and the latest output. One class for every pattern, so its fields are read with one shape everywhere.
 */
class CandleWindow {
  o0 = 0;
  h0 = 0;
  l0 = 0;
  c0 = 0;
  o1 = 0;
  h1 = 0;
  l1 = 0;
  c1 = 0;
  o2 = 0;
  h2 = 0;
  l2 = 0;
  c2 = 0;
  out = Number.NaN;
  private count = 0;
  private readonly warmup: number = 0;
  private readonly name: string;

  constructor(name: string, warmup: number) {
    this.name = name;
    this.warmup = warmup;
  }

  /** Validates the bar and makes it the current one; true once `warmup` bars came before it. */
  load(bar: IndicatorCandle): boolean {
    const o = bar.open;
    const h = bar.high;
    const l = bar.low;
    const c = bar.close;
    if (!(Number.isFinite(h) && Number.isFinite(l) && Number.isFinite(c))) throw badBar(this.name, bar);
    if (!Number.isFinite(o)) throw badInput(this.name, 'open', o);
    this.o0 = o;
    this.h0 = h;
    this.l0 = l;
    this.c0 = c;
    if (this.count >= this.warmup) return true;
    this.count++;
    return false;
  }

  /** Records the output for the current bar and moves that bar into the history. */
  finish(out: number): number {
    if (!Number.isNaN(out)) this.out = out;
    this.o2 = this.o1;
    this.h2 = this.h1;
    this.l2 = this.l1;
    this.c2 = this.c1;
    this.o1 = this.o0;
    this.h1 = this.h0;
    this.l1 = this.l0;
    this.c1 = this.c0;
    return out;
  }

  reset(): void {
    this.o1 = 0;
    this.h1 = 0;
    this.l1 = 0;
    this.c1 = 0;
    this.o2 = 0;
    this.h2 = 0;
    this.l2 = 0;
    this.c2 = 0;
    this.count = 0;
    this.out = Number.NaN;
  }
}

/**
 * The shared API of the patterns. Each pattern writes its own two-line `update` (load, detect, finish) rather than
 * inheriting one: a single inherited `update` would see nine classes and call `detect` megamorphically, which
 * measured four times slower than the pattern test itself.
 */
abstract class CandlePattern implements StreamingIndicator<IndicatorCandle> {
  readonly period: number = 0;
  readonly warmup: number = 0;
  protected readonly w: CandleWindow;

  protected constructor(name: string, period: number) {
    this.period = period;
    this.warmup = period - 1;
    this.w = new CandleWindow(name, period - 1);
  }

  /** True once `period` bars have been seen. */
  get isReady(): boolean {
    return !Number.isNaN(this.w.out);
  }

  /** Latest signal (+1, -1 or 0), NaN before {@link CandlePattern.isReady}. */
  get value(): number {
    return this.w.out;
  }

  /** Adds one bar; returns +1 / -1 / 0 for the pattern ending on it, or NaN while warming up. */
  abstract update(bar: IndicatorCandle): number;

  /** Forgets all bars. */
  reset(): void {
    this.w.reset();
  }

  /** The pattern test for the current bar (`w.*0`), once `warmup` bars came before it. */
  protected abstract detect(w: CandleWindow): number;
}

/** Runs a pattern over bar objects or columns with an `open` column. */
function patternBatch(
  name: string,
  candles: IndicatorCandleSeries,
  create: () => CandlePattern,
): Float64Array {
  if (typeof candles === 'object' && candles !== null && isColumns(candles) && candles.open === undefined) {
    throw invalidArgument(`${name}: candlestick patterns need an open column`, { indicator: name });
  }
  return runBarBatch<IndicatorCandle>(barCursor(name, candles, false), create);
}

/** Validates a ratio threshold in (0, 1]. */
function checkRatio(indicator: string, name: string, value: number): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw invalidArgument(`${indicator}: ${name} must be a number in (0, 1], got ${String(value)}`, {
      indicator,
      [name]: value,
    });
  }
  return value;
}

/**
 * Doji: a bar whose body is at most `maxBodyRatio` (default 0.1) of its range; a bar with no range at all (open =
 * high = low = close, the "four-price doji") counts. Returns 1 when found, 0 otherwise. Warm-up 0.
 *
 * TA-Lib compares the body with the average range of the last 10 bars; technicalindicators' `doji` wants open and
 * close within 0.1% of the open, whatever the range.
 */
export class Doji extends CandlePattern {
  readonly maxBodyRatio: number = Number.NaN;

  constructor(maxBodyRatio = 0.1) {
    super('Doji', 1);
    this.maxBodyRatio = checkRatio('Doji', 'maxBodyRatio', maxBodyRatio);
  }

  /** Adds one bar; returns the signal for the pattern ending on it, or NaN while warming up. */
  update(bar: IndicatorCandle): number {
    const w = this.w;
    return w.finish(w.load(bar) ? this.detect(w) : Number.NaN);
  }

  protected detect(w: CandleWindow): number {
    const o = w.o0;
    const h = w.h0;
    const l = w.l0;
    const c = w.c0;
    return Math.abs(c - o) <= this.maxBodyRatio * (h - l) ? 1 : 0;
  }
}

/** Batch {@link Doji}: 1 where a doji is found, else 0. */
export function doji(candles: IndicatorCandleSeries, maxBodyRatio = 0.1): Float64Array {
  return patternBatch('doji', candles, () => new Doji(maxBodyRatio));
}

/**
 * Hammer (+1) and hanging man (-1), one shape in two contexts: a lower shadow at least twice the body, an upper
 * shadow at most 10% of the range (range > 0). After a decline (the previous close above the body) it is a hammer,
 * +1; after a rise (the previous close below the body) a hanging man, -1; otherwise 0. Warm-up 1.
 *
 * technicalindicators' `hammerpattern`/`hangingman` judge the trend over five bars and its shape rules differ.
 */
export class Hammer extends CandlePattern {
  constructor() {
    super('Hammer', 2);
  }

  /** Adds one bar; returns the signal for the pattern ending on it, or NaN while warming up. */
  update(bar: IndicatorCandle): number {
    const w = this.w;
    return w.finish(w.load(bar) ? this.detect(w) : Number.NaN);
  }

  protected detect(w: CandleWindow): number {
    const o = w.o0;
    const h = w.h0;
    const l = w.l0;
    const c = w.c0;
    const top = Math.max(o, c);
    const bottom = Math.min(o, c);
    const range = h - l;
    if (!(range > 0 && bottom - l >= 2 * (top - bottom) && h - top <= 0.1 * range)) return 0;
    return w.c1 > top ? 1 : w.c1 < bottom ? -1 : 0;
  }
}

/** Batch {@link Hammer}: +1 hammer, -1 hanging man, 0 none; NaN for the first bar. */
export function hammer(candles: IndicatorCandleSeries): Float64Array {
  return patternBatch('hammer', candles, () => new Hammer());
}

/**
 * Shooting star (-1) and inverted hammer (+1), the hammer's shape upside down: an upper shadow at least twice the
 * body, a lower shadow at most 10% of the range (range > 0). After a rise (the previous close below the body) it is a
 * shooting star, -1; after a decline (the previous close above the body) an inverted hammer, +1; otherwise 0.
 * Warm-up 1.
 *
 * technicalindicators' `shootingstar` judges the trend over five bars and its shape rules differ.
 */
export class ShootingStar extends CandlePattern {
  constructor() {
    super('ShootingStar', 2);
  }

  /** Adds one bar; returns the signal for the pattern ending on it, or NaN while warming up. */
  update(bar: IndicatorCandle): number {
    const w = this.w;
    return w.finish(w.load(bar) ? this.detect(w) : Number.NaN);
  }

  protected detect(w: CandleWindow): number {
    const o = w.o0;
    const h = w.h0;
    const l = w.l0;
    const c = w.c0;
    const top = Math.max(o, c);
    const bottom = Math.min(o, c);
    const range = h - l;
    if (!(range > 0 && h - top >= 2 * (top - bottom) && bottom - l <= 0.1 * range)) return 0;
    return w.c1 < bottom ? -1 : w.c1 > top ? 1 : 0;
  }
}

/** Batch {@link ShootingStar}: -1 shooting star, +1 inverted hammer, 0 none; NaN for the first bar. */
export function shootingStar(candles: IndicatorCandleSeries): Float64Array {
  return patternBatch('shootingStar', candles, () => new ShootingStar());
}

/**
 * Engulfing: the body of the bar engulfs the previous bar's body, in the other colour. Bullish (+1): a bearish bar
 * then a bullish one with `open <= previous close` and `close >= previous open`, at least one of them strict (TA-Lib's
 * rule); bearish (-1) mirrored. Warm-up 1.
 *
 * technicalindicators' `bullishengulfingpattern`/`bearishengulfingpattern` require both comparisons strict.
 */
export class Engulfing extends CandlePattern {
  constructor() {
    super('Engulfing', 2);
  }

  /** Adds one bar; returns the signal for the pattern ending on it, or NaN while warming up. */
  update(bar: IndicatorCandle): number {
    const w = this.w;
    return w.finish(w.load(bar) ? this.detect(w) : Number.NaN);
  }

  protected detect(w: CandleWindow): number {
    const o = w.o0;
    const c = w.c0;
    const o1 = w.o1;
    const c1 = w.c1;
    if (c1 < o1 && c > o && o <= c1 && c >= o1 && (o < c1 || c > o1)) return 1;
    if (c1 > o1 && c < o && o >= c1 && c <= o1 && (o > c1 || c < o1)) return -1;
    return 0;
  }
}

/** Batch {@link Engulfing}: +1 bullish, -1 bearish, 0 none; NaN for the first bar. */
export function engulfing(candles: IndicatorCandleSeries): Float64Array {
  return patternBatch('engulfing', candles, () => new Engulfing());
}

/**
 * Harami: the bar's body lies strictly inside the previous bar's body. After a bearish bar it is bullish (+1), after
 * a bullish bar bearish (-1), whatever the inside bar's colour (TA-Lib's rule; a doji inside is the harami cross).
 * Warm-up 1.
 *
 * technicalindicators' `bullishharami`/`bearishharami` also want the inside bar of the other colour and compare
 * shadows rather than bodies.
 */
export class Harami extends CandlePattern {
  constructor() {
    super('Harami', 2);
  }

  /** Adds one bar; returns the signal for the pattern ending on it, or NaN while warming up. */
  update(bar: IndicatorCandle): number {
    const w = this.w;
    return w.finish(w.load(bar) ? this.detect(w) : Number.NaN);
  }

  protected detect(w: CandleWindow): number {
    const o = w.o0;
    const c = w.c0;
    const o1 = w.o1;
    const c1 = w.c1;
    const top = Math.max(o, c);
    const bottom = Math.min(o, c);
    if (c1 < o1 && top < o1 && bottom > c1) return 1;
    if (c1 > o1 && top < c1 && bottom > o1) return -1;
    return 0;
  }
}

/** Batch {@link Harami}: +1 bullish, -1 bearish, 0 none; NaN for the first bar. */
export function harami(candles: IndicatorCandleSeries): Float64Array {
  return patternBatch('harami', candles, () => new Harami());
}

/**
 * Morning star (+1), three bars: a long bearish bar (body at least half its range), then a small body (at most 30%
 * of the first body) entirely below the first bar's close (the star gaps down from the body), then a bullish bar
 * closing above the midpoint of the first body. Warm-up 2.
 *
 * TA-Lib asks the third close to reach 30% into the first body and measures "long" and "small" against recent
 * averages; technicalindicators' `morningstar` also wants the star's whole range below the first low and a gap up
 * to the third bar.
 */
export class MorningStar extends CandlePattern {
  constructor() {
    super('MorningStar', 3);
  }

  /** Adds one bar; returns the signal for the pattern ending on it, or NaN while warming up. */
  update(bar: IndicatorCandle): number {
    const w = this.w;
    return w.finish(w.load(bar) ? this.detect(w) : Number.NaN);
  }

  protected detect(w: CandleWindow): number {
    const o = w.o0;
    const c = w.c0;
    const o2 = w.o2;
    const c2 = w.c2;
    const body2 = o2 - c2;
    if (!(body2 > 0 && body2 >= 0.5 * (w.h2 - w.l2))) return 0;
    const o1 = w.o1;
    const c1 = w.c1;
    if (!(Math.abs(c1 - o1) <= 0.3 * body2 && Math.max(o1, c1) < c2)) return 0;
    return c > o && c > (o2 + c2) / 2 ? 1 : 0;
  }
}

/** Batch {@link MorningStar}: +1 where a morning star ends, else 0; NaN for the first two bars. */
export function morningStar(candles: IndicatorCandleSeries): Float64Array {
  return patternBatch('morningStar', candles, () => new MorningStar());
}

/**
 * Evening star (-1), the {@link MorningStar} mirrored: a long bullish bar, a small body entirely above its close, then
 * a bearish bar closing below the midpoint of the first body. Warm-up 2.
 */
export class EveningStar extends CandlePattern {
  constructor() {
    super('EveningStar', 3);
  }

  /** Adds one bar; returns the signal for the pattern ending on it, or NaN while warming up. */
  update(bar: IndicatorCandle): number {
    const w = this.w;
    return w.finish(w.load(bar) ? this.detect(w) : Number.NaN);
  }

  protected detect(w: CandleWindow): number {
    const o = w.o0;
    const c = w.c0;
    const o2 = w.o2;
    const c2 = w.c2;
    const body2 = c2 - o2;
    if (!(body2 > 0 && body2 >= 0.5 * (w.h2 - w.l2))) return 0;
    const o1 = w.o1;
    const c1 = w.c1;
    if (!(Math.abs(c1 - o1) <= 0.3 * body2 && Math.min(o1, c1) > c2)) return 0;
    return c < o && c < (o2 + c2) / 2 ? -1 : 0;
  }
}

/** Batch {@link EveningStar}: -1 where an evening star ends, else 0; NaN for the first two bars. */
export function eveningStar(candles: IndicatorCandleSeries): Float64Array {
  return patternBatch('eveningStar', candles, () => new EveningStar());
}

/**
 * True for a bar in the pattern's direction (`move = close - open`, positive for soldiers, negated for crows) whose
 * shadow on the closing side is at most a quarter of its range (it closes near its high, or low).
 */
function closesNearExtreme(move: number, shadow: number, range: number): boolean {
  return move > 0 && shadow <= 0.25 * range;
}

/**
 * Three white soldiers (+1): three bullish bars, each closing higher than the one before and near its high (upper
 * shadow at most 25% of the range), each of the last two opening within the previous body
 * (`previous open < open <= previous close`). Warm-up 2.
 *
 * technicalindicators' `threewhitesoldiers` asks for rising highs instead of rising closes and no short upper shadows.
 */
export class ThreeWhiteSoldiers extends CandlePattern {
  constructor() {
    super('ThreeWhiteSoldiers', 3);
  }

  /** Adds one bar; returns the signal for the pattern ending on it, or NaN while warming up. */
  update(bar: IndicatorCandle): number {
    const w = this.w;
    return w.finish(w.load(bar) ? this.detect(w) : Number.NaN);
  }

  protected detect(w: CandleWindow): number {
    const o = w.o0;
    const h = w.h0;
    const l = w.l0;
    const c = w.c0;
    const o1 = w.o1;
    const c1 = w.c1;
    const o2 = w.o2;
    const c2 = w.c2;
    if (!(c > c1 && c1 > c2 && o > o1 && o <= c1 && o1 > o2 && o1 <= c2)) return 0;
    return closesNearExtreme(c - o, h - c, h - l) &&
      closesNearExtreme(c1 - o1, w.h1 - c1, w.h1 - w.l1) &&
      closesNearExtreme(c2 - o2, w.h2 - c2, w.h2 - w.l2)
      ? 1
      : 0;
  }
}

/** Batch {@link ThreeWhiteSoldiers}: +1 where the pattern ends, else 0; NaN for the first two bars. */
export function threeWhiteSoldiers(candles: IndicatorCandleSeries): Float64Array {
  return patternBatch('threeWhiteSoldiers', candles, () => new ThreeWhiteSoldiers());
}

/**
 * Three black crows (-1), the {@link ThreeWhiteSoldiers} mirrored: three bearish bars, each closing lower and near
 * its low (lower shadow at most 25% of the range), the last two opening within the previous body
 * (`previous close <= open < previous open`). Warm-up 2.
 */
export class ThreeBlackCrows extends CandlePattern {
  constructor() {
    super('ThreeBlackCrows', 3);
  }

  /** Adds one bar; returns the signal for the pattern ending on it, or NaN while warming up. */
  update(bar: IndicatorCandle): number {
    const w = this.w;
    return w.finish(w.load(bar) ? this.detect(w) : Number.NaN);
  }

  protected detect(w: CandleWindow): number {
    const o = w.o0;
    const h = w.h0;
    const l = w.l0;
    const c = w.c0;
    const o1 = w.o1;
    const c1 = w.c1;
    const o2 = w.o2;
    const c2 = w.c2;
    if (!(c < c1 && c1 < c2 && o < o1 && o >= c1 && o1 < o2 && o1 >= c2)) return 0;
    return closesNearExtreme(o - c, c - l, h - l) &&
      closesNearExtreme(o1 - c1, c1 - w.l1, w.h1 - w.l1) &&
      closesNearExtreme(o2 - c2, c2 - w.l2, w.h2 - w.l2)
      ? -1
      : 0;
  }
}

/** Batch {@link ThreeBlackCrows}: -1 where the pattern ends, else 0; NaN for the first two bars. */
export function threeBlackCrows(candles: IndicatorCandleSeries): Float64Array {
  return patternBatch('threeBlackCrows', candles, () => new ThreeBlackCrows());
}
