import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { type Bar, BaseStrategy, type Fill, type StateStore } from '@rxtrade/core';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import {
  FleetJournal,
  type FleetPlan,
  fleetEnvelope,
  fleetTopics,
  OrderRole,
  RiskRole,
  StrategyRole,
  strategyClass,
} from '@rxtrade/fleet';
import {
  createFleetBackend,
  createGatewayApp,
  createMemoryKeyStore,
  createMemoryRateLimiter,
  createRedisKeyStore,
  type FleetBackend,
  type LiveEvent,
  mintApiKey,
} from '@rxtrade/fleet/gateway';
import { createEventLoopMonitor } from '@rxtrade/prometheus';
import { createRabbitMqMessageBus, type RabbitMqMessageBus } from '@rxtrade/rabbitmq';
import { createRedisClient, createRedisStateStore } from '@rxtrade/redis';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteTopology,
  RABBIT_URL,
  rabbitAvailable,
} from '../../../../packages/adapters-rabbitmq/test/support/broker';
import { instrumentFor } from '../../shared/src/replay-data';
import { auth, captureLogger, createFixture } from './test-support';

const redisUp = await requireService('Redis', () => probeTcp('127.0.0.1', 6379));
const rabbitUp = await rabbitAvailable();

/** Trades nothing; counts the bars that reach its `onBar`. */
class Idle extends BaseStrategy<object> {
  static readonly bars = new Map<string, number>();
  override onBar(): void {
    Idle.bars.set(this.id, (Idle.bars.get(this.id) ?? 0) + 1);
  }
}

