import type { BusEnvelope, DeadLetterPayload } from '@rxtrade/core';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, eventually, REDIS_URL, requireRedis, uniquePrefix } from '../test/helpers';
import { redisKeys } from './keys';
import {
  createRedisStreamConsumer,
  createRedisStreamProducer,
  type RedisStreamConsumer,
  type RedisStreamProducer,
  type StreamDeliveryContext,
} from './streams';

const redisUp = await requireRedis();

const envelope = (id: string): BusEnvelope => ({
  v: 1,
  type: 'FillReceived',
  id,
  ts: 1_700_000_000_000,
  correlationId: `c-${id}`,
  payload: { tradeId: id },
});

describe.skipIf(!redisUp)('Redis Streams fan-out (at-least-once)', () => {
  const run = uniquePrefix('streams');
  let admin: Redis;
  let producer: RedisStreamProducer;
  let prefix: string;
  const consumers: RedisStreamConsumer[] = [];
  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await admin.quit();
    await deletePrefix(REDIS_URL, run);
  });
  const setup = (maxLen?: number) => {
    prefix = `${run}${Math.random().toString(36).slice(2)}:`;
    producer = createRedisStreamProducer({ url: REDIS_URL }, { prefix, ...(maxLen ? { maxLen } : {}) });
  };
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    await producer.close();
  });
  const consume = (
    name: string,
    handler: (m: BusEnvelope, ctx: StreamDeliveryContext) => void | Promise<void>,
    extra: { claimIdleMs?: number; maxDeliveries?: number; group?: string } = {},
  ) => {
    const consumer = createRedisStreamConsumer(
      { url: REDIS_URL },
      {
        prefix,
        stream: 'fills.acct-1',
        group: extra.group ?? 'order-service',
        consumer: name,
        handler,
        blockMs: 100,
        ...extra,
      },
    );
    consumers.push(consumer);
    return consumer;
  };
  const pending = async (group = 'order-service') =>
    ((await admin.xpending(redisKeys(prefix).stream('fills.acct-1'), group)) as [number])[0];

  it('delivers every entry once per group, in order, and acknowledges it', async () => {
    setup();
    const a: string[] = [];
    const b: string[] = [];
    const audit: string[] = [];
    await consume('a', (m) => void a.push(m.id)).start();
    await consume('b', (m) => void b.push(m.id)).start();
    await consume('audit', (m) => void audit.push(m.id), { group: 'audit' }).start();
    const ids = Array.from({ length: 500 }, (_, i) => `f-${i}`);
    for (const id of ids) await producer.append('fills.acct-1', envelope(id));
    expect(await eventually(() => a.length + b.length === 500 && audit.length === 500)).toBe(true);
    expect([...a, ...b].sort()).toEqual([...ids].sort());
    expect(audit).toEqual(ids);
    // Each consumer saw its share in stream order.
    expect(a).toEqual(ids.filter((id) => a.includes(id)));
    expect(await eventually(async () => (await pending()) === 0)).toBe(true);
  });

  it('reclaims entries a crashed consumer read but never acknowledged (XAUTOCLAIM after claimIdleMs)', async () => {
    setup();
    for (let i = 0; i < 20; i++) await producer.append('fills.acct-1', envelope(`f-${i}`));
    // "crashed": reads as consumer `dead` through the group and never acks.
    const key = redisKeys(prefix).stream('fills.acct-1');
    await admin.xgroup('CREATE', key, 'order-service', '0');
    await admin.xreadgroup('GROUP', 'order-service', 'dead', 'COUNT', 20, 'STREAMS', key, '>');
    expect(await pending()).toBe(20);
    const seen: Array<[string, number]> = [];
    await consume('alive', (m, ctx) => void seen.push([m.id, ctx.deliveryCount]), {
      claimIdleMs: 200,
    }).start();
    expect(await eventually(() => seen.length === 20)).toBe(true);
    expect(seen.every(([, count]) => count === 2)).toBe(true);
    expect(await eventually(async () => (await pending()) === 0)).toBe(true);
  });

  it('re-reads its own pending entries on restart under the same consumer name', async () => {
    setup();
    for (let i = 0; i < 5; i++) await producer.append('fills.acct-1', envelope(`f-${i}`));
    const key = redisKeys(prefix).stream('fills.acct-1');
    await admin.xgroup('CREATE', key, 'order-service', '0');
    await admin.xreadgroup('GROUP', 'order-service', 'worker-1', 'COUNT', 5, 'STREAMS', key, '>');
    const seen: string[] = [];
    // claimIdleMs is long: only own-pending recovery can deliver these.
    await consume('worker-1', (m) => void seen.push(m.id), { claimIdleMs: 60_000 }).start();
    expect(await eventually(() => seen.length === 5)).toBe(true);
    expect(seen).toEqual(['f-0', 'f-1', 'f-2', 'f-3', 'f-4']);
    expect(await eventually(async () => (await pending()) === 0)).toBe(true);
  });

  it('retries a failing handler, then dead-letters after maxDeliveries; poison entries go straight there', async () => {
    setup();
    const attempts = new Map<string, number>();
    await consume(
      'w',
      (m, ctx) => {
        attempts.set(m.id, ctx.deliveryCount);
        if (m.id === 'always-fails') throw new Error('boom');
        if (m.id === 'fails-once' && ctx.deliveryCount === 1) throw new Error('transient');
      },
      { claimIdleMs: 50, maxDeliveries: 3 },
    ).start();
    await producer.append('fills.acct-1', envelope('fails-once'));
    await producer.append('fills.acct-1', envelope('always-fails'));
    await admin.xadd(redisKeys(prefix).stream('fills.acct-1'), '*', 'm', '{"v":1,"nope":true}');
    await producer.append('fills.acct-1', envelope('fine'));
    const dlq = redisKeys(prefix).deadLetter('fills.acct-1');
    expect(await eventually(async () => (await admin.xlen(dlq)) === 2, 10_000)).toBe(true);
    expect(attempts.get('fails-once')).toBe(2);
    expect(attempts.get('always-fails')).toBe(3);
    expect(attempts.get('fine')).toBe(1);
    const dead = (await admin.xrange(dlq, '-', '+')).map(
      ([, fields]) => JSON.parse(fields[1] ?? '{}') as BusEnvelope,
    );
    expect(dead.map((d) => d.type)).toEqual(['MessageDeadLettered', 'MessageDeadLettered']);
    const reasons = dead.map((d) => (d.payload as DeadLetterPayload).reason);
    expect(reasons.some((r) => r.startsWith('INVALID_MESSAGE'))).toBe(true);
    expect(reasons.some((r) => r.includes('maxDeliveries 3'))).toBe(true);
    expect(await eventually(async () => (await pending()) === 0)).toBe(true);
  });

  it('caps the stream length (MAXLEN ~)', async () => {
    setup(50);
    for (let i = 0; i < 1_000; i++) await producer.append('fills.acct-1', envelope(`f-${i}`));
    const length = await admin.xlen(redisKeys(prefix).stream('fills.acct-1'));
    expect(length).toBeGreaterThanOrEqual(50);
    expect(length).toBeLessThan(200);
  });

  it('stop() is prompt and idempotent, and a stopped consumer cannot restart', async () => {
    setup();
    const consumer = consume('s', () => {});
    await consumer.start();
    await consumer.start();
    const started = Date.now();
    await Promise.all([consumer.stop(), consumer.stop()]);
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(consumer.start()).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
