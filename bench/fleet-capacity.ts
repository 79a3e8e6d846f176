/**
 * Checks the capacity model of docs/guides/scaling.md by simulation on one machine: the same replay
 * as bench/fleet-throughput.ts (an SMA crossover per symbol, one account per symbol, barrier mode,
 * frames of 500 bars, 2 strategy replicas, every role in this process) run at K = 1, 2, 4, 8 and 16
 * shards — a shard is a symbol, its strategy and its account, the unit the fleet partitions by. Each
 * run measures the bar rate, the CPU of the roles and of RabbitMQ, and the messages sent.
 *
 * The model's constants come from the three smallest loads only, and from the CPU the settled fleet
 * uses while it waits for bars (measured before each run):
 * - the barrier: each shard replays on its own, one bar after another, waiting for the order role's
 *   answer after each order, so K shards go at most K times one shard's rate;
 * - the CPU: the roles' cost per bar above their idle use (one Node process: at most one core) and
 *   the broker's, so the rate is at most (1 − roles' idle) / roles' cost per bar, and at most the
 *   machine's cores left over by both idle uses, over both costs per bar. A cost per bar falls as
 *   the load grows (more messages share each wake-up, write, confirm and journal append): it is
 *   fitted as c(K) = a + b / K on the three smallest loads — a the cost of a bar when everything is
 *   batched, b the cost of a wake-up that K shards in flight share.
 * The rates it then predicts for the larger loads are printed beside the measured ones, and the
 * constants are extrapolated to 10×, 100× and 1,000× the 8-shard load (processes, partitions, brokers).
 * A persistent and a transient confirmed publish are timed through the adapter too: the broker's CPU
 * per message is the model's largest term.
 *
 * Run: npx tsx --conditions=rxtrade-source bench/fleet-capacity.ts
 *   (RABBITMQ_URL; CAPACITY_BARS per shard, default 4,000; CAPACITY_SHARDS, default 1,2,4,8,16)
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { createRabbitMqMessageBus, deleteTopology } from '../packages/adapters-rabbitmq/src/index';
import { brokerCpuSeconds } from './fleet/broker-cpu';
import { publishedMessages, REPLAY_STRATEGY, type ReplayResult, rabbitUp, replay } from './fleet/replay';

const url = process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const BARS = Number(process.env['CAPACITY_BARS'] ?? 4_000);
const SHARDS = (process.env['CAPACITY_SHARDS'] ?? '1,2,4,8,16').split(',').map(Number);
const CORES = cpus().length;
/** A role process is given work up to this share of its core before another replica is added. */
const PROCESS_BUDGET = 0.7;

if (!(await rabbitUp(url))) {
  console.log(`skipped: no broker at ${url}`);
  process.exit(0);
}

/** Broker CPU per confirmed publish through the adapter, one at a time (as a barrier's chain sends). */
async function brokerCostPerMessage(persistent: boolean, count = 2_000): Promise<number | undefined> {
  const exchange = `rxt-bench-capacity-${randomBytes(4).toString('hex')}`;
  const bus = await createRabbitMqMessageBus({ url, exchange, queueType: 'classic', partitions: 1 });
  try {
    // A durable group queue to route into, as the fleet's role inboxes are.
    await bus.subscribe('capacity.probe', () => {}, { group: 'probe' });
    const envelope = {
      v: 1 as const,
      type: 'Probe',
      id: '',
      ts: 0,
      correlationId: '',
      payload: { pad: 'x'.repeat(300) },
    };
    const before = brokerCpuSeconds();
    for (let i = 0; i < count; i++)
      await bus.publish(
        'capacity.probe',
        { ...envelope, id: `m${i}`, correlationId: `m${i}` },
        { persistent },
      );
    const after = brokerCpuSeconds();
    return before === undefined || after === undefined ? undefined : ((after - before) * 1e6) / count;
  } finally {
    const topology = bus.topology();
    await bus.close();
    await deleteTopology({ url, exchange, ...topology });
  }
}

