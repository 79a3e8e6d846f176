/**
 * K variants of one strategy in one pass (`runVariants`) against K separate runs (`runBacktest`), in
 * the same process and the same run. The data is a CSV file of one-minute bars (a seeded random walk
 * written to a temporary file): each separate run reads and parses it, as K backtests of a script or a
 * CLI loop would; the one-pass run reads it once. The strategy (`Confirmed`: SMA cross confirmed by
 * RSI, ATR exits) declares its four indicators with `indicator()`, so the 16 variants of a 4 × 4 grid
 * of (fast, slow) periods share 10 distinct indicators instead of computing 64.
 *
 * Both sides are timed alternately, best of BENCH_RUNS each, and their results compared (equity and
 * fill count of every variant must be equal).
 *
 * Run: npx tsx --conditions=rxtrade-source bench/variants.ts   (BENCH_RUNS=3, BENCH_BARS=200000)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Atr,
  type BacktestResult,
  type Bar,
  BaseStrategy,
  Rsi,
  runBacktest,
  runVariants,
  Sma,
} from '@rxtrade/core';
import { fromCsvFile } from '@rxtrade/core/node';
import { z } from 'zod';
import { syntheticBars, table } from './synthetic';

const runs = Number(process.env['BENCH_RUNS'] ?? 3);
const count = Number(process.env['BENCH_BARS'] ?? 200_000);
const TARGET = 2;

const params = z.object({
  fast: z.number().int().positive(),
  slow: z.number().int().positive(),
  quantity: z.number().positive().default(10),
});

class Confirmed extends BaseStrategy<z.output<typeof params>> {
  static override paramsSchema = params;
  readonly fast = this.indicator(Sma, this.params.fast);
  readonly slow = this.indicator(Sma, this.params.slow);
  readonly rsi = this.indicator(Rsi, 14);
  readonly atr = this.barIndicator(Atr, 14);
  #previous = Number.NaN;

  override onBar(bar: Bar): void {
    const diff = this.fast.value - this.slow.value;
    const long = this.position();
    if (diff > 0 && this.#previous <= 0 && long === 0 && this.rsi.value < 70) this.buy(this.params.quantity);
    else if (long > 0 && (diff < 0 || bar.close < bar.open - 3 * this.atr.value)) this.close();
    this.#previous = diff;
  }
}

const variants = [5, 10, 20, 40].flatMap((fast) => [50, 100, 200, 400].map((slow) => ({ fast, slow })));
const instrument = { id: 'SYN', pricePrecision: 4, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.001 };

const dir = mkdtempSync(join(tmpdir(), 'rxtrade-variants-'));
const file = join(dir, 'bars.csv');
const lines = ['timestamp,open,high,low,close,volume'];
for (const b of syntheticBars(count))
  lines.push(`${b.ts},${b.open},${b.high},${b.low},${b.close},${b.volume}`);
writeFileSync(file, `${lines.join('\n')}\n`);
const source = () => fromCsvFile(file, { symbol: 'SYN' });

async function separate(): Promise<{ ms: number; results: BacktestResult[] }> {
  const t0 = performance.now();
  const results: BacktestResult[] = [];
  for (const p of variants) {
    results.push(
      await runBacktest({
        strategies: new Confirmed({ params: p }),
        data: source(),
        instruments: [instrument],
        recordFills: false,
      }),
    );
  }
  return { ms: performance.now() - t0, results };
}

async function onePass(): Promise<{ ms: number; results: readonly BacktestResult[]; distinct: number }> {
  const t0 = performance.now();
  const { results, indicators } = await runVariants({
    strategy: Confirmed,
    variants,
    data: source(),
    instruments: [instrument],
    recordFills: false,
  });
  return { ms: performance.now() - t0, results, distinct: indicators.distinct };
}

const loadBefore = loadavg()[0] as number;
let bestSeparate = Number.POSITIVE_INFINITY;
let bestOnePass = Number.POSITIVE_INFINITY;
const ratios: number[] = [];
let same = true;
let distinct = 0;
try {
  for (let i = 0; i < runs; i++) {
    const a = await separate();
    const b = await onePass();
    distinct = b.distinct;
    ratios.push(a.ms / b.ms);
    bestSeparate = Math.min(bestSeparate, a.ms);
    bestOnePass = Math.min(bestOnePass, b.ms);
    for (let k = 0; k < variants.length; k++) {
      const x = a.results[k];
      const y = b.results[k];
      if (
        x?.account.equity !== y?.account.equity ||
        x?.statistics.numberOfTrades !== y?.statistics.numberOfTrades ||
        JSON.stringify(x?.statistics) !== JSON.stringify(y?.statistics)
      )
        same = false;
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const loadAfter = loadavg()[0] as number;
const speedup = bestSeparate / bestOnePass;
const barsPerSecond = (ms: number): string =>
  `${Math.round(((count * variants.length) / ms) * 1000).toLocaleString('en-US')}`;
console.log(
  `${variants.length} variants (fast 5/10/20/40 × slow 50/100/200/400) of an SMA/RSI/ATR strategy × ${count.toLocaleString('en-US')} one-minute bars read from CSV; ` +
    `best of ${runs}, alternating; load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after\n`,
);
console.log(
  table(
    ['run', 'ms', 'variant-bars/s', 'CSV reads', 'indicators computed'],
    [
      [
        '16 × runBacktest',
        bestSeparate.toFixed(0),
        barsPerSecond(bestSeparate),
        '16',
        String(variants.length * 4),
      ],
      ['runVariants (one pass)', bestOnePass.toFixed(0), barsPerSecond(bestOnePass), '1', String(distinct)],
    ],
  ),
);
console.log(
  `\nspeed-up ${speedup.toFixed(2)}× (per pair ${ratios.map((r) => r.toFixed(2)).join(', ')}); identical results: ${same}\n` +
    `target: one pass ≥ ${TARGET.toFixed(2)}× the separate runs → ${speedup >= TARGET && same ? 'MET' : `MISSED (${speedup.toFixed(2)}×${same ? '' : ', results differ'})`}`,
);
