import { z } from 'zod';
import { BarAggregator, bucketStart, type ParsedTimeframe, parseTimeframe } from '../data/resample';
import { checkOptions } from '../data/sources/bar-checks';
import { invalidArgument, RxtradeError } from '../errors';
import type { Bar } from '../model/market-data';
import { type BarIndicator, type PriceSource, priceOf, type ValueIndicator } from './price-source';

/** Options of `BaseStrategy.resample()`. */
export interface ResampleStrategyOptions {
  /**
   * Symbol whose bars are resampled: one of the strategy's symbols (a second feed, when it trades
   * several). Default: the strategy's only symbol; for a strategy of several (or every) symbol without
   * this option, the symbol of the first bar, and a bar of another symbol fails the strategy with
   * `INVALID_CONFIG`.
   */
  readonly symbol?: string;
  /**
   * Length of the input bars, e.g. `'1m'`; the timeframe must be a whole multiple of it. With it, a
   * bucket is complete on its last input bar (the 10:59 minute bar completes the 10:00 hour, since it
   * closes at 11:00); without it, or when that bar is missing, on the first bar of the next bucket.
   * Input bars must then sit on its grid (`ts` a multiple of it), else `INVALID_MESSAGE`.
   */
  readonly inputTimeframe?: string;
}

const optionsSchema = z
  .object({ symbol: z.string().min(1).optional(), inputTimeframe: z.string().optional() })
  .strict();

/**
 * The completed bars of a longer timeframe, resampled from a strategy's own bars as they arrive (by
 * core's {@link BarAggregator}: open of the first bar, highest high, lowest low, last close, summed
 * volume; buckets aligned to UTC, weeks from Monday). Get one from `BaseStrategy.resample()`.
 *
 * Only completed bars are delivered, never the bucket in progress, so nothing a strategy reads from
 * here looks ahead: the bar of 10:00–11:00 arrives with the input bar that completes it — the 10:59
 * minute bar when the input timeframe is declared, else the first bar at or after 11:00 — and its
 * tracked indicators are updated then, before that input bar's `onBar`. `ts` is the bucket's start.
 *
 * @example
 * class HourlyTrend extends BaseStrategy {
 *   hourly = this.resample('1h', { inputTimeframe: '1m' });
 *   trend = this.hourly.track(new Ema(20));
 *   override onBar(bar: Bar) {
 *     if (this.hourly.isNew && bar.close > this.trend.value && this.position() === 0) this.buy(1);
 *   }
 * }
 */
export class ResampledBars {
  /** The timeframe of these bars, as declared (e.g. `'1h'`). */
  readonly timeframe: string;
  /** The length of the input bars, when declared. */
  readonly inputTimeframe: string | undefined;
  readonly #parsed: ParsedTimeframe;
  readonly #aggregator: BarAggregator;
  /** Length of one input bar in ms; 0 when not declared (buckets then close on the next bucket's bar). */
  readonly #inputMs: number;
  /** True when the symbol was chosen (or is the strategy's only one): other symbols' bars are not ours. */
  readonly #fixedSymbol: boolean;
  readonly #indicators: ((bar: Bar) => void)[] = [];
  #symbol: string | undefined;
  #completed: Bar[] = [];
  #last: Bar | undefined;
  #count = 0;

  /** @internal Made by `BaseStrategy.resample()`, which feeds it. */
  constructor(timeframe: string, options: ResampleStrategyOptions, strategySymbol: string | undefined) {
    checkOptions(optionsSchema, options, 'resample');
    this.#parsed = parseTimeframe(timeframe);
    this.#aggregator = new BarAggregator({ timeframe });
    this.timeframe = timeframe;
    this.inputTimeframe = options.inputTimeframe;
    this.#inputMs = 0;
    if (options.inputTimeframe !== undefined) {
      const input = parseTimeframe(options.inputTimeframe);
      // A bucket that is not a whole number of input bars would take its last bar across its end.
      if (this.#parsed.ms % input.ms !== 0) {
        throw invalidArgument(
          `resample: the timeframe ${timeframe} is not a whole multiple of the input timeframe ${options.inputTimeframe}`,
          { timeframe, inputTimeframe: options.inputTimeframe },
        );
      }
      this.#inputMs = input.ms;
    }
    this.#symbol = options.symbol ?? strategySymbol;
    this.#fixedSymbol = this.#symbol !== undefined;
  }

