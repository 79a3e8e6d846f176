import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bar, type BaseStrategy, type Fill, runBacktest } from '@rxtrade/core';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { SmaCrossover } from '../../../sma-crossover/src/strategy';
import { namespace } from '../../shared/src/config';
import { type Fleet, startFleet } from '../../shared/src/launcher';
import { instrumentFor, replayBars, symbolNames } from '../../shared/src/replay-data';

export const PG_URL = process.env['RXTRADE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/**
 * True when the local Redis, RabbitMQ and PostgreSQL the fleet runs on are reachable; otherwise the
 * suite skips with a loud notice (and fails in CI: see requireService).
 */
export async function fleetServersUp(): Promise<boolean> {
  return (
    (await requireService('Redis', () => probeTcp('127.0.0.1', 6379))) &&
    (await requireService('RabbitMQ', () => probeTcp('127.0.0.1', 5672))) &&
    (await requireService('PostgreSQL', () => probeTcp('127.0.0.1', 5432)))
  );
}

/** A fill reduced to what must agree everywhere. */
export interface FillView {
  readonly symbol: string;
  readonly ts: number;
  readonly side: string;
  readonly qty: number;
  readonly px: number;
}

export const viewOf = (f: Fill): FillView => ({
  symbol: f.instrumentId,
  ts: f.tsEvent,
  side: f.side,
  qty: f.lastQty,
  px: f.lastPx,
});

export const sortFills = <T extends FillView>(xs: readonly T[]): T[] =>
  [...xs].sort((a, b) => a.symbol.localeCompare(b.symbol) || a.ts - b.ts);

/** The in-process result of the same run: the same strategy on the same bars, through runBacktest. */
export async function referenceRun(symbols: number, bars: number) {
  const universe = await replayBars({ symbols, bars });
  const names = symbolNames(symbols);
  const all: Bar[] = [];
  for (let k = 0; k < bars; k++) for (const s of names) all.push((universe.get(s) as Bar[])[k] as Bar);
  const result = await runBacktest({
    strategies: names.map(
      (s) =>
        new SmaCrossover({
          id: `sma-${s}`,
          symbols: [s],
          params: { fast: 10, slow: 30, quantity: 10 },
        }) as BaseStrategy<object>,
    ),
    data: all,
    instruments: names.map(instrumentFor),
    initialCash: 100_000,
  });
  const lastTs = Math.max(...[...universe.values()].map((b) => (b[b.length - 1] as Bar).ts));
  return {
    result,
    fills: result.fills.map(viewOf),
    positions: new Map(result.positions.map((p) => [p.instrumentId, p.quantity])),
    lastTs,
  };
}

/**
 * Waits until the fleet drained: every strategy handled the last bar of every symbol, and every order
 * risk recorded is filled or waiting for a bar that will not come (signals of the last bar).
 */
export async function waitDrained(
  redis: Redis,
  run: { prefix: string; symbols: number; lastTs: number },
  timeoutMs = 150_000,
): Promise<void> {
  const { prefix, symbols, lastTs } = run;
  const ns = namespace({ FLEET_PREFIX: prefix });
  const deadline = Date.now() + timeoutMs;
  let settledSince: number | undefined;
  for (;;) {
    const progress = await Promise.all(
      symbolNames(symbols).map((s) =>
        redis.hget(`${ns.redisPrefix}state:strategy-progress:sma:${s}`, 'lastTs'),
      ),
    );
    const strategiesDone = progress.every((p) => Number(p) === lastTs);
    const orders = (await redis.keys(`${ns.redisPrefix}state:order:*`)).length;
    const fills = (await redis.keys(`${ns.redisPrefix}state:fill:*`)).length;
    const parked = (await redis.keys(`${ns.redisPrefix}state:parked:*`)).length;
    const settled = strategiesDone && orders === fills + parked;
    if (settled) settledSince ??= Date.now();
    else settledSince = undefined;
    if (settledSince !== undefined && Date.now() - settledSince > 1_000) return;
    if (Date.now() > deadline)
      throw new Error(`fleet did not drain: ${JSON.stringify({ progress, orders, fills, parked })}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every fill the order service stored in Redis for an account. */
export async function redisFills(redis: Redis, prefix: string, accountId: string): Promise<FillView[]> {
  const ns = namespace({ FLEET_PREFIX: prefix });
  const out: FillView[] = [];
  for (const k of await redis.keys(`${ns.redisPrefix}state:fill:${accountId}:*`)) {
    out.push(viewOf(JSON.parse((await redis.hget(k, 'json')) as string) as Fill));
  }
  return out;
}

/** Deletes a run's Redis keys, PostgreSQL schema and broker queues/exchanges. */
export async function cleanUp(redis: Redis, prefix: string): Promise<void> {
  const ns = namespace({ FLEET_PREFIX: prefix });
  const stream = redis.scanStream({ match: `${ns.redisPrefix}*`, count: 1000 });
  for await (const batch of stream) if ((batch as string[]).length) await redis.del(...(batch as string[]));
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${ns.pgSchema} CASCADE`);
  await client.end();
  try {
    // One rabbitmqctl call per listing (each starts an Erlang VM: about a second); the deletions go
    // over one AMQP connection instead of one rabbitmqctl call each.
    const list = (what: string) =>
      execFileSync('rabbitmqctl', ['-q', what, 'name'], { encoding: 'utf8' })
        .split('\n')
        .filter((q) => q.startsWith(ns.exchange));
    const queues = list('list_queues');
    const exchanges = list('list_exchanges');
    const connection = await connect(AMQP_URL);
    try {
      for (const q of queues) {
        // A failed delete closes its channel: one channel per queue. Presence queues expire by
        // themselves a minute after their last member, so one may be gone already.
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        await channel.deleteQueue(q).catch(() => undefined);
        await channel.close().catch(() => undefined);
      }
      const channel = await connection.createChannel();
      for (const x of exchanges) await channel.deleteExchange(x);
      await channel.close();
    } finally {
      await connection.close();
    }
  } catch (error) {
    console.warn('broker clean-up failed (queues of this run may be left behind)', error);
  }
}

/** Polls `check` every 100 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A JSON client of the gateway: `headers` unless the call gives its own. */
export function gatewayClient(url: () => string, headers: () => Record<string, string>) {
  return async <T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${url()}${path}`, { ...init, headers: init.headers ?? headers() });
    return { status: res.status, body: (await res.json()) as T };
  };
}

/**
 * A fleet of the suite's own: started before its tests (`FLEET_PREFIX` is `prefix`), stopped and its
 * keys removed after. `redis` is a client on the shared Redis, `api` calls the gateway with the
 * fleet's API key, `headers` are those it sends.
 */
export function suiteFleet(
  prefix: string,
  options: { strategyReplicas: number; env: Readonly<Record<string, string>> },
) {
  let fleet: Fleet | undefined;
  let redis: Redis | undefined;
  let gw = '';
  let headers: Record<string, string> = {};
  beforeAll(async () => {
    redis = new Redis('redis://127.0.0.1:6379');
    fleet = await startFleet({
      strategyReplicas: options.strategyReplicas,
      env: { FLEET_PREFIX: prefix, ...options.env },
      logDir: join(tmpdir(), 'rxtrade-e2e', prefix),
    });
    gw = fleet.get('gateway').url();
    headers = { authorization: `Bearer ${fleet.apiKey}`, 'content-type': 'application/json' };
  });
  afterAll(async () => {
    if (fleet) await fleet.stop();
    if (redis) {
      await cleanUp(redis, prefix);
      await redis.quit();
    }
  });
  return {
    get redis(): Redis {
      if (!redis) throw new Error('suiteFleet: used before its beforeAll ran');
      return redis;
    },
    get headers(): Readonly<Record<string, string>> {
      return headers;
    },
    api: gatewayClient(
      () => gw,
      () => headers,
    ),
  };
}
