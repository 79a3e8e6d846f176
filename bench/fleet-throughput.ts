/**
 * Sustained replay through the fleet on RabbitMQ: data → strategy ×2 → risk → order, every role replica
 * on its own connection, against `runBacktest` on the same strategies and bars in the same run.
 * SYMBOLS symbols (one SMA crossover each, each on its own account) of BARS seeded one-minute bars.
 * Timed from the first bar published (after every consumer group settled) to the last account
 * finished; queue depths are sampled during the run (the largest backlog) and printed at the end.
 * Fills are checked equal to the backtest's.
 *
 * Run: npx tsx --conditions=rxtrade-source bench/fleet-throughput.ts
 *   (RABBITMQ_URL; FLEET_SYMBOLS default 8, FLEET_BARS per symbol default 10,000, FLEET_FRAME default 500,
 *    FLEET_MODE barrier|live default barrier, FLEET_STRATEGY_REPLICAS default 2, FLEET_PREFETCH)
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { type Bar, type Fill, runBacktest } from '@rxtrade/core';
import { connect } from 'amqplib';
import { SmaCrossover } from '../examples/sma-crossover/src/strategy';
import {
  createRabbitMqMessageBus,
  deleteTopology,
  type RabbitMqMessageBus,
} from '../packages/adapters-rabbitmq/src/index';
import { type BarrierMode, decodeFleetMessage, runFleet, strategyClass } from '../packages/fleet/src/index';
import { brokerCpuSeconds } from './fleet/broker-cpu';
import { syntheticBars } from './synthetic';

const url = process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const SYMBOLS = Number(process.env['FLEET_SYMBOLS'] ?? 8);
const BARS = Number(process.env['FLEET_BARS'] ?? 10_000);
const FRAME = Number(process.env['FLEET_FRAME'] ?? 500);
const MODE = (process.env['FLEET_MODE'] ?? 'barrier') as BarrierMode;
const REPLICAS = Number(process.env['FLEET_STRATEGY_REPLICAS'] ?? 2);
const PREFETCH = process.env['FLEET_PREFETCH'] ? Number(process.env['FLEET_PREFETCH']) : undefined;
const PARTITIONS = 4;
const TARGET = 20_000;
const params = { fast: 20, slow: 60, quantity: 10 };

async function rabbitUp(): Promise<boolean> {
  try {
    await (await connect(url)).close();
    return true;
  } catch {
    return false;
  }
}

if (!(await rabbitUp())) {
  console.log(`skipped: no broker at ${url}`);
  console.log(`target: fleet replay on RabbitMQ ≥ ${TARGET} bars/s → MISSED (no broker)`);
  process.exit(0);
}

const symbols = Array.from({ length: SYMBOLS }, (_, i) => `SYN${i}`);
const instruments = symbols.map((id) => ({
  id,
  pricePrecision: 4,
  quantityPrecision: 0,
  tickSize: 0.0001,
  quoteCurrency: 'USD',
  takerFee: 0.001,
  makerFee: 0.001,
}));
const perSymbol = symbols.map((symbol, i) => syntheticBars(BARS, { seed: 42 + i, symbol }));
const bars: Bar[] = [];
for (let t = 0; t < BARS; t++) for (const list of perSymbol) bars.push(list[t] as Bar);
const accounts = symbols.map((s) => ({ id: `acct-${s}`, initialCash: 1_000_000 }));
const key = (f: Fill) => `${f.accountId}|${f.tsEvent}|${f.side}|${f.lastPx}|${f.lastQty}`;

const t0 = performance.now();
const backtest = await runBacktest({
  strategies: symbols.map(
    (s) => new SmaCrossover({ id: `sma-${s}`, symbols: [s], accountId: `acct-${s}`, params }),
  ),
  data: bars,
  instruments,
  accounts,
});
const backtestMs = performance.now() - t0;

const exchange = `rxt-bench-fleet-tp-${randomBytes(4).toString('hex')}`;
const buses: RabbitMqMessageBus[] = [];
const busNames = new Map<RabbitMqMessageBus, string>();
const bus = async (name: string): Promise<RabbitMqMessageBus> => {
  const b = await createRabbitMqMessageBus({
    url,
    exchange,
    connectionName: `${exchange}-${name}`,
    queueType: 'classic',
    partitions: PARTITIONS,
    rebalanceIntervalMs: 200,
    ...(PREFETCH ? { prefetch: PREFETCH } : {}),
  });
  buses.push(b);
  busNames.set(b, name.replace(/-\d+$/, ''));
  return b;
};

/** Until each consumer group's partitions are all held, none by a member over its share. */
const settled = async (): Promise<void> => {
  for (let i = 0; i < 300; i++) {
    const held = new Map<string, number[]>();
    for (const b of buses) {
      for (const [group, partitions] of Object.entries(b.stats().partitions))
        held.set(group, [...(held.get(group) ?? []), partitions.length]);
    }
    const even = [...held.values()].every(
      (counts) =>
        counts.reduce((a, c) => a + c, 0) === PARTITIONS &&
        Math.max(...counts) <= Math.ceil(PARTITIONS / counts.length),
    );
    if (even) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('consumer groups did not settle');
};

const admin = await connect(url);
let depthChannel = await admin.createChannel();
depthChannel.on('error', () => {});
/** A missing queue closes the channel (404): open another for the next call. */
const onChannel = async <T>(use: (channel: typeof depthChannel) => Promise<T>): Promise<T | undefined> => {
  try {
    return await use(depthChannel);
  } catch {
    depthChannel = await admin.createChannel();
    depthChannel.on('error', () => {});
    return undefined;
  }
};
const depths = async (): Promise<Map<string, number>> => {
  const out = new Map<string, number>();
  for (const b of buses) {
    for (const queue of b.topology().queues) {
      if (out.has(queue)) continue;
      const q = await onChannel((c) => c.checkQueue(queue));
      if (q) out.set(queue, q.messageCount);
    }
  }
  return out;
};
/** Queue family: the queue name without the exchange prefix and partition number. */
const family = (queue: string) =>
  queue
    .replace(`${exchange}.`, '')
    .replace(/sma-SYN\d+/g, 'sma-*')
    .replace(/\.(p\d+|members)$/, '')
    .replace(/-[0-9a-z]{8,}/g, '');

const watcher = await bus('watcher');
let startedAt = 0;
let finishedAt = 0;
let brokerCpuAtStart: number | undefined;
let brokerCpuAtEnd: number | undefined;
let cpuAtStart: NodeJS.CpuUsage | undefined;
let cpuAtEnd: NodeJS.CpuUsage | undefined;
const finished = new Set<string>();
await watcher.subscribe(
  'fleet.status',
  (message) => {
    const { payload } = decodeFleetMessage(message, ['AccountFinished']);
    finished.add(payload.accountId);
    if (finished.size === accounts.length) {
      finishedAt = performance.now();
      brokerCpuAtEnd = brokerCpuSeconds();
      cpuAtEnd = process.cpuUsage(cpuAtStart);
    }
  },
  { group: `bench-status-${exchange}` },
);
let maxBacklog = new Map<string, number>();
let sampling = false;
let samples = 0;
const sampler = setInterval(() => {
  if (sampling || startedAt === 0 || finishedAt !== 0) return;
  sampling = true;
  void depths()
    .then((now) => {
      const byFamily = new Map<string, number>();
      for (const [q, n] of now) byFamily.set(family(q), (byFamily.get(family(q)) ?? 0) + n);
      for (const [f, n] of byFamily) if (n >= (maxBacklog.get(f) ?? 0)) maxBacklog.set(f, n);
      samples++;
    })
    .finally(() => {
      sampling = false;
    });
}, 250);

let endDepths = new Map<string, number>();
const load0 = loadavg()[0] ?? 0;
try {
  const fleet = await runFleet({
    plan: {
      instruments,
      accounts,
      mode: MODE,
      strategies: symbols.map((s) => ({
        id: `sma-${s}`,
        symbol: s,
        accountId: `acct-${s}`,
        params,
        create: strategyClass(SmaCrossover),
      })),
    },
    data: bars,
    frameSize: FRAME,
    replicas: { strategy: REPLICAS },
    connect: (role, replica) => bus(`${role}-${replica}`),
    settle: async () => {
      await settled();
      startedAt = performance.now();
      brokerCpuAtStart = brokerCpuSeconds();
      cpuAtStart = process.cpuUsage();
    },
    timeoutMs: 900_000,
  });
  clearInterval(sampler);
  endDepths = await depths();
  const ms = finishedAt - startedAt;
  const rate = bars.length / (ms / 1000);
  const engineRate = bars.length / (backtestMs / 1000);
  const same = fleet.fills.map(key).sort().join() === backtest.fills.map(key).sort().join();
  const backlogAtEnd = [...endDepths.values()].reduce((a, b) => a + b, 0);
  console.log(
    `${SYMBOLS} symbols × ${BARS} bars = ${bars.length} bars, SMA crossover ${params.fast}/${params.slow}, ${backtest.fills.length} fills, mode ${MODE}, frame ${FRAME} bars, strategy replicas ${REPLICAS}, prefetch ${PREFETCH ?? 'default'}, ${PARTITIONS} partitions (classic queues); load average ${load0.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}`,
  );
  console.log('');
  console.log('| runner | ms | bars/s | same fills |');
  console.log('|---|---:|---:|---|');
  console.log(
    `| runBacktest (one process) | ${backtestMs.toFixed(0)} | ${Math.round(engineRate)} | reference |`,
  );
  console.log(
    `| fleet on RabbitMQ | ${ms.toFixed(0)} | ${Math.round(rate)} | ${same ? 'yes' : `NO (${fleet.fills.length} fills)`} |`,
  );
  console.log('');
  console.log(
    `barrier waits: ${fleet.barrier.waited} of ${fleet.barrier.bars} strategy bars; engine / fleet = ${(engineRate / rate).toFixed(0)}×`,
  );
  const traffic = new Map<string, { published: number; delivered: number }>();
  for (const b of buses) {
    const role = busNames.get(b) ?? '?';
    const { publisher, consumer } = b.stats();
    const t = traffic.get(role) ?? { published: 0, delivered: 0 };
    t.published += publisher.confirmed;
    t.delivered += consumer.delivered;
    traffic.set(role, t);
  }
  console.log(
    `messages per bar, by role (published / delivered): ${[...traffic]
      .map(
        ([role, t]) =>
          `${role} ${(t.published / bars.length).toFixed(2)} / ${(t.delivered / bars.length).toFixed(2)}`,
      )
      .join(', ')}`,
  );
  const seconds = ms / 1000;
  const cores = (cpu: number) => `${(cpu / seconds).toFixed(2)} cores`;
  const fleetCpu = cpuAtEnd === undefined ? undefined : (cpuAtEnd.user + cpuAtEnd.system) / 1e6;
  const brokerCpu =
    brokerCpuAtStart === undefined || brokerCpuAtEnd === undefined
      ? undefined
      : brokerCpuAtEnd - brokerCpuAtStart;
  const messages = [...traffic.values()].reduce((n, t) => n + t.published, 0);
  console.log(
    `CPU during the run: fleet process (every role) ${fleetCpu === undefined ? '?' : cores(fleetCpu)}, RabbitMQ ${brokerCpu === undefined ? 'not measured (not a local Linux broker)' : `${cores(brokerCpu)}, ${((brokerCpu * 1e6) / messages).toFixed(0)} µs per message published`}`,
  );
  const backlog = [...maxBacklog].filter(([, n]) => n > 0);
  console.log(
    `largest backlog in ${samples} samples during the run (messages, by queue family): ${samples === 0 ? 'none sampled' : backlog.map(([f, n]) => `${f} ${n}`).join(', ') || 'none'}`,
  );
  console.log(`queue depths at the end: ${backlogAtEnd} messages in ${endDepths.size} queues`);
  const met = rate >= TARGET && same && backlogAtEnd === 0;
  console.log(
    `target: fleet replay on RabbitMQ (2 strategy replicas) ≥ ${TARGET} bars/s, same fills, no backlog → ${met ? 'MET' : `MISSED (${Math.round(rate)} bars/s${same ? '' : ', fills differ'}${backlogAtEnd ? `, ${backlogAtEnd} left in queues` : ''})`}`,
  );
} finally {
  clearInterval(sampler);
  maxBacklog = new Map();
  const topologies = buses.map((b) => b.topology());
  await watcher.close();
  await admin.close().catch(() => {});
  await deleteTopology({
    url,
    exchange,
    queues: topologies.flatMap((t) => t.queues),
    exchanges: topologies.flatMap((t) => t.exchanges),
  });
}
