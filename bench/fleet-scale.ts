/**
 * Scale-out of the strategy role: a CPU-heavy strategy (FLEET_INDICATORS streaming indicators updated
 * per bar, default 200) on FLEET_SYMBOLS symbols (default 16, one account each), run by 1 and then 2
 * strategy replicas, each its own process; data, risk and order run in this process. Each run is timed
 * from the first bar published to the last account finished, and prints the CPU each role used.
 * `runBacktest` on the same plan and bars gives the strategy's own cost per bar.
 *
 * Run: npx tsx --conditions=rxtrade-source bench/fleet-scale.ts   (RABBITMQ_URL; FLEET_BARS per symbol, default 2,000)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runBacktest } from '@rxtrade/core';
import { connect } from 'amqplib';
import {
  createRabbitMqMessageBus,
  deleteTopology,
  type RabbitMqMessageBus,
} from '../packages/adapters-rabbitmq/src/index';
import { decodeFleetMessage, OrderRole, publishBars, RiskRole } from '../packages/fleet/src/index';
import { benchBars, benchShape, HeavyIndicators } from './fleet/heavy-plan';

const url = process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const SYMBOLS = Number(process.env['FLEET_SYMBOLS'] ?? 16);
const BARS = Number(process.env['FLEET_BARS'] ?? 2_000);
const INDICATORS = Number(process.env['FLEET_INDICATORS'] ?? 200);
const TARGET = 1.7;
const shape = benchShape(SYMBOLS);
const bars = benchBars(shape.symbols, BARS);
const plan = {
  instruments: shape.instruments,
  accounts: shape.accounts,
  strategies: shape.symbols.map((s) => ({
    id: `heavy-${s}`,
    symbol: s,
    accountId: `acct-${s}`,
    params: { indicators: INDICATORS },
    create: (options: ConstructorParameters<typeof HeavyIndicators>[0]) =>
      new HeavyIndicators(options as never),
  })),
};

try {
  await (await connect(url)).close();
} catch {
  console.log(
    `target: CPU-heavy strategy, 1 → 2 strategy replicas ≥ ${TARGET}× bars/s → MISSED (no broker at ${url})`,
  );
  process.exit(0);
}

const t0 = performance.now();
await runBacktest({
  strategies: shape.symbols.map(
    (s) =>
      new HeavyIndicators({
        id: `heavy-${s}`,
        symbols: [s],
        accountId: `acct-${s}`,
        params: { indicators: INDICATORS, quantity: 10 },
      }),
  ),
  data: bars,
  instruments: shape.instruments,
  accounts: shape.accounts,
});
const engineMs = performance.now() - t0;

const child = fileURLToPath(new URL('./fleet/strategy-process.ts', import.meta.url));

interface Run {
  readonly replicas: number;
  readonly ms: number;
  readonly strategyCpuMs: number[];
  readonly strategyBars: number[];
  readonly hereCpuMs: number;
  readonly load: number;
}

async function run(replicas: number): Promise<Run> {
  const exchange = `rxt-bench-fleet-scale-${randomBytes(4).toString('hex')}`;
  const buses: RabbitMqMessageBus[] = [];
  const children: ChildProcess[] = [];
  const bus = async (name: string) => {
    const b = await createRabbitMqMessageBus({
      url,
      exchange,
      connectionName: `${exchange}-${name}`,
      queueType: 'classic',
      partitions: 4,
      rebalanceIntervalMs: 200,
    });
    buses.push(b);
    return b;
  };
  const outputs: string[][] = [];
  try {
    const order = new OrderRole({ bus: await bus('order'), plan, replicaId: `${exchange}-0` });
    const risk = new RiskRole({ bus: await bus('risk'), plan });
    await order.start();
    await risk.start();
    const finished = new Set<string>();
    let done: () => void = () => {};
    const allDone = new Promise<void>((resolve) => {
      done = resolve;
    });
    const watcher = await bus('watcher');
    await watcher.subscribe(
      'fleet.status',
      (message) => {
        finished.add(decodeFleetMessage(message, ['AccountFinished']).payload.accountId);
        if (finished.size === shape.accounts.length) done();
      },
      { group: `bench-status-${exchange}` },
    );
    const ready: Promise<number>[] = [];
    for (let i = 0; i < replicas; i++) {
      const lines: string[] = [];
      outputs.push(lines);
      const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=rxtrade-source', child], {
        env: {
          ...process.env,
          FLEET_EXCHANGE: exchange,
          FLEET_REPLICA: String(i),
          FLEET_SYMBOLS: String(SYMBOLS),
          FLEET_INDICATORS: String(INDICATORS),
          RABBITMQ_URL: url,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(proc);
      proc.stdout?.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n')));
      ready.push(
        new Promise((resolve) => {
          const poll = setInterval(() => {
            const line = lines.find((l) => l.startsWith('ready '));
            if (line) {
              clearInterval(poll);
              resolve(Number(line.split(' ')[1]));
            }
          }, 50);
        }),
      );
    }
    // Every replica settled on its share: the shares add up to the 4 partitions.
    for (let i = 0; i < 100; i++) {
      const shares = await Promise.all(ready);
      if (shares.reduce((a, b) => a + b, 0) === 4) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const load = loadavg()[0] ?? 0;
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    await publishBars({ bus: await bus('data'), data: bars });
    await allDone;
    const ms = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    for (const proc of children) proc.kill('SIGTERM');
    await Promise.all(children.map((proc) => new Promise((resolve) => proc.once('exit', resolve))));
    const stat = (prefix: string, field: number) =>
      outputs.map((lines) =>
        Number(lines.find((l) => l.startsWith(prefix))?.split(' ')[field] ?? Number.NaN),
      );
    await order.stop();
    await risk.stop();
    return {
      replicas,
      ms,
      strategyCpuMs: stat('cpu ', 1),
      strategyBars: stat('cpu ', 3),
      hereCpuMs: (cpu.user + cpu.system) / 1000,
      load,
    };
  } finally {
    for (const proc of children) if (proc.exitCode === null) proc.kill('SIGKILL');
    const topologies = buses.map((b) => b.topology());
    await Promise.all(buses.map((b) => b.close()));
    await deleteTopology({
      url,
      exchange,
      queues: topologies.flatMap((t) => t.queues),
      exchanges: topologies.flatMap((t) => t.exchanges),
    });
  }
}

const one = await run(1);
const two = await run(2);
const rate = (r: Run) => bars.length / (r.ms / 1000);
console.log(
  `${SYMBOLS} symbols × ${BARS} bars = ${bars.length} bars; strategy: ${INDICATORS} indicators per bar, in-process ${((engineMs * 1000) / bars.length).toFixed(1)} µs/bar (runBacktest ${Math.round(bars.length / (engineMs / 1000))} bars/s); machine: ${cpus().length} cores`,
);
console.log('');
console.log(
  '| strategy replicas | load average at start | ms | bars/s | CPU ms per strategy replica (bars run) | CPU ms data + risk + order |',
);
console.log('|---:|---:|---:|---:|---|---:|');
for (const r of [one, two]) {
  console.log(
    `| ${r.replicas} | ${r.load.toFixed(1)} | ${r.ms.toFixed(0)} | ${Math.round(rate(r))} | ${r.strategyCpuMs.map((c, i) => `${c} (${r.strategyBars[i]})`).join(', ')} | ${r.hereCpuMs.toFixed(0)} |`,
  );
}
const ratio = rate(two) / rate(one);
console.log('');
console.log(
  `target: CPU-heavy strategy, 1 → 2 strategy replicas ≥ ${TARGET}× bars/s → ${ratio >= TARGET ? 'MET' : `MISSED (${ratio.toFixed(2)}×)`} (${cpus().length} cores, load average ${two.load.toFixed(1)})`,
);
