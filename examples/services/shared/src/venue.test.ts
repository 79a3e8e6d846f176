import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeBinance } from '@rxtrade/ccxt/testing';
import {
  type BusEnvelope,
  createMemoryMessageBus,
  createMemoryStateStore,
  type MessageBus,
  noopLogger,
  noopMetrics,
  type OrderEvent,
  type OrderRequest,
  RxtradeError,
  type StateStore,
  VENUE_CLIENT_ORDER_ID,
} from '@rxtrade/core';
import {
  decodeFleetMessage,
  FleetGatewayClient,
  FleetJournal,
  fleetEnvelope,
  fleetTopics,
  OrderRole,
  RiskRole,
} from '@rxtrade/fleet';
import { afterEach, describe, expect, it } from 'vitest';
import { createCredentialCipher } from './credentials';
import { instrumentFor } from './replay-data';
import { ccxtExecution, loadVenueCredentials, venuePurpose, writeVenueCredentials } from './venue';

const SYMBOL = 'SPX0';
const ACCOUNT = 'acc-1';

const plan = {
  instruments: [instrumentFor(SYMBOL)],
  accounts: [{ id: ACCOUNT, initialCash: 1_000_000 }],
  strategies: [{ id: 'sma-SPX0-acc-1', symbol: SYMBOL, accountId: ACCOUNT, create: () => ({}) as never }],
  mode: 'live' as const,
};

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function fakeVenue(): Promise<FakeBinance> {
  const fake = await FakeBinance.start({
    symbols: [
      {
        symbol: SYMBOL,
        base: SYMBOL,
        quote: 'USD',
        tickSize: '0.01',
        stepSize: '1',
        minQty: '1',
        maxQty: '1000000',
        minNotional: '1',
      },
    ],
    price: () => 4_000,
    balances: { USD: 10_000_000, [SYMBOL]: 1_000 },
  });
  cleanup.push(() => fake.close());
  return fake;
}

/** An order role of one account trading at the fake venue through the order service's ccxt wiring. */
async function orderRole(bus: MessageBus, store: StateStore, fake: FakeBinance, replicaId: string) {
  const venue = ccxtExecution({
    config: {
      CCXT_EXCHANGE: 'binance',
      CCXT_SANDBOX: false,
      CCXT_FAKE_BINANCE_URL: fake.url,
      CCXT_POLL_MS: 50,
      ACCOUNTS: [{ id: ACCOUNT, weight: 1 }],
    },
    credentials: new Map([[ACCOUNT, { apiKey: fake.apiKey, secret: fake.secret }]]),
    symbols: [SYMBOL],
    logger: noopLogger,
    metrics: noopMetrics,
    resilience: { timeoutMs: 2_000, retry: { maxAttempts: 2, initialDelayMs: 10 } },
  });
  const role = new OrderRole({
    bus,
    plan,
    replicaId,
    journal: new FleetJournal(store, 'fleet:venue-test'),
    execution: (accountId) => venue.execution(accountId),
    reconciliation: { retryMs: 100, inFlightCheckMs: 50, notFoundChecks: 2 },
  });
  await role.start();
  const stop = async () => {
    await role.stop();
    await venue.close();
  };
  cleanup.push(stop);
  return { role, stop };
}

/** Every event the order role sends back to the gateway's strategy id, and every fill it publishes. */
async function listen(bus: MessageBus) {
  const events: OrderEvent[] = [];
  const fills: BusEnvelope[] = [];
  await bus.subscribe(fleetTopics.orderEvents('gateway'), (m) => {
    events.push(...decodeFleetMessage(m, ['OrderEventsDelivered']).payload.events);
  });
  await bus.subscribe(fleetTopics.allFills, (m) => {
    fills.push(m);
  });
  return { events, fills };
}

const submit = (clientOrderId: string, request: Omit<OrderRequest, 'instrumentId'>): BusEnvelope =>
  fleetEnvelope(
    'SubmitOrder',
    {
      accountId: ACCOUNT,
      strategyId: 'gateway',
      clientOrderId,
      request: { instrumentId: SYMBOL, ...request, accountId: ACCOUNT, strategyId: 'gateway', clientOrderId },
      tsInit: Date.now(),
    },
    { id: `${ACCOUNT}:approved:${clientOrderId}`, ts: Date.now() },
  );

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const statusOf = (events: readonly OrderEvent[], id: string): string[] =>
  events.filter((e) => e.clientOrderId === id).map((e) => e.type);

