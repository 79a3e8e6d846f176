/**
 * POST /api/orders under load (autocannon, 10 connections), three ways in one run:
 * - bare Fastify: a route that parses the JSON body and answers 201 (the ceiling of the HTTP stack);
 * - the gateway alone, as the issue's target counts it (auth, Redis rate limit, validation): API key
 *   from Redis, per-key rate limit in Redis, validation, over a backend that answers at once with an
 *   order shaped as the engine's (so the reply is as long);
 * - the gateway over an in-process engine: the same, the engine deciding and filling each order;
 * - the gateway on the fleet: the same gateway, each order sent on RabbitMQ to the risk role and
 *   answered when risk decided (`OrderSubmitted`), then worked by the order role; the read model in Redis.
 * Every answer must be 2xx.
 *
 * Run: npx tsx --conditions=rxtrade-source bench/gateway-api.ts
 *   (RABBITMQ_URL, REDIS_URL; API_SECONDS per measure, default 5; API_CONNECTIONS default 10;
 *   API_ROUNDS, default 3: bare Fastify and the gateway alone alternate, the share is the median of
 *   the rounds' ratios; API_CLIENT=same runs the load generator on the server's own event loop, as
 *   this bench did before, for an A/B). CPU per request is printed beside the rates: on a shared
 *   machine it moves less with the load than req/s does.
 *
 * The load generator (autocannon) runs on a worker thread of its own, as a load generator runs in
 * its own process: on the server's event loop its cost per request would be added to every measure
 * alike and pull the ratios towards 1. "Server CPU" is the main thread's (the HTTP server and, for
 * the fleet, the risk and order roles beside it), read from /proc where there is one.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { BaseStrategy, createEngine, noopLogger } from '@rxtrade/core';
import {
  createEngineBackend,
  createFleetBackend,
  createGatewayApp,
  createRedisKeyStore,
  createRedisRateLimiter,
  type GatewayBackend,
  mintApiKey,
} from '@rxtrade/fleet/gateway';
import { connect } from 'amqplib';
import autocannon from 'autocannon';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { createRabbitMqMessageBus, deleteTopology } from '../packages/adapters-rabbitmq/src/index';
import { createRedisClient, createRedisStateStore } from '../packages/adapters-redis/src/index';
import {
  FleetJournal,
  type FleetPlan,
  OrderRole,
  RiskRole,
  strategyClass,
} from '../packages/fleet/src/index';
import { brokerCpuSeconds, mainThreadCpuSeconds } from './fleet/broker-cpu';

/** The account's strategy in the plan; the orders measured are the gateway's own. */
class Idle extends BaseStrategy<object> {
  override onBar(): void {}
}

const rabbitUrl = process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.env['API_SECONDS'] ?? 5);
const CONNECTIONS = Number(process.env['API_CONNECTIONS'] ?? 10);
const ROUNDS = Math.max(1, Number(process.env['API_ROUNDS'] ?? 3));
const TARGET_RPS = 3_000;
const TARGET_P99_MS = 25;
const TARGET_SHARE = 0.5;
/** The load generator on a worker thread (the default), or on the server's event loop. */
const CLIENT_THREAD = process.env['API_CLIENT'] !== 'same';

const run = randomUUID().slice(0, 8);
const instrument = { id: 'BTCUSD', pricePrecision: 2, quantityPrecision: 3, tickSize: 0.01 };
const body = JSON.stringify({
  accountId: 'acct',
  instrumentId: 'BTCUSD',
  side: 'buy',
  type: 'market',
  quantity: 0.001,
});

interface Measured {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
  /** CPU of the server's thread (the HTTP server and, for the fleet, risk and order) per request. */
  readonly cpuUs: number;
  /** CPU of the local RabbitMQ per request (undefined where /proc cannot tell). */
  readonly brokerUs: number | undefined;
}

async function load(
  app: FastifyInstance,
  path: string,
  headers: Record<string, string>,
  seconds = SECONDS,
): Promise<Measured> {
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const options = {
    url: `${address}${path}`,
    method: 'POST' as const,
    connections: CONNECTIONS,
    headers: { 'content-type': 'application/json', ...headers },
    body,
    ...(CLIENT_THREAD ? { workers: 1 } : {}),
  };
  await autocannon({ ...options, duration: 1 }); // warm-up, not counted
  const cpu0 = mainThreadCpuSeconds();
  const broker0 = brokerCpuSeconds();
  const result = await autocannon({ ...options, duration: seconds });
  const cpu = mainThreadCpuSeconds() - cpu0;
  const broker1 = brokerCpuSeconds();
  await app.close();
  const requests = Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuUs: (cpu * 1e6) / requests,
    brokerUs:
      broker0 === undefined || broker1 === undefined ? undefined : ((broker1 - broker0) * 1e6) / requests,
  };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
};

