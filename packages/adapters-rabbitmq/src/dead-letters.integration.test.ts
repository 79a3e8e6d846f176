import type { BusEnvelope } from '@rxtrade/core';
import { createMemoryMetrics } from '@rxtrade/core';
import { connect } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteTopology, RABBIT_URL, rabbitAvailable, uniqueName, waitFor } from '../test/support/broker';
import { createRabbitMqMessageBus, type RabbitMqMessageBus, runDeadLetterCommand } from './index';

const up = await rabbitAvailable();

const fill = (id: string): BusEnvelope => ({
  v: 1,
  type: 'OrderFilled',
  id,
  ts: 1,
  correlationId: `c-${id}`,
  payload: { tradeId: id },
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runDeadLetterCommand(args, {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env: {},
  });
  return { code, out, err };
}

describe.skipIf(!up)('RabbitMQ dead-letter queue', () => {
  const buses: RabbitMqMessageBus[] = [];
  const open = async (exchange: string, metrics = createMemoryMetrics()) => {
    const bus = await createRabbitMqMessageBus({
      url: RABBIT_URL,
      exchange,
      connectionName: exchange,
      rebalanceIntervalMs: 200,
      retryDelay: { initialMs: 5, maxMs: 20 },
      metrics,
    });
    buses.push(bus);
    return bus;
  };
  afterEach(async () => {
    const closing = buses.splice(0);
    await Promise.all(closing.map((bus) => bus.close()));
    await deleteTopology(...closing.map((bus) => bus.topology()));
  });

  it('keeps dead letters across restarts with reason headers; one command lists and replays them', async () => {
    const exchange = uniqueName('dlq');
    const metrics = createMemoryMetrics();
    const first = await open(exchange, metrics);
    await first.subscribe(
      'fills.*',
      () => {
        throw new Error('ledger unavailable');
      },
      { group: 'ledger', maxDeliveries: 2 },
    );
    await first.publish('fills.acc1', fill('f1'), { key: 'acc1' });
    await first.publish('fills.acc2', fill('f2'), { key: 'acc2' });
    // A poison body from outside the adapter: kept, listed, never replayable.
    const raw = await connect(RABBIT_URL);
    const channel = await raw.createConfirmChannel();
    channel.publish(exchange, 'fills.acc1', Buffer.from('{"not json'), { messageId: 'poison-1' });
    await channel.waitForConfirms();
    await waitFor(() => first.stats().consumer.deadLettered === 3, 10_000, 'three dead letters');
    expect(metrics.value('dead_letters_total', { group: 'ledger' })).toBe(3);
    await first.close();

    // The dead letters stay in a durable queue with their reason in headers, no subscriber needed.
    const peek = await raw.createChannel();
    const got = await peek.get(`${exchange}.dead-letters`, { noAck: false });
    expect(got === false ? undefined : got.properties.headers).toMatchObject({
      'x-rxtrade-dead-reason': 'ledger unavailable',
      'x-rxtrade-dead-deliveries': 2,
      'x-rxtrade-dead-topic': 'fills.acc1',
      'x-rxtrade-dead-group': 'ledger',
    });
    await peek.close(); // hands it back in place
    await raw.close();

    const listed = await cli(['list', '--url', RABBIT_URL, '--prefix', exchange]);
    expect(listed.code).toBe(0);
    const lines = listed.out.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^dl-f1\tgroup=ledger\ttopic=fills\.acc1\tdeliveries=2\tledger unavailable$/);
    expect(lines[1]).toMatch(/^dl-f2\t/);
    expect(lines[2]).toMatch(/unparseable message body.*\(not replayable\)$/);
    expect(lines[3]).toBe('3 dead letters');
    // Listing twice shows the same: it does not consume.
    expect(
      (await cli(['list', '--url', RABBIT_URL, '--prefix', exchange, '--json'])).out.split('\n'),
    ).toHaveLength(4);

    // A fixed consumer comes up; the replay reaches it (same ids and key partitions) and only it.
    const second = await open(exchange);
    const handled: BusEnvelope[] = [];
    await second.subscribe('fills.*', (m) => void handled.push(m), { group: 'ledger', maxDeliveries: 2 });
    const replayed = await cli(['replay', '--url', RABBIT_URL, '--prefix', exchange, '--topic', 'fills.#']);
    expect(replayed.code).toBe(0);
    expect(replayed.out).toMatch(
      /^skipped dl-poison-1: the original body is not a valid envelope\nreplayed 2, skipped 1\n$/,
    );
    await waitFor(() => handled.length === 2, 10_000, 'replayed fills');
    expect(handled.map((m) => m.id).sort()).toEqual(['f1', 'f2']);
    expect(handled.find((m) => m.id === 'f2')).toEqual(fill('f2'));
    const left = await second.deadLetters();
    expect(left.map((d) => [d.envelope.id, d.replayable])).toEqual([['dl-poison-1', false]]);

    // Inspected and unreplayable: removed for good; a discard without a filter is refused.
    expect((await cli(['discard', '--url', RABBIT_URL, '--prefix', exchange])).code).toBe(2);
    const discarded = await cli(['discard', '--url', RABBIT_URL, '--prefix', exchange, '--group', 'ledger']);
    expect([discarded.code, discarded.out]).toEqual([0, 'discarded 1\n']);
    expect(await second.deadLetters()).toEqual([]);
  });

  it('skips a dead letter whose subscription is gone and says so; usage errors exit 2', async () => {
    const exchange = uniqueName('dlq-gone');
    const bus = await open(exchange);
    const sub = await bus.subscribe(
      'orders.*',
      () => {
        throw new Error('boom');
      },
      { group: 'orders', maxDeliveries: 1 },
    );
    await bus.publish('orders.a', fill('o1'));
    await waitFor(() => bus.stats().consumer.deadLettered === 1, 10_000, 'a dead letter');
    await sub.unsubscribe();
    await deleteTopology({ exchanges: [`${exchange}.orders.orders.*.hash`], queues: [] });
    const report = await bus.replayDeadLetters({ group: 'orders' });
    expect(report.replayed).toBe(0);
    expect(report.skipped).toEqual([
      {
        id: 'dl-o1',
        reason: `no subscription of group orders on orders.* (exchange ${exchange}.orders.orders.*.hash)`,
      },
    ]);
    expect(await bus.deadLetters({ group: 'orders' })).toHaveLength(1);

    expect((await cli(['purge'])).code).toBe(2);
    expect((await cli(['list', '--limit', '0', '--url', RABBIT_URL, '--prefix', exchange])).code).toBe(2);
  });
});
