/**
 * The backtest hot path, three ways over the same 1,000,000 one-minute bars in one process:
 *  1. a hand-written plain loop over bar objects: the SMA(10)/SMA(30) crossover, fills at the next
 *     open, 0.1 % fee — the limit;
 *  2. the full rxtrade backtest (strategy → risk → simulated venue → order state machine → accounts),
 *     twice: from the TypeScript sources as tsx runs them here (keepNames wraps closures, so a little
 *     slower), and from the published build in packages/core/dist, what `npm install` gives a user
 *     (the row is left out, with a note, when dist is missing or older than the sources: `npm run build`);
 *  3. the two streaming SMAs alone.
 * The target is checked on the published build when it is there, else on the sources.
 * Run: npx tsx --conditions=rxtrade-source bench/engine.ts
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Bar, BaseStrategy, runBacktest, Sma } from '@rxtrade/core';
import { best, bestAsync, fmtRate, syntheticBars, table } from './synthetic';

const N = Number(process.env['BENCH_BARS'] ?? 1_000_000);
const bars = syntheticBars(N);

class SmaCross extends BaseStrategy {
  readonly fast = this.track(new Sma(10));
  readonly slow = this.track(new Sma(30));
  #previous = Number.NaN;
  override onBar(): void {
    const diff = this.fast.value - this.slow.value;
    if (diff > 0 && this.#previous <= 0 && this.position() === 0) this.buy(10);
    else if (diff < 0 && this.#previous >= 0 && this.position() > 0) this.close();
    this.#previous = diff;
  }
}

function plainLoop(input: readonly Bar[]): { trades: number; equity: number } {
  const fastRing = new Float64Array(10);
  const slowRing = new Float64Array(30);
  let fastSum = 0;
  let slowSum = 0;
  let previous = Number.NaN;
  let position = 0;
  let pending = 0; // +qty to buy / -qty to sell at the next open
  let cash = 100_000;
  let trades = 0;
  for (let i = 0; i < input.length; i++) {
    const bar = input[i] as Bar;
    if (pending !== 0) {
      const notional = Math.abs(pending) * bar.open;
      cash -= Math.sign(pending) * notional + notional * 0.001;
      position += pending;
      pending = 0;
      trades++;
    }
    fastSum += bar.close - (fastRing[i % 10] as number);
    fastRing[i % 10] = bar.close;
    slowSum += bar.close - (slowRing[i % 30] as number);
    slowRing[i % 30] = bar.close;
    const diff = i >= 29 ? fastSum / 10 - slowSum / 30 : Number.NaN;
    if (diff > 0 && previous <= 0 && position === 0) pending = 10;
    else if (diff < 0 && previous >= 0 && position > 0) pending = -position;
    previous = diff;
  }
  const last = input[input.length - 1] as Bar;
  return { trades, equity: cash + position * last.close };
}

function indicatorsOnly(input: readonly Bar[]): number {
  const fast = new Sma(10);
  const slow = new Sma(30);
  let checksum = 0;
  for (let i = 0; i < input.length; i++) {
    const close = (input[i] as Bar).close;
    const d = fast.update(close) - slow.update(close);
    if (d > 0) checksum++;
  }
  return checksum;
}

/** The published build's module, if packages/core/dist is at least as new as every source file. */
async function publishedBuild(): Promise<{ core?: typeof import('@rxtrade/core'); note?: string }> {
  const root = fileURLToPath(new URL('../packages/core/', import.meta.url));
  const entry = join(root, 'dist/index.js');
  let built: number;
  try {
    built = statSync(entry).mtimeMs;
  } catch {
    return { note: 'no packages/core/dist (run npm run build): published-build row left out' };
  }
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory()
          ? newest(join(dir, e.name))
          : // Tests are not built into dist: editing one does not make the build stale.
            e.name.endsWith('.test.ts')
            ? 0
            : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  if (newest(join(root, 'src')) > built) {
    return {
      note: 'packages/core/dist is older than its sources (run npm run build): published-build row left out',
    };
  }
  return { core: (await import(pathToFileURL(entry).href)) as typeof import('@rxtrade/core') };
}