/** Rounds of one measure as one row: mean rate and CPU, median latencies, every failure counted. */
function combined(runs: readonly Measured[]): Measured {
  const mean = (f: (m: Measured) => number) => runs.reduce((sum, m) => sum + f(m), 0) / runs.length;
  const brokers = runs.map((m) => m.brokerUs);
  return {
    rps: mean((m) => m.rps),
    p50: median(runs.map((m) => m.p50)),
    p99: median(runs.map((m) => m.p99)),
    non2xx: runs.reduce((sum, m) => sum + m.non2xx, 0),
    errors: runs.reduce((sum, m) => sum + m.errors, 0),
    cpuUs: mean((m) => m.cpuUs),
    brokerUs: brokers.some((b) => b === undefined) ? undefined : mean((m) => m.brokerUs as number),
  };
}

async function up(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch {
    return false;
  }
}

const redisUp = await up(async () => {
  const probe = createRedisClient(redisUrl, { lazyConnect: true });
  try {
    await probe.connect();
  } finally {
    probe.disconnect();
  }
});
const rabbitUp = await up(async () => (await connect(rabbitUrl)).close());
if (!redisUp || !rabbitUp) {
  console.log(`skipped: needs Redis at ${redisUrl} and RabbitMQ at ${rabbitUrl}`);
  console.log(
    `target: POST /api/orders through gateway → risk → order ≥ ${TARGET_RPS} req/s → MISSED (not run)`,
  );
  process.exit(0);
}

const prefix = `rxtrade:bench:api:${run}:`;
// Commands wait for a connection that is up (the client does not queue offline).
const redis: Redis = createRedisClient(redisUrl, { lazyConnect: true });
await redis.connect();
const key = mintApiKey({ scopes: ['read', 'trade'], accounts: ['acct'] });
const auth = { authorization: `Bearer ${key.key}` };
const keysInRedis = createRedisKeyStore({ client: redis, prefix });
await keysInRedis.put(key.record);
const rateLimit = () =>
  createRedisRateLimiter({ client: redis, prefix, capacity: 1_000_000_000, refillPerSecond: 1_000_000_000 });
const load0 = loadavg()[0] ?? 0;
const rows: [string, Measured][] = [];
/** The gateway alone over bare Fastify, one ratio per round. */
const shares: number[] = [];
/** The gateway over the in-process engine over bare Fastify, one ratio per round. */
const engineShares: number[] = [];

try {
  // 1. Bare Fastify: the same body parsed, 201.
  const bareApp = () => {
    const bare = Fastify();
    bare.post('/api/orders', async (request, reply) => {
      reply.code(201);
      return { order: request.body };
    });
    return bare;
  };

  // 2. The gateway alone: Redis keys and rate limit, validation, an in-process engine.
  const engine = createEngine({ instruments: [instrument], accounts: [{ id: 'acct', initialCash: 1e12 }] });
  await engine.start();
  engine.processBar({
    symbol: 'BTCUSD',
    ts: Date.UTC(2026, 0, 1),
    open: 100,
    high: 100,
    low: 100,
    close: 100,
    volume: 1,
  });
  const engineBackend = createEngineBackend({ engine, strategies: [] });
  // The engine's answer to the benchmark's order, as the template of the answering backend's.
  const { order: template } = await engineBackend.submitOrder('acct', JSON.parse(body));
  let answered = 0;
  const answeringBackend: GatewayBackend = {
    ...engineBackend,
    submitOrder: async (accountId, request) => ({
      order: {
        ...template,
        accountId,
        instrumentId: request.instrumentId,
        side: request.side,
        type: request.type,
        quantity: request.quantity,
        clientOrderId: request.clientOrderId ?? `answered-${++answered}`,
      },
    }),
  };
  const gatewayApp = (backend: GatewayBackend) => () =>
    createGatewayApp({ backend, keys: keysInRedis, rateLimit: rateLimit(), logger: noopLogger });
  const aloneApp = gatewayApp(answeringBackend);
  const engineApp = gatewayApp(engineBackend);
  // Alternating rounds, so a load that changes during the run weighs on every measure alike.
  const bareRuns: Measured[] = [];
  const aloneRuns: Measured[] = [];
  const engineRuns: Measured[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareRuns.push(await load(bareApp(), '/api/orders', {}));
    aloneRuns.push(await load(aloneApp(), '/api/orders', auth));
    engineRuns.push(await load(engineApp(), '/api/orders', auth));
  }
  shares.push(...aloneRuns.map((m, i) => m.rps / (bareRuns[i] as Measured).rps));
  engineShares.push(...engineRuns.map((m, i) => m.rps / (bareRuns[i] as Measured).rps));
  rows.push(['bare Fastify (JSON body → 201)', combined(bareRuns)]);
  rows.push([
    'gateway alone (Redis keys + rate limit, validation; backend answers at once)',
    combined(aloneRuns),
  ]);
  rows.push(['gateway over an in-process engine (the same, the engine deciding)', combined(engineRuns)]);
  engineBackend.close();
  await engine.stop();

  // 3. The gateway on the fleet: RabbitMQ to risk and order, read model in Redis.
  const exchange = `rxt-bench-api-${run}`;
  const bus = await createRabbitMqMessageBus({
    url: rabbitUrl,
    exchange,
    connectionName: exchange,
    queueType: 'classic',
    partitions: 2,
  });
  const store = createRedisStateStore({ client: redis }, { prefix });
  const plan: FleetPlan = {
    instruments: [instrument],
    accounts: [{ id: 'acct', initialCash: 1e12 }],
    strategies: [{ id: 'idle', symbol: 'BTCUSD', accountId: 'acct', create: strategyClass(Idle) }],
    mode: 'live',
  };
  const risk = new RiskRole({
    bus,
    plan,
    journal: new FleetJournal(store, 'fleet'),
    views: { store, prefix: 'view:' },
  });
  const order = new OrderRole({ bus, plan, replicaId: 'o0', journal: new FleetJournal(store, 'fleet') });
  await risk.start();
  await order.start();
  const backend = await createFleetBackend({
    bus,
    store,
    viewPrefix: 'view:',
    accounts: ['acct'],
    instruments: plan.instruments,
    ready: () => ({ broker: bus.stats().connected, redis: redis.status === 'ready' }),
  });
  try {
    const fleet = createGatewayApp({
      backend,
      keys: keysInRedis,
      rateLimit: rateLimit(),
      logger: noopLogger,
    });
    rows.push(['gateway → risk → order (RabbitMQ, Redis)', await load(fleet, '/api/orders', auth)]);
  } finally {
    await backend.close();
    await risk.stop();
    await order.stop();
    const topology = bus.topology();
    await bus.close();
    await deleteTopology({ url: rabbitUrl, exchange, ...topology });
  }
} finally {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
}

