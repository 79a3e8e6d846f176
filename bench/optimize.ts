/**
 * Optimizer: the same grid of SMA-crossover backtests over the S&P 500 daily bars (5,105 bars,
 * `@rxtrade/datasets`) on 1 worker thread, then on 2, and the speed-up. Each worker loads the
 * strategy module (examples/sma-crossover) and the data ({ kind: 'sp500' }) itself.
 *
 * Each run starts an `Optimizer` (the workers compile the sources with tsx and load the CSV), runs
 * the grid once on the fresh workers (`first search`), then again on the same workers (`second
 * search`), and closes it. `optimize()` is exactly start + first search; the second search is what an
 * `Optimizer` reused for several searches (and every walk-forward window after the first) gets.
 * 1- and 2-worker runs alternate and each keeps its best, so a burst of load from other processes
 * hits both alike; still, the ratio measures free cores, not only rxtrade: run it on an otherwise idle
 * machine (the load average is printed).
 *
 * Why the two searches differ: a fresh worker spends about its first second running the engine in V8's
 * interpreter and baseline tiers while the optimising compiler works on the hot path (one thread,
 * 2026-11-24: the first 3,549 backtests 1,008/s, the next rounds 1,242/s and 1,360/s). That cost is
 * paid once per worker, in parallel, so it does not shrink with more workers and caps the first
 * search's speed-up on this grid near 1.6×. The target (2 workers ≥ 1.8× one) is checked on
 * the second search, where the workers run compiled code, and both are printed.
 *
 * `cores used` is process CPU time (every thread) over wall time. V8's background compilation and
 * parallel scavenges run on the second core for free with one worker; with two they compete
 * (diagnostic: `node --single-threaded-gc` gave 1.82–1.85× on warm workers; a process-wide V8 flag
 * a library must not set).
 *
 * Run: npx tsx --conditions=rxtrade-source bench/optimize.ts   (BENCH_RUNS=5, BENCH_SLOW_STEP=2)
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type OptimizeResult, Optimizer, type OptimizerSearchOptions } from '@rxtrade/core/node';
import { SP500_INSTRUMENT } from '@rxtrade/datasets';
import { table } from './synthetic';

const runs = Number(process.env['BENCH_RUNS'] ?? 5);
const slowStep = Number(process.env['BENCH_SLOW_STEP'] ?? 2);
const strategyPath = fileURLToPath(new URL('../examples/sma-crossover/src/strategy.ts', import.meta.url));
const space = { fast: { min: 2, max: 40, int: true }, slow: { min: 20, max: 200, step: slowStep } };

interface Measured {
  /** Starting the workers: tsx compiling the sources, loading the CSV. */
  readonly startMs: number;
  /** The grid on fresh workers (what `optimize()` adds to the start-up). */
  readonly firstMs: number;
  /** The grid again on the same workers. */
  readonly secondMs: number;
  /** Process CPU time (every thread) over wall time of the whole run: the cores it actually got. */
  readonly coresUsed: number;
  readonly first: OptimizeResult;
  readonly second: OptimizeResult;
}

const grid: OptimizerSearchOptions = {
  space,
  constraint: (p) => (p['fast'] as number) < (p['slow'] as number),
  metric: 'sharpe',
};

async function measure(workers: number): Promise<Measured> {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const optimizer = await Optimizer.start({
    strategy: { path: strategyPath, export: 'SmaCrossover' },
    data: { kind: 'sp500' },
    instruments: [{ ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 }],
    workers,
  });
  const startMs = performance.now() - wall;
  try {
    const first = await optimizer.search(grid);
    const second = await optimizer.search(grid);
    const used = process.cpuUsage(cpu);
    const coresUsed = (used.user + used.system) / 1000 / (performance.now() - wall);
    return { startMs, firstMs: first.elapsedMs, secondMs: second.elapsedMs, coresUsed, first, second };
  } finally {
    await optimizer.close();
  }
}

const loadBefore = loadavg()[0] as number;
let one: Measured | undefined;
let two: Measured | undefined;
const firstRatios: number[] = [];
const secondRatios: number[] = [];
for (let i = 0; i < runs; i++) {
  const a = await measure(1);
  const b = await measure(2);
  firstRatios.push(a.firstMs / b.firstMs);
  secondRatios.push(a.secondMs / b.secondMs);
  if (!one || a.secondMs < one.secondMs) one = a;
  if (!two || b.secondMs < two.secondMs) two = b;
}
if (!one || !two) throw new Error('BENCH_RUNS must be ≥ 1');
const loadAfter = loadavg()[0] as number;
const backtests = one.second.rows.length;
const rate = (ms: number): string => `${((backtests / ms) * 1000).toFixed(0)}/s`;
console.log(
  `grid: ${backtests} SMA-crossover backtests × 5,105 S&P 500 bars; best of ${runs} (alternating); ` +
    `${availableParallelism()} cores; load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after\n`,
);
console.log(
  table(
    [
      'workers',
      'start ms',
      'first search ms (fresh workers)',
      'second search ms',
      'backtests/s (second)',
      'cores used',
    ],
    [one, two].map((m, i) => [
      String(i + 1),
      m.startMs.toFixed(0),
      m.firstMs.toFixed(0),
      m.secondMs.toFixed(0),
      rate(m.secondMs),
      m.coresUsed.toFixed(2),
    ]),
  ),
);
const speedup = one.secondMs / two.secondMs;
const firstSpeedup = one.firstMs / two.firstMs;
const totalSpeedup = (one.startMs + one.firstMs) / (two.startMs + two.firstMs);
const same =
  JSON.stringify(one.second.rows) === JSON.stringify(two.second.rows) &&
  JSON.stringify(one.first.rows) === JSON.stringify(two.second.rows);
const fmt = (xs: readonly number[]): string => xs.map((r) => r.toFixed(2)).join(', ');
console.log(
  `\nspeed-up 1 → 2 workers (the run with the best second search of each): second search ${speedup.toFixed(2)}× ` +
    `(per pair ${fmt(secondRatios)}); first search ${firstSpeedup.toFixed(2)}× (per pair ${fmt(firstRatios)}); ` +
    `start + first search (= optimize()) ${totalSpeedup.toFixed(2)}×\n` +
    `target: second search ≥ 1.80× → ${speedup >= 1.8 ? 'MET' : 'MISSED'}; identical tables: ${same}`,
);
const top = one.second.rows[0];
console.log(
  `best: fast ${top?.params['fast']}, slow ${top?.params['slow']}, sharpe ${top?.score?.toFixed(3)}`,
);
writeFileSync(
  new URL('./results/optimize.json', import.meta.url),
  `${JSON.stringify(
    {
      backtests,
      bars: 5_105,
      runs,
      cores: availableParallelism(),
      loadAverage: { before: loadBefore, after: loadAfter },
      rows: [one, two].map((m, i) => ({
        workers: i + 1,
        startMs: m.startMs,
        firstSearchMs: m.firstMs,
        secondSearchMs: m.secondMs,
        coresUsed: m.coresUsed,
      })),
      speedup,
      firstSearchSpeedup: firstSpeedup,
      totalSpeedup,
      pairRatios: { second: secondRatios, first: firstRatios },
      identicalTables: same,
    },
    null,
    2,
  )}\n`,
);
