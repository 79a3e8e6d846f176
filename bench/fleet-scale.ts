/**
 * Scale-out of the strategy and the order roles, each from 1 to 2 replicas (each replica its own
 * process; the other roles in this process). Each run is timed from the first bar published to the
 * last account finished, and prints the CPU each role, RabbitMQ and the whole machine used.
 *
 * - Strategy: a CPU-heavy strategy (FLEET_INDICATORS streaming indicators updated per bar, default
 *   200, scored by FLEET_MODEL dense layers as wide, default 25: about 2 ms a bar) on
 *   FLEET_SYMBOLS symbols (default 32, one account each), FLEET_BARS bars each (default 120).
 *   `runBacktest` on the same plan and bars gives the strategy's own cost per bar.
 * - Order: a strategy sending an order on every bar (FLEET_ORDER_ACCOUNTS accounts, one symbol each,
 *   default 16; FLEET_ORDER_BARS bars each, default 40) to a venue whose every order costs
 *   FLEET_WORK rounds of SHA-256 (default 24,000: about 35 ms, measured and printed).
 *
 * On one machine the replicas share its cores with everything else: with C cores, 2 replicas run at
 * most C·V / (u (V + O)) times one's rate (while that is under 2), V the role's CPU per unit (bar,
 * order), O the CPU the other roles and RabbitMQ spend per unit, u the share of a core one replica
 * keeps busy (all printed). RabbitMQ costs a few hundred µs to a millisecond of CPU per persistent
 * message, several per bar and order, so V must be large here for the ratio to show the role's
 * scale-out rather than the machine's size.
 *
 * The symbols (accounts) are named so that each partition of the role's group carries as many of
 * them (the broker hashes the names onto the partitions; this run asks it first): otherwise the ratio
 * measures the hash's luck as much as the fleet — 64 names at random gave one replica 58 % of the
 * bars, which alone caps 2 replicas at 1.72×. FLEET_BALANCE=0 takes `SYN0`, `SYN1`, … as they fall.
 *
 * Run: npx tsx --conditions=rxtrade-source bench/fleet-scale.ts   (RABBITMQ_URL; FLEET_ROLES=strategy,order)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineInstrument, runBacktest } from '@rxtrade/core';
import { type Channel, connect } from 'amqplib';
import {
  createRabbitMqMessageBus,
  deleteTopology,
  type RabbitMqMessageBus,
} from '../packages/adapters-rabbitmq/src/index';
import { groupTopology, HASH_HEADER } from '../packages/adapters-rabbitmq/src/topology';
import {
  decodeFleetMessage,
  fleetSubscriptions,
  fleetTopics,
  OrderRole,
  publishBars,
  RiskRole,
  StrategyRole,
} from '../packages/fleet/src/index';
import { brokerCpuSeconds, machineBusySeconds } from './fleet/broker-cpu';
import { benchBars, benchPlan, CostlyVenue, ROLE_GROUPS } from './fleet/heavy-plan';

type Role = 'strategy' | 'order';

const url = process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const INDICATORS = env('FLEET_INDICATORS', 200);
const MODEL = env('FLEET_MODEL', 25);
const WORK = env('FLEET_WORK', 24_000);
const BALANCE = process.env['FLEET_BALANCE'] !== '0';
const ROLES = (process.env['FLEET_ROLES'] ?? 'strategy,order').split(',') as Role[];
const PARTITIONS = 4;
const TARGET = 1.7;
const machineCores = cpus().length;

const targetLine = (role: Role, verdict: string) =>
  role === 'strategy'
    ? `target: CPU-heavy strategy, 1 → 2 strategy replicas ≥ ${TARGET}× bars/s → ${verdict}`
    : `target: venue costing CPU per order, 1 → 2 order replicas over several accounts ≥ ${TARGET}× orders/s → ${verdict}`;

try {
  await (await connect(url)).close();
} catch {
  for (const role of ROLES) console.log(targetLine(role, `MISSED (no broker at ${url})`));
  process.exit(0);
}

/**
 * `count` symbol names, as many on each partition of `role`'s group as the broker's hash puts there:
 * the group's topology is declared on `exchange` by subscribing to it through the adapter, as the
 * role does, and unsubscribing (its durable partition queues stay, with no consumer); one probe per
 * candidate name is routed through the group's hash exchange, and each queue is read back and emptied.
 */