describe('the order service on ccxt (fake Binance): resilient client, journal before send, reconciliation', () => {
  it('trades through ccxt; restarted, it reconciles what the venue did meanwhile and sends nothing twice', async () => {
    const fake = await fakeVenue();
    const bus = createMemoryMessageBus();
    const store = createMemoryStateStore();
    const seen = await listen(bus);
    const first = await orderRole(bus, store, fake, 'a');

    await bus.publish(
      fleetTopics.orderSubmit(ACCOUNT),
      submit('m-1', { side: 'buy', type: 'market', quantity: 5 }),
      { key: ACCOUNT },
    );
    await bus.publish(
      fleetTopics.orderSubmit(ACCOUNT),
      submit('l-1', { side: 'buy', type: 'limit', quantity: 3, price: 3_900 }),
      { key: ACCOUNT },
    );
    await until(
      'm-1 filled and l-1 working',
      () =>
        statusOf(seen.events, 'm-1').includes('OrderFilled') &&
        statusOf(seen.events, 'l-1').includes('OrderAccepted'),
    );
    expect(fake.orders.map((o) => o.clientOrderId).sort()).toEqual(['l-1', 'm-1']);
    await first.stop();

    // While no order service runs: the resting limit order fills at the venue.
    fake.fillOrder('l-1');
    const second = await orderRole(bus, store, fake, 'b');
    // The first message since the restart creates the account's desk: rebuilt from the journal, then
    // reconciled with the venue, then this (redelivered) submit is recognised and not sent again.
    await bus.publish(
      fleetTopics.orderSubmit(ACCOUNT),
      submit('m-1', { side: 'buy', type: 'market', quantity: 5 }),
      { key: ACCOUNT },
    );
    await until('the fill of l-1 made while down', () =>
      statusOf(seen.events, 'l-1').includes('OrderFilled'),
    );
    await bus.publish(
      fleetTopics.orderSubmit(ACCOUNT),
      submit('m-2', { side: 'sell', type: 'market', quantity: 2 }),
      { key: ACCOUNT },
    );
    await until('m-2 filled', () => statusOf(seen.events, 'm-2').includes('OrderFilled'));

    // No duplicate at the venue, none lost: one venue order per client order id, all filled.
    expect(fake.orders.map((o) => [o.clientOrderId, o.status]).sort()).toEqual([
      ['l-1', 'FILLED'],
      ['m-1', 'FILLED'],
      ['m-2', 'FILLED'],
    ]);
    // Each venue trade reached the fleet's fills once (by message id, as consumers dedupe).
    const fillIds = new Set(seen.fills.map((m) => m.id));
    expect(fillIds.size).toBe(fake.trades.length);
    expect(statusOf(seen.events, 'l-1').filter((t) => t === 'OrderFilled')).toHaveLength(1);
    await second.stop();
  });

  it('asks the venue only once the command is journaled: a failed journal write sends nothing, the redelivery sends it once', async () => {
    const fake = await fakeVenue();
    const bus = createMemoryMessageBus();
    const inner = createMemoryStateStore();
    let failNext = 0;
    let sentWhileFailing = -1;
    const store: StateStore = {
      ...inner,
      get: (key) => inner.get(key),
      list: (prefix) => inner.list(prefix),
      async apply(batch) {
        if (failNext > 0 && batch.ops.some((op) => op.key.includes(':journal:order:'))) {
          failNext--;
          // Give a submit that went out before its journal write a chance to reach the venue.
          await new Promise((r) => setTimeout(r, 200));
          sentWhileFailing = fake.requestsTo('POST', '/api/v3/order').length;
          throw new RxtradeError({ code: 'TIMEOUT', message: 'Redis did not answer' });
        }
        return inner.apply(batch);
      },
    };
    const seen = await listen(bus);
    await orderRole(bus, store, fake, 'a');
    // The desk is created (and reconciled) on the first message; fail the write of the one after.
    await bus.publish(
      fleetTopics.orderSubmit(ACCOUNT),
      submit('m-0', { side: 'buy', type: 'market', quantity: 1 }),
      { key: ACCOUNT },
    );
    await until('m-0 filled', () => statusOf(seen.events, 'm-0').includes('OrderFilled'));
    failNext = 1;
    await bus.publish(
      fleetTopics.orderSubmit(ACCOUNT),
      submit('m-1', { side: 'buy', type: 'market', quantity: 5 }),
      { key: ACCOUNT },
    );
    await until('m-1 filled', () => statusOf(seen.events, 'm-1').includes('OrderFilled'));
    expect(sentWhileFailing, 'm-1 was not sent while its journal write failed').toBe(1);
    expect(fake.orders.map((o) => o.clientOrderId).sort()).toEqual(['m-0', 'm-1']);
  });
});

