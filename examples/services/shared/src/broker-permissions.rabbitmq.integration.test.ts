/**
 * The per-role broker users (deploy/rabbitmq/permissions.tsv, generated from `fleetBusUse`), applied
 * by rabbitmq-users.sh to a RabbitMQ node of our own, then used for real: the fleet's own roles — data,
 * strategy, risk, order with its history writer, and the gateway's client — each on a connection of
 * its own user, carry a strategy's order and a gateway's order to fills; and whatever a role does not
 * publish or bind in `fleetBusUse` the broker refuses it (ACCESS_REFUSED).
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { type Bar, BaseStrategy, createMemoryStateStore, type Fill } from '@rxtrade/core';
import {
  ANY_ID,
  decodeFleetMessage,
  FleetGatewayClient,
  FleetJournal,
  type FleetPlan,
  fleetBusUse,
  fleetGroups,
  fleetTopics,
  OrderRole,
  publishBars,
  RiskRole,
  StrategyRole,
  strategyClass,
} from '@rxtrade/fleet';
import { createRabbitMqMessageBus, type RabbitMqMessageBus } from '@rxtrade/rabbitmq';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnBroker, startOwnBroker } from '../../e2e/src/own-broker.js';
import { BROKER_ROLES } from './broker-permissions.js';
import { GATEWAY_STRATEGY_ID } from './fleet-plan.js';
import { instrumentFor } from './replay-data.js';

const SCRIPT = resolve(import.meta.dirname, '../../deploy/rabbitmq/rabbitmq-users.sh');
const PREFIX = 'permtest';
const E = `rxt-fleet-${PREFIX}`;
const password = (role: string) => `pw-${role}-${process.pid}`;
const USE = fleetBusUse({ gatewayStrategyId: GATEWAY_STRATEGY_ID });
/** A real name for a name of `fleetBusUse` (ANY_ID where an id goes). */
const named = (name: string, id = 'acc-1') => name.replaceAll(ANY_ID, id);
const REFUSED = /ACCESS_REFUSED|403/;