async function balancedNames(exchange: string, role: Role, count: number): Promise<string[]> {
  const { group, pattern, key } = ROLE_GROUPS[role];
  const declaring = await createRabbitMqMessageBus({
    url,
    exchange,
    queueType: 'classic',
    partitions: PARTITIONS,
  });
  try {
    await (await declaring.subscribe(pattern, async () => {}, { group })).unsubscribe();
  } finally {
    await declaring.close();
  }
  const topology = groupTopology({ exchange, group, pattern, partitions: PARTITIONS });
  const connection = await connect(url);
  try {
    const channel: Channel = await connection.createConfirmChannel();
    const candidates = Array.from({ length: count * 4 }, (_, i) => `SYN${i}`);
    for (const name of candidates)
      channel.publish(topology.hashExchange, '', Buffer.from(name), {
        headers: { [HASH_HEADER]: key(name) },
      });
    await (channel as Channel & { waitForConfirms(): Promise<void> }).waitForConfirms();
    const perQueue = count / PARTITIONS;
    const names: string[] = [];
    for (const queue of topology.partitions) {
      const landed: string[] = [];
      for (
        let m = await channel.get(queue, { noAck: true });
        m !== false;
        m = await channel.get(queue, { noAck: true })
      )
        landed.push(m.content.toString());
      if (landed.length < perQueue)
        throw new Error(
          `only ${landed.length} of ${candidates.length} names hash to ${queue}; need ${perQueue}`,
        );
      names.push(...landed.slice(0, perQueue));
    }
    return names.sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
  } finally {
    await connection.close();
  }
}

const child = fileURLToPath(new URL('./fleet/role-process.ts', import.meta.url));

interface Scenario {
  readonly role: Role;
  /** Both runs use one exchange name (each deletes its topology), so a name lands on the same partition in both. */
  readonly exchange: string;
  readonly symbols: readonly string[];
  readonly plan: ReturnType<typeof benchPlan>;
  readonly bars: ReturnType<typeof benchBars>;
}

interface Run {
  readonly replicas: number;
  readonly ms: number;
  /** Per replica of the role: CPU ms, and bars run (strategy) or orders sent to the venue (order). */
  readonly replicaCpuMs: number[];
  readonly replicaUnits: number[];
  readonly hereCpuMs: number;
  /** RabbitMQ's and the whole machine's CPU during the run (undefined: not a local Linux broker). */
  readonly brokerCpuMs: number | undefined;
  readonly machineCpuMs: number | undefined;
  /** RabbitMQ's CPU (cores) in the second before the run, the fleet settled and idle. */
  readonly brokerIdleCores: number | undefined;
  readonly load: number;
}

