/**
 * The engine's per-order cost (or, with `BENCH_WORKLOAD=bars`, its per-bar cost), before and after,
 * side by side in one run. A strategy sends three
 * orders on every bar and cancels what rests (bench/engine-orders-child.mjs: a market order that
 * flips the position, a limit buy near the close that often fills, one far below that never does),
 * over 200,000 bars: per bar three submits, ~1.8 fills and ~1.2 cancels (5,000 bars: 15,000 orders,
 * 8,890 fills, 6,107 cancels).
 *
 *  - after: this checkout's published build (packages/core/dist; rebuilt with tsup when older
 *    than its sources);
 *  - before: the published build of a git ref, `BENCH_BASE` (default 4debfc4, main just before the
 *    parts of issue #15), extracted with `git archive` and built with its own tsup config into
 *    node_modules/.cache/rxtrade-bench/core-<sha> (kept for the next run).
 *
 * Each build runs in its own Node process (so they never share type feedback), alternating
 * before/after/after/before for `BENCH_ROUNDS` rounds; each process takes the best of `BENCH_RUNS`
 * backtests after a warm-up. The figure per side is the median of its rounds' best times, divided
 * by the orders submitted. Both builds must do exactly the same (same fills, events and equity),
 * or the comparison is void.
 *
 * `BENCH_WORKLOAD=bars`: bench/engine.ts's SMA(10)/SMA(30) crossover over 1,000,000 bars instead
 * (a few orders, the bars-only hot path), per bar; bench/engine.ts measures that path against a plain
 * loop, this against the build before.
 *
 * Run (heavy: take the lock): flock /tmp/rxtrade-heavy.lock npx tsx bench/engine-orders.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticBars, table } from './synthetic';

const perBar = process.env['BENCH_WORKLOAD'] === 'bars';
const N = Number(process.env['BENCH_BARS'] ?? (perBar ? 1_000_000 : 200_000));
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const runs = Number(process.env['BENCH_RUNS'] ?? 5);
const baseRef = process.env['BENCH_BASE'] ?? '4debfc4';
// The per-order cost may not grow; 5 % is the noise between runs of one build on this shared VM.
const tolerance = 1.05;

const repo = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('./engine-orders-child.mjs', import.meta.url));
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();

function tsup(dir: string): void {
  const out = spawnSync('npx', ['tsup'], { cwd: dir, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`tsup in ${dir} failed:\n${out.stdout}\n${out.stderr}`);
}

/** The published build of `ref`, built once into node_modules/.cache. */
function baseBuild(ref: string): { sha: string; entry: string } {
  const sha = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = join(repo, 'node_modules/.cache/rxtrade-bench', `core-${sha.slice(0, 12)}`);
  const core = join(dir, 'packages/core');
  const entry = join(core, 'dist/index.js');
  if (!existsSync(entry)) {
    mkdirSync(dir, { recursive: true });
    // Inside the repository, so the build and its imports resolve from the root node_modules.
    execFileSync('sh', ['-c', `git archive ${sha} packages/core tsconfig.base.json | tar -x -C '${dir}'`], {
      cwd: repo,
    });
    tsup(core);
  }
  return { sha, entry };
}

/** This checkout's published build, rebuilt when any source file is newer. */
function headBuild(): string {
  const core = join(repo, 'packages/core');
  const entry = join(core, 'dist/index.js');
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
  if (!existsSync(entry) || newest(join(core, 'src')) > statSync(entry).mtimeMs) tsup(core);
  return entry;
}

interface Side {
  ms: number;
  submitted: number;
  fills: number;
  events: Record<string, number>;
  equity: number;
}

function runSide(entry: string, barsFile: string): Side {
  const out = spawnSync(process.execPath, [child, entry, barsFile, String(runs), perBar ? 'sma' : 'churn'], {
    encoding: 'utf8',
  });
  if (out.status !== 0) throw new Error(`${entry}: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1) as string) as Side;
}

const loadBefore = loadavg()[0] as number;
const base = baseBuild(baseRef);
const head = headBuild();
const barsFile = join(tmpdir(), `rxtrade-engine-orders-${process.pid}.json`);
writeFileSync(barsFile, JSON.stringify(syntheticBars(N)));

const before: Side[] = [];
const after: Side[] = [];
for (let r = 0; r < rounds; r++) {
  // ABBA order, so neither side always runs first in a round.
  if (r % 2 === 0) {
    before.push(runSide(base.entry, barsFile));
    after.push(runSide(head, barsFile));
  } else {
    after.push(runSide(head, barsFile));
    before.push(runSide(base.entry, barsFile));
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const a = before[0] as Side;
const b = after[0] as Side;
const same =
  a.submitted === b.submitted &&
  a.fills === b.fills &&
  a.equity === b.equity &&
  JSON.stringify(a.events, Object.keys(a.events).sort()) ===
    JSON.stringify(b.events, Object.keys(b.events).sort());
const unit = perBar ? 'bar' : 'order';
const nsBefore = (median(before.map((s) => s.ms)) * 1e6) / (perBar ? N : a.submitted);
const nsAfter = (median(after.map((s) => s.ms)) * 1e6) / (perBar ? N : b.submitted);

console.log(
  table(
    ['build', 'orders', 'fills', 'events', 'best ms per round', `ns/${unit} (median)`],
    [
      [`before: ${baseRef} (${base.sha.slice(0, 7)})`, a, before, nsBefore] as const,
      ['after: this checkout (packages/core/dist)', b, after, nsAfter] as const,
    ].map(([name, s, all, ns]) => [
      name,
      String(s.submitted),
      String(s.fills),
      Object.entries(s.events)
        .sort()
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      all.map((x) => x.ms.toFixed(0)).join(' / '),
      ns.toFixed(0),
    ]),
  ),
);
console.log(
  `\n${N} bars, ${rounds} rounds × best of ${runs}; 1-minute load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] as number).toFixed(2)} after; both builds did the same: ${same ? 'yes' : `NO (equity ${a.equity} vs ${b.equity})`}`,
);
const ratio = nsAfter / nsBefore;
if (perBar) {
  const rate = (ns: number) => `${(1e3 / ns).toFixed(2)}M bars/s`;
  console.log(`before ${rate(nsBefore)}, after ${rate(nsAfter)} (median of the rounds' best)`);
}
console.log(
  `target: per-${unit} cost after ≤ ${tolerance.toFixed(2)}× before → ${same && ratio <= tolerance ? 'MET' : 'MISSED'} (${ratio.toFixed(3)}×)`,
);
writeFileSync(
  new URL(`./results/engine-${perBar ? 'bars' : 'orders'}.json`, import.meta.url),
  `${JSON.stringify({ workload: perBar ? 'bars' : 'orders', bars: N, base: base.sha, rounds, runs, nsBefore, nsAfter, ratio, same, before, after }, null, 2)}\n`,
);
