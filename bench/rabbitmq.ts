/**
 * `@rxtrade/rabbitmq` against raw amqplib on the same broker, in the same process and run:
 *
 * 1. publish with confirms: N persistent 200-byte messages, all outstanding at once, until every one
 *    is confirmed. Raw: ConfirmChannel.publish with a callback each. Adapter: bus.publish (validates
 *    the envelope, serialises it, buffers it for retransmission, resolves on the confirm).
 * 2. consume and ack: N messages waiting in the same 8 quorum partition queues, timed from the
 *    N/10-th message handled to the last (set-up and ramp-up excluded). Raw: 8 channels, same prefetch, JSON.parse then ack.
 *    Adapter: a group subscription (lock + single-active-consumer per partition, zod validation,
 *    dedupe window, per-key lanes, ack after the handler).
 * 3. latency: publish → handler at a paced 1,000 msg/s through the adapter, p50/p99/max.
 *
 * Run: npx tsx bench/rabbitmq.ts   (RABBITMQ_URL, BENCH_MESSAGES, BENCH_RUNS). Needs the
 * rabbitmq_consistent_hash_exchange plugin. Writes bench/results/rabbitmq.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { BusEnvelope } from '@rxtrade/core';
import { type ConfirmChannel, connect } from 'amqplib';
import { createRabbitMqMessageBus, type RabbitMqMessageBus } from '../packages/adapters-rabbitmq/src/index';

const url = process.env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const N = Number(process.env['BENCH_MESSAGES'] ?? 30_000);
/** Consumption is timed from the WARMUP-th message to the last: steady state, ramp-up excluded. */
const WARMUP = Math.floor(N / 10);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const PREFETCH = 200;
const LATENCY_RATE = 1_000;
const LATENCY_SECONDS = 5;
const exchange = `rxt-bench-${randomBytes(4).toString('hex')}`;
const SYMBOLS = [...Array(20).keys()].map((i) => `SYM${i}`);

/** An envelope whose JSON is exactly 200 bytes. Ids differ per run: the dedupe window would skip repeats. */
function envelope(i: number, run = 0): BusEnvelope {
  const base = {
    v: 1 as const,
    type: 'BarClosed',
    id: `r${run}-m-${i}`,
    ts: 1_700_000_000_000 + i,
    correlationId: `c-${i}`,
  };
  const bare = JSON.stringify({ ...base, payload: { pad: '' } }).length;
  return { ...base, payload: { pad: 'x'.repeat(200 - bare) } };
}
const batch = (run: number) => [...Array(N).keys()].map((i) => envelope(i, run));
const bodies = batch(0).map((m) => Buffer.from(JSON.stringify(m)));
if (bodies.some((b) => b.length !== 200)) throw new Error('messages are not 200 bytes');

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

