import type { BusEnvelope } from '@rxtrade/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryDedupeStore, createRabbitMqMessageBus, type RabbitMqMessageBus } from '../../src/index';
import { deleteTopology, RABBIT_URL, rabbitAvailable, uniqueName, waitFor } from '../support/broker';

const up = await rabbitAvailable();
const BARS = 10_000;
const SYMBOLS = [...Array(20).keys()].map((i) => `SYM${i}`);

interface Bar {
  readonly symbol: string;
  readonly seq: number;
}

const envelope = (bar: Bar): BusEnvelope<Bar> => ({
  v: 1,
  type: 'BarClosed',
  id: `${bar.symbol}-${bar.seq}`,
  ts: bar.seq,
  correlationId: `c-${bar.symbol}-${bar.seq}`,
  payload: bar,
});

describe.skipIf(!up)('per-symbol order across replicas', () => {
  const buses: RabbitMqMessageBus[] = [];
  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    await deleteTopology(...buses.map((bus) => bus.topology()));
  });

  it('keeps every symbol in order across 3 replicas, one leaving mid-stream, each bar processed once', async () => {
    const exchange = uniqueName('order');
    // The replicas share one dedupe window, as they would through Redis in production: a hand-over
    // may redeliver the last messages the previous owner acked (quorum queues settle asynchronously).
    const dedupe = createMemoryDedupeStore();
    const open = async (name: string) => {
      const bus = await createRabbitMqMessageBus({
        url: RABBIT_URL,
        exchange,
        connectionName: `${exchange}-${name}`,
        rebalanceIntervalMs: 200,
        prefetch: 50,
        dedupe,
      });
      buses.push(bus);
      return bus;
    };
    const replicas = await Promise.all(['r0', 'r1', 'r2'].map(open));
    const publisher = await open('publisher');
    /** Processing log over all replicas, in the order handlers ran. */
    const log: Array<Bar & { replica: number }> = [];
    const perReplica = replicas.map(() => new Map<string, number[]>());
    await Promise.all(
      replicas.map((bus, replica) =>
        bus.subscribe(
          'bars.*',
          async (message) => {
            const bar = message.payload as Bar;
            log.push({ ...bar, replica });
            const seen = perReplica[replica]?.get(bar.symbol) ?? [];
            seen.push(bar.seq);
            perReplica[replica]?.set(bar.symbol, seen);
            // A little async work so lanes interleave and a hand-over has running handlers to wait for.
            if (bar.seq % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
          },
          { group: 'strategy' },
        ),
      ),
    );
    const partitionsOf = (bus: RabbitMqMessageBus) => bus.stats().partitions['strategy bars.*'] ?? [];
    await waitFor(
      () => replicas.every((bus) => partitionsOf(bus).length >= 2),
      10_000,
      'the three replicas to share the partitions',
    );

    const publishes: Promise<void>[] = [];
    for (let seq = 0; seq < BARS / SYMBOLS.length; seq++) {
      for (const symbol of SYMBOLS) {
        publishes.push(publisher.publish(`bars.${symbol}`, envelope({ symbol, seq }), { key: symbol }));
      }
      if (seq % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await waitFor(() => log.length >= 3_000, 30_000, '3,000 bars processed');
    // Replica 1 leaves gracefully mid-stream; the others take over its partitions.
    await replicas[1]?.close();
    await Promise.all(publishes);
    await waitFor(() => log.length >= BARS, 60_000, 'every bar processed');

    // Every bar once.
    expect(log.length).toBe(BARS);
    expect(new Set(log.map((b) => `${b.symbol}-${b.seq}`)).size).toBe(BARS);
    // Every symbol in order, over the whole group (hand-overs included) and inside each replica.
    for (const symbol of SYMBOLS) {
      const seqs = log.filter((b) => b.symbol === symbol).map((b) => b.seq);
      const bad = seqs.findIndex((seq, i) => seq !== i);
      if (bad >= 0)
        console.error(symbol, JSON.stringify(log.filter((b) => b.symbol === symbol).slice(bad - 3, bad + 5)));
      expect(seqs).toEqual([...Array(BARS / SYMBOLS.length).keys()]);
    }
    for (const seen of perReplica) {
      for (const seqs of seen.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    const counts = replicas.map((_, replica) => log.filter((b) => b.replica === replica).length);
    expect(counts.every((n) => n > 0)).toBe(true);
    const skipped = replicas.reduce((n, bus) => n + bus.stats().consumer.duplicates, 0);
    console.info(
      `ordering: bars per replica ${counts.join(' / ')}; redelivered duplicates skipped ${skipped}`,
    );
  });
});
