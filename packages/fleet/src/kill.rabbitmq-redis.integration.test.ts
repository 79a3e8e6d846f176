import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Bar, type Fill, runBacktest } from '@rxtrade/core';
import { loadSp500Bars } from '@rxtrade/datasets';
import { createRedisClient } from '@rxtrade/redis';
import { expect, it } from 'vitest';
import { RABBIT_URL, rabbitAvailable, waitFor } from '../../adapters-rabbitmq/test/support/broker';
import { accounts, backtestStrategies, filePlan, instrument } from '../test/parity-plan';
import { type FleetReplica, launchFleet } from './node';

const run = promisify(execFile);
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const up = await rabbitAvailable();

const said = (r: FleetReplica, msg: string, field?: [string, unknown]) =>
  r.lines.some((l) => l['msg'] === msg && (field === undefined || l[field[0]] === field[1]));

/** Names on the broker that start with `prefix`, as `rabbitmqctl` lists them. */
async function listed(kind: 'queues' | 'exchanges', prefix: string): Promise<string[]> {
  const { stdout } = await run('rabbitmqctl', [`list_${kind}`, 'name', '-q', '--no-table-headers']);
  return stdout
    .split('\n')
    .map((n) => n.trim())
    .filter((n) => n.startsWith(prefix));
}

it.skipIf(!up)(
  'a strategy, an order and a risk replica process SIGKILLed mid-run: their partitions are rebuilt from the journal elsewhere, the fills are still a backtest’s, and stop() leaves no queue, exchange or key',
  async () => {
    const bars: Bar[] = (await loadSp500Bars()).slice(0, 1_260);
    const backtest = await runBacktest({
      strategies: backtestStrategies(),
      data: bars,
      instruments: [instrument],
      accounts,
    });
    const fills: Fill[] = [];
    let seen = 0;
    const fleet = await launchFleet({
      plan: filePlan(),
      data: bars,
      rabbitmqUrl: RABBIT_URL,
      redisUrl: REDIS_URL,
      replicas: { strategy: 3, risk: 2, order: 2 },
      frameSize: 50,
      onFill: () => {
        seen++;
      },
      runId: `rxt-test-kill-${Date.now().toString(36)}`,
    });
    const replicas = fleet.replicas;
    try {
      // Mid-run: kill the replicas that own the symbol's strategies and account b (the stop orders) at
      // the strategy, order and risk roles, once the accounts have traded a little.
      await waitFor(() => seen >= 20, 120_000, '20 fills');
      const strategyOwner = replicas.find((r) => r.role === 'strategy' && said(r, 'symbol taken'));
      const orderOwner = replicas.find(
        (r) => r.role === 'order' && said(r, 'account taken', ['accountId', 'b']),
      );
      const riskOwner = replicas.find(
        (r) => r.role === 'risk' && said(r, 'account taken', ['accountId', 'b']),
      );
      expect(strategyOwner && orderOwner && riskOwner).toBeTruthy();
      strategyOwner?.process.kill('SIGKILL');
      orderOwner?.process.kill('SIGKILL');
      riskOwner?.process.kill('SIGKILL');
      const killedAt = seen;

      const result = await fleet.result;
      fills.push(...result.fills);
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
      expect(result.accounts).toEqual(backtest.accounts);
    } finally {
      const teardown = await fleet.stop();
      expect(teardown.keys).toBeGreaterThan(0);
    }
    // Nothing of the run is left on the broker or in Redis.
    expect(await listed('queues', fleet.exchange)).toEqual([]);
    expect(await listed('exchanges', fleet.exchange)).toEqual([]);
    const redis = createRedisClient(REDIS_URL, { lazyConnect: true });
    try {
      await redis.connect();
      expect(await redis.keys(`${fleet.redisPrefix}*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
    expect(fleet.replicas.every((r) => r.process.exitCode !== null || r.process.signalCode !== null)).toBe(
      true,
    );
  },
  600_000,
);
