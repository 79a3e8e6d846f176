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
import type { BarSource } from './bar-source';

/** A source's upstream: an async iterable, or a factory called once per read (for re-readable sources). */
export type AsyncBarIterableInput = AsyncIterable<Bar> | (() => AsyncIterable<Bar>);

/** An async-iterable {@link BarSource}; `stats` counts the current (or last) read. */
export interface AsyncIterableBarSource extends BarSource {
  readonly stats: Readonly<BarReadStats>;
}

const asyncOptionsSchema = z.object(barCheckOptionsShape).strict();

/**
 * Wraps an async iterable of bars (a websocket feed, a database cursor, a generator) as a {@link BarSource},
 * validating each bar as it arrives (`BarSchema` rules, strictly increasing `ts` per symbol; errors name the
 * 0-based position).
 *
 * Pass a factory to make the source re-readable: a generator object can only be iterated once, so a second
 * read of a source built from one yields nothing. `chunks()` yields one-bar chunks: the upstream may be live,
 * and waiting to fill a chunk would delay bars.
 */
export function fromAsyncIterable(
  input: AsyncBarIterableInput,
  options: BarCheckOptions = {},
): AsyncIterableBarSource {
  const valid =
    typeof input === 'function' ||
    (typeof input === 'object' && input !== null && typeof input[Symbol.asyncIterator] === 'function');
  if (!valid)
    throw invalidArgument('fromAsyncIterable: input must be an async iterable or a function returning one');
  checkOptions(asyncOptionsSchema, options, 'fromAsyncIterable');
  let stats: BarReadStats = { rows: 0, bars: 0, skipped: 0 };

  async function* bars(): AsyncGenerator<Bar> {
    const gate = new BarGate(options);
    stats = gate.stats;
    const upstream = typeof input === 'function' ? input() : input;
    let index = 0;
    for await (const bar of upstream) {
      if (typeof bar !== 'object' || bar === null) {
        gate.failRow({ field: 'row', reason: 'must be an object' }, { index }, String(bar));
      } else if (gate.admit(bar, { index })) {
        yield bar;
      }
      index++;
    }
  }

  return {
    get stats() {
      return stats;
    },
    [Symbol.asyncIterator]: bars,
    async *chunks() {
      for await (const bar of bars()) yield [bar];
    },
  };
}
