import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresHistory } from '@rxtrade/postgres';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
const BARS = Number(process.env['E2E_BARS'] ?? 2_000);

const up = await fleetServersUp();

const prefix = `e2e${Date.now().toString(36)}${process.pid}`;
const ns = namespace({ FLEET_PREFIX: prefix });
const logDir = join(tmpdir(), 'rxtrade-e2e', prefix);

/**
 * The whole fleet as child processes: data replays 2,000 bars for each of 5 symbols, strategy runs
 * on 2 replicas and a 3rd joins mid-replay (partitions move: state is rebuilt from the bar cache),
 * risk sizes for two accounts (weights 1 and 2), order fills on a SimulatedVenue, gateway serves it.
 */
describe.skipIf(!up)('service fleet end to end', () => {
  let fleet: Fleet | undefined;
  let redis: Redis;
  let reference: Awaited<ReturnType<typeof referenceRun>>;

  beforeAll(async () => {
    redis = new Redis('redis://127.0.0.1:6379');
    reference = await referenceRun(SYMBOLS, BARS);
    fleet = await startFleet({
      strategyReplicas: 2,
      env: {
        FLEET_PREFIX: prefix,
        SYMBOLS: String(SYMBOLS),
        BARS: String(BARS),
        ACCOUNTS: 'acc-1:1,acc-2:2',
        FLEET_TRACE_HANDLING: '1',
      },
      logDir,
    });
    // A third replica joins once the replay is under way.
    for (;;) {
      const next = Number((await redis.hget(`${ns.redisPrefix}state:data-progress`, 'nextIndex')) ?? 0);
      if (next >= 100) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await fleet.start('strategy', '2');
    await waitDrained(redis, { prefix, symbols: SYMBOLS, lastTs: reference.lastTs });
  });

  afterAll(async () => {
    if (fleet) await fleet.stop();
    await cleanUp(redis, prefix);
    await redis.quit();
  });

  it('orders, fills and positions agree between Redis, PostgreSQL, the gateway API and an in-process run', async () => {
    const refFills = reference.fills;
    expect(refFills.length).toBeGreaterThan(100);
    const acc1 = await redisFills(redis, prefix, 'acc-1');
    const acc2 = await redisFills(redis, prefix, 'acc-2');
    expect(sortFills(acc1)).toEqual(sortFills(refFills));
    expect(sortFills(acc2)).toEqual(sortFills(refFills.map((f) => ({ ...f, qty: f.qty * 2 }))));
    const venueOrders = await redis.keys(`${ns.redisPrefix}state:venue-order:*`);
    expect(venueOrders.length).toBe(acc1.length + acc2.length);

    for (const s of symbolNames(SYMBOLS)) {
      const q1 = Number((await redis.hget(`${ns.redisPrefix}state:position:acc-1:${s}`, 'qty')) ?? 0);
      const q2 = Number((await redis.hget(`${ns.redisPrefix}state:position:acc-2:${s}`, 'qty')) ?? 0);
      expect(q1, s).toBe(reference.positions.get(s) ?? 0);
      expect(q2, s).toBe(2 * (reference.positions.get(s) ?? 0));
    }
    const cash1 = Number(await redis.hget(`${ns.redisPrefix}state:account:acc-1`, 'cashCents'));
    expect(cash1).toBe(Math.round(reference.result.account.cash * 100));

    const history = createPostgresHistory({ connectionString: PG_URL, schema: ns.pgSchema, poolSize: 1 });
    try {
      const pgFills = await history.fills.list(ns.runId);
      expect(sortFills(pgFills.filter((f) => f.accountId === 'acc-1').map(viewOf))).toEqual(
        sortFills(refFills),
      );
      expect(pgFills.length).toBe(acc1.length + acc2.length);
      expect(await history.bars.count()).toBe(SYMBOLS * BARS);
    } finally {
      await history.close();
    }

    const gw = (fleet as Fleet).get('gateway').url();
    const auth = { authorization: `Bearer ${(fleet as Fleet).apiKey}` };
    const res = await fetch(`${gw}/api/accounts/acc-1/positions`, { headers: auth });
    expect(res.status).toBe(200);
    const { positions } = (await res.json()) as { positions: { instrumentId: string; quantity: number }[] };
    for (const s of symbolNames(SYMBOLS)) {
      expect(positions.find((p) => p.instrumentId === s)?.quantity ?? 0, s).toBe(
        reference.positions.get(s) ?? 0,
      );
    }
    const { orders } = (await (await fetch(`${gw}/api/accounts/acc-1/orders`, { headers: auth })).json()) as {
      orders: { status: string }[];
    };
    expect(orders.filter((o) => o.status === 'filled').length).toBe(refFills.length);
    const { account } = (await (await fetch(`${gw}/api/accounts/acc-1`, { headers: auth })).json()) as {
      account: { cash: number };
    };
    expect(account.cash).toBeCloseTo(reference.result.account.cash, 6);
    expect((await fetch(`${gw}/api/accounts/acc-1/positions`)).status).toBe(401);
  });

  it('carries one correlation id from the bar to the fill', () => {
    const fill = readFileSync(join(logDir, 'order-0.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"msg":"fill"'))
      .map((l) => JSON.parse(l) as { correlationId: string })[0];
    expect(fill?.correlationId).toMatch(/^bar-SPX\d-\d+$/);
    const id = fill?.correlationId as string;
    for (const service of ['strategy', 'risk']) {
      const lines = ['0', '1', '2']
        .map((r) => {
          try {
            return readFileSync(join(logDir, `${service}-${r}.log`), 'utf8');
          } catch {
            return '';
          }
        })
        .join('\n');
      expect(lines.includes(`"correlationId":"${id}"`), service).toBe(true);
    }
  });

  it('takes, cancels and — after the kill switch — denies manual orders through the gateway', async () => {
    const gw = (fleet as Fleet).get('gateway').url();
    const headers = {
      authorization: `Bearer ${(fleet as Fleet).apiKey}`,
      'content-type': 'application/json',
    };
    const order = { accountId: 'acc-1', instrumentId: 'SPX0', side: 'buy', type: 'market', quantity: 1 };
    // The replay is over: a market order waits for a next bar that will not come, so it can be canceled.
    const placed = await fetch(`${gw}/api/orders`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...order, clientOrderId: 'manual-1' }),
    });
    expect(placed.status).toBe(201);
    expect(((await placed.json()) as { order: { status: string } }).order.status).toBe('submitted');
    const again = await fetch(`${gw}/api/orders`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...order, clientOrderId: 'manual-1' }),
    });
    expect(((await again.json()) as { order: { clientOrderId: string } }).order.clientOrderId).toBe(
      'manual-1',
    ); // idempotent resend
    // The submit travels risk → orders.submit → order service; cancel once it waits there.
    let canceled: Response | undefined;
    for (let tries = 0; tries < 50 && canceled?.status !== 200; tries++) {
      if (tries > 0) await new Promise((r) => setTimeout(r, 100));
      canceled = await fetch(`${gw}/api/orders/manual-1?accountId=acc-1`, {
        method: 'DELETE',
        headers: { authorization: headers.authorization },
      });
    }
    expect(canceled?.status).toBe(200);

    const kill = await fetch(`${gw}/api/risk/kill-switch`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ reason: 'e2e', flatten: false }),
    });
    expect(kill.status).toBe(202);
    const risk = (await (await fetch(`${gw}/api/risk`, { headers })).json()) as {
      states: { state: string }[];
    };
    expect(risk.states[0]?.state).toBe('HALTED');
    const denied = await fetch(`${gw}/api/orders`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...order, clientOrderId: 'manual-2' }),
    });
    expect(denied.status).toBe(422);
    // The kill switch canceled every order still waiting (the signals of the last bar).
    const open = (await (await fetch(`${gw}/api/accounts/acc-1/orders?open=true`, { headers })).json()) as {
      orders: unknown[];
    };
    expect(open.orders).toEqual([]);
  });

  it('held per-symbol order across the replicas, rebuilt moved state, and every process stops with 0', async () => {
    // Each replica appends `<replica>:<ts>` to a Redis list per symbol after handling a bar (test hook):
    // one global handling order. Per symbol, timestamps strictly rise and each bar is handled once.
    const replicas = new Set<string>();
    for (const s of symbolNames(SYMBOLS)) {
      const entries = await redis.lrange(`${ns.redisPrefix}trace:${s}`, 0, -1);
      const ts = entries.map((e) => Number(e.split(':')[1]));
      for (const e of entries) replicas.add(e.split(':')[0] as string);
      expect(ts.length, s).toBe(BARS);
      for (let i = 1; i < ts.length; i++) expect(ts[i] as number, s).toBeGreaterThan(ts[i - 1] as number);
    }
    expect(replicas.size, 'symbols spread over the replicas').toBeGreaterThan(1);
    const rebuilds = ['0', '1', '2']
      .map((r) => readFileSync(join(logDir, `strategy-${r}.log`), 'utf8'))
      .join('\n')
      .split('\n')
      .filter((l) => l.includes('state rebuilt from bar cache'));
    expect(rebuilds.length, 'the joining replica rebuilt moved symbols').toBeGreaterThan(0);
    const codes = await (fleet as Fleet).stop();
    fleet = undefined;
    expect(Object.values(codes)).toEqual(Object.values(codes).map(() => 0));
  });
});
