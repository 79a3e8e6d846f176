import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Bar, type Fill, runBacktest } from '@rxtrade/core';
import { loadSp500Bars } from '@rxtrade/datasets';
import { createRabbitMqMessageBus } from '@rxtrade/rabbitmq';
import { createRedisStateStore } from '@rxtrade/redis';
import { afterAll, expect, it } from 'vitest';
import {
  RABBIT_URL,
  rabbitAvailable,
  uniqueName,
  waitFor,
} from '../../adapters-rabbitmq/test/support/broker';
import { accounts, backtestStrategies, instrument } from '../test/parity-plan';
import { publishBars } from './data-role';
import { FleetJournal } from './journal';
import { type AccountFinished, decodeFleetMessage } from './messages';
import { fleetTopics } from './topics';

const run = promisify(execFile);
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const PREFIX = 'rxt-test-fleet:';
const up = await rabbitAvailable();
const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface Replica {
  readonly role: string;
  readonly replica: number;
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
}

const replicas: Replica[] = [];
const exchange = uniqueName('fleet-kill');

function spawnRole(role: string, replica: number): Replica {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=rxtrade-source', 'test/role-process.ts'],
    {
      cwd: packageDir,
      env: {
        ...process.env,
        FLEET_ROLE: role,
        FLEET_REPLICA: String(replica),
        FLEET_EXCHANGE: exchange,
        FLEET_NAMESPACE: `fleet:${exchange}`,
        RABBITMQ_URL: RABBIT_URL,
        REDIS_URL,
        FLEET_PREFIX: PREFIX,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines: Record<string, unknown>[] = [];
  let rest = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = rest + chunk.toString();
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts)
      if (part.startsWith('{')) lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  const out = { role, replica, child, lines };
  replicas.push(out);
  return out;
}

const said = (r: Replica, msg: string, field?: [string, unknown]) =>
  r.lines.some((l) => l['msg'] === msg && (field === undefined || l[field[0]] === field[1]));

afterAll(async () => {
  for (const r of replicas)
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  await Promise.all(
    replicas.map((r) =>
      r.child.exitCode !== null || r.child.signalCode !== null
        ? undefined
        : new Promise((resolve) => r.child.once('exit', resolve)),
    ),
  );
  // Everything the run declared is named after its exchange.
  const names = async (kind: 'queues' | 'exchanges') =>
    (await run('rabbitmqctl', [`list_${kind}`, 'name', '-q', '--no-table-headers'])).stdout
      .split('\n')
      .map((n) => n.trim())
      .filter((n) => n.startsWith(exchange));
  const { connect } = await import('amqplib');
  const connection = await connect(RABBIT_URL);
  for (const [kind, remove] of [
    ['queues', (c: Awaited<ReturnType<typeof connection.createChannel>>, n: string) => c.deleteQueue(n)],
    [
      'exchanges',
      (c: Awaited<ReturnType<typeof connection.createChannel>>, n: string) => c.deleteExchange(n),
    ],
  ] as const) {
    for (const name of await names(kind)) {
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      await remove(channel, name).catch(() => {});
      await channel.close().catch(() => {});
    }
  }
  await connection.close();
});

it.skipIf(!up)(
  'a strategy, an order and a risk replica SIGKILLed mid-run: their partitions are rebuilt from the journal elsewhere, and the fills are still a backtest’s',
  async () => {
    const bars: Bar[] = (await loadSp500Bars()).slice(0, 1_260);
    const backtest = await runBacktest({
      strategies: backtestStrategies(),
      data: bars,
      instruments: [instrument],
      accounts,
    });
    for (let i = 0; i < 3; i++) spawnRole('strategy', i);
    for (let i = 0; i < 2; i++) spawnRole('risk', i);
    for (let i = 0; i < 2; i++) spawnRole('order', i);
    await waitFor(() => replicas.every((r) => said(r, 'ready')), 60_000, 'every replica ready');

    const bus = await createRabbitMqMessageBus({
      url: RABBIT_URL,
      exchange,
      connectionName: `${exchange}-test`,
      queueType: 'classic',
      partitions: 4,
    });
    const store = createRedisStateStore({ url: REDIS_URL }, { prefix: PREFIX });
    const journal = new FleetJournal(store, `fleet:${exchange}`);
    const fills: Fill[] = [];
    const trades = new Set<string>();
    const finished = new Map<string, AccountFinished>();
    try {
      await bus.subscribe(
        fleetTopics.allFills,
        (message) => {
          const fill = decodeFleetMessage(message, ['OrderFilled']).payload as Fill;
          if (trades.has(`${fill.accountId}|${fill.tradeId}`)) return;
          trades.add(`${fill.accountId}|${fill.tradeId}`);
          fills.push(fill);
        },
        { group: 'test-fills' },
      );
      await bus.subscribe(
        fleetTopics.status,
        (message) => {
          const { payload } = decodeFleetMessage(message, ['AccountFinished']);
          finished.set(payload.accountId, payload);
        },
        { group: 'test-status' },
      );
      await publishBars({ bus, data: bars, frameSize: 50, journal });

      // Mid-run: kill the replicas that own the symbol's strategies and account b (the stop orders) at
      // the strategy, order and risk roles.
      await waitFor(() => fills.length >= 20, 120_000, '20 fills');
      const strategyOwner = replicas.find((r) => r.role === 'strategy' && said(r, 'symbol taken'));
      const orderOwner = replicas.find(
        (r) => r.role === 'order' && said(r, 'account taken', ['accountId', 'b']),
      );
      const riskOwner = replicas.find(
        (r) => r.role === 'risk' && said(r, 'account taken', ['accountId', 'b']),
      );
      expect(strategyOwner && orderOwner && riskOwner).toBeTruthy();
      strategyOwner?.child.kill('SIGKILL');
      orderOwner?.child.kill('SIGKILL');
      riskOwner?.child.kill('SIGKILL');
      const killedAt = fills.length;

      const done = () =>
        accounts.every((a) => {
          const f = finished.get(a.id);
          return f !== undefined && fills.filter((x) => x.accountId === a.id).length >= f.fills;
        });
      await waitFor(done, 180_000, 'every account finished');
      expect(killedAt).toBeLessThan(backtest.fills.length);
      // The survivors took the partitions over by replaying the journals.
      const survivors = replicas.filter((r) => r !== strategyOwner && r !== orderOwner && r !== riskOwner);
      expect(survivors.some((r) => said(r, 'rebuilding the strategy from its journal'))).toBe(true);
      for (const role of ['order', 'risk']) {
        expect(
          survivors.some(
            (r) => r.role === role && said(r, 'rebuilding the account from its journal', ['accountId', 'b']),
          ),
        ).toBe(true);
      }

      const trade = (f: Fill) => ({ ts: f.tsEvent, side: f.side, px: f.lastPx, qty: f.lastQty, fee: f.fee });
      const of = (list: readonly Fill[], id: string) =>
        list
          .filter((f) => f.accountId === id)
          .sort((x, y) => x.tsEvent - y.tsEvent)
          .map(trade);
      for (const { id } of accounts) expect(of(fills, id)).toEqual(of(backtest.fills, id));
      expect(accounts.map((a) => finished.get(a.id)?.account)).toEqual(backtest.accounts);
    } finally {
      await bus.close();
      await journal.clear();
      await store.close();
    }
  },
  300_000,
);
