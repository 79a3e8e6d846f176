/**
 * One sustained replay through the fleet on RabbitMQ — data → strategy ×N → risk → order, every role
 * replica on its own connection in this process — against `runBacktest` on the same strategies and
 * bars: `symbols` symbols, one SMA crossover and one account each, `bars` seeded one-minute bars per
 * symbol. Timed from the first bar published (after every consumer group settled) to the last account
 * finished; queue depths are sampled during the run. Used by bench/fleet-throughput.ts (one run) and
 * bench/fleet-capacity.ts (a run per load, to fit the capacity model of docs/guides/scaling.md).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { type Fill, runBacktest } from '@rxtrade/core';
import { connect } from 'amqplib';
import { SmaCrossover } from '../../examples/sma-crossover/src/strategy';
import {
  createRabbitMqMessageBus,
  deleteTopology,
  type RabbitMqMessageBus,
} from '../../packages/adapters-rabbitmq/src/index';
import {
  type BarrierMode,
  decodeFleetMessage,
  runFleet,
  strategyClass,
} from '../../packages/fleet/src/index';
import { bestAsync } from '../synthetic';
import { brokerCpuSeconds, machineBusySeconds } from './broker-cpu';
import { benchBars, benchShape } from './heavy-plan';

export interface ReplayOptions {
  readonly url: string;
  readonly symbols: number;
  /** Bars per symbol. */
  readonly bars: number;
  readonly frame: number;
  readonly mode: BarrierMode;
  readonly strategyReplicas: number;
  readonly partitions: number;
  readonly prefetch?: number;
  /** How often queue depths are sampled during the run (each sample asks the broker of every queue). */
  readonly sampleMs?: number;
  /**
   * Before the first bar, measure the CPU the fleet uses while idle for this long (the consumer
   * groups' rebalance checks, heartbeats): `idleCores`.
   */
  readonly idleMs?: number;
}

export interface ReplayResult {
  readonly options: ReplayOptions;
  readonly totalBars: number;
  readonly backtestMs: number;
  readonly backtestFills: number;
  readonly ms: number;
  readonly fills: number;
  readonly sameFills: boolean;
  readonly barrier: { readonly waited: number; readonly bars: number };
  /** Messages published (confirmed) and delivered, by role. */
  readonly traffic: ReadonlyMap<string, { readonly published: number; readonly delivered: number }>;
  /** CPU seconds of this process (every role) during the run. */
  readonly fleetCpu: number | undefined;
  /** CPU seconds of the local RabbitMQ during the run (undefined when not a local Linux broker). */
  readonly brokerCpu: number | undefined;
  /** CPU seconds the whole machine was busy during the run (every process and the kernel). */
  readonly machineCpu: number | undefined;
  readonly samples: number;
  /** Largest backlog sampled, by queue family. */
  readonly maxBacklog: ReadonlyMap<string, number>;
  readonly queuesAtEnd: number;
  readonly backlogAtEnd: number;
  readonly loadBefore: number;
  readonly loadAfter: number;
  /** With `idleMs`: cores this process and the broker used while the settled fleet waited for bars. */
  readonly idleCores?: {
    readonly roles: number;
    readonly broker: number | undefined;
    readonly machine: number | undefined;
  };
}

const key = (f: Fill) => `${f.accountId}|${f.tsEvent}|${f.side}|${f.lastPx}|${f.lastQty}`;
const params = { fast: 20, slow: 60, quantity: 10 };
export const REPLAY_STRATEGY = `SMA crossover ${params.fast}/${params.slow}`;

/** True when a broker answers at `url`. */
export async function rabbitUp(url: string): Promise<boolean> {
  try {
    await (await connect(url)).close();
    return true;
  } catch {
    return false;
  }
}

