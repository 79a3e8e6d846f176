import { z } from 'zod';
import { invalidArgument, RxtradeError } from '../errors';
import type { Bar } from '../model/market-data';
import { checkOptions } from './sources/bar-checks';
import { type BarSource, barChunks, barSourceFromChunks } from './sources/bar-source';

/** A resampling period: a positive integer and a unit, `s` `m` `h` `d` or `w` (e.g. `5m`, `4h`, `1d`, `1w`). */
export type Timeframe = `${number}${'s' | 'm' | 'h' | 'd' | 'w'}`;

/** A parsed {@link Timeframe}. */
export interface ParsedTimeframe {
  readonly count: number;
  readonly unit: 's' | 'm' | 'h' | 'd' | 'w';
  /** Length of one bucket in ms. */
  readonly ms: number;
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** 1970-01-05T00:00Z, the first Monday after the epoch (a Thursday): weeks are counted from it. */
const FIRST_MONDAY_MS = 4 * 86_400_000;

/** Parses `'5m'`, `'1h'`, `'1d'`, `'1w'`…; months are not supported (their length varies). */
export function parseTimeframe(timeframe: string): ParsedTimeframe {
  const match = typeof timeframe === 'string' ? /^([1-9]\d*)([smhdw])$/.exec(timeframe) : null;
  if (match === null) {
    throw invalidArgument(`invalid timeframe ${JSON.stringify(timeframe)}: expected e.g. 5m, 1h, 1d, 1w`, {
      timeframe,
    });
  }
  const count = Number(match[1]);
  const unit = match[2] as ParsedTimeframe['unit'];
  return { count, unit, ms: count * UNIT_MS[unit] };
}

/**
 * Start of the bucket holding `ts`. Buckets are aligned to the Unix epoch in UTC, so any step that divides a
 * day starts at 00:00 UTC and days are UTC days. Weeks start on Monday 00:00 UTC (ISO weeks); an `n`-week
 * bucket counts from Monday 1970-01-05.
 */
export function bucketStart(ts: number, timeframe: ParsedTimeframe): number {
  const { ms } = timeframe;
  if (timeframe.unit === 'w') return Math.floor((ts - FIRST_MONDAY_MS) / ms) * ms + FIRST_MONDAY_MS;
  return Math.floor(ts / ms) * ms;
}

/** Options of {@link resampleBars} and {@link BarAggregator}. */
export interface ResampleOptions {
  /** Target period, e.g. `'1h'`. It should be a multiple of the input bars' period. */
  readonly timeframe: string;
}

const resampleOptionsSchema = z.object({ timeframe: z.string() }).strict();

/**
 * Aggregates one symbol's bars into bars of a longer timeframe, one bar at a time: open = first open,
 * high = max, low = min, close = last close, volume = sum, `ts` = bucket start (see {@link bucketStart}).
 *
 * `update(bar)` returns the previous bucket's bar when `bar` starts a new bucket, else `undefined`; call
 * `flush()` at the end for the last, possibly partial, bucket. Input bars are trusted (validate them with a
 * bar source); they must be of one symbol and strictly increasing in `ts`, else `INVALID_MESSAGE`.
 */
export class BarAggregator {
  readonly timeframe: ParsedTimeframe;
  private symbol: string | undefined;
  private bucket = Number.NaN;
  private lastTs = Number.NEGATIVE_INFINITY;
  private open = 0;
  private high = 0;
  private low = 0;
  private close = 0;
  private volume = 0;
  private hasBucket = false;

  constructor(options: ResampleOptions) {
    checkOptions(resampleOptionsSchema, options, 'BarAggregator');
    this.timeframe = parseTimeframe(options.timeframe);
  }

