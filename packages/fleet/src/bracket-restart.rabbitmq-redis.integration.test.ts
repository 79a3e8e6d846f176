import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bar, BusEnvelope, Fill, MessageBus } from '@rxtrade/core';
import { createRabbitMqMessageBus, deleteTopology } from '@rxtrade/rabbitmq';
import { createRedisClient, createRedisStateStore } from '@rxtrade/redis';
import { expect, it } from 'vitest';
import { RABBIT_URL, rabbitAvailable, waitFor } from '../../adapters-rabbitmq/test/support/broker';
import { FleetGatewayClient } from './gateway-client';
import { FleetJournal } from './journal';
import { fleetEnvelope } from './messages';
import { type FilePlan, fleetNames, type RoleProcessConfig, resolveFilePlan } from './node';
import { RiskRole } from './risk-role';
import { RiskViews } from './risk-views';
import { fleetGroups, fleetSubscriptions, fleetTopics } from './topics';

/**
 * Issue #20: a restart of the order role in the middle of a bracket keeps it working. On the real
 * servers: the order role runs as its own process (RabbitMQ, journal in Redis) and is SIGKILLed once
 * the entry has filled and both exits work; while no order role runs, the price moves on; a new
 * order process takes the account at its first bar (rebuilding it from its journal, with no strategy
 * command to prompt it) and that bar, gapping through the stop-loss, fills the stop-loss once and
 * cancels the take-profit. The account's strategy replica
 * is down the whole time (never started): nothing but the order role protects the position.
 */
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const up = await rabbitAvailable();
const PARTITIONS = 4;
const root = fileURLToPath(new URL('../../../', import.meta.url));

const plan: FilePlan = {
  instruments: [{ id: 'XYZ', pricePrecision: 2, quantityPrecision: 0 }],
  accounts: [{ id: 'acc', initialCash: 100_000 }],
  strategies: [
    { id: 'sma', symbol: 'XYZ', accountId: 'acc', file: 'examples/sma-crossover/src/strategy.ts' },
  ],
  // No barrier: the strategy is down, and a live venue does not wait for it either.
  mode: 'live',
  cwd: root,
};

interface OrderProcess {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
}

