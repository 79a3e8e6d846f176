/**
 * The uniform shape of every streaming indicator, so strategies can hold "some indicator" generically.
 * `update` returns the main output, or NaN while warming up; `warmup` is the number of leading NaN outputs
 * (the `warmup + 1`-th update is the first with a value, and batch output index `warmup` is the first non-NaN);
 * `value` repeats the latest main output (NaN before `isReady`); `reset()` returns to the just-constructed state.
 */
export interface StreamingIndicator<TInput> {
  /** Window length (or the main one for composite indicators); `Infinity` for cumulative indicators. */
  readonly period: number;
  /** Number of leading inputs whose output is NaN. */
  readonly warmup: number;
  /** True once every output of the indicator has a value. */
  readonly isReady: boolean;
  /** Latest main output; NaN until {@link StreamingIndicator.isReady}. */
  readonly value: number;
  /** Feeds one input and returns the new main output (NaN while warming up). Throws INVALID_ARGUMENT on a non-finite input and leaves the state unchanged. */
  update(input: TInput): number;
  /** Forgets all inputs. */
  reset(): void;
}

/**
 * The bar fields price indicators read. A structural subset of `Bar` (`model/market-data`) so a `Bar` (or any richer
 * object) is passed as is, without copying; `volume` is only read by volume indicators.
 */
export interface IndicatorBar {
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume?: number | undefined;
}

/** A bar with its open, for the candlestick patterns. A `Bar` fits as is. */
export interface IndicatorCandle extends IndicatorBar {
  readonly open: number;
}

/** A bar whose volume is required (OBV, VWAP). */
export interface IndicatorVolumeBar extends IndicatorBar {
  readonly volume: number;
}

/**
 * Column-oriented bars for the batch functions: one array per field, all the same length. This is how
 * bars usually arrive from a CSV or a dataframe, and lets the batch functions run without building objects.
 */
export interface IndicatorBarColumns {
  /** Only read by the candlestick patterns. */
  readonly open?: ArrayLike<number> | undefined;
  readonly high: ArrayLike<number>;
  readonly low: ArrayLike<number>;
  readonly close: ArrayLike<number>;
  readonly volume?: ArrayLike<number> | undefined;
}

/** Input of the bar-based batch functions: bar objects (e.g. `Bar[]`) or {@link IndicatorBarColumns}. */
export type IndicatorBarSeries = ArrayLike<IndicatorBar> | IndicatorBarColumns;
