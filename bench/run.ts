/**
 * Runs every benchmark, each in its own process, and writes docs/benchmarks.md from their output.
 * Run: npm run bench   (BENCH_ONLY=engine,indicators to run some; add BENCH_UPDATE_DOCS=1 to replace their sections
 * of docs/benchmarks.md in place, each marked with its own date and machine, keeping the rest of the page)
 * Benchmarks that need a server (redis, rabbitmq, postgres, services) are skipped with a note when it is down.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const benches = [
  { name: 'engine', title: 'Backtest hot path (1,000,000 one-minute bars)', conditions: true },
  {
    name: 'engine-orders',
    title: 'Per-order cost: an order-heavy backtest, before and after the parts of issue #15',
    conditions: false,
  },
  { name: 'indicators', title: 'Streaming indicators (1,000,000 updates)', conditions: true },
  { name: 'memory', title: 'Memory: 10,000,000-bar CSV backtest', conditions: true },
  { name: 'optimize', title: 'Parameter optimisation in worker threads', conditions: true },
  { name: 'variants', title: 'K variants in one pass', conditions: true },
  { name: 'redis', title: '@rxtrade/redis: position updates', conditions: true },
  { name: 'rate-limit', title: '@rxtrade/redis: shared rate limiter grants', conditions: true },
  { name: 'rabbitmq', title: '@rxtrade/rabbitmq: publish and consume', conditions: true },
  { name: 'postgres', title: '@rxtrade/postgres: bar ingest and range reads', conditions: true },
  { name: 'fleet', title: '@rxtrade/fleet: what the barrier costs, against runBacktest', conditions: true },
  {
    name: 'fleet-throughput',
    title: '@rxtrade/fleet on RabbitMQ: sustained replay throughput',
    conditions: true,
  },
  { name: 'fleet-latency', title: '@rxtrade/fleet on RabbitMQ: latency at 1,000 bars/s', conditions: true },
  {
    name: 'fleet-restore',
    title: '@rxtrade/fleet: order role restart with 3,000 working orders',
    conditions: true,
  },
  {
    name: 'fleet-scale',
    title: '@rxtrade/fleet on RabbitMQ: strategy and order scale-out',
    conditions: true,
  },
  {
    name: 'fleet-capacity',
    title: '@rxtrade/fleet on RabbitMQ: the capacity model checked at 1 to 16 shards',
    conditions: true,
  },
  {
    name: 'gateway-api',
    title: 'Gateway API: POST /api/orders, alone and through risk and order on RabbitMQ',
    conditions: true,
  },
];
const only = process.env['BENCH_ONLY']?.split(',');
const sections: { title: string; body: string; ok: boolean }[] = [];
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
  sections.push({
    title: bench.title,
    body: `\`npx tsx --conditions=rxtrade-source bench/${bench.name}.ts\`\n\n${output}\n`,
    ok: run.status === 0,
  });
}
const docs = new URL('../docs/benchmarks.md', import.meta.url);
const machine = `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
const load = `1-minute load average ${loadBefore.toFixed(1)} before and ${(loadavg()[0] ?? 0).toFixed(1)} after`;
const today = new Date().toISOString().slice(0, 10);
if (!only) {
  writeFileSync(
    docs,
    `# Benchmarks\n\nRegenerate with \`npm run bench\` (about 5 minutes). Every figure is a ratio against a baseline measured in the same run, on the same machine, so the ratios carry over between machines better than the absolute rates.\n\nLast run: ${today}, ${machine}; ${load} (other work on the machine slows the absolute figures; the ratios are measured side by side).\n\n${sections.map((s) => `## ${s.title}\n\n${s.body}`).join('\n')}`,
  );
  console.log('\nwrote docs/benchmarks.md');
} else if (process.env['BENCH_UPDATE_DOCS'] === '1' && existsSync(docs)) {
  // A partial run replaces only its own sections, each marked with its own date and machine (the page header
  // describes the last full run); a section missing from the page is appended. A bench that did not complete (a
  // server down, say) leaves its previous section alone.
  let page = readFileSync(docs, 'utf8');
  for (const s of sections) {
    if (!s.ok) continue;
    const section = `## ${s.title}\n\nRe-run alone on ${today}, ${machine}; ${load}.\n\n${s.body}`;
    const start = page.indexOf(`## ${s.title}\n`);
    if (start < 0) {
      page = `${page.trimEnd()}\n\n${section}`;
      continue;
    }
    const next = page.indexOf('\n## ', start);
    page = `${page.slice(0, start)}${section}${next < 0 ? '' : page.slice(next)}`;
  }
  writeFileSync(docs, page);
  const updated = sections.filter((s) => s.ok).map((s) => s.title);
  console.log(`\nupdated ${updated.length > 0 ? updated.join(', ') : 'no section'} in docs/benchmarks.md`);
}
