import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../engine/backtest';
import { isRxtradeError } from '../errors';
import type { Bar } from '../model/market-data';
import { Optimizer, optimize, walkForward } from './optimize';
import { FixtureSmaCross, fixtureBars } from './optimize.fixture';
import { statisticsFrom } from './optimize-task';

const fixture = fileURLToPath(new URL('./optimize.fixture.ts', import.meta.url));
const strategy = { path: fixture, export: 'FixtureSmaCross' };
const SYN = { id: 'SYN', pricePrecision: 2, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.001 };
const space = { fast: [3, 5, 8], slow: { min: 10, max: 30, step: 10 } };

/** A space large enough to still be running when it cancels itself at its third result. */
function cancelingAtThird(): {
  space: { fast: { min: number; max: number; int: true }; slow: { min: number; max: number; step: number } };
  signal: AbortSignal;
  onProgress: (p: { completed: number }) => void;
} {
  const controller = new AbortController();
  return {
    space: { fast: { min: 2, max: 9, int: true }, slow: { min: 10, max: 100, step: 1 } },
    signal: controller.signal,
    onProgress: (p) => {
      if (p.completed === 3) controller.abort();
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('optimize', () => {
  let bars: Bar[];
  beforeAll(() => {
    bars = fixtureBars(600);
  });
  /** What an optimisation over the fixture needs besides its space, on `workers` threads. */
  const over = (workers: number) => ({
    strategy,
    data: { kind: 'bars' as const, bars },
    instruments: [SYN],
    workers,
  });

  it('runs the sets as variants in one pass (onePass) to the same rows, failed sets included', async () => {
    // fast 0 breaks the schema (an error row); failAt 100 stops the strategy mid-run (StrategyFailed).
    const mixed = { fast: [0, 3, 5, 8], slow: [10, 20], failAt: [100, 10_000] };
    const separate = await optimize({ ...over(0), space: mixed, metric: 'totalReturn' });
    expect(separate.rows.filter((r) => r.error !== undefined)).toHaveLength(4);
    for (const workers of [0, 2]) {
      const progress: number[] = [];
      const onePass = await optimize({
        ...over(workers),
        space: mixed,
        metric: 'totalReturn',
        onePass: true,
        onProgress: (p) => progress.push(p.completed),
      });
      expect(onePass.rows).toEqual(separate.rows);
      expect(progress.at(-1)).toBe(16);
    }
  });

  it('runs a grid in this thread and ranks by the metric; a row equals a direct backtest', async () => {
    const progress: number[] = [];
    const result = await optimize({
      strategy,
      data: { kind: 'bars', bars },
      instruments: [SYN],
      space,
      metric: 'totalReturn',
      workers: 0,
      onProgress: (p) => progress.push(p.completed),
    });
    expect(result.rows).toHaveLength(9);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const scores = result.rows.map((r) => r.score as number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(result.rows.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const best = result.best;
    const direct = await runBacktest({
      strategies: new FixtureSmaCross({ params: best?.params as { fast: number; slow: number } }),
      data: bars,
      instruments: [SYN],
    });
    expect(best?.statistics).toEqual(direct.statistics);
  });

  it('gives the same table on 2 worker threads (TypeScript sources loaded in the workers)', async () => {
    const inline = await optimize({
      strategy,
      data: { kind: 'bars', bars },
      instruments: [SYN],
      space,
      workers: 0,
    });
    const threaded = await optimize({
      strategy,
      data: { kind: 'bars', bars },
      instruments: [SYN],
      space,
      workers: 2,
    });
    expect(threaded.workers).toBe(2);
    expect(threaded.rows).toEqual(inline.rows);
    expect(threaded.metric).toBe('sharpe');
  });

  it('loads data by description in each worker (CSV file, data module)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxtrade-opt-'));
    const csv = join(dir, 'syn.csv');
    writeFileSync(
      csv,
      `ts,open,high,low,close,volume\n${bars.map((b) => `${b.ts},${b.open},${b.high},${b.low},${b.close},${b.volume}`).join('\n')}\n`,
    );
    const fromArray = await optimize({
      strategy,
      data: { kind: 'bars', bars },
      instruments: [SYN],
      space,
      workers: 0,
    });
    const fromCsv = await optimize({
      strategy,
      data: { kind: 'csv', path: csv, options: { symbol: 'SYN' } },
      instruments: [SYN],
      space,
      workers: 1,
    });
    const fromModule = await optimize({
      strategy,
      data: { kind: 'module', path: fixture, export: 'fixtureBars' },
      instruments: [SYN],
      space,
      workers: 0,
    });
    expect(fromCsv.rows).toEqual(fromArray.rows);
    expect(fromModule.rows).toEqual(fromArray.rows);
  });

  it('random search with a seed and a constraint; min for drawdown; failed runs rank last with their error', async () => {
    const result = await optimize({
      strategy,
      data: { kind: 'bars', bars },
      instruments: [SYN],
      space: { fast: { min: 2, max: 20, int: true }, slow: { min: 10, max: 60, step: 5 } },
      search: { type: 'random', samples: 12, seed: 3 },
      constraint: (p) => (p['fast'] as number) < (p['slow'] as number),
      params: { quantity: 5 },
      metric: 'maxDrawdown',
      workers: 0,
    });
    expect(result.direction).toBe('min');
    expect(result.rows.every((r) => (r.params['fast'] as number) < (r.params['slow'] as number))).toBe(true);
    const scores = result.rows.map((r) => r.score as number);
    expect([...scores].sort((a, b) => a - b)).toEqual(scores);

    const failing = await optimize({
      strategy,
      data: { kind: 'bars', bars },
      instruments: [SYN],
      space: { fast: [5, -1] },
      params: { failAt: 0 },
      workers: 0,
    });
    expect(failing.rows.map((r) => [r.params['fast'], r.score, r.error?.slice(0, 30)])).toEqual([
      [5, null, undefined], // the strategy threw on bar 0: stopped, statistics still computed (flat)
      [-1, null, 'invalid parameters for strateg'],
    ]);
  });

  it('refuses parameters the schema does not have', async () => {
    const error = await rejection(
      optimize({
        strategy,
        data: { kind: 'bars', bars },
        instruments: [SYN],
        space: { fats: [1] },
        workers: 0,
      }),
    );
    expect(isRxtradeError(error) && error.message).toBe(
      "unknown parameter fats (did you mean fast?): the strategy's paramsSchema takes fast, slow, quantity, failAt",
    );
  });

  it('cancels: the AbortSignal terminates the workers and rejects with CANCELED', async () => {
    const error = await rejection(optimize({ ...over(2), ...cancelingAtThird() }));
    expect(isRxtradeError(error) && error.code).toBe('CANCELED');
  });

  it('an Optimizer serves several searches on the same workers, one after another, each equal to optimize()', async () => {
    const optimizer = await Optimizer.start(over(2));
    try {
      expect(optimizer.workers).toBe(2);
      const other = { fast: [4, 6], slow: [15, 25] };
      // Issued together: the second waits for the first.
      const [first, second] = await Promise.all([
        optimizer.search({ space, metric: 'totalReturn' }),
        optimizer.search({ space: other }),
      ]);
      const alone = await optimize({ ...over(0), space, metric: 'totalReturn' });
      expect(first.rows).toEqual(alone.rows);
      expect(second.rows.map((r) => r.params)).toHaveLength(4);
      const third = await optimizer.search({ space, metric: 'totalReturn' });
      expect(third.rows).toEqual(first.rows);
      // A bad space is refused without harming the workers.
      const refused = await rejection(optimizer.search({ space: { fats: [1] } }));
      expect(isRxtradeError(refused) && refused.code).toBe('INVALID_ARGUMENT');
      expect((await optimizer.search({ space: other })).rows).toEqual(second.rows);
    } finally {
      await optimizer.close();
    }
    await optimizer.close(); // idempotent
    const closed = await rejection(optimizer.search({ space }));
    expect(isRxtradeError(closed) && closed.code).toBe('CLOSED');
  });

  it('a canceled search closes its Optimizer, so late results of its stopped workers cannot reach another search', async () => {
    const optimizer = await Optimizer.start(over(2));
    const error = await rejection(optimizer.search(cancelingAtThird()));
    expect(isRxtradeError(error) && error.code).toBe('CANCELED');
    const after = await rejection(optimizer.search({ space }));
    expect(isRxtradeError(after) && after.code).toBe('CLOSED');
  });

  it('walk-forward: optimise in sample, test the best out of sample, window by window', async () => {
    const result = await walkForward({
      strategy,
      data: { kind: 'bars', bars },
      instruments: [SYN],
      space,
      metric: 'totalReturn',
      windows: { inSample: 200, outOfSample: 100 },
      workers: 0,
    });
    expect(result.windows).toHaveLength(4); // starts 0, 100, 200, 300; 300 + 300 = 600 bars
    const w0 = result.windows[0];
    expect(w0?.inSample).toEqual({ from: bars[0]?.ts, to: bars[200]?.ts });
    expect(w0?.outOfSample).toEqual({ from: bars[200]?.ts, to: bars[300]?.ts });
    const last = result.windows[3];
    expect(last?.outOfSample).toEqual({ from: bars[500]?.ts, to: undefined });
    // The out-of-sample run is the best in-sample params on the next bars only.
    const direct = await runBacktest({
      strategies: new FixtureSmaCross({ params: w0?.best?.params as { fast: number } }),
      data: bars.slice(200, 300),
      instruments: [SYN],
    });
    expect(w0?.outOfSampleStatistics).toEqual(direct.statistics);
    expect(result.meanOutOfSampleScore).toBeCloseTo(
      result.windows.reduce((s, w) => s + (w.outOfSampleScore as number), 0) / 4,
      12,
    );
  });

  it('walk-forward warm-up: the run starts earlier, only the window is scored', async () => {
    const result = await walkForward({
      strategy,
      data: { kind: 'bars', bars },
      instruments: [SYN],
      space,
      metric: 'totalReturn',
      windows: { inSample: 200, outOfSample: 100, warmup: 50 },
      workers: 0,
    });
    const w0 = result.windows[0];
    // Scored from the last close before the window to its last bar.
    expect(w0?.outOfSampleStatistics?.startTs).toBe(bars[199]?.ts);
    expect(w0?.outOfSampleStatistics?.endTs).toBe(bars[299]?.ts);
    const run = await runBacktest({
      strategies: new FixtureSmaCross({ params: w0?.best?.params as { fast: number } }),
      data: bars.slice(150, 300),
      instruments: [SYN],
    });
    const i = run.equity.timestamps.indexOf(bars[199]?.ts as number);
    const equity = run.equity.values;
    expect(w0?.outOfSampleStatistics?.totalReturn).toBeCloseTo(
      (equity.at(-1) as number) / (equity[i] as number) - 1,
      12,
    );
  });

  it('statistics from the first bar on are the whole run’s statistics', async () => {
    const run = await runBacktest({
      strategies: new FixtureSmaCross({ params: { fast: 3, slow: 10 } }),
      data: bars,
      instruments: [SYN],
    });
    expect(run.closedTrades.length).toBeGreaterThan(10);
    expect(statisticsFrom(run, bars[0]?.ts as number)).toEqual(run.statistics);
  });
});
