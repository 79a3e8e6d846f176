import type { BacktestData, Bar } from '@rxtrade/core';

/** Resolves after `ms`, or at once when `signal` aborts. */
export const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Every bar of `data`, in order, whatever its shape. */
export async function* barsOf(data: BacktestData): AsyncGenerator<Bar> {
  if (typeof (data as { chunks?: unknown }).chunks === 'function') {
    for await (const chunk of (data as { chunks(): AsyncIterable<readonly Bar[]> }).chunks()) yield* chunk;
  } else yield* data as Iterable<Bar> | AsyncIterable<Bar>;
}

/**
 * `data` replayed at `barsPerSecond` on a fixed schedule (no drift): bars that share a timestamp (one
 * per symbol) leave together. Ends early when `signal` aborts.
 */
export async function* paced(
  data: BacktestData,
  barsPerSecond: number,
  signal: AbortSignal,
): AsyncGenerator<Bar> {
  const stepMs = 1_000 / barsPerSecond;
  const start = performance.now();
  let steps = 0;
  let lastTs: number | undefined;
  for await (const bar of barsOf(data)) {
    if (lastTs !== undefined && bar.ts !== lastTs) {
      steps++;
      await sleep(start + steps * stepMs - performance.now(), signal);
    }
    if (signal.aborted) return;
    lastTs = bar.ts;
    yield bar;
  }
}
