/**
 * Peak memory of a 10,000,000-bar CSV backtest (streamed, not loaded). Each measurement runs in its
 * own child process and reports its peak RSS (`process.resourceUsage().maxRSS`):
 *   floor    — node with @rxtrade/core loaded and nothing run;
 *   baseline — the same CSV read through `fromCsvFile(...).chunks()` with no backtest;
 *   backtest — the SMA crossover over it (fills and closed trades not kept in the result, only their count and PnLs; the equity curve is thinned
 *              to 100,000 points).
 * Target: backtest peak RSS < 200 MB. Run: npx tsx bench/memory.ts  (BENCH_MEMORY_BARS to change N)
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng, table } from './synthetic';

const N = Number(process.env['BENCH_MEMORY_BARS'] ?? 10_000_000);
const path = join(tmpdir(), `rxtrade-bench-${N}.csv`);

async function writeCsv(): Promise<void> {
  const random = prng(7);
  const out = createWriteStream(path);
  const start = Date.UTC(2000, 0, 1);
  let price = 100;
  let chunk = 'time,open,high,low,close,volume\n';
  for (let i = 0; i < N; i++) {
    const open = price;
    const close = Math.max(1, open * (1 + (random() - 0.5) * 0.002));
    const high = Math.max(open, close) * (1 + random() * 0.0005);
    const low = Math.min(open, close) * (1 - random() * 0.0005);
    chunk += `${start + i * 60_000},${open.toFixed(4)},${high.toFixed(4)},${low.toFixed(4)},${close.toFixed(4)},${1000 + (i % 9000)}\n`;
    price = Number(close.toFixed(4));
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise<void>((resolve) => out.once('finish', () => resolve()));
}

if (!existsSync(path) || statSync(path).size < N * 40) {
  console.error(`writing ${N.toLocaleString('en-US')} bars to ${path} …`);
  await writeCsv();
}

const child = fileURLToPath(new URL('./memory-child.mjs', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
// The children run the built package, so build it first.
const build = spawnSync('npx', ['tsup'], { cwd: join(root, 'packages/core'), encoding: 'utf8' });
if (build.status !== 0) throw new Error(`building @rxtrade/core failed: ${build.stderr}`);
const measure = (mode: string) => {
  const run = spawnSync(process.execPath, [child, mode, path], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${mode} failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as {
    maxRssMb: number;
    bars: number;
    seconds: number;
    fills: number;
  };
};
const floor = measure('none');
const baseline = measure('read');
const backtest = measure('backtest');
console.log(
  table(
    ['run', 'bars', 'peak RSS', 'seconds', 'bars/s'],
    [floor, baseline, backtest].map((r, i) => [
      ['node + @rxtrade/core loaded, nothing run', 'read CSV only (baseline)', 'SMA crossover backtest'][
        i
      ] as string,
      r.bars.toLocaleString('en-US'),
      `${r.maxRssMb.toFixed(0)} MB`,
      r.seconds.toFixed(1),
      r.bars === 0 ? '—' : `${(r.bars / r.seconds / 1e6).toFixed(2)}M`,
    ]),
  ),
);
console.log(
  `\nbacktest fills: ${backtest.fills.toLocaleString('en-US')}; target: peak RSS < 200 MB → ${backtest.maxRssMb < 200 ? 'MET' : 'MISSED'}`,
);
writeFileSync(
  new URL('./results/memory.json', import.meta.url),
  `${JSON.stringify({ bars: N, floor, baseline, backtest }, null, 2)}\n`,
);