const persistentUs = await brokerCostPerMessage(true);
const transientUs = await brokerCostPerMessage(false);

const runs: ReplayResult[] = [];
for (const symbols of SHARDS) {
  runs.push(
    await replay({
      url,
      symbols,
      bars: BARS,
      frame: 500,
      mode: 'barrier',
      strategyReplicas: 2,
      partitions: 4,
      // Fewer broker calls from the bench itself: its depth sampling costs the broker too.
      sampleMs: 1_000,
      idleMs: 2_000,
    }),
  );
}

const rate = (r: ReplayResult) => r.totalBars / (r.ms / 1000);
/** CPU µs per bar above what the idle fleet uses in the same time. */
const perBar = (cpu: number | undefined, idle: number | undefined, r: ReplayResult) =>
  cpu === undefined || idle === undefined ? Number.NaN : ((cpu - idle * (r.ms / 1000)) * 1e6) / r.totalBars;
const rolesPerBar = (r: ReplayResult) => perBar(r.fleetCpu, r.idleCores?.roles, r);
const brokerPerBar = (r: ReplayResult) => perBar(r.brokerCpu, r.idleCores?.broker, r);
/** Everything else the machine spent per bar: the kernel's network stack, other servers. */
const otherPerBar = (r: ReplayResult) =>
  perBar(r.machineCpu, r.idleCores?.machine, r) - rolesPerBar(r) - brokerPerBar(r);
const mean = (values: readonly number[]) => values.reduce((a, v) => a + v, 0) / values.length;

/** c(K) = a + b / K, least squares on 1 / K. */
function hyperbola(points: readonly (readonly [number, number])[]): {
  a: number;
  b: number;
  at(k: number): number;
} {
  const xs = points.map(([k]) => 1 / k);
  const ys = points.map(([, c]) => c);
  const mx = mean(xs);
  const my = mean(ys);
  const b =
    xs.reduce((sum, x, i) => sum + (x - mx) * ((ys[i] as number) - my), 0) /
    xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
  const a = my - b * mx;
  return { a, b, at: (k) => a + b / k };
}

// Constants from the three smallest loads.
const fit = runs.slice(0, 3);
const shardRate = rate(fit[0] as ReplayResult) / (fit[0] as ReplayResult).options.symbols;
const roles = hyperbola(fit.map((r) => [r.options.symbols, rolesPerBar(r)] as const));
const broker = hyperbola(fit.map((r) => [r.options.symbols, brokerPerBar(r)] as const));
/** Small and noisy (a few µs): its mean. */
const otherUs = mean(fit.map(otherPerBar));
const rolesIdle = mean(runs.map((r) => r.idleCores?.roles ?? Number.NaN));
const machineIdle = mean(runs.map((r) => r.idleCores?.machine ?? Number.NaN));
const predict = (shards: number) => {
  const rolesUs = roles.at(shards);
  const brokerUs = broker.at(shards);
  const barrier = shards * shardRate;
  const oneProcess = ((1 - rolesIdle) * 1e6) / rolesUs;
  const machine = ((CORES - machineIdle) * 1e6) / (rolesUs + brokerUs + otherUs);
  const bound = Math.min(barrier, oneProcess, machine);
  const by = bound === barrier ? 'barrier' : bound === oneProcess ? 'roles’ process' : 'machine CPU';
  return { rate: bound, by };
};