export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const { url, partitions } = options;
  const shape = benchShape(options.symbols);
  const { instruments, accounts, symbols } = shape;
  const bars = benchBars(symbols, options.bars);

  // The engine's time is its best of 3 runs after one to warm up: a first run's includes the JIT's
  // warm-up, which would flatter the fleet in the ratio.
  const { ms: backtestMs, result: backtest } = await bestAsync(3, () =>
    runBacktest({
      strategies: symbols.map(
        (s) => new SmaCrossover({ id: `sma-${s}`, symbols: [s], accountId: `acct-${s}`, params }),
      ),
      data: bars,
      instruments,
      accounts,
    }),
  );

  const exchange = `rxt-bench-fleet-tp-${randomBytes(4).toString('hex')}`;
  const buses: RabbitMqMessageBus[] = [];
  const busNames = new Map<RabbitMqMessageBus, string>();
  const bus = async (name: string): Promise<RabbitMqMessageBus> => {
    const b = await createRabbitMqMessageBus({
      url,
      exchange,
      connectionName: `${exchange}-${name}`,
      queueType: 'classic',
      partitions,
      rebalanceIntervalMs: 200,
      ...(options.prefetch ? { prefetch: options.prefetch } : {}),
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
        for (const [group, list] of Object.entries(b.stats().partitions))
          held.set(group, [...(held.get(group) ?? []), list.length]);
      }
      const even = [...held.values()].every(
        (counts) =>
          counts.reduce((a, c) => a + c, 0) === partitions &&
          Math.max(...counts) <= Math.ceil(partitions / counts.length),
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
  let machineAtStart: number | undefined;
  let machineAtEnd: number | undefined;
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
        machineAtEnd = machineBusySeconds();
        cpuAtEnd = process.cpuUsage(cpuAtStart);
      }
    },
    { group: `bench-status-${exchange}` },
  );
  const maxBacklog = new Map<string, number>();
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
  }, options.sampleMs ?? 250);

  const loadBefore = loadavg()[0] ?? 0;
  let idleCores: ReplayResult['idleCores'];
  try {
    const fleet = await runFleet({
      plan: {
        instruments,
        accounts,
        mode: options.mode,
        strategies: symbols.map((s) => ({
          id: `sma-${s}`,
          symbol: s,
          accountId: `acct-${s}`,
          params,
          create: strategyClass(SmaCrossover),
        })),
      },
      data: bars,
      frameSize: options.frame,
      replicas: { strategy: options.strategyReplicas },
      connect: (role, replica) => bus(`${role}-${replica}`),
      settle: async () => {
        await settled();
        if (options.idleMs) {
          const cpu0 = process.cpuUsage();
          const broker0 = brokerCpuSeconds();
          const machine0 = machineBusySeconds();
          const t = performance.now();
          await new Promise((resolve) => setTimeout(resolve, options.idleMs));
          const seconds = (performance.now() - t) / 1000;
          const cpu = process.cpuUsage(cpu0);
          const broker1 = brokerCpuSeconds();
          const machine1 = machineBusySeconds();
          idleCores = {
            roles: (cpu.user + cpu.system) / 1e6 / seconds,
            broker:
              broker0 === undefined || broker1 === undefined ? undefined : (broker1 - broker0) / seconds,
            machine:
              machine0 === undefined || machine1 === undefined ? undefined : (machine1 - machine0) / seconds,
          };
        }
        startedAt = performance.now();
        brokerCpuAtStart = brokerCpuSeconds();
        machineAtStart = machineBusySeconds();
        cpuAtStart = process.cpuUsage();
      },
      timeoutMs: 900_000,
    });
    clearInterval(sampler);
    const endDepths = await depths();
    const traffic = new Map<string, { published: number; delivered: number }>();
    for (const b of buses) {
      const role = busNames.get(b) ?? '?';
      const { publisher, consumer } = b.stats();
      const t = traffic.get(role) ?? { published: 0, delivered: 0 };
      t.published += publisher.confirmed;
      t.delivered += consumer.delivered;
      traffic.set(role, t);
    }
    return {
      options,
      totalBars: bars.length,
      backtestMs,
      backtestFills: backtest.fills.length,
      ms: finishedAt - startedAt,
      fills: fleet.fills.length,
      sameFills: fleet.fills.map(key).sort().join() === backtest.fills.map(key).sort().join(),
      barrier: fleet.barrier,
      traffic,
      fleetCpu: cpuAtEnd === undefined ? undefined : (cpuAtEnd.user + cpuAtEnd.system) / 1e6,
      brokerCpu:
        brokerCpuAtStart === undefined || brokerCpuAtEnd === undefined
          ? undefined
          : brokerCpuAtEnd - brokerCpuAtStart,
      machineCpu:
        machineAtStart === undefined || machineAtEnd === undefined
          ? undefined
          : machineAtEnd - machineAtStart,
      samples,
      maxBacklog,
      queuesAtEnd: endDepths.size,
      backlogAtEnd: [...endDepths.values()].reduce((a, b) => a + b, 0),
      loadBefore,
      loadAfter: loadavg()[0] ?? 0,
      ...(idleCores ? { idleCores } : {}),
    };
  } finally {
    clearInterval(sampler);
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
}

/** Messages published (confirmed) during a replay, every role together. */
export const publishedMessages = (r: ReplayResult): number =>
  [...r.traffic.values()].reduce((n, t) => n + t.published, 0);