/** Buys one unit on its first bar. */
class BuyOnce extends BaseStrategy<object> {
  #done = false;
  override onBar(): void {
    if (this.#done) return;
    this.#done = true;
    this.buy(1);
  }
}

class Idle extends BaseStrategy<object> {
  override onBar(): void {}
}

const SYMBOL = 'SPX0';
const plan: FleetPlan = {
  instruments: [instrumentFor(SYMBOL)],
  accounts: [
    { id: 'acc-1', initialCash: 100_000 },
    { id: 'acc-2', initialCash: 100_000 },
  ],
  // An account's desk in the order role matches the symbols its strategies trade.
  strategies: [
    { id: 'buy-1', symbol: SYMBOL, accountId: 'acc-1', create: strategyClass(BuyOnce) },
    { id: 'idle-2', symbol: SYMBOL, accountId: 'acc-2', create: strategyClass(Idle) },
  ],
  mode: 'live',
};

describe('RabbitMQ users per role, on a broker of our own', () => {
  let broker: OwnBroker;
  let port: string;
  const url = (role: string) => `amqp://${role}:${password(role)}@127.0.0.1:${port}`;
  const buses: RabbitMqMessageBus[] = [];
  /** The adapter's warnings (a refused declare or bind shows here as a 403 with class and method ids). */
  const warnings: string[] = [];
  const logger = (role: string) => {
    const note = (...args: unknown[]) => void warnings.push(`${role}: ${JSON.stringify(args).slice(0, 300)}`);
    const l = { trace() {}, debug() {}, info() {}, warn: note, error: note, fatal: note, child: () => l };
    return l as never;
  };
  const bus = async (role: string) => {
    const b = await createRabbitMqMessageBus({
      url: url(role),
      exchange: E,
      connectionName: `${E}-${role}`,
      queueType: 'classic',
      partitions: 2,
      rebalanceIntervalMs: 200,
      logger: logger(role),
    });
    buses.push(b);
    return b;
  };

  /** Publishes with a confirm channel as `role`; resolves 'ok' or the broker's refusal. */
  const publishAs = async (role: string, key: string): Promise<string> => {
    const connection = await amqp.connect(url(role));
    try {
      const channel = await connection.createConfirmChannel();
      const closed = new Promise<string>((r) => channel.once('error', (e: Error) => r(e.message)));
      channel.publish(E, key, Buffer.from('{}'));
      const confirmed = channel.waitForConfirms().then(
        () => 'ok',
        () => 'nack',
      );
      return await Promise.race([closed, confirmed.then(async (c) => (c === 'ok' ? c : await closed))]);
    } finally {
      await connection.close().catch(() => undefined);
    }
  };

  /** Binds a private queue of `role` to the exchange with `pattern`; 'ok' or the broker's refusal. */
  const bindAs = async (role: string, pattern: string): Promise<string> => {
    const connection = await amqp.connect(url(role));
    try {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, E, pattern);
      return 'ok';
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    } finally {
      await connection.close().catch(() => undefined);
    }
  };

  /** Fails with the adapter's warnings when a step hangs (the adapter retries a refused setup forever). */
  const step = <T>(p: Promise<T>, what: string, ms = 20_000): Promise<T> =>
    Promise.race([
      p,
      new Promise<never>((_, reject) =>
        setTimeout(
          () =>
            reject(
              new Error(`${what}: no answer in ${ms / 1000} s; adapter warnings:\n${warnings.join('\n')}`),
            ),
          ms,
        ).unref(),
      ),
    ]);

  beforeAll(async () => {
    broker = await startOwnBroker();
    port = new URL(broker.url).port;
    const node = broker.ctl('eval', 'node().').trim().replace(/^'|'$/g, '');
    const cookie = broker.ctl('eval', 'erlang:get_cookie().').trim().replace(/^'|'$/g, '');
    execFileSync('sh', [SCRIPT], {
      env: {
        PATH: process.env['PATH'],
        FLEET_PREFIX: PREFIX,
        RABBITMQCTL: `rabbitmqctl -n ${node} --erlang-cookie ${cookie}`,
        ...Object.fromEntries(BROKER_ROLES.map((r) => [`RABBITMQ_${r.toUpperCase()}_PASSWORD`, password(r)])),
      },
      stdio: 'pipe',
      timeout: 120_000,
    });
  }, 180_000);

  afterAll(async () => {
    for (const b of buses) await b.close().catch(() => undefined);
    await broker?.shutdown();
  }, 60_000);

  it('removed guest', async () => {
    await expect(amqp.connect(broker.url)).rejects.toThrow(REFUSED);
  });

  it("the fleet's roles, each as its own user, carry a strategy's and a gateway's order to fills", async () => {
    const store = createMemoryStateStore();
    const journal = new FleetJournal(store, 'fleet');
    const risk = new RiskRole({ bus: await step(bus('risk'), 'risk connects'), plan, journal });
    const orderBus = await step(bus('order'), 'order connects');
    const order = new OrderRole({ bus: orderBus, plan, journal, replicaId: `${E}-order-0` });
    const history: Fill[] = [];
    await step(
      orderBus.subscribe(
        fleetTopics.allFills,
        (m) => void history.push(decodeFleetMessage(m, ['OrderFilled']).payload as Fill),
        {
          group: fleetGroups.history,
        },
      ),
      'order: the history writer subscribes fills.*',
    );
    const strategy = new StrategyRole({
      bus: await step(bus('strategy'), 'strategy connects'),
      plan,
      journal,
    });
    await step(risk.start(), 'risk starts');
    await step(order.start(), 'order starts');
    await step(strategy.start(), 'strategy starts');

    const gatewayBus = await step(bus('gateway'), 'gateway connects');
    const gateway = new FleetGatewayClient({ bus: gatewayBus, strategyId: GATEWAY_STRATEGY_ID });
    await step(gateway.start(), 'gateway subscribes its order events');
    const seen: string[] = [];
    for (const pattern of [fleetTopics.allFills, fleetTopics.riskState])
      await step(
        gatewayBus.subscribe(pattern, (_m, ctx) => void seen.push(ctx.topic)),
        `gateway reads ${pattern}`,
      );

    // Until each group's partitions are all held (one member each here); a strategy's own event group
    // is joined when its symbol's first bar arrives.
    const deadline = Date.now() + 20_000;
    while (
      buses.flatMap((b) => Object.values(b.stats().partitions)).some((p) => p.length !== 2) ||
      buses.flatMap((b) => Object.keys(b.stats().partitions)).length < 5
    ) {
      if (Date.now() > deadline) {
        const held = buses.map((b) => JSON.stringify(b.stats().partitions)).join('\n');
        throw new Error(`partitions not held:\n${held}\nwarnings:\n${warnings.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }

    const decision = await step(
      gateway.submit('acc-2', {
        clientOrderId: 'gw-1',
        instrumentId: SYMBOL,
        side: 'buy',
        type: 'market',
        quantity: 2,
      }),
      "gateway → risk: risk's decision",
    );
    expect(decision.type).toBe('OrderSubmitted');

    // The data role: a bar every 50 ms until both orders are filled.
    const controller = new AbortController();
    const dataBus = await step(bus('data'), 'data connects');
    async function* bars(): AsyncGenerator<Bar> {
      for (let n = 0; n < 400 && !controller.signal.aborted; n++) {
        yield {
          symbol: SYMBOL,
          ts: 60_000 * (n + 1),
          open: 100,
          high: 101,
          low: 99,
          close: 100,
          volume: 1e6,
        };
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const replay = publishBars({ bus: dataBus, journal, data: bars(), frameSize: 1, window: 1 });
    const until = Date.now() + 20_000;
    while (history.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await replay;
    // An operator's hold through the gateway: risk announces it on risk.state.
    await step(
      gateway.setTradingState(['acc-1'], {
        scope: 'account',
        state: 'HALTED',
        owner: 'operator',
        reason: 'permissions test',
        killSwitch: false,
        flatten: false,
      }),
      'gateway → risk: a hold',
    );
    const held = Date.now() + 10_000;
    while (!seen.includes(fleetTopics.riskState) && Date.now() < held)
      await new Promise((r) => setTimeout(r, 50));
    await gateway.stop();
    await strategy.stop();
    await order.stop();
    await risk.stop();

    expect(warnings, warnings.join('\n')).toEqual([]);
    expect(
      history.map((f) => [f.accountId, f.strategyId, f.lastQty]).sort(),
      'fills written by the history writer',
    ).toEqual([
      ['acc-1', 'buy-1', 1],
      ['acc-2', GATEWAY_STRATEGY_ID, 2],
    ]);
    expect(seen).toEqual(expect.arrayContaining([fleetTopics.fills('acc-1'), fleetTopics.fills('acc-2')]));
    expect(seen).toContain(fleetTopics.riskState);
  }, 120_000);

  const published = [...new Set(BROKER_ROLES.flatMap((r) => USE[r].publishes))];
  it.each(BROKER_ROLES)(
    '%s publishes what it does and nothing another role does',
    async (role) => {
      for (const topic of USE[role].publishes) expect(await publishAs(role, named(topic)), topic).toBe('ok');
      for (const topic of published.filter((t) => !USE[role].publishes.includes(t)))
        expect(await publishAs(role, named(topic)), `${role} ${topic}`).toMatch(REFUSED);
      expect(await publishAs(role, 'anything.else')).toMatch(REFUSED);
    },
    60_000,
  );

  it('no role but risk reaches the order role: orders.submit.<account> is risk’s alone', async () => {
    const submit = fleetTopics.orderSubmit('acc-1');
    for (const role of BROKER_ROLES.filter((r) => r !== 'risk'))
      expect(await publishAs(role, submit), role).toMatch(REFUSED);
    expect(await publishAs('risk', submit)).toBe('ok');
  }, 60_000);

  it('no role binds what it does not read: order submits, other strategies’ events, everything', async () => {
    expect(await bindAs('strategy', fleetTopics.orderInbox)).toMatch(REFUSED);
    expect(await bindAs('gateway', fleetTopics.orderInbox)).toMatch(REFUSED);
    expect(await bindAs('gateway', fleetTopics.orderEvents('buy-1'))).toMatch(REFUSED);
    expect(await bindAs('data', '#')).toMatch(REFUSED);
    expect(await bindAs('gateway', fleetTopics.riskState)).toBe('ok');
  }, 60_000);
});