const SYMBOL = 'SPX0';
const plan: FleetPlan = {
  instruments: [instrumentFor(SYMBOL)], // whole units
  accounts: [
    { id: 'acc-1', initialCash: 100_000 },
    { id: 'acc-2', initialCash: 100_000 },
  ],
  strategies: [
    { id: 'idle-1', symbol: SYMBOL, accountId: 'acc-1', create: strategyClass(Idle) },
    { id: 'idle-2', symbol: SYMBOL, accountId: 'acc-2', create: strategyClass(Idle) },
  ],
  mode: 'live',
};

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 300; i++) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: still ${JSON.stringify(last)}`);
}

describe.skipIf(!redisUp || !rabbitUp)(
  'the gateway on the fleet (RabbitMQ + Redis, risk and order roles)',
  () => {
    const run = randomUUID().slice(0, 8);
    const prefix = `rxtrade:test:gw-fleet:${run}:`;
    let redis: Redis;
    let store: StateStore;
    let bus: RabbitMqMessageBus;
    let risk: RiskRole;
    let order: OrderRole;
    let strategies: StrategyRole;
    let backend: FleetBackend;
    let app: FastifyInstance;
    let seq = 0;
    const trader = mintApiKey({ scopes: ['read', 'trade', 'admin'], accounts: '*' });
    const trader1 = mintApiKey({ scopes: ['read', 'trade'], accounts: ['acc-1'] });

    /** Publishes two bars of the symbol: an order sent before them is matched by then. */
    const bars = async (): Promise<void> => {
      for (let i = 0; i < 2; i++) {
        const n = seq++;
        const bar: Bar = {
          symbol: SYMBOL,
          ts: 60_000 * (n + 1),
          open: 100,
          high: 101,
          low: 99,
          close: 100,
          volume: 1e6,
        };
        await bus.publish(
          fleetTopics.bars(SYMBOL),
          fleetEnvelope(
            'BarFrame',
            { symbol: SYMBOL, seq: n, bars: [bar], last: false },
            { id: `${run}:f${n}`, ts: 0 },
          ),
          { key: SYMBOL },
        );
      }
    };
    const position = async (accountId: string): Promise<number> => {
      const res = await app.inject({
        url: `/api/accounts/${accountId}/positions`,
        headers: auth(trader.key),
      });
      return (
        (res.json().positions as { instrumentId: string; quantity: number }[]).find(
          (p) => p.instrumentId === SYMBOL,
        )?.quantity ?? 0
      );
    };
    const submit = (key: string, body: Record<string, unknown>) =>
      app.inject({ method: 'POST', url: '/api/orders', headers: auth(key), payload: body });
    const market = (accountId: string, quantity: number, extra: Record<string, unknown> = {}) => ({
      accountId,
      instrumentId: SYMBOL,
      side: 'buy',
      type: 'market',
      quantity,
      ...extra,
    });

    beforeAll(async () => {
      redis = createRedisClient('redis://127.0.0.1:6379');
      store = createRedisStateStore({ client: redis }, { prefix });
      bus = await createRabbitMqMessageBus({
        url: RABBIT_URL,
        exchange: `rxt-test-gw-fleet-${run}`,
        connectionName: `rxt-test-gw-fleet-${run}`,
        queueType: 'classic',
        partitions: 2,
        rebalanceIntervalMs: 200,
      });
      risk = new RiskRole({
        bus,
        plan,
        journal: new FleetJournal(store, 'fleet'),
        views: { store, prefix: 'view:' },
      });
      order = new OrderRole({ bus, plan, replicaId: 'o0', journal: new FleetJournal(store, 'fleet') });
      strategies = new StrategyRole({ bus, plan, views: { store, prefix: 'view:' } });
      await risk.start();
      await order.start();
      await strategies.start();
      backend = await createFleetBackend({
        bus,
        store,
        viewPrefix: 'view:',
        accounts: ['acc-1', 'acc-2'],
        instruments: plan.instruments,
        strategies: plan.strategies.map((s) => ({ id: s.id, symbols: [s.symbol] })),
        ready: () => ({ broker: bus.stats().connected, redis: redis.status === 'ready' }),
      });
      app = createGatewayApp({
        backend,
        keys: createMemoryKeyStore([trader.record, trader1.record]),
        rateLimit: createMemoryRateLimiter({ capacity: 1_000_000, refillPerSecond: 1_000_000 }),
        logger: captureLogger(),
      });
      await app.ready();
      // Until this one member holds every partition of each group.
      await until(
        async () => Object.values(bus.stats().partitions).map((p) => p.length),
        (counts) => counts.length >= 2 && counts.every((n) => n === 2),
        'partitions',
      );
      await bars();
    });

    afterAll(async () => {
      await app?.close();
      await backend?.close();
      await strategies?.stop();
      await risk?.stop();
      await order?.stop();
      if (bus) {
        const topology = bus.topology();
        await bus.close();
        await deleteTopology(topology);
      }
      if (redis) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
        await redis.quit();
      }
    });

    it('defect 1: quantity 0.5 of a whole-unit instrument is 422 with the typed reason, and strands no later order of any account', async () => {
      const half = await submit(trader.key, market('acc-1', 0.5, { clientOrderId: 'half' }));
      expect(half.statusCode).toBe(422);
      expect(half.json()).toMatchObject({ error: { code: 'ORDER_DENIED' }, reason: 'QUANTITY_OFF_LOT' });
      const after1 = await submit(trader.key, market('acc-1', 1));
      const after2 = await submit(trader.key, market('acc-2', 2));
      expect([after1.statusCode, after2.statusCode]).toEqual([201, 201]);
      expect(after1.json().order).toMatchObject({ status: 'submitted', quantity: 1 });
      await bars();
      await until(
        () => position('acc-1'),
        (q) => q === 1,
        'acc-1 position',
      );
      await until(
        () => position('acc-2'),
        (q) => q === 2,
        'acc-2 position',
      );
    });

    it('defect 2: the same clientOrderId from two accounts makes two orders; a key of account 1 cannot touch account 2', async () => {
      const one = await submit(trader.key, market('acc-1', 3, { clientOrderId: 'dup-id' }));
      const two = await submit(trader.key, market('acc-2', 4, { clientOrderId: 'dup-id' }));
      expect([one.statusCode, two.statusCode]).toEqual([201, 201]);
      // A key restricted to acc-1 gets the same 404 for acc-2 as for an unknown account.
      expect(
        (await submit(trader1.key, market('acc-2', 1, { clientOrderId: 'acc2-claim' }))).statusCode,
      ).toBe(404);
      await bars();
      for (const [accountId, qty] of [
        ['acc-1', 3],
        ['acc-2', 4],
      ] as const) {
        const res = await until(
          () => app.inject({ url: `/api/accounts/${accountId}/orders`, headers: auth(trader.key) }),
          (r) =>
            (r.json().orders as { clientOrderId: string; status: string }[]).some(
              (o) => o.clientOrderId === 'dup-id' && o.status === 'filled',
            ),
          `${accountId} dup-id`,
        );
        expect(
          (res.json().orders as { clientOrderId: string; filledQty: number }[]).find(
            (o) => o.clientOrderId === 'dup-id',
          ),
        ).toMatchObject({ filledQty: qty });
      }
    });

    it('lists page through the read model: limit and nextCursor', async () => {
      const first = await app.inject({
        url: '/api/accounts/acc-1/orders?limit=1',
        headers: auth(trader.key),
      });
      expect(first.statusCode).toBe(200);
      const body = first.json() as { orders: { clientOrderId: string }[]; nextCursor: string | null };
      expect(body.orders).toHaveLength(1);
      expect(body.nextCursor).toEqual(expect.any(String));
      const second = await app.inject({
        url: `/api/accounts/acc-1/orders?limit=1&cursor=${body.nextCursor}`,
        headers: auth(trader.key),
      });
      expect(
        second.json().orders[0].clientOrderId > (body.orders[0] as { clientOrderId: string }).clientOrderId,
      ).toBe(true);
      const fills = await app.inject({
        url: '/api/accounts/acc-1/fills?limit=1000',
        headers: auth(trader.key),
      });
      expect((fills.json().fills as unknown[]).length).toBeGreaterThanOrEqual(2);
      const bad = await app.inject({
        url: '/api/accounts/acc-1/orders?cursor=AAAA',
        headers: auth(trader.key),
      });
      expect(bad.statusCode).toBe(400);
    });

    it('POST /api/strategies/:id/stop pauses one strategy at its strategy replica over the broker; start resumes it', async () => {
      const action = (id: string, what: 'start' | 'stop') =>
        app.inject({ method: 'POST', url: `/api/strategies/${id}/${what}`, headers: auth(trader.key) });
      const listed = async () =>
        (
          (await app.inject({ url: '/api/strategies', headers: auth(trader.key) })).json() as {
            strategies: { id: string; status: string }[];
          }
        ).strategies.map((s) => [s.id, s.status]);
      const seen = (id: string) => Idle.bars.get(id) ?? 0;
      // The bars of beforeAll reached both strategies: their replica wrote them running.
      await until(listed, (l) => l.every(([, status]) => status === 'running'), 'strategies running');
      const stop = await action('idle-1', 'stop');
      expect(stop.statusCode).toBe(200);
      expect(stop.json()).toEqual({ id: 'idle-1', running: false, status: 'paused' });
      expect(await listed()).toEqual([
        ['idle-1', 'paused'],
        ['idle-2', 'running'],
      ]);
      const [one, two] = [seen('idle-1'), seen('idle-2')];
      await bars();
      await until(
        async () => seen('idle-2'),
        (n) => n === two + 2,
        'idle-2 ran two more bars',
      );
      expect(seen('idle-1')).toBe(one);
      expect((await action('idle-1', 'start')).json()).toEqual({
        id: 'idle-1',
        running: true,
        status: 'running',
      });
      await bars();
      await until(
        async () => seen('idle-1'),
        (n) => n === one + 2,
        'idle-1 runs again',
      );
      expect((await action('nope', 'stop')).statusCode).toBe(404);
    });

    it('the live stream: fills from fills.*, positions and equity from the risk role, of the asked accounts only', async () => {
      const events: LiveEvent[] = [];
      const subscription = backend.live$(['acc-1']).subscribe((event) => events.push(event));
      try {
        expect((await submit(trader.key, market('acc-1', 1, { clientOrderId: 'live-1' }))).statusCode).toBe(
          201,
        );
        expect((await submit(trader.key, market('acc-2', 1, { clientOrderId: 'live-2' }))).statusCode).toBe(
          201,
        );
        await bars();
        await until(
          async () =>
            events.map((e) => `${e.type}:${e.type === 'fill' ? (e.data as Fill).clientOrderId : ''}`),
          (seen) => seen.includes('fill:live-1') && seen.includes('position:') && seen.includes('equity:'),
          'live events',
        );
        expect(events.every((e) => e.accountId === 'acc-1')).toBe(true);
      } finally {
        subscription.unsubscribe();
      }
    });

    it('defect 4: three concurrent kill switches with flatten close every position once, never flip them', async () => {
      // The books of every order before (the live test's fills may still be on their way to risk).
      await until(
        () => position('acc-1'),
        (q) => q === 5,
        'acc-1 long 5',
      );
      await until(
        () => position('acc-2'),
        (q) => q === 7,
        'acc-2 long 7',
      );
      const kills = await Promise.all(
        [1, 2, 3].map((n) =>
          app.inject({
            method: 'POST',
            url: '/api/risk/kill-switch',
            headers: auth(trader.key),
            payload: { reason: `operator ${n}`, flatten: true },
          }),
        ),
      );
      expect(kills.map((k) => k.statusCode)).toEqual([202, 202, 202]);
      await until(
        async () =>
          (await app.inject({ url: '/api/risk', headers: auth(trader.key) })).json().states as {
            state: string;
          }[],
        (states) => states.every((s) => s.state === 'HALTED'),
        'halted',
      );
      await bars();
      await until(
        () => position('acc-1'),
        (q) => q === 0,
        'acc-1 flat',
      );
      await until(
        () => position('acc-2'),
        (q) => q === 0,
        'acc-2 flat',
      );
      await bars();
      expect([await position('acc-1'), await position('acc-2')]).toEqual([0, 0]);
      const denied = await submit(trader.key, market('acc-1', 1));
      expect(denied.json()).toMatchObject({ reason: 'TRADING_HALTED' });
      // Resume, fleet-wide.
      const resume = await app.inject({
        method: 'POST',
        url: '/api/risk/trading-state',
        headers: auth(trader.key),
        payload: { state: 'ACTIVE', reason: 'resume' },
      });
      expect(resume.statusCode).toBe(202);
      await until(
        () => submit(trader.key, market('acc-1', 1)),
        (r) => r.statusCode === 201,
        'resumed',
      );
    });
  },
);

/** A free TCP port on loopback. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

describe.skipIf(!redisUp)('gateway resilience (a private Redis, paused and stopped)', () => {
  let server: ChildProcess;
  let client: Redis;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await until(
      () =>
        probeTcp('127.0.0.1', port).then(
          () => true,
          () => false,
        ),
      (up) => up,
      'private redis',
    );
    client = createRedisClient(`redis://127.0.0.1:${port}`);
    client.on('error', () => undefined); // the test kills this server on purpose
    await until(
      async () => client.status,
      (status) => status === 'ready',
      'private redis client',
    );
  });
  afterAll(async () => {
    if (server?.exitCode === null && server.signalCode === null) {
      process.kill(server.pid as number, 'SIGCONT');
      server.kill('SIGTERM');
    }
    client?.disconnect();
  });

  it('defect 8: while Redis is stalled or down the API answers 503 with Retry-After, never 500', async () => {
    const key = mintApiKey({ scopes: ['read'], accounts: '*' });
    const keys = createRedisKeyStore({ client, prefix: 'gw:' });
    await keys.put(key.record);
    const fixture = await createFixture();
    const app = createGatewayApp({
      backend: fixture.backend,
      keys,
      rateLimit: createMemoryRateLimiter({ capacity: 1_000, refillPerSecond: 1_000 }),
      logger: captureLogger(),
      dependencyTimeoutMs: 300,
    });
    try {
      expect((await app.inject({ url: '/api/accounts', headers: auth(key.key) })).statusCode).toBe(200);
      process.kill(server.pid as number, 'SIGSTOP');
      // The key's record is trusted from the replica's cache for up to revocationMs (500 ms); then
      // the revocation check waits for Redis, past the deadline: 503, never 500.
      const seen: number[] = [];
      const stalled = await until(
        () => app.inject({ url: '/api/accounts', headers: auth(key.key) }),
        (r) => {
          seen.push(r.statusCode);
          return r.statusCode !== 200;
        },
        'redis stalled',
      );
      expect(new Set(seen)).toEqual(new Set(seen.length > 1 ? [200, 503] : [503]));
      expect(stalled.statusCode).toBe(503);
      expect(stalled.headers['retry-after']).toBe('2');
      expect(stalled.json()).toEqual({ error: { code: 'UNAVAILABLE', message: expect.any(String) } });
      process.kill(server.pid as number, 'SIGCONT');
      await until(
        () => app.inject({ url: '/api/accounts', headers: auth(key.key) }),
        (r) => r.statusCode === 200,
        'after the pause',
      );
      server.kill('SIGKILL');
      await until(
        () => app.inject({ url: '/api/accounts', headers: auth(key.key) }),
        (r) => r.statusCode === 503 && r.headers['retry-after'] === '2',
        'redis down',
      );
    } finally {
      await app.close();
      await fixture.close();
    }
  });
});

describe('gateway /health and the event loop', () => {
  it('is 503 after the loop stalled, 200 otherwise', async () => {
    const fixture = await createFixture();
    const eventLoop = createEventLoopMonitor({
      stallThresholdMs: 50,
      intervalMs: 10,
      unhealthyForMs: 60_000,
    });
    const app = createGatewayApp({
      backend: fixture.backend,
      keys: createMemoryKeyStore([]),
      rateLimit: createMemoryRateLimiter({ capacity: 10, refillPerSecond: 10 }),
      logger: captureLogger(),
      eventLoop,
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
      const end = performance.now() + 300;
      while (performance.now() < end) {
        // a synchronous stall of the loop
      }
      await new Promise((resolve) => setTimeout(resolve, 30));
      const res = await app.inject({ url: '/health' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'unavailable', checks: { eventLoop: false } });
    } finally {
      eventLoop.stop();
      await app.close();
      await fixture.close();
    }
  });
});