/** One order role replica as a process, as `launchFleet` starts it. */
function startOrderProcess(runId: string, replica: number): OrderProcess {
  const config: RoleProcessConfig = {
    role: 'order',
    replica,
    runId,
    rabbitmqUrl: RABBIT_URL,
    redisUrl: REDIS_URL,
    partitions: PARTITIONS,
    plan,
  };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = fork(fileURLToPath(new URL('./node/role-main.ts', import.meta.url)), [], {
    execArgv: ['--import', tsx, '--conditions=rxtrade-source'],
    env: { ...process.env, FLEET_ROLE_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const lines: Record<string, unknown>[] = [];
  let rest = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts)
      if (part.startsWith('{')) lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  return { child, lines };
}

const said = (p: OrderProcess, msg: string) => p.lines.some((l) => l['msg'] === msg);
const exited = (p: OrderProcess) => p.child.exitCode !== null || p.child.signalCode !== null;

it.skipIf(!up)(
  'an order role process SIGKILLed with a bracket’s exits working: the new one rebuilds them, the stop-loss fills once, the take-profit is canceled',
  async () => {
    const runId = `rxt-test-bracket-${Date.now().toString(36)}`;
    const names = fleetNames(runId);
    const bus = (name: string): Promise<MessageBus> =>
      createRabbitMqMessageBus({
        url: RABBIT_URL,
        exchange: names.exchange,
        connectionName: `${names.exchange}-${name}`,
        queueType: 'classic',
        partitions: PARTITIONS,
        rebalanceIntervalMs: 200,
      });
    const store = createRedisStateStore({ url: REDIS_URL }, { prefix: names.redisPrefix });
    const journal = new FleetJournal(store, names.journal);
    const views = new RiskViews(store, 'view:');
    const riskBus = await bus('risk');
    const clientBus = await bus('client');
    const risk = new RiskRole({
      bus: riskBus,
      plan: await resolveFilePlan(plan),
      journal,
      views: { store, prefix: 'view:' },
    });
    const gateway = new FleetGatewayClient({ bus: clientBus, now: () => 0 });
    const processes: OrderProcess[] = [];
    // Every fill published, by trade: each must come once.
    const fills: Fill[] = [];
    const fillSub = await clientBus.subscribe(
      fleetTopics.allFills,
      (message: BusEnvelope) => {
        fills.push(message.payload as Fill);
      },
      { group: fleetGroups.runFills(runId) },
    );
    let seq = 0;
    const bar = async (price: number): Promise<void> => {
      const n = seq++;
      const b: Bar = {
        symbol: 'XYZ',
        ts: 60_000 * (n + 1),
        open: price,
        high: price + 1,
        low: price - 1,
        close: price,
        volume: 1_000,
      };
      const frame = { symbol: 'XYZ', seq: n, bars: [b], last: false };
      await journal.putFrame(frame);
      await clientBus.publish(
        fleetTopics.bars('XYZ'),
        fleetEnvelope('BarFrame', frame, { id: `bars:XYZ:${n}`, ts: 0 }),
        {
          key: 'XYZ',
        },
      );
    };
    const order = (id: string) => views.order('acc', id);
    const until = async (what: string, check: () => Promise<boolean>): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      await risk.start();
      await gateway.start();
      const first = startOrderProcess(runId, 0);
      processes.push(first);
      await waitFor(() => said(first, 'ready') || exited(first), 120_000, 'the first order process');
      expect(exited(first)).toBe(false);

      await bar(100);
      const decision = await gateway.submit('acc', {
        instrumentId: 'XYZ',
        side: 'buy',
        type: 'market',
        quantity: 2,
        clientOrderId: 'b',
        takeProfit: { price: 120 },
        stopLoss: { triggerPrice: 90 },
      });
      expect(decision).toMatchObject({ type: 'OrderSubmitted' });
      await bar(100); // the entry fills at 100: its exits are placed
      await until('the exits to work', async () => (await order('b-sl'))?.status === 'accepted');
      expect(await order('b')).toMatchObject({ status: 'filled', filledQty: 2, avgPx: 100 });
      expect(await order('b-tp')).toMatchObject({
        status: 'accepted',
        side: 'sell',
        price: 120,
        quantity: 2,
      });

      // Mid-bracket: the order role dies. The price moves on while no order role runs.
      const gone = new Promise((resolve) => first.child.once('exit', resolve));
      first.child.kill('SIGKILL');
      await gone;
      await bar(95);

      const second = startOrderProcess(runId, 1);
      processes.push(second);
      await waitFor(() => said(second, 'ready') || exited(second), 120_000, 'the second order process');
      // The next bar opens through the stop-loss. At its first frame the new replica wakes the account,
      // takes it (rebuilding it from the journal, the frame it missed read from the store) and matches
      // both bars: the stop-loss fills at the open, the take-profit is canceled.
      await bar(85);
      await waitFor(() => said(second, 'rebuilding the account from its journal'), 60_000, 'the rebuild');
      await until('the take-profit to be canceled', async () => (await order('b-tp'))?.status === 'canceled');
      expect(await order('b-sl')).toMatchObject({ status: 'filled', filledQty: 2, avgPx: 85 });
      await bar(125); // where the take-profit would have filled at the open, had it been left working
      // A market order after it fills at the next bar: once it has, that bar was matched.
      expect(
        await gateway.submit('acc', {
          instrumentId: 'XYZ',
          side: 'buy',
          type: 'market',
          quantity: 1,
          clientOrderId: 'after',
        }),
      ).toMatchObject({ type: 'OrderSubmitted' });
      await bar(126);
      await until('the last order to fill', async () => (await order('after'))?.status === 'filled');
      expect((await views.positions('acc')).items.map((p) => p.quantity)).toEqual([1]);
      expect(
        (await views.fills('acc')).items.map((f) => [f.clientOrderId, f.side, f.lastQty, f.lastPx]),
      ).toEqual([
        ['b', 'buy', 2, 100],
        ['b-sl', 'sell', 2, 85],
        ['after', 'buy', 1, 126],
      ]);
      // Three trades on the fills topic (a redelivery may repeat one, never under another trade id):
      // the rebuilt order role filled nothing twice.
      const trades = new Map(fills.map((f) => [f.tradeId, f.clientOrderId]));
      expect([...trades.values()]).toEqual(['b', 'b-sl', 'after']);
      expect((await views.orders('acc', { openOnly: true })).items).toEqual([]);
    } finally {
      for (const p of processes) if (!exited(p)) p.child.kill('SIGKILL');
      await fillSub.unsubscribe();
      await gateway.stop();
      await risk.stop();
      await riskBus.close();
      await clientBus.close();
      await deleteTopology({
        url: RABBIT_URL,
        exchange: names.exchange,
        partitions: PARTITIONS,
        groups: fleetSubscriptions({
          runId,
          strategyIds: ['sma'],
          orderReplicaIds: [0, 1].map((i) => `${runId}-${i}`),
        }),
      });
      const redis = createRedisClient(REDIS_URL, { lazyConnect: true });
      try {
        await redis.connect();
        const keys = await redis.keys(`${names.redisPrefix}*`);
        if (keys.length > 0) await redis.del(...keys);
      } finally {
        redis.disconnect();
        await store.close();
      }
    }
  },
  300_000,
);