  /** Adds a bar; returns the completed bucket bar when `bar` opens a new bucket. */
  update(bar: Bar): Bar | undefined {
    if (this.symbol === undefined) this.symbol = bar.symbol;
    else if (bar.symbol !== this.symbol) {
      throw invalidArgument(
        `BarAggregator: got a ${bar.symbol} bar in a ${this.symbol} aggregator (one per symbol)`,
        {
          symbol: bar.symbol,
          expected: this.symbol,
        },
      );
    }
    if (!(bar.ts > this.lastTs)) {
      throw new RxtradeError({
        code: 'INVALID_MESSAGE',
        message: `BarAggregator: ${bar.symbol} bar ts ${bar.ts} is not after the previous bar (ts ${this.lastTs})`,
        details: { field: 'ts', value: bar.ts, previous: this.lastTs },
      });
    }
    this.lastTs = bar.ts;
    const start = bucketStart(bar.ts, this.timeframe);
    if (this.hasBucket && start === this.bucket) {
      if (bar.high > this.high) this.high = bar.high;
      if (bar.low < this.low) this.low = bar.low;
      this.close = bar.close;
      this.volume += bar.volume;
      return undefined;
    }
    const completed = this.hasBucket ? this.current() : undefined;
    this.hasBucket = true;
    this.bucket = start;
    this.open = bar.open;
    this.high = bar.high;
    this.low = bar.low;
    this.close = bar.close;
    this.volume = bar.volume;
    return completed;
  }

  /** Returns the bar of the bucket in progress (partial) and clears it; `undefined` when empty. */
  flush(): Bar | undefined {
    if (!this.hasBucket) return undefined;
    const bar = this.current();
    this.hasBucket = false;
    return bar;
  }

  private current(): Bar {
    return {
      symbol: this.symbol ?? '',
      ts: this.bucket,
      open: this.open,
      high: this.high,
      low: this.low,
      close: this.close,
      volume: this.volume,
    };
  }
}

/**
 * Resamples bars to a longer timeframe (see {@link BarAggregator} for the OHLCV rules and
 * {@link bucketStart} for the UTC/Monday bucket alignment). Several symbols may be interleaved: each is
 * aggregated separately.
 *
 * A bucket is emitted when the symbol's next bucket starts, so a streaming consumer gets it one input bar
 * late; the last bucket of each symbol is emitted at the end even if partial (e.g. a week still in progress).
 *
 * - An array gives an array, synchronously.
 * - A {@link BarSource} or async iterable gives a {@link BarSource} that resamples lazily, chunk by chunk.
 */
export function resampleBars(bars: readonly Bar[], options: ResampleOptions): Bar[];
export function resampleBars(source: BarSource | AsyncIterable<Bar>, options: ResampleOptions): BarSource;
export function resampleBars(
  input: readonly Bar[] | BarSource | AsyncIterable<Bar>,
  options: ResampleOptions,
): Bar[] | BarSource {
  checkOptions(resampleOptionsSchema, options, 'resampleBars');
  parseTimeframe(options.timeframe);
  if (Array.isArray(input)) {
    const resampler = new MultiSymbolResampler(options);
    const out: Bar[] = [];
    for (const bar of input as readonly Bar[]) resampler.update(bar, out);
    resampler.flush(out);
    return out;
  }
  const source = input as BarSource | AsyncIterable<Bar>;
  return barSourceFromChunks(async function* () {
    const resampler = new MultiSymbolResampler(options);
    for await (const chunk of barChunks(source)) {
      const out: Bar[] = [];
      for (const bar of chunk) resampler.update(bar, out);
      if (out.length > 0) yield out;
    }
    const out: Bar[] = [];
    resampler.flush(out);
    if (out.length > 0) yield out;
  });
}

/** One {@link BarAggregator} per symbol, flushed in order of first appearance. */
class MultiSymbolResampler {
  private readonly aggregators = new Map<string, BarAggregator>();
  private lastSymbol: string | undefined;
  private last: BarAggregator | undefined;

  constructor(private readonly options: ResampleOptions) {}

  update(bar: Bar, out: Bar[]): void {
    let aggregator = this.last;
    if (bar.symbol !== this.lastSymbol || aggregator === undefined) {
      aggregator = this.aggregators.get(bar.symbol);
      if (aggregator === undefined) {
        aggregator = new BarAggregator(this.options);
        this.aggregators.set(bar.symbol, aggregator);
      }
      this.lastSymbol = bar.symbol;
      this.last = aggregator;
    }
    const completed = aggregator.update(bar);
    if (completed !== undefined) out.push(completed);
  }

  flush(out: Bar[]): void {
    for (const aggregator of this.aggregators.values()) {
      const bar = aggregator.flush();
      if (bar !== undefined) out.push(bar);
    }
  }
}