console.log(
  `${REPLAY_STRATEGY}, ${BARS} bars per shard, barrier mode, frames of 500 bars, 2 strategy replicas, 4 partitions (classic queues), every role in one process; machine: ${CORES} cores; load average ${(runs[0]?.loadBefore ?? 0).toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}`,
);
console.log('');
console.log(
  `Broker CPU per confirmed publish through the adapter, one at a time, 300-byte payload into a durable queue: persistent ${persistentUs?.toFixed(0) ?? '?'} µs, transient ${transientUs?.toFixed(0) ?? '?'} µs`,
);
console.log('');
console.log(
  '| shards (symbols = accounts) | bars | fills | same fills | messages per bar | roles CPU µs/bar (above idle) | RabbitMQ CPU µs/bar (above idle) | rest of the machine µs/bar | RabbitMQ µs/message | measured bars/s | model bars/s (bound) | model error |',
);
console.log('|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
const errors: number[] = [];
for (const [i, r] of runs.entries()) {
  const messages = publishedMessages(r);
  const p = predict(r.options.symbols);
  const error = (p.rate - rate(r)) / rate(r);
  if (i >= fit.length) errors.push(Math.abs(error));
  console.log(
    `| ${r.options.symbols} | ${r.totalBars} | ${r.fills} | ${r.sameFills ? 'yes' : 'NO'} | ${(messages / r.totalBars).toFixed(3)} | ${rolesPerBar(r).toFixed(1)} | ${brokerPerBar(r).toFixed(1)} | ${otherPerBar(r).toFixed(1)} | ${r.brokerCpu === undefined ? '?' : ((r.brokerCpu * 1e6) / messages).toFixed(0)} | ${Math.round(rate(r))} | ${Math.round(p.rate)} (${p.by}) | ${i < fit.length ? 'fitted' : `${(error * 100).toFixed(0)} %`} |`,
  );
}
console.log('');
console.log(
  `model constants (from ${fit.map((r) => r.options.symbols).join(', ')} shards): one shard ${Math.round(shardRate)} bars/s through the barrier; roles ${roles.a.toFixed(1)} + ${roles.b.toFixed(1)} / K µs CPU per bar; RabbitMQ ${broker.a.toFixed(1)} + ${broker.b.toFixed(1)} / K µs; the rest of the machine ${otherUs.toFixed(1)} µs; the settled fleet idle: roles ${rolesIdle.toFixed(2)} cores, the whole machine ${machineIdle.toFixed(2)} cores`,
);
console.log(
  `model check: largest error on the loads not fitted ${errors.length === 0 ? '—' : `${(Math.max(...errors) * 100).toFixed(0)} %`}`,
);

// Extrapolation: a busy replica's cost per bar is the one measured at the largest load (this
// process near a full core), not the fitted curve's, which would keep falling with K: each replica
// only sees its own share of the load.
const base = runs[runs.length - 1] as ReplayResult;
const baseRate = rate(base);
const basePerBar = publishedMessages(base) / base.totalBars;
const busyRolesUs = rolesPerBar(base);
const busyBrokerUs = brokerPerBar(base);
console.log('');
console.log(
  `Extrapolated from the ${base.options.symbols}-shard load (${Math.round(baseRate)} bars/s; there the roles cost ${busyRolesUs.toFixed(1)} µs and RabbitMQ ${busyBrokerUs.toFixed(1)} µs of CPU per bar), each role process kept under ${PROCESS_BUDGET * 100} % of a core, 2 partitions per replica of a role's group (replicas: the processes split over strategy, risk and order):`,
);
console.log('');
console.log(
  '| load | shards | bars/s | messages/s | role processes (cores) | partitions per group | RabbitMQ cores (persistent messages) |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const n of [1, 10, 100, 1_000]) {
  const bars = baseRate * n;
  const roleCores = (bars * busyRolesUs) / 1e6;
  const processes = Math.max(1, Math.ceil(roleCores / PROCESS_BUDGET));
  const partitions = 2 ** Math.ceil(Math.log2(Math.max(4, 2 * Math.ceil(processes / 3))));
  const brokerCores = (bars * busyBrokerUs) / 1e6;
  console.log(
    `| ${n === 1 ? 'measured' : `${n}×`} | ${base.options.symbols * n} | ${Math.round(bars)} | ${Math.round(bars * basePerBar)} | ${processes} (${roleCores.toFixed(1)}) | ${partitions} | ${Number.isNaN(brokerCores) ? '?' : brokerCores.toFixed(1)} |`,
  );
}