  /** The symbol resampled (undefined until the first bar when it was not given). */
  get symbol(): string | undefined {
    return this.#symbol;
  }

  /** The latest completed bar; undefined before the first bucket completes. */
  get last(): Bar | undefined {
    return this.#last;
  }

  /** How many bars have completed so far (warm-up included). */
  get count(): number {
    return this.#count;
  }

  /**
   * True while the strategy handles the input bar that completed a bar here (in its `onBar`): the
   * moment to act on the new bar and the indicators tracked on it.
   */
  get isNew(): boolean {
    return this.#completed.length > 0;
  }

  /**
   * The bars the current input bar completed, oldest first: usually none or one; two when a bucket's
   * last input bar was missing and the next bucket's only input bar completes that one too.
   */
  get completed(): readonly Bar[] {
    return this.#completed;
  }

  /**
   * Registers an indicator updated with each completed bar, before the `onBar` of the input bar that
   * completed it; it is fed `source` of the bar (default close).
   */
  track<TIndicator extends ValueIndicator>(
    indicator: TIndicator,
    options?: { source?: PriceSource },
  ): TIndicator {
    const get = priceOf(options?.source ?? 'close');
    this.#indicators.push((bar) => void indicator.update(get(bar)));
    return indicator;
  }

  /** Registers a bar-based indicator (ATR, Stochastic, …) updated with each completed bar. */
  trackBar<TIndicator extends BarIndicator>(indicator: TIndicator): TIndicator {
    this.#indicators.push((bar) => void indicator.update(bar));
    return indicator;
  }

  /** @internal Feeds one of the strategy's bars (the host calls it before `onBar`, and on warm-up). */
  push(bar: Bar): void {
    // A new array only after a completion: the strategy may keep the previous one.
    if (this.#completed.length > 0) this.#completed = [];
    if (bar.symbol !== this.#symbol) {
      if (this.#fixedSymbol) return;
      if (this.#symbol !== undefined) {
        throw new RxtradeError({
          code: 'INVALID_CONFIG',
          message: `resample('${this.timeframe}'): got a ${bar.symbol} bar after ${this.#symbol} bars; the strategy gets several symbols, so say which one with { symbol }`,
          details: { symbol: bar.symbol, resampled: this.#symbol },
        });
      }
      this.#symbol = bar.symbol;
    }
    const inputMs = this.#inputMs;
    if (inputMs > 0 && bar.ts % inputMs !== 0) {
      // Bars off the declared grid are longer than declared (or shifted): closing a bucket on them
      // could close it before its last bar.
      throw new RxtradeError({
        code: 'INVALID_MESSAGE',
        message: `resample('${this.timeframe}'): a ${bar.symbol} bar at ${new Date(bar.ts).toISOString()} is not on the ${this.inputTimeframe} grid its inputTimeframe declares`,
        details: { field: 'ts', value: bar.ts, inputTimeframe: this.inputTimeframe },
      });
    }
    const previous = this.#aggregator.update(bar);
    if (previous !== undefined) this.#complete(previous);
    const parsed = this.#parsed;
    if (inputMs > 0 && bar.ts + inputMs >= bucketStart(bar.ts, parsed) + parsed.ms) {
      this.#complete(this.#aggregator.flush() as Bar);
    }
  }

  #complete(bar: Bar): void {
    this.#last = bar;
    this.#count++;
    this.#completed.push(bar);
    const indicators = this.#indicators;
    for (let i = 0; i < indicators.length; i++) (indicators[i] as (bar: Bar) => void)(bar);
  }
}
