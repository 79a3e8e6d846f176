/**
 * Runs every benchmark, each in its own process, and writes docs/benchmarks.md from their output.
 * Run: npm run bench   (BENCH_ONLY=engine,indicators to run some)
 * Benchmarks that need a server (redis, rabbitmq, postgres, services) are skipped with a note when it is down.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const benches = [
  { name: 'engine', title: 'Backtest hot path (1,000,000 one-minute bars)', conditions: true },
  { name: 'indicators', title: 'Streaming indicators (1,000,000 updates)', conditions: true },
  { name: 'memory', title: 'Memory: 10,000,000-bar CSV backtest', conditions: true },
  { name: 'optimize', title: 'Parameter optimisation in worker threads', conditions: true },
  { name: 'redis', title: '@rxtrade/redis: position updates', conditions: true },
  { name: 'rabbitmq', title: '@rxtrade/rabbitmq: publish and consume', conditions: true },
  { name: 'postgres', title: '@rxtrade/postgres: bar ingest and range reads', conditions: true },
  { name: 'services', title: 'Service fleet: POST /api/orders and bar → order latency', conditions: true },
];
const only = process.env['BENCH_ONLY']?.split(',');
const sections: string[] = [];
const loadBefore = loadavg()[0] ?? 0;
for (const bench of benches) {
  if (only && !only.includes(bench.name)) continue;
  const file = fileURLToPath(new URL(`./${bench.name}.ts`, import.meta.url));
  if (!existsSync(file)) continue;
  console.log(`\n## ${bench.title}\n`);
  const args = ['--import', 'tsx', ...(bench.conditions ? ['--conditions=rxtrade-source'] : []), file];
  const run = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  });
  const output =
    run.status === 0
      ? run.stdout.trim()
      : `(did not complete: exit ${run.status ?? run.signal})\n\n${run.stdout.trim()}`;
  console.log(output);
  sections.push(
    `## ${bench.title}\n\n\`npx tsx --conditions=rxtrade-source bench/${bench.name}.ts\`\n\n${output}\n`,
  );
}
if (!only) {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  writeFileSync(
    new URL('../docs/benchmarks.md', import.meta.url),
    `# Benchmarks\n\nRegenerate with \`npm run bench\` (about 5 minutes). Every figure is a ratio against a baseline measured in the same run, on the same machine, so the ratios carry over between machines better than the absolute rates.\n\nLast run: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; 1-minute load average ${loadBefore.toFixed(1)} before and ${(loadavg()[0] ?? 0).toFixed(1)} after (other work on the machine slows the absolute figures; the ratios are measured side by side).\n\n${sections.join('\n')}`,
  );
  console.log('\nwrote docs/benchmarks.md');
}
