/**
 * The per-role broker users (deploy/rabbitmq/permissions.tsv), applied by rabbitmq-users.sh to a
 * RabbitMQ node of our own, then used for real: the roles' own traffic works through the bus
 * adapter (group subscriptions, RPC), and publishing outside a role's permissions is refused by the
 * broker (ACCESS_REFUSED).
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { BusEnvelope } from '@rxtrade/core';
import { createRabbitMqMessageBus, type RabbitMqMessageBus } from '@rxtrade/rabbitmq';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnBroker, startOwnBroker } from '../../e2e/src/own-broker.js';
import { rpc, topics } from './topics.js';

const SCRIPT = resolve(import.meta.dirname, '../../deploy/rabbitmq/rabbitmq-users.sh');
const PREFIX = 'permtest';
const E = `rxt-fleet-${PREFIX}`;
const ROLES = ['data', 'strategy', 'risk', 'order', 'gateway'] as const;
const password = (role: string) => `pw-${role}-${process.pid}`;

const env = (type: string, payload: unknown): BusEnvelope => {
  const id = `${type}-${Math.random().toString(36).slice(2)}`;
  return { v: 1, type, id, ts: Date.now(), correlationId: id, payload };
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
      partitions: 2,
      logger: logger(role),
    });
    buses.push(b);
    return b;
  };

  /** Publishes with a confirm channel as `role`; resolves 'ok' or the broker's refusal. */
  const publishAs = async (role: string, exchange: string, key: string): Promise<string> => {
    const connection = await amqp.connect(url(role));
    try {
      const channel = await connection.createConfirmChannel();
      const closed = new Promise<string>((r) => channel.once('error', (e: Error) => r(e.message)));
      channel.publish(exchange, key, Buffer.from('{}'));
      const confirmed = channel.waitForConfirms().then(
        () => 'ok',
        () => 'nack',
      );
      return await Promise.race([closed, confirmed.then(async (c) => (c === 'ok' ? c : await closed))]);
    } finally {
      await connection.close().catch(() => undefined);
    }
  };

  /** Fails with the adapter's warnings when a step hangs (the adapter retries a refused setup forever). */
  const step = <T>(p: Promise<T>, what: string): Promise<T> =>
    Promise.race([
      p,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`${what}: no answer in 15 s; adapter warnings:\n${warnings.join('\n')}`)),
          15_000,
        ).unref(),
      ),
    ]);

  beforeAll(async () => {
    broker = await startOwnBroker();
    port = new URL(broker.url).port;
    const node = broker.ctl('eval', 'node().').trim().replace(/^'|'$/g, '');
    const cookie = broker.ctl('eval', 'erlang:get_cookie().').trim().replace(/^'|'$/g, '');
    // The exchanges exist before anyone publishes (the services' buses declare them at start).
    const admin = await amqp.connect(broker.url);
    const ch = await admin.createChannel();
    await ch.assertExchange(E, 'topic', { durable: true });
    await ch.assertExchange(`${E}.rpc`, 'topic', { durable: true });
    await admin.close();
    execFileSync('sh', [SCRIPT], {
      env: {
        PATH: process.env['PATH'],
        FLEET_PREFIX: PREFIX,
        RABBITMQCTL: `rabbitmqctl -n ${node} --erlang-cookie ${cookie}`,
        ...Object.fromEntries(ROLES.map((r) => [`RABBITMQ_${r.toUpperCase()}_PASSWORD`, password(r)])),
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
    await expect(amqp.connect(broker.url)).rejects.toThrow(/ACCESS_REFUSED|403/);
  });

  it('refuses what a role may not publish: strategy, order, gateway and data cannot send orders.submit', async () => {
    for (const role of ['strategy', 'order', 'gateway', 'data'])
      expect(await publishAs(role, E, topics.ordersSubmit), role).toMatch(/ACCESS_REFUSED|403/);
    expect(await publishAs('risk', E, topics.ordersSubmit)).toBe('ok');
    expect(await publishAs('data', E, topics.bars('AAPL'))).toBe('ok');
    expect(await publishAs('strategy', E, topics.bars('AAPL'))).toMatch(/ACCESS_REFUSED|403/);
    expect(await publishAs('strategy', `${E}.rpc`, rpc.submitOrder)).toMatch(/ACCESS_REFUSED|403/);
  }, 60_000);

  it('lets the roles do their own work through the bus: bars to the strategy group, gateway → risk RPC', async () => {
    const strategy = await step(bus('strategy'), 'strategy connects');
    const got: string[] = [];
    await step(
      strategy.subscribe(topics.allBars, (_m, ctx) => void got.push(ctx.topic), { group: 'strategy' }),
      'strategy subscribes to bars',
    );
    const risk = await step(bus('risk'), 'risk connects');
    await step(
      risk.reply(rpc.submitOrder, (req) => env('Reply', { echo: req.payload })),
      'risk answers rpc.risk.submit',
    );
    await step(
      risk.subscribe(topics.allSignals, () => undefined, { group: 'risk' }),
      'risk subscribes to signals',
    );
    const order = await step(bus('order'), 'order connects');
    await step(
      order.subscribe(topics.ordersSubmit, () => undefined, { group: 'order' }),
      'order subscribes to orders.submit',
    );
    await step(
      order.reply(rpc.cancelOrder, () => env('Reply', { canceled: false })),
      'order answers rpc.order.cancel',
    );
    const gateway = await step(bus('gateway'), 'gateway connects');
    const fills: string[] = [];
    await step(
      gateway.subscribe(topics.allFills, (_m, ctx) => void fills.push(ctx.topic)),
      'gateway subscribes to fills',
    );

    const data = await step(bus('data'), 'data connects');
    await step(data.publish(topics.bars('AAPL'), env('Bar', {}), { key: 'AAPL' }), 'data publishes a bar');
    await step(
      order.publish(topics.fills('acc-1'), env('Fill', {}), { key: 'acc-1' }),
      'order publishes a fill',
    );
    const reply = await step(
      gateway.request(rpc.submitOrder, env('Request', { n: 1 }), { timeoutMs: 10_000 }),
      'gateway asks risk',
    );
    expect(reply.payload).toEqual({ echo: { n: 1 } });
    const deadline = Date.now() + 10_000;
    while ((got.length === 0 || fills.length === 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(warnings, warnings.join('\n')).toEqual([]);
    expect(got).toEqual([topics.bars('AAPL')]);
    expect(fills).toEqual([topics.fills('acc-1')]);
  }, 60_000);
});