async function run(scenario: Scenario, replicas: number): Promise<Run> {
  const { role, exchange, plan } = scenario;
  const buses: RabbitMqMessageBus[] = [];
  const children: ChildProcess[] = [];
  const bus = async (name: string) => {
    const b = await createRabbitMqMessageBus({
      url,
      exchange,
      connectionName: `${exchange}-${name}`,
      queueType: 'classic',
      partitions: PARTITIONS,
    });
    buses.push(b);
    return b;
  };
  const outputs: string[][] = [];
  try {
    // This process runs risk and whichever of strategy and order is not measured (one replica, plain venue).
    const here =
      role === 'strategy'
        ? new OrderRole({ bus: await bus('order'), plan, replicaId: `${exchange}-order-here` })
        : new StrategyRole({ bus: await bus('strategy'), plan });
    const risk = new RiskRole({ bus: await bus('risk'), plan });
    await here.start();
    await risk.start();
    const finished = new Set<string>();
    let done: () => void = () => {};
    const allDone = new Promise<void>((resolve) => {
      done = resolve;
    });
    const watcher = await bus('watcher');
    await watcher.subscribe(
      fleetTopics.status,
      (message) => {
        finished.add(decodeFleetMessage(message, ['AccountFinished']).payload.accountId);
        if (finished.size === plan.accounts.length) done();
      },
      { group: `bench-status-${exchange}` },
    );
    for (let i = 0; i < replicas; i++) {
      const lines: string[] = [];
      outputs.push(lines);
      const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=rxtrade-source', child], {
        env: {
          ...process.env,
          FLEET_ROLE: role,
          FLEET_EXCHANGE: exchange,
          FLEET_REPLICA: String(i),
          FLEET_SYMBOLS: String(scenario.symbols.length),
          FLEET_SYMBOL_NAMES: scenario.symbols.join(','),
          FLEET_INDICATORS: String(INDICATORS),
          FLEET_MODEL: String(MODEL),
          FLEET_WORK: String(WORK),
          RABBITMQ_URL: url,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(proc);
      proc.stdout?.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n')));
    }
    // Every replica holds its equal share of the partitions, unchanged for two rebalance intervals.
    let settled = '';
    let settledAt = performance.now();
    for (let waited = 0; ; waited += 100) {
      const shares = outputs.map((lines) =>
        Number(lines.findLast((l) => l.startsWith('share '))?.split(' ')[1] ?? -1),
      );
      const now = shares.join(',');
      if (now !== settled) [settled, settledAt] = [now, performance.now()];
      if (shares.every((n) => n === PARTITIONS / replicas) && performance.now() - settledAt > 2_500) break;
      if (waited > 60_000)
        throw new Error(
          `the ${role} replicas did not settle on equal shares: ${settled} (${outputs.map((l) => l.join(' | ')).join('; ')})`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // RabbitMQ's CPU with the fleet settled and idle (group members checking their partitions).
    const idle0 = brokerCpuSeconds();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idle1 = brokerCpuSeconds();
    const load = loadavg()[0] ?? 0;
    const data = await bus('data');
    const cpu0 = process.cpuUsage();
    const broker0 = brokerCpuSeconds();
    const machine0 = machineBusySeconds();
    const start = performance.now();
    await publishBars({ bus: data, data: scenario.bars });
    await allDone;
    const ms = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    const broker1 = brokerCpuSeconds();
    const machine1 = machineBusySeconds();
    for (const proc of children) proc.kill('SIGTERM');
    await Promise.all(children.map((proc) => new Promise((resolve) => proc.once('exit', resolve))));
    const stat = (field: number) =>
      outputs.map((lines) =>
        Number(lines.find((l) => l.startsWith('cpu '))?.split(' ')[field] ?? Number.NaN),
      );
    await here.stop();
    await risk.stop();
    return {
      replicas,
      ms,
      replicaCpuMs: stat(1),
      replicaUnits: stat(3),
      hereCpuMs: (cpu.user + cpu.system) / 1000,
      brokerCpuMs: broker0 === undefined || broker1 === undefined ? undefined : (broker1 - broker0) * 1000,
      machineCpuMs:
        machine0 === undefined || machine1 === undefined ? undefined : (machine1 - machine0) * 1000,
      brokerIdleCores: idle0 === undefined || idle1 === undefined ? undefined : idle1 - idle0,
      load,
    };
  } finally {
    for (const proc of children) if (proc.exitCode === null) proc.kill('SIGKILL');
    const topologies = buses.map((b) => b.topology());
    await Promise.all(buses.map((b) => b.close()));
    // The replicas' processes declared their own groups: named from the plan, as the fleet names them.
    await deleteTopology({
      url,
      exchange,
      groups: fleetSubscriptions({
        runId: exchange,
        strategyIds: plan.strategies.map((spec) => spec.id),
        orderReplicaIds: [
          `${exchange}-order-here`,
          ...Array.from({ length: replicas }, (_, i) => `${exchange}-order-${i}`),
        ],
      }),
      partitions: PARTITIONS,
      queues: topologies.flatMap((t) => t.queues),
      exchanges: topologies.flatMap((t) => t.exchanges),
    });
  }
}

async function scenario(role: Role, count: number, barsEach: number): Promise<Scenario> {
  const exchange = `rxt-bench-fleet-scale-${role}-${randomBytes(4).toString('hex')}`;
  if (BALANCE && count % PARTITIONS !== 0) {
    console.log(`${role}: the symbol count must be a multiple of ${PARTITIONS} to balance the partitions`);
    process.exit(1);
  }
  const names = BALANCE ? await balancedNames(exchange, role, count) : undefined;
  const plan = benchPlan({
    symbols: count,
    ...(names ? { names } : {}),
    strategy: role === 'strategy' ? 'heavy' : 'every-bar',
    indicators: INDICATORS,
    model: MODEL,
  });
  const symbols = plan.instruments.map((i) => i.id);
  return { role, exchange, symbols, plan, bars: benchBars(symbols, barsEach) };
}

function report(s: Scenario, one: Run, two: Run, cost: string): void {
  const unit = s.role === 'strategy' ? 'bars' : 'orders';
  // Units of work: bars run (strategy), or orders the venues were sent (order).
  const units = (r: Run) =>
    s.role === 'strategy' ? s.bars.length : r.replicaUnits.reduce((a, b) => a + b, 0);
  const rate = (r: Run) => units(r) / (r.ms / 1000);
  console.log('');
  console.log(
    `${s.role} replicas: ${s.symbols.length} symbols (one account each) × ${s.bars.length / s.symbols.length} bars = ${s.bars.length} bars; ${cost}; symbols ${BALANCE ? `named ${s.symbols.length / PARTITIONS} to each of the ${PARTITIONS} partitions` : 'as the hash puts them'}; machine: ${machineCores} cores`,
  );
  console.log('');
  console.log(
    `| ${s.role} replicas | load average at start | ms | ${unit}/s | CPU ms per ${s.role} replica (${unit}) | CPU ms here (data, risk, ${s.role === 'strategy' ? 'order' : 'strategy'}) | CPU ms RabbitMQ | cores: ${s.role} replicas / here / RabbitMQ / whole machine |`,
  );
  console.log('|---:|---:|---:|---:|---|---:|---:|---|');
  const ms = (v: number | undefined) => (v === undefined ? '?' : v.toFixed(0));
  for (const r of [one, two]) {
    const cores = (cpuMs: number | undefined) => (cpuMs === undefined ? '?' : (cpuMs / r.ms).toFixed(2));
    console.log(
      `| ${r.replicas} | ${r.load.toFixed(1)} | ${r.ms.toFixed(0)} | ${Math.round(rate(r))} | ${r.replicaCpuMs.map((c, i) => `${c} (${r.replicaUnits[i]})`).join(', ')} | ${r.hereCpuMs.toFixed(0)} | ${ms(r.brokerCpuMs)} | ${r.replicaCpuMs.map((c) => cores(c)).join(' + ')} / ${cores(r.hereCpuMs)} / ${cores(r.brokerCpuMs)} / ${cores(r.machineCpuMs)} |`,
    );
  }
  // Two decimals, rounded down: 1.695 is not printed as a 1.70 that misses.
  const ratio = Math.floor((rate(two) / rate(one)) * 100) / 100;
  const per = (r: Run, cpuMs: number | undefined) =>
    cpuMs === undefined ? '?' : `${((cpuMs * 1000) / units(r)).toFixed(0)} µs`;
  console.log('');
  console.log(
    `CPU per ${unit.slice(0, -1)} with 2 replicas: the ${s.role} replicas ${per(
      two,
      two.replicaCpuMs.reduce((a, b) => a + b, 0),
    )}, the rest here ${per(two, two.hereCpuMs)}, RabbitMQ ${per(two, two.brokerCpuMs)} (RabbitMQ with the fleet settled and idle: ${two.brokerIdleCores === undefined ? '?' : two.brokerIdleCores.toFixed(2)} cores)`,
  );
  console.log(
    `${targetLine(s.role, ratio >= TARGET ? `MET (${ratio.toFixed(2)}×)` : `MISSED (${ratio.toFixed(2)}×)`)} (${machineCores} cores, load average ${two.load.toFixed(1)})`,
  );
}

if (ROLES.includes('strategy')) {
  const s = await scenario('strategy', env('FLEET_SYMBOLS', 32), env('FLEET_BARS', 120));
  const t0 = performance.now();
  await runBacktest({
    strategies: s.plan.strategies.map((spec) =>
      spec.create({ id: spec.id, symbols: [spec.symbol], accountId: spec.accountId, params: spec.params }),
    ),
    data: s.bars,
    instruments: s.plan.instruments,
    accounts: s.plan.accounts,
  });
  const engineMs = performance.now() - t0;
  const one = await run(s, 1);
  const two = await run(s, 2);
  report(
    s,
    one,
    two,
    `strategy: ${INDICATORS} indicators per bar${MODEL > 0 ? ` scored by ${MODEL} dense layers of ${INDICATORS} units` : ''}, in-process ${((engineMs * 1000) / s.bars.length).toFixed(1)} µs/bar (runBacktest ${Math.round(s.bars.length / (engineMs / 1000))} bars/s)`,
  );
}

if (ROLES.includes('order')) {
  const s = await scenario('order', env('FLEET_ORDER_ACCOUNTS', 16), env('FLEET_ORDER_BARS', 40));
  // The venue's own cost per order, measured here on 20 orders after 5 to warm up.
  const venue = new CostlyVenue({
    instruments: s.plan.instruments.map(defineInstrument),
    clock: { now: () => 0 },
    work: WORK,
  });
  const probe = (i: number) =>
    venue.submitOrderSync({
      clientOrderId: `probe-${i}`,
      instrumentId: 'none',
      side: 'buy',
      quantity: 1,
    } as Parameters<CostlyVenue['submitOrderSync']>[0]);
  for (let i = 0; i < 5; i++) probe(i);
  const t0 = performance.now();
  for (let i = 5; i < 25; i++) probe(i);
  const perOrderMs = (performance.now() - t0) / 20;
  const one = await run(s, 1);
  const two = await run(s, 2);
  report(
    s,
    one,
    two,
    `strategy: an order on every bar; venue: ${WORK} SHA-256 rounds per order, ${perOrderMs.toFixed(1)} ms in-process`,
  );
}