/** The gateway's path: FleetGatewayClient → risk → the order role on the fake venue. */
async function gatewayFleet(fake: FakeBinance, bus: MessageBus = createMemoryMessageBus()) {
  await orderRole(bus, createMemoryStateStore(), fake, 'a');
  const risk = new RiskRole({ bus, plan });
  await risk.start();
  cleanup.push(() => risk.stop());
  const gateway = new FleetGatewayClient({ bus });
  await gateway.start();
  cleanup.push(() => gateway.stop());
  return gateway;
}

describe('orders from the gateway at a ccxt venue', () => {
  it('an order sent without a client order id reaches the exchange under the generated one (at most 36 characters)', async () => {
    const fake = await fakeVenue();
    const gateway = await gatewayFleet(fake);
    const decision = await gateway.submit(ACCOUNT, {
      instrumentId: SYMBOL,
      side: 'buy',
      type: 'market',
      quantity: 2,
    });
    expect(decision).toMatchObject({ type: 'OrderSubmitted' });
    // Before: `gateway-<uuid>`, 44 characters, refused by the connector (INVALID_CLIENT_ORDER_ID).
    await until('the order filled at the venue', () => fake.orders.some((o) => o.status === 'FILLED'));
    expect(fake.orders.map((o) => o.clientOrderId)).toEqual([decision.clientOrderId]);
    expect(decision.clientOrderId).toMatch(VENUE_CLIENT_ORDER_ID);
  });
});

describe('OCO at a ccxt venue that holds OCO lists (Binance)', () => {
  /** The venue's orders as [client order id, type, quantity, status], and how many OCO lists they form. */
  const atVenue = (fake: FakeBinance, ids: readonly string[]) => {
    const orders = fake.orders.filter((o) => ids.includes(o.clientOrderId));
    return {
      orders: orders.map((o) => [o.clientOrderId, o.type, o.origQty, o.status]).sort(),
      lists: new Set(orders.map((o) => o.orderListId)),
    };
  };

  it('an OCO request goes out as one native order list; the venue expires the sibling when one fills', async () => {
    const fake = await fakeVenue();
    const bus = createMemoryMessageBus();
    const seen = await listen(bus);
    const gateway = await gatewayFleet(fake, bus);
    const decision = await gateway.submit(ACCOUNT, {
      instrumentId: SYMBOL,
      side: 'sell',
      type: 'limit',
      quantity: 3,
      price: 4_200,
      timeInForce: 'GTC',
      clientOrderId: 'o',
      oco: { type: 'stopLimit', triggerPrice: 3_800, price: 3_790 },
    });
    expect(decision).toMatchObject({ type: 'OrderSubmitted' });
    await until('both legs at the venue', () => atVenue(fake, ['o', 'o-oco']).orders.length === 2);
    // Before: two separate orders (the emulator's pair), no order list.
    expect(fake.requestsTo('POST', '/api/v3/orderList/oco')).toHaveLength(1);
    expect(atVenue(fake, ['o', 'o-oco'])).toEqual({
      orders: [
        ['o', 'LIMIT_MAKER', 3, 'NEW'],
        ['o-oco', 'STOP_LOSS_LIMIT', 3, 'NEW'],
      ],
      lists: new Set([fake.orders.find((o) => o.clientOrderId === 'o')?.orderListId]),
    });
    fake.fillOrder('o');
    await until('the sibling ended', () => statusOf(seen.events, 'o-oco').includes('OrderExpired'));
    expect(statusOf(seen.events, 'o')).toContain('OrderFilled');
  });

  it("a bracket's exits go out as one native order list once the entry filled", async () => {
    const fake = await fakeVenue();
    const bus = createMemoryMessageBus();
    const seen = await listen(bus);
    const gateway = await gatewayFleet(fake, bus);
    const decision = await gateway.submit(ACCOUNT, {
      instrumentId: SYMBOL,
      side: 'buy',
      type: 'market',
      quantity: 5,
      clientOrderId: 'b',
      takeProfit: { price: 4_200 },
      stopLoss: { triggerPrice: 3_800, price: 3_790 },
    });
    expect(decision).toMatchObject({ type: 'OrderSubmitted' });
    await until('the exits at the venue', () => atVenue(fake, ['b-tp', 'b-sl']).orders.length === 2);
    expect(fake.requestsTo('POST', '/api/v3/orderList/oco')).toHaveLength(1);
    const exits = atVenue(fake, ['b-tp', 'b-sl']);
    expect(exits.orders).toEqual([
      ['b-sl', 'STOP_LOSS_LIMIT', 5, 'NEW'],
      ['b-tp', 'LIMIT_MAKER', 5, 'NEW'],
    ]);
    expect(exits.lists.size).toBe(1);
    expect([...exits.lists][0]).toBeGreaterThanOrEqual(0);
    fake.fillOrder('b-tp');
    await until('the stop-loss ended', () => statusOf(seen.events, 'b-sl').includes('OrderExpired'));
  });
});

