import type { BusEnvelope, DeadLetterPayload } from '@rxtrade/core';
import { connect } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { createRabbitMqMessageBus, type RabbitMqMessageBus } from '../../src/index';
import { deleteTopology, RABBIT_URL, rabbitAvailable, uniqueName, waitFor } from '../support/broker';

const up = await rabbitAvailable();
const VALID = 2_000;
const POISON = 100;

const fill = (i: number): BusEnvelope => ({
  v: 1,
  type: 'OrderFilled',
  id: `fill-${i}`,
  ts: i,
  correlationId: `c-${i}`,
  payload: { tradeId: `t-${i}` },
});

/** Three kinds of poison: not JSON, JSON but not an envelope, an envelope of the wrong version. */
function poison(i: number): Buffer {
  if (i % 3 === 0) return Buffer.from(`{"v":1,"id":"p${i}",`);
  if (i % 3 === 1) return Buffer.from(JSON.stringify({ hello: 'world', i }));
  return Buffer.from(JSON.stringify({ ...fill(100_000 + i), v: 2 }));
}

describe.skipIf(!up)('fault: poison messages among valid ones', () => {
  const buses: RabbitMqMessageBus[] = [];
  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    await deleteTopology(...buses.map((bus) => bus.topology()));
  });

  it('dead-letters every poison message at once with its reason and processes every valid one', async () => {
    const exchange = uniqueName('poison');
    const bus = await createRabbitMqMessageBus({ url: RABBIT_URL, exchange, connectionName: exchange });
    buses.push(bus);
    const dead: BusEnvelope<DeadLetterPayload>[] = [];
    const processed = new Set<string>();
    await bus.subscribe(
      'dead-letter.accounting',
      (m) => void dead.push(m as BusEnvelope<DeadLetterPayload>),
      {
        group: 'dlq',
      },
    );
    await bus.subscribe('fills.#', (m) => void processed.add(m.id), { group: 'accounting', prefetch: 100 });

    // Poison comes from outside the adapter (it refuses to publish it), so publish it raw.
    const raw = await connect(RABBIT_URL);
    const channel = await raw.createConfirmChannel();
    const published: Promise<void>[] = [];
    for (let i = 0; i < VALID + POISON; i++) {
      const slot = Math.floor(i / ((VALID + POISON) / POISON));
      if (i % ((VALID + POISON) / POISON) === 0 && slot < POISON) {
        channel.publish(exchange, 'fills.acc1', poison(slot), {
          persistent: true,
          messageId: `poison-${slot}`,
        });
      } else {
        published.push(bus.publish('fills.acc1', fill(i), { key: `k${i % 10}` }));
      }
    }
    await Promise.all(published);
    await channel.waitForConfirms();
    await raw.close();

    await waitFor(() => dead.length >= POISON && processed.size === VALID, 30_000, 'all messages');
    expect(processed.size).toBe(VALID);
    expect(dead.length).toBe(POISON);
    expect(new Set(dead.map((m) => m.id)).size).toBe(POISON);
    for (const message of dead) {
      expect(message.type).toBe('MessageDeadLettered');
      expect(message.payload.topic).toBe('fills.acc1');
      expect(message.payload.deliveries).toBe(1);
      expect(message.payload.reason).toMatch(/unparseable message body|invalid bus envelope/);
    }
    const reasons = dead.map((m) => m.payload.reason);
    expect(reasons.filter((r) => r.startsWith('unparseable')).length).toBe(34);
    // Nothing left behind in the group's queues.
    const check = await connect(RABBIT_URL);
    const ch = await check.createChannel();
    for (const queue of bus
      .topology()
      .queues.filter((q) => q.includes('.accounting.') && !q.endsWith('.members'))) {
      expect((await ch.checkQueue(queue)).messageCount).toBe(0);
    }
    await check.close();
  });
});