console.log(
  `POST /api/orders, ${CONNECTIONS} connections, ${SECONDS} s each after 1 s of warm-up (bare and gateway alone: ${ROUNDS} alternating rounds, mean req/s, median p50/p99); load generator ${CLIENT_THREAD ? 'on a worker thread of its own' : "on the server's event loop (API_CLIENT=same)"}; load average ${load0.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}`,
);
console.log('');
console.log(
  `| measure | req/s | p50 ms | p99 ms | non-2xx | errors | CPU µs/req (${CLIENT_THREAD ? "server's thread" : 'server and load generator'}) | RabbitMQ CPU µs/req |`,
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [name, m] of rows)
  console.log(
    `| ${name} | ${Math.round(m.rps)} | ${m.p50} | ${m.p99} | ${m.non2xx} | ${m.errors} | ${Math.round(m.cpuUs)} | ${m.brokerUs === undefined ? '?' : Math.round(m.brokerUs)} |`,
  );
console.log('');
const [, alone, , fleet] = rows.map(([, m]) => m) as [Measured, Measured, Measured, Measured];
const share = median(shares);
const perRound = (ratios: readonly number[]) =>
  `${ratios.map((r) => `${(r * 100).toFixed(1)} %`).join(', ')} (median ${(median(ratios) * 100).toFixed(1)} %)`;
console.log(`gateway alone / bare Fastify per round: ${perRound(shares)}`);
console.log(`gateway over the in-process engine / bare Fastify per round: ${perRound(engineShares)}`);
const fleetOk =
  fleet.rps >= TARGET_RPS && fleet.p99 <= TARGET_P99_MS && fleet.non2xx === 0 && fleet.errors === 0;
console.log(
  `target: POST /api/orders through gateway → risk → order ≥ ${TARGET_RPS} req/s, p99 ≤ ${TARGET_P99_MS} ms, no non-2xx → ${fleetOk ? 'MET' : `MISSED (${Math.round(fleet.rps)} req/s, p99 ${fleet.p99} ms, ${fleet.non2xx} non-2xx, ${fleet.errors} errors)`}`,
);
const aloneOk = share >= TARGET_SHARE && alone.non2xx === 0 && alone.errors === 0;
console.log(
  `target: the gateway alone (auth, Redis rate limit, validation) ≥ ${TARGET_SHARE * 100} % of bare Fastify → ${aloneOk ? 'MET' : `MISSED (${(share * 100).toFixed(1)} %${alone.non2xx ? `, ${alone.non2xx} non-2xx` : ''})`} (median of ${ROUNDS} rounds: ${(share * 100).toFixed(1)} %)`,
);
