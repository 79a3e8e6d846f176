import { invalidArgument } from '../../errors';
import type { Bar } from '../../model/market-data';
import { type BarInput, type BarSource, barChunks, barSourceFromChunks } from './bar-source';

/** Most bars per chunk the combinators emit. */
const CHUNK = 2048;

/** One input being merged: its chunk iterator, the chunk in hand and the position in it. */
interface Cursor {
  readonly chunks: AsyncIterator<readonly Bar[]>;
  chunk: readonly Bar[];
  index: number;
}

async function advance(cursor: Cursor): Promise<boolean> {
  while (cursor.index >= cursor.chunk.length) {
    const next = await cursor.chunks.next();
    if (next.done) return false;
    cursor.chunk = next.value;
    cursor.index = 0;
  }
  return true;
}

/**
 * Merges several time-ordered bar inputs (one file per symbol, say) into one stream ordered by `ts`,
 * as a backtest over several symbols needs. Bars with the same `ts` keep the order of the inputs.
 * Each input must be in time order itself (bar sources check that per symbol); the merge is lazy and
 * reads each input chunk by chunk, so memory stays bounded whatever the file sizes.
 *
 * @example
 * const data = mergeBarSources([fromCsvFile('btc.csv', { symbol: 'BTC' }), fromCsvFile('eth.csv', { symbol: 'ETH' })]);
 */
export function mergeBarSources(inputs: readonly BarInput[]): BarSource {
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw invalidArgument('mergeBarSources: give at least one input');
  if (inputs.length === 1) {
    const only = inputs[0] as BarInput;
    return barSourceFromChunks(() => barChunks(only));
  }
  return barSourceFromChunks(async function* () {
    const cursors: Cursor[] = [];
    try {
      for (const input of inputs) {
        const cursor: Cursor = { chunks: barChunks(input)[Symbol.asyncIterator](), chunk: [], index: 0 };
        cursors.push(cursor);
      }
      const live: Cursor[] = [];
      for (const cursor of cursors) if (await advance(cursor)) live.push(cursor);
      let out: Bar[] = [];
      while (live.length > 0) {
        // A handful of inputs: a linear scan beats a heap.
        let best = 0;
        let bestTs = (live[0] as Cursor).chunk[(live[0] as Cursor).index]?.ts as number;
        for (let i = 1; i < live.length; i++) {
          const c = live[i] as Cursor;
          const ts = (c.chunk[c.index] as Bar).ts;
          if (ts < bestTs) {
            best = i;
            bestTs = ts;
          }
        }
        const cursor = live[best] as Cursor;
        out.push(cursor.chunk[cursor.index++] as Bar);
        if (cursor.index >= cursor.chunk.length && !(await advance(cursor))) live.splice(best, 1);
        if (out.length >= CHUNK) {
          yield out;
          out = [];
        }
      }
      if (out.length > 0) yield out;
    } finally {
      await Promise.all(cursors.map((c) => c.chunks.return?.()));
    }
  });
}

/** A time range: bars with `from ≤ ts < to` (either end open when absent). */
export interface BarRange {
  readonly from?: number;
  readonly to?: number;
}

/**
 * The bars of an input within a time range, `from ≤ ts < to`. Reading stops at the first bar at or
 * after `to` (inputs are in time order), so the tail of a long file is not read.
 */
export function barsBetween(input: BarInput, range: BarRange): BarSource {
  const from = range.from ?? Number.NEGATIVE_INFINITY;
  const to = range.to ?? Number.POSITIVE_INFINITY;
  if (Number.isNaN(from) || Number.isNaN(to) || from >= to) {
    throw invalidArgument(`barsBetween: from must be before to (got ${range.from} and ${range.to})`, {
      from: range.from,
      to: range.to,
    });
  }
  return barSourceFromChunks(async function* () {
    for await (const chunk of barChunks(input)) {
      let start = 0;
      while (start < chunk.length && (chunk[start] as Bar).ts < from) start++;
      let end = start;
      while (end < chunk.length && (chunk[end] as Bar).ts < to) end++;
      if (end > start) yield start === 0 && end === chunk.length ? chunk : chunk.slice(start, end);
      if (end < chunk.length) return;
    }
  });
}
