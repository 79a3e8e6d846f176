import { z } from 'zod';
import { invalidArgument } from '../../errors';
import type { Bar } from '../../model/market-data';
import {
  type BarCheckOptions,
  BarGate,
  type BarReadStats,
  barCheckOptionsShape,
  checkOptions,
} from './bar-checks';
import type { SyncBarSource } from './bar-source';

/** Options of {@link fromArray}. */
export interface ArrayBarSourceOptions extends BarCheckOptions {
  /** Bars per chunk of `chunks()`; default 8192. */
  readonly chunkSize?: number;
}

/** An in-memory {@link SyncBarSource}; `stats` are those of the validation done at construction. */
export interface ArrayBarSource extends SyncBarSource {
  readonly stats: Readonly<BarReadStats>;
  /** The validated bars (a copy of the input; do not mutate). */
  readonly bars: readonly Bar[];
}

const arrayOptionsSchema = z
  .object({ ...barCheckOptionsShape, chunkSize: z.number().int().positive().optional() })
  .strict();

/**
 * Bars already in memory as a {@link SyncBarSource}: iterable synchronously (`for … of`) and asynchronously.
 * The array is validated once, here, with the `BarSchema` rules and strictly increasing `ts` per symbol;
 * errors name the 0-based index. Under `'skip'` policies bad bars are dropped and reported via `onSkip`.
 * The input is copied, so later changes to it do not leak into a running backtest.
 */
export function fromArray(bars: readonly Bar[], options: ArrayBarSourceOptions = {}): ArrayBarSource {
  if (!Array.isArray(bars)) throw invalidArgument('fromArray: bars must be an array');
  checkOptions(arrayOptionsSchema, options, 'fromArray');
  const chunkSize = options.chunkSize ?? 8192;
  const gate = new BarGate(options);
  const kept: Bar[] = [];
  for (let index = 0; index < bars.length; index++) {
    const bar = bars[index] as Bar;
    if (typeof bar !== 'object' || bar === null) {
      gate.failRow({ field: 'row', reason: 'must be an object' }, { index }, String(bar));
    } else if (gate.admit(bar, { index })) {
      kept.push(bar);
    }
  }
  return {
    bars: kept,
    stats: gate.stats,
    length: kept.length,
    [Symbol.iterator]: () => kept[Symbol.iterator](),
    async *chunks() {
      for (let i = 0; i < kept.length; i += chunkSize) yield kept.slice(i, i + chunkSize);
    },
    async *[Symbol.asyncIterator]() {
      yield* kept;
    },
  };
}
