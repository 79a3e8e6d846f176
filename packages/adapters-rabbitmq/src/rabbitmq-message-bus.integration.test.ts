import { type BusEnvelope, isRxtradeError } from '@rxtrade/core';
import { type MessageBusContractDeps, messageBusContract } from '@rxtrade/core/testing';
import { connect } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteTopology, RABBIT_URL, rabbitAvailable, uniqueName, waitFor } from '../test/support/broker';
import { createRabbitMqMessageBus, type RabbitMqMessageBus } from './index';

const up = await rabbitAvailable();

const envelope = (id: string, payload: unknown = {}): BusEnvelope => ({
  v: 1,
  type: 'Test',
  id,
  ts: 1,
  correlationId: `c-${id}`,
  payload,
});

describe.skipIf(!up)('RabbitMqMessageBus', () => {
  const buses: RabbitMqMessageBus[] = [];
  const open = async (
    label: string,
    exchange = uniqueName(label),
    deps: MessageBusContractDeps | object = {},
  ) => {
    const bus = await createRabbitMqMessageBus({
      ...deps,
      url: RABBIT_URL,
      exchange,
      connectionName: exchange,
      rebalanceIntervalMs: 200,
      retryDelay: { initialMs: 10, maxMs: 100 },
    });
    buses.push(bus);
    return bus;
  };
  // Runs after the contract's own afterEach (hooks run in reverse order), once its bus is closed.
  afterEach(async () => {
    const closing = buses.splice(0);
    await Promise.all(closing.map((bus) => bus.close()));
    await deleteTopology(...closing.map((bus) => bus.topology()));
  });

  messageBusContract({ create: (deps) => open('contract', undefined, deps) });

  it('publishes persistent messages by default and transient ones with persistent: false', async () => {
    const bus = await open('persistence');
    const exchange = bus.topology().exchanges[0] as string;
    const connection = await connect(RABBIT_URL);
    try {
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, exchange, 'persist.*');
      const modes = new Map<string, unknown>();
      await channel.consume(queue, (m) => {
        if (m) modes.set(m.properties.messageId as string, m.properties.deliveryMode);
      });
      await bus.publish('persist.a', envelope('default'));
      await bus.publish('persist.a', envelope('persistent'), { persistent: true });
      await bus.publish('persist.a', envelope('transient'), { persistent: false });
      await waitFor(() => modes.size === 3, 10_000, 'the three messages arrive');
      // AMQP delivery mode 2 is written to disk by the broker, 1 is not.
      expect(Object.fromEntries(modes)).toEqual({ default: 2, persistent: 2, transient: 1 });
    } finally {
      await connection.close();
    }
  });

  it("handOver 'on-failure': a member that joins mid-stream takes no partition that carried messages, and takes them all once the holder is gone; 'rebalance' hands it its share", async () => {
    const exchange = uniqueName('handover');
    const held = (bus: RabbitMqMessageBus, group: string) =>
      Object.entries(bus.stats().partitions).find(([name]) => name.startsWith(group))?.[1].length ?? 0;
    for (const handOver of ['on-failure', 'rebalance'] as const) {
      const group = `g-${handOver}`;
      const first = await open('handover-a', exchange);
      const second = await open('handover-b', exchange);
      const got = { first: 0, second: 0 };
      await first.subscribe('t.*', () => void got.first++, { group, handOver });
      await waitFor(() => held(first, group) === 8, 10_000, 'the first member holds every partition');
      // Every partition carries traffic to the first member.
      for (let i = 0; i < 64; i++)
        await first.publish(`t.k${i}`, envelope(`${handOver}-${i}`), { key: `k${i}` });
      await waitFor(() => got.first === 64, 10_000, 'the first member handled all 64');
      await second.subscribe('t.*', () => void got.second++, { group, handOver });
      if (handOver === 'on-failure') {
        await new Promise((resolve) => setTimeout(resolve, 1_500)); // seven rebalance rounds
        expect([held(first, group), held(second, group)]).toEqual([8, 0]);
        await first.close();
        await waitFor(() => held(second, group) === 8, 10_000, 'the second member took every partition');
        for (let i = 0; i < 8; i++)
          await second.publish(`t.k${i}`, envelope(`${handOver}-after-${i}`), { key: `k${i}` });
        await waitFor(() => got.second === 8, 10_000, 'the second member handled 8');
      } else {
        await waitFor(
          () => held(first, group) === 4 && held(second, group) === 4,
          10_000,
          'the partitions split 4/4',
        );
        await first.close();
      }
      await second.close();
    }
  });

  it('rejects a bad URL at creation with NOT_CONNECTED and bad options with INVALID_CONFIG', async () => {
    await expect(createRabbitMqMessageBus({ url: 'amqp://guest:guest@127.0.0.1:1' })).rejects.toSatisfy(
      (e) => isRxtradeError(e) && e.code === 'NOT_CONNECTED',
    );
    await expect(createRabbitMqMessageBus({ url: RABBIT_URL, partitions: 0 })).rejects.toSatisfy(
      (e) => isRxtradeError(e) && e.code === 'INVALID_CONFIG',
    );
  });

  it('runs on a caller-supplied connection and leaves it open at close', async () => {
    const connection = await connect(RABBIT_URL);
    const exchange = uniqueName('own');
    const bus = await createRabbitMqMessageBus({ connection, exchange });
    const got: string[] = [];
    await bus.subscribe('a.*', (m) => void got.push(m.id), { group: 'g' });
    await bus.publish('a.b', envelope('one'), { key: 'k' });
    await waitFor(() => got.length === 1, 5_000, 'delivery');
    await bus.close();
    const channel = await connection.createChannel(); // still usable
    await channel.close();
    await connection.close();
    await deleteTopology(bus.topology());
    expect(got).toEqual(['one']);
  });

  it('rejects fast with OUTBOUND_BUFFER_FULL instead of dropping', async () => {
    const exchange = uniqueName('full');
    const bus = await createRabbitMqMessageBus({ url: RABBIT_URL, exchange, outboundBufferSize: 5 });
    buses.push(bus);
    const results = await Promise.allSettled(
      [...Array(50).keys()].map((i) => bus.publish('x.y', envelope(`m${i}`))),
    );
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(5);
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) {
      expect(isRxtradeError(r.reason) && r.reason.details?.['reason']).toBe('OUTBOUND_BUFFER_FULL');
    }
  });

  it('answers a request through direct reply-to, times out without a reply, fails fast without a responder', async () => {
    const bus = await open('rpc');
    const responder = await bus.reply('quote.*', (request) => ({
      ...envelope(`re-${request.id}`),
      type: 'Quote',
      payload: { px: '101.25', symbol: (request.payload as { s: string }).s },
    }));
    const reply = await bus.request('quote.SPX', envelope('q1', { s: 'SPX' }), { timeoutMs: 2_000 });
    expect(reply).toMatchObject({ type: 'Quote', id: 're-q1', payload: { px: '101.25', symbol: 'SPX' } });

    await bus.reply(
      'slow.*',
      () => new Promise<BusEnvelope>((resolve) => setTimeout(() => resolve(envelope('late')), 500)),
    );
    await expect(bus.request('slow.x', envelope('q2'), { timeoutMs: 200 })).rejects.toSatisfy(
      (e) => isRxtradeError(e) && e.code === 'TIMEOUT',
    );
    await bus.reply('boom.*', () => {
      throw new Error('no quote for you');
    });
    await expect(bus.request('boom.x', envelope('q3'), { timeoutMs: 2_000 })).rejects.toThrow(
      /no quote for you/,
    );
    await expect(bus.request('nobody.home', envelope('q4'), { timeoutMs: 2_000 })).rejects.toSatisfy(
      (e) => isRxtradeError(e) && e.details?.['reason'] === 'NO_RESPONDER',
    );
    await responder.unsubscribe();
  });

  it('skips a redelivered message id once it was processed (dedupe window)', async () => {
    const bus = await open('dedupe');
    const ns = uniqueName('ns');
    const seen: string[] = [];
    await bus.subscribe(`${ns}.#`, (m) => void seen.push(m.id), { group: 'g' });
    await bus.publish(`${ns}.a`, envelope('same'));
    await bus.publish(`${ns}.a`, envelope('same'));
    await bus.publish(`${ns}.a`, envelope('other'));
    await waitFor(() => bus.stats().consumer.duplicates + seen.length === 3, 5_000, 'deliveries');
    expect(seen).toEqual(['same', 'other']);
  });
});