const instrument = { id: 'SYN', pricePrecision: 4, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.001 };

/**
 * The same strategy on the published build's own BaseStrategy and Sma, timed like the sources' run.
 * Written out again on purpose: one class body built for both copies of the module would share its
 * methods' type feedback between them, so whichever ran second would be timed on polymorphic code.
 */
function timePublished(core: typeof import('@rxtrade/core')) {
  class DistSmaCross extends core.BaseStrategy {
    readonly fast = this.track(new core.Sma(10));
    readonly slow = this.track(new core.Sma(30));
    #previous = Number.NaN;
    override onBar(): void {
      const diff = this.fast.value - this.slow.value;
      if (diff > 0 && this.#previous <= 0 && this.position() === 0) this.buy(10);
      else if (diff < 0 && this.#previous >= 0 && this.position() > 0) this.close();
      this.#previous = diff;
    }
  }
  return bestAsync(runs, () =>
    core.runBacktest({
      strategies: new DistSmaCross(),
      data: bars,
      instruments: [instrument],
      initialCash: 100_000,
    }),
  );
}
// Best of 5: on this VM one process can run the same code 1.5× slower than the next, for seconds at a time.
const runs = Number(process.env['BENCH_RUNS'] ?? 5);
const plain = best(runs, () => plainLoop(bars));
const indicators = best(runs, () => indicatorsOnly(bars));
const engine = await bestAsync(runs, () =>
  runBacktest({ strategies: new SmaCross(), data: bars, instruments: [instrument], initialCash: 100_000 }),
);
const published = await publishedBuild();
const dist = published.core;
// The same strategy on the published build's BaseStrategy and Sma (classes of one copy of the module).
const publishedRun = dist ? await timePublished(dist) : undefined;

const rate = (ms: number) => (N / ms) * 1000;
const rows = [
  { name: 'plain loop (the limit)', ms: plain.ms },
  { name: 'rxtrade full backtest (TypeScript sources via tsx)', ms: engine.ms },
  ...(publishedRun ? [{ name: 'rxtrade full backtest (published build, dist)', ms: publishedRun.ms }] : []),
  { name: 'streaming SMA(10)+SMA(30) only', ms: indicators.ms },
];
console.log(
  table(
    ['path', 'bars/s', 'ms', 'ratio to plain loop'],
    rows.map((r) => [r.name, fmtRate(rate(r.ms)), r.ms.toFixed(1), (plain.ms / r.ms).toFixed(3)]),
  ),
);
console.log(
  `\nsanity: plain loop fills ${plain.result.trades}, engine fills ${engine.result.fills.length}; ` +
    `plain equity ${plain.result.equity.toFixed(2)}, engine equity ${engine.result.account.equity.toFixed(2)}; ` +
    `indicator checksum ${indicators.result}`,
);
if (publishedRun) {
  console.log(
    `published build: fills ${publishedRun.result.fills.length}, equity ${publishedRun.result.account.equity.toFixed(2)}`,
  );
} else console.log(published.note);
// Issue #15: the engine split into parts must not be slower than the 4.5M bars/s it ran at before.
const target = 4_500_000;
const checked = publishedRun ?? engine;
console.log(
  `target: full engine ≥ ${fmtRate(target)} bars/s (${publishedRun ? 'published build' : 'sources'}) → ${rate(checked.ms) >= target ? 'MET' : 'MISSED'}`,
);
writeFileSync(
  new URL('./results/engine.json', import.meta.url),
  `${JSON.stringify({ bars: N, rows: rows.map((r) => ({ ...r, barsPerSecond: rate(r.ms), ratio: plain.ms / r.ms })) }, null, 2)}\n`,
);
