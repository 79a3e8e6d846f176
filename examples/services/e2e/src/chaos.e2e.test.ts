import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresHistory } from '@rxtrade/postgres';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { namespace } from '../../shared/src/config';
import { type Fleet, startFleet } from '../../shared/src/launcher';
import { symbolNames } from '../../shared/src/replay-data';
import {
  cleanUp,
  fleetServersUp,
  PG_URL,
  redisFills,
  referenceRun,
  sortFills,
  viewOf,
  waitDrained,
} from './support';

const SYMBOLS = 5;
const BARS = 2_000;

const up = await fleetServersUp();

const prefix = `chaos${Date.now().toString(36)}${process.pid}`;
const ns = namespace({ FLEET_PREFIX: prefix });
const logDir = join(tmpdir(), 'rxtrade-e2e', prefix);

describe.skipIf(!up)('service fleet under faults', () => {
  const redis = new Redis('redis://127.0.0.1:6379');
  let fleet: Fleet | undefined;

  afterAll(async () => {
    if (fleet) await fleet.stop();
    await cleanUp(redis, prefix);
    await redis.quit();
  });

  it('SIGKILL of the order service 5 times mid-replay: one venue order per client order id, no lost or doubled fill', async () => {
    const reference = await referenceRun(SYMBOLS, BARS);
    fleet = await startFleet({
      strategyReplicas: 3,
      // Replay on a fixed schedule of 40 steps a second (~50 s) so the kills land while orders flow,
      // however fast the data service publishes.
      env: {
        FLEET_PREFIX: prefix,
        SYMBOLS: String(SYMBOLS),
        BARS: String(BARS),
        ACCOUNTS: 'acc-1:1,acc-2:2',
        REPLAY_BARS_PER_SECOND: String(SYMBOLS * 40),
      },
      logDir,
    });
    const progress = async () =>
      Number((await redis.hget(`${ns.redisPrefix}state:data-progress`, 'nextIndex')) ?? 0);
    const killedAt: number[] = [];
    // Each kill waits for a point of the replay, not for a time: a restart of the order service takes
    // ~1 s on a quiet machine and ~8 s on a loaded one, and a time-based schedule then ran past the end.
    for (const point of [100, 400, 800, 1_200, 1_600]) {
      while ((await progress()) < point) await new Promise((r) => setTimeout(r, 50));
      killedAt.push(await progress());
      await fleet.kill('order');
      await fleet.start('order');
    }
    expect(
      killedAt.every((k) => k >= 100 && k < BARS), // progress is written every 100 bars
      `kills at bar indexes ${killedAt}`,
    ).toBe(true);
    await waitDrained(redis, { prefix, symbols: SYMBOLS, lastTs: reference.lastTs });

    const acc1 = await redisFills(redis, prefix, 'acc-1');
    const acc2 = await redisFills(redis, prefix, 'acc-2');
    expect(sortFills(acc1)).toEqual(sortFills(reference.fills));
    expect(sortFills(acc2)).toEqual(sortFills(reference.fills.map((f) => ({ ...f, qty: f.qty * 2 }))));
    for (const s of symbolNames(SYMBOLS)) {
      const q1 = Number((await redis.hget(`${ns.redisPrefix}state:position:acc-1:${s}`, 'qty')) ?? 0);
      expect(q1, s).toBe(reference.positions.get(s) ?? 0);
    }
    expect(Number(await redis.hget(`${ns.redisPrefix}state:account:acc-1`, 'cashCents'))).toBe(
      Math.round(reference.result.account.cash * 100),
    );

    // Venue orders: the ledger has one entry per filled order, and the audit counter (incremented just
    // before each venue submission) never shows a clientOrderId submitted twice, across 6 lives.
    const ledger = await redis.keys(`${ns.redisPrefix}state:venue-order:*`);
    expect(ledger.length).toBe(acc1.length + acc2.length);
    const submissions = await redis.hgetall(`${ns.redisPrefix}venue-submissions`);
    expect(Object.values(submissions).filter((n) => n !== '1')).toEqual([]);
    // A kill between the ledger write and the counter can leave a counter out, never add one.
    expect(Object.keys(submissions).length).toBeLessThanOrEqual(ledger.length);
    expect(Object.keys(submissions).length).toBeGreaterThan(ledger.length - 5);

    const history = createPostgresHistory({ connectionString: PG_URL, schema: ns.pgSchema, poolSize: 1 });
    try {
      const pgFills = await history.fills.list(ns.runId);
      expect(sortFills(pgFills.filter((f) => f.accountId === 'acc-1').map(viewOf))).toEqual(
        sortFills(reference.fills),
      );
      expect(pgFills.length).toBe(acc1.length + acc2.length);
    } finally {
      await history.close();
    }
    const codes = await fleet.stop();
    fleet = undefined;
    expect(Object.values(codes)).toEqual(Object.values(codes).map(() => 0));
  });
});
