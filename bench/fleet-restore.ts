/**
 * How long a restarted order role takes to be ready (issue #16): FLEET_ORDERS working limit orders
 * (default 3,000, spread over FLEET_ACCOUNTS accounts, default 3) rest on an order role with a
 * journal, FLEET_BARS bar frames (default 2,000, one bar each) go by without filling them, the role is
 * stopped and a new one started on the same journal. Ready = every account answers a new order
 * (its desk rebuilt from the journal and taking commands), timed from the new role's start().
 * Measured with the journal on the in-memory store (the role's own rebuild) and on Redis (REDIS_URL:
 * the rebuild with the round trips a service pays; skipped when Redis is down); the bus is in memory.
 *
 * Run: npx tsx --conditions=rxtrade-source bench/fleet-restore.ts
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import {
  BaseStrategy,
  type BusEnvelope,
  createMemoryMessageBus,
  createMemoryStateStore,
  type MessageBus,
  type StateStore,
} from '@rxtrade/core';
import { createRedisStateStore } from '../packages/adapters-redis/src/index';
import {
  FleetJournal,
  type FleetPlan,
  fleetEnvelope,
  fleetTopics,
  OrderRole,
  strategyClass,
} from '../packages/fleet/src/index';

const ORDERS = Number(process.env['FLEET_ORDERS'] ?? 3_000);
const ACCOUNTS = Number(process.env['FLEET_ACCOUNTS'] ?? 3);
const BARS = Number(process.env['FLEET_BARS'] ?? 2_000);
const TARGET_MS = 5_000;

/** The orders here come from the bench, not from a strategy. */
class Idle extends BaseStrategy<object> {
  override onBar(): void {}
}

const accounts = Array.from({ length: ACCOUNTS }, (_, i) => `acc-${i + 1}`);
const plan: FleetPlan = {
  instruments: [{ id: 'XYZ', pricePrecision: 2, quantityPrecision: 0 }],
  accounts: accounts.map((id) => ({ id, initialCash: 10_000_000 })),
  strategies: accounts.map((id) => ({
    id: `s-${id}`,
    symbol: 'XYZ',
    accountId: id,
    create: strategyClass(Idle),
  })),
  mode: 'live',
};

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 1));
};

async function frame(bus: MessageBus, journal: FleetJournal, seq: number): Promise<void> {
  const bars = [
    { symbol: 'XYZ', ts: 60_000 * (seq + 1), open: 100, high: 101, low: 99, close: 100, volume: 1_000 },
  ];
  await journal.putFrame({ symbol: 'XYZ', seq, bars, last: false });
  await bus.publish(
    fleetTopics.bars('XYZ'),
    fleetEnvelope('BarFrame', { symbol: 'XYZ', seq, bars, last: false }, { id: `XYZ:f${seq}`, ts: 0 }),
    { key: 'XYZ' },
  );
}

async function submit(
  bus: MessageBus,
  accountId: string,
  clientOrderId: string,
  price: number,
): Promise<void> {
  // Not a plan strategy (as the gateway's orders): its events go out as soon as they happen.
  const strategyId = 'bench';
  const request = {
    instrumentId: 'XYZ',
    side: 'buy' as const,
    type: 'limit' as const,
    quantity: 1,
    price,
    timeInForce: 'GTC' as const,
  };
  await bus.publish(
    fleetTopics.orderSubmit(accountId),
    fleetEnvelope(
      'SubmitOrder',
      { accountId, strategyId, clientOrderId, request, tsInit: 1 },
      { id: `${accountId}:submit:${clientOrderId}`, ts: 0 },
    ),
    { key: accountId },
  );
}

async function measure(store: StateStore): Promise<{ runMs: number; readyMs: number }> {
  const bus = createMemoryMessageBus();
  const journal = new FleetJournal(store, `bench:restore:${randomBytes(4).toString('hex')}`);
  const answered = new Set<string>();
  const accepted = new Set<string>();
  let fills = 0;
  await bus.subscribe(fleetTopics.orderEvents('bench'), async (message: BusEnvelope) => {
    const { events } = message.payload as { events: { type: string; clientOrderId: string }[] };
    for (const event of events) {
      answered.add(event.clientOrderId);
      if (event.type === 'OrderAccepted') accepted.add(event.clientOrderId);
      if (event.type === 'OrderFilled') fills++;
    }
  });

  const first = new OrderRole({ bus, plan, replicaId: 'o0', journal });
  await first.start();
  const started = performance.now();
  await frame(bus, journal, 0);
  await settle();
  // Orders and frames interleaved: each order rests below the market for the whole run.
  const perBar = Math.ceil(ORDERS / BARS);
  let placed = 0;
  for (let seq = 1; seq <= BARS; seq++) {
    for (let k = 0; k < perBar && placed < ORDERS; k++, placed++) {
      const accountId = accounts[placed % ACCOUNTS] as string;
      await submit(bus, accountId, `o${placed}`, 50 + (placed % 40));
    }
    await frame(bus, journal, seq);
    if (seq % 20 === 0) await settle();
  }
  while (accounts.some((_, i) => !answered.has(`o${ORDERS - 1 - i}`))) await settle();
  const runMs = performance.now() - started;
  if (accepted.size !== ORDERS || fills > 0) {
    throw new Error(`expected ${ORDERS} working orders, got ${accepted.size} accepted and ${fills} fills`);
  }
  await first.stop();

  const second = new OrderRole({ bus, plan, replicaId: 'o0', journal });
  const t0 = performance.now();
  await second.start();
  for (const accountId of accounts) await submit(bus, accountId, `probe-${accountId}`, 10);
  while (accounts.some((a) => !answered.has(`probe-${a}`))) await settle();
  const readyMs = performance.now() - t0;
  await second.stop();
  await bus.close();
  await journal.clear();
  return { runMs, readyMs };
}

const memory = await measure(createMemoryStateStore());
let redis: { runMs: number; readyMs: number } | undefined;
const redisStore = createRedisStateStore(
  { url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379' },
  { prefix: 'bench:' },
);
try {
  redis = await measure(redisStore);
} catch (error) {
  console.error(`Redis: ${String(error)}`);
} finally {
  await redisStore.close();
}
const load = loadavg()[0] ?? 0;
console.log(
  `${ORDERS.toLocaleString('en')} working limit orders over ${ACCOUNTS} accounts, ${BARS} bar frames ` +
    `(one bar each), in-memory bus, load average ${load.toFixed(2)}\n`,
);
console.log(
  '| journal on | run (orders placed, frames matched) | restart → every account answers a new order |',
);
console.log('|---|---:|---:|');
const row = (name: string, r: { runMs: number; readyMs: number }): void =>
  console.log(`| ${name} | ${(r.runMs / 1000).toFixed(2)} s | ${(r.readyMs / 1000).toFixed(2)} s |`);
row('in-memory store', memory);
if (redis) row('Redis', redis);
else console.log('| Redis | (not reachable) | — |');
const readyMs = Math.max(memory.readyMs, redis?.readyMs ?? 0);
console.log(
  `\ntarget: ready with 3,000 working orders ≤ 5 s → ${
    readyMs <= TARGET_MS ? 'MET' : `MISSED (${(readyMs / 1000).toFixed(2)} s)`
  }${ORDERS === 3_000 ? '' : ` (measured with ${ORDERS.toLocaleString('en')})`}`,
);
