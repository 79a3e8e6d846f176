import { Observable } from 'rxjs';
import type { Bar } from '../../model/market-data';

/**
 * A re-readable stream of bars, the one shape every bar source returns.
 *
 * Two ways to read it:
 * - `for await (const bar of source)`: simple, but one `await` (one promise resolution) per bar.
 * - `for await (const chunk of source.chunks())`: one `await` per chunk of bars; the backtest hot loop uses
 *   this, so a 10M-row CSV costs a few thousand awaits instead of ten million.
 *
 * Sources are cold: every iteration starts from the beginning (re-opens the file, re-walks the array).
 * Chunks are fresh arrays the consumer may keep, but must not mutate.
 */
export interface BarSource extends AsyncIterable<Bar> {
  /** The same bars in order, grouped into non-empty arrays. Chunk sizes are an implementation detail. */
  chunks(): AsyncIterable<readonly Bar[]>;
}

/** A bar source already in memory: it can also be iterated synchronously. */
export interface SyncBarSource extends BarSource, Iterable<Bar> {
  /** Number of bars (after validation and skipping). */
  readonly length: number;
}

/** Anything {@link toObservable} and the resamplers accept. */
export type BarInput = BarSource | AsyncIterable<Bar> | Iterable<Bar>;

/**
 * Builds a {@link BarSource} from a chunk generator: the per-bar async iterator is derived from `chunks()`,
 * so implementations write their read loop once.
 */
export function barSourceFromChunks(chunks: () => AsyncIterable<readonly Bar[]>): BarSource {
  return {
    chunks,
    async *[Symbol.asyncIterator]() {
      for await (const chunk of chunks()) yield* chunk;
    },
  };
}

function hasChunks(input: unknown): input is BarSource {
  return typeof (input as Partial<BarSource>).chunks === 'function';
}

function isSyncIterable(input: unknown): input is Iterable<Bar> {
  return typeof (input as Partial<Iterable<Bar>>)[Symbol.iterator] === 'function';
}

/**
 * Iterates any bar input chunk by chunk: a {@link BarSource}'s own `chunks()`, an array as slices,
 * and a plain async iterable bar by bar (one-bar chunks: a live upstream must not wait for a chunk to fill).
 */
export async function* barChunks(input: BarInput, chunkSize = 8192): AsyncGenerator<readonly Bar[]> {
  if (hasChunks(input)) {
    yield* input.chunks();
    return;
  }
  if (isSyncIterable(input)) {
    let chunk: Bar[] = [];
    for (const bar of input) {
      chunk.push(bar);
      if (chunk.length >= chunkSize) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
    return;
  }
  for await (const bar of input) yield [bar];
}

/**
 * A cold `Observable<Bar>` over a bar source: each subscription reads the source from the start; no replay,
 * nothing shared between subscribers. Synchronous iterables (arrays, {@link fromArray}) emit synchronously
 * on subscribe, like RxJS `from`; async sources emit chunk by chunk. Unsubscribing stops the read (the file
 * is closed through the iterator's `return()`). A source error (bad row, I/O) is delivered as `error`.
 */
export function toObservable(source: BarInput): Observable<Bar> {
  return new Observable<Bar>((subscriber) => {
    if (isSyncIterable(source)) {
      for (const bar of source) {
        if (subscriber.closed) return;
        subscriber.next(bar);
      }
      subscriber.complete();
      return;
    }
    const iterator = barChunks(source)[Symbol.asyncIterator]();
    let stopped = false;
    const pump = async (): Promise<void> => {
      try {
        for (;;) {
          const step = await iterator.next();
          if (stopped) return;
          if (step.done) {
            subscriber.complete();
            return;
          }
          for (const bar of step.value) {
            if (stopped || subscriber.closed) return;
            subscriber.next(bar);
          }
        }
      } catch (error) {
        if (!stopped) subscriber.error(error);
      }
    };
    void pump();
    return () => {
      if (stopped) return;
      stopped = true;
      void iterator.return?.(undefined).catch(() => undefined);
    };
  });
}