describe('a bracket whose entry fills in several trades at a ccxt venue', () => {
  it('gets its exits for the whole filled quantity, as one native order list, once the entry filled', async () => {
    const fake = await fakeVenue();
    const bus = createMemoryMessageBus();
    const seen = await listen(bus);
    const gateway = await gatewayFleet(fake, bus);
    const decision = await gateway.submit(ACCOUNT, {
      instrumentId: SYMBOL,
      side: 'buy',
      type: 'limit',
      price: 3_900,
      quantity: 5,
      timeInForce: 'GTC',
      clientOrderId: 'e',
      takeProfit: { price: 4_200 },
      stopLoss: { triggerPrice: 3_800, price: 3_790 },
    });
    expect(decision).toMatchObject({ type: 'OrderSubmitted' });
    await until('the entry resting', () => statusOf(seen.events, 'e').includes('OrderAccepted'));
    fake.fillOrder('e', { qty: 2 });
    await until('the first trade', () => statusOf(seen.events, 'e').includes('OrderFilled'));
    fake.fillOrder('e', { qty: 3 });
    await until(
      'the second trade',
      () => statusOf(seen.events, 'e').filter((t) => t === 'OrderFilled').length === 2,
    );
    await until('the exits at the venue', () =>
      fake.orders.some((o) => o.clientOrderId === 'e-sl' && o.status === 'NEW'),
    );
    // Before: exits of 2 placed on the first trade, and their amendment up to 5 refused.
    const exits = fake.orders.filter((o) => o.clientOrderId.startsWith('e-'));
    expect(exits.map((o) => [o.clientOrderId, o.origQty, o.status]).sort()).toEqual([
      ['e-sl', 5, 'NEW'],
      ['e-tp', 5, 'NEW'],
    ]);
    expect(new Set(exits.map((o) => o.orderListId)).size).toBe(1);
  });
});

describe('venue credentials', () => {
  const key = randomBytes(32);
  const cipher = createCredentialCipher({ currentKid: 'k1', keys: [{ kid: 'k1', key }] });

  it("decrypts each account's API key from the encrypted file", () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxt-venue-'));
    const file = join(dir, 'venue.json');
    writeFileSync(
      file,
      JSON.stringify({ [ACCOUNT]: cipher.encryptJson({ apiKey: 'k', secret: 's' }, venuePurpose(ACCOUNT)) }),
    );
    expect(loadVenueCredentials(file, [ACCOUNT], cipher).get(ACCOUNT)).toEqual({ apiKey: 'k', secret: 's' });
  });

  it('writes a record per account into the file the order service reads (services:venue-credentials)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rxt-venue-')), 'venue.json');
    writeVenueCredentials(file, { accountId: ACCOUNT, apiKey: 'key-one', secret: 'secret-one' }, cipher);
    writeVenueCredentials(file, { accountId: 'acc-2', apiKey: 'key-two', secret: 'secret-two' }, cipher);
    expect(readFileSync(file, 'utf8')).not.toMatch(/one|two/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const read = loadVenueCredentials(file, [ACCOUNT, 'acc-2'], cipher);
    expect([...read]).toEqual([
      [ACCOUNT, { apiKey: 'key-one', secret: 'secret-one' }],
      ['acc-2', { apiKey: 'key-two', secret: 'secret-two' }],
    ]);
  });

  it('refuses a record moved to another account, and an account without one, naming no secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxt-venue-'));
    const file = join(dir, 'venue.json');
    const record = cipher.encryptJson({ apiKey: 'key-of-1', secret: 'secret-of-1' }, venuePurpose(ACCOUNT));
    writeFileSync(file, JSON.stringify({ [ACCOUNT]: record, 'acc-2': record }));
    expect(() => loadVenueCredentials(file, ['acc-2'], cipher)).toThrow(/TAMPERED/);
    expect(() => loadVenueCredentials(file, ['acc-3'], cipher)).toThrow(/no credentials for account acc-3/);
    try {
      loadVenueCredentials(file, ['acc-2'], cipher);
    } catch (error) {
      expect(String((error as Error).message)).not.toMatch(/secret-of-1|key-of-1/);
    }
  });
});