async function rawPublish(channel: ConfirmChannel): Promise<number> {
  const start = performance.now();
  let confirmed = 0;
  await new Promise<void>((resolve, reject) => {
    let i = 0;
    const pump = () => {
      while (i < N) {
        const n = i++;
        const more = channel.publish(
          exchange,
          `bars.${SYMBOLS[n % SYMBOLS.length]}`,
          bodies[n] as Buffer,
          {
            persistent: true,
            messageId: `m-${n}`,
            contentType: 'application/json',
            headers: { 'x-rxtrade-hash': SYMBOLS[n % SYMBOLS.length] },
          },
          (error) => {
            if (error) reject(error);
            else if (++confirmed === N) resolve();
          },
        );
        if (!more) {
          channel.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  return N / ((performance.now() - start) / 1_000);
}

async function adapterPublish(bus: RabbitMqMessageBus, messages: BusEnvelope[]): Promise<number> {
  const start = performance.now();
  await Promise.all(
    messages.map((m, n) =>
      bus.publish(`bars.${SYMBOLS[n % SYMBOLS.length]}`, m, { key: SYMBOLS[n % SYMBOLS.length] as string }),
    ),
  );
  return N / ((performance.now() - start) / 1_000);
}

async function main(): Promise<void> {
  const connection = await connect(url, { noDelay: true });
  const admin = await connection.createChannel();
  const confirm = await connection.createConfirmChannel();
  const bus = await createRabbitMqMessageBus({
    url,
    exchange,
    connectionName: `${exchange}-bench`,
    outboundBufferSize: N,
    prefetch: PREFETCH,
  });
  // Declare the group's topology (8 quorum partitions behind a consistent-hash exchange), then leave
  // so the messages wait in its queues for both consumers.
  const declare = await bus.subscribe('bars.*', () => {}, { group: 'bench' });
  await declare.unsubscribe();
  const partitions = bus.topology().queues.filter((q) => /\.p\d+$/.test(q));
  const depth = async () => {
    let total = 0;
    for (const queue of partitions) total += (await admin.checkQueue(queue)).messageCount;
    return total;
  };
  const purge = async () => {
    for (const queue of partitions) await admin.purgeQueue(queue);
  };

  const publish = { raw: [] as number[], adapter: [] as number[] };
  const consume = { raw: [] as number[], adapter: [] as number[] };
  for (let run = 0; run < RUNS; run++) {
    publish.raw.push(await rawPublish(confirm));
    await purge();
    publish.adapter.push(await adapterPublish(bus, batch(2 * run + 1)));
    // The adapter's messages now wait in the partitions: consume them raw.
    while ((await depth()) < N) await new Promise((r) => setTimeout(r, 20));
    {
      let start = 0;
      let acked = 0;
      const channels = await Promise.all(partitions.map(() => connection.createChannel()));
      await new Promise<void>((resolve) => {
        channels.forEach(async (channel, k) => {
          await channel.prefetch(PREFETCH);
          await channel.consume(partitions[k] ?? '', (message) => {
            if (!message) return;
            JSON.parse(message.content.toString('utf8'));
            channel.ack(message);
            if (++acked === WARMUP) start = performance.now();
            if (acked === N) resolve();
          });
        });
      });
      consume.raw.push((N - WARMUP) / ((performance.now() - start) / 1_000));
      await Promise.all(channels.map((channel) => channel.close()));
    }
    await adapterPublish(bus, batch(2 * run + 2));
    while ((await depth()) < N) await new Promise((r) => setTimeout(r, 20));
    {
      let start = 0;
      let handled = 0;
      let done: () => void = () => {};
      const finished = new Promise<void>((resolve) => (done = resolve));
      const subscription = await bus.subscribe(
        'bars.*',
        () => {
          if (++handled === WARMUP) start = performance.now();
          if (handled === N) done();
        },
        { group: 'bench' },
      );
      await finished;
      consume.adapter.push((N - WARMUP) / ((performance.now() - start) / 1_000));
      await subscription.unsubscribe();
    }
    await purge();
  }

  // Latency at a paced 1,000 msg/s: publish → handler, same process, so one clock.
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const latencyBus = await createRabbitMqMessageBus({ url, exchange, connectionName: `${exchange}-latency` });
  const subscription = await latencyBus.subscribe(
    'ticks.*',
    (m) => {
      const t = sentAt.get(m.id);
      if (t !== undefined) latencies.push(performance.now() - t);
    },
    { group: 'latency' },
  );
  const total = LATENCY_RATE * LATENCY_SECONDS;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1_000) / LATENCY_RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const m = envelope(i, 1_000);
    sentAt.set(m.id, performance.now());
    void bus.publish(`ticks.${SYMBOLS[i % SYMBOLS.length]}`, m, {
      key: SYMBOLS[i % SYMBOLS.length] as string,
    });
  }
  while (latencies.length < total && performance.now() - start < LATENCY_SECONDS * 1_000 + 10_000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await subscription.unsubscribe();
  latencies.sort((a, b) => a - b);

  const topology = [bus.topology(), latencyBus.topology()];
  await latencyBus.close();
  await bus.close();
  for (const t of topology) {
    for (const queue of t.queues) await admin.deleteQueue(queue).catch(() => {});
    for (const name of t.exchanges) await admin.deleteExchange(name).catch(() => {});
  }
  await connection.close();

  const result = {
    benchmark: 'rabbitmq',
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    messages: N,
    bytes: 200,
    runs: RUNS,
    prefetch: PREFETCH,
    publishConfirmed: {
      rawPerSecond: Math.round(median(publish.raw)),
      adapterPerSecond: Math.round(median(publish.adapter)),
      ratio: median(publish.adapter) / median(publish.raw),
    },
    consumeAck: {
      rawPerSecond: Math.round(median(consume.raw)),
      adapterPerSecond: Math.round(median(consume.adapter)),
      ratio: median(consume.adapter) / median(consume.raw),
    },
    latency: {
      ratePerSecond: LATENCY_RATE,
      samples: latencies.length,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      maxMs: latencies.at(-1) ?? 0,
    },
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/rabbitmq.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  const f = (n: number) => n.toLocaleString('en-US');
  console.log(
    `${N.toLocaleString('en-US')} persistent 200-byte messages, median of ${RUNS} runs, quorum queues, prefetch ${PREFETCH}.\n`,
  );
  console.log('| path | raw amqplib (msg/s) | @rxtrade/rabbitmq (msg/s) | adapter / raw |');
  console.log('|---|---:|---:|---:|');
  console.log(
    `| publish, all confirmed | ${f(result.publishConfirmed.rawPerSecond)} | ${f(result.publishConfirmed.adapterPerSecond)} | ${(result.publishConfirmed.ratio * 100).toFixed(0)}% |`,
  );
  console.log(
    `| consume + ack | ${f(result.consumeAck.rawPerSecond)} | ${f(result.consumeAck.adapterPerSecond)} | ${(result.consumeAck.ratio * 100).toFixed(0)}% |`,
  );
  console.log(`\n| publish → handler at ${f(LATENCY_RATE)} msg/s | p50 | p99 | max | samples |`);
  console.log('|---|---:|---:|---:|---:|');
  console.log(
    `| adapter | ${result.latency.p50Ms.toFixed(2)} ms | ${result.latency.p99Ms.toFixed(2)} ms | ${result.latency.maxMs.toFixed(2)} ms | ${f(latencies.length)} |`,
  );
}

await main();
