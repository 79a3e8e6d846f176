import type { BusEnvelope } from '@rxtrade/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createRabbitMqMessageBus, type RabbitMqMessageBus } from '../../src/index';
import {
  closeConnectionsNamed,
  deleteTopology,
  RABBIT_URL,
  rabbitAvailable,
  uniqueName,
  waitFor,
} from '../support/broker';

const up = await rabbitAvailable();
const TOTAL = 10_000;

const bar = (i: number): BusEnvelope => ({
  v: 1,
  type: 'BarClosed',
  id: `bar-${i}`,
  ts: i,
  correlationId: `c-${i}`,
  payload: { i },
});

describe.skipIf(!up)('fault: broker closes every connection of the bus mid-publish', () => {
  const buses: RabbitMqMessageBus[] = [];
  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    await deleteTopology(...buses.map((bus) => bus.topology()));
  });

  it('loses no confirmed message and reports every message as confirmed or failed', async () => {
    const exchange = uniqueName('connloss');
    // Publisher and consumer share the connection name, so the forced close hits both.
    const options = { url: RABBIT_URL, exchange, connectionName: exchange, outboundBufferSize: TOTAL };
    const consumer = await createRabbitMqMessageBus(options);
    const publisher = await createRabbitMqMessageBus(options);
    buses.push(consumer, publisher);
    const received = new Set<string>();
    await consumer.subscribe('bars.#', (m) => void received.add(m.id), { group: 'counter', prefetch: 200 });

    const confirmed = new Set<string>();
    const failed = new Set<string>();
    // Paced at ~2,000 msg/s; the broker force-closes the connections after 1,000 publishes and again
    // once the bus recovered from that and published 1,500 more, so both land mid-stream.
    const kills: Promise<number>[] = [];
    let secondAt = Number.POSITIVE_INFINITY;
    let sent = 0;
    const publishes: Promise<void>[] = [];
    for (let i = 0; i < TOTAL; i++) {
      sent = i;
      const id = `bar-${i}`;
      publishes.push(
        publisher.publish(`bars.S${i % 20}`, bar(i), { key: `S${i % 20}` }).then(
          () => void confirmed.add(id),
          () => void failed.add(id),
        ),
      );
      if (i === 1_000) {
        kills.push(
          closeConnectionsNamed(exchange).then(async (n) => {
            await waitFor(() => publisher.stats().connected, 10_000, 'reconnect');
            secondAt = sent + 1_500;
            return n;
          }),
        );
      }
      if (i >= secondAt && kills.length === 1) {
        secondAt = Number.POSITIVE_INFINITY;
        kills.push(closeConnectionsNamed(exchange));
      }
      // On a loaded machine the reconnect can outlast the remaining publishes: wait for it halfway,
      // so the second close still lands mid-stream.
      if (i === TOTAL / 2 && kills.length === 1 && secondAt === Number.POSITIVE_INFINITY) await kills[0];
      if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all(publishes);
    const closed = await Promise.all(kills);

    expect(closed.every((n) => n >= 2)).toBe(true);
    expect(closed.length).toBe(2);
    expect(publisher.stats().reconnects).toBeGreaterThanOrEqual(2);
    expect(confirmed.size + failed.size).toBe(TOTAL);
    await waitFor(() => [...confirmed].every((id) => received.has(id)), 60_000, 'every confirmed message');
    const lost = [...confirmed].filter((id) => !received.has(id));
    expect(lost).toEqual([]);
    console.info(
      `connection loss: ${confirmed.size} confirmed, ${failed.size} failed, ${publisher.stats().publisher.retransmitted} retransmitted, ${consumer.stats().consumer.duplicates} duplicates skipped, ${publisher.stats().reconnects} publisher reconnects`,
    );
  });
});
