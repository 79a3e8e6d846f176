import type { BusEnvelope, Logger } from '@rxtrade/core';
import { Redis } from 'ioredis';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, REDIS_URL, requireRedis, uniquePrefix } from '../test/helpers';
import { createRedisClient } from './connection';
import { redisKeys } from './keys';
import {
  createRedisPublisher,
  createRedisSubscriber,
  type RedisPublisher,
  type RedisPubSubMessage,
} from './pubsub';

const redisUp = await requireRedis();

const envelope = (id: string, payload: unknown = { n: id }): BusEnvelope => ({
  v: 1,
  type: 'PositionChanged',
  id,
  ts: 1_700_000_000_000,
  correlationId: `c-${id}`,
  payload,
});

describe.skipIf(!redisUp)('Redis pub/sub fan-out', () => {
  const prefix = uniquePrefix('ps');
  let publisher: RedisPublisher;
  beforeAll(() => {
    publisher = createRedisPublisher({ url: REDIS_URL }, { prefix });
  });
  afterAll(() => publisher.close());

  it('delivers to every subscriber of a topic, and to pattern subscribers', async () => {
    const one = createRedisSubscriber({ url: REDIS_URL }, { prefix });
    const two = createRedisSubscriber({ url: REDIS_URL }, { prefix });
    try {
      const exact = await one.subscribe('positions.acct-1');
      const pattern = await two.subscribe('positions.*');
      const gotExact = firstValueFrom(exact.messages$.pipe(take(2), toArray()));
      const gotPattern = firstValueFrom(pattern.messages$.pipe(take(3), toArray()));
      expect(await publisher.publish('positions.acct-1', envelope('a'))).toBe(2);
      await publisher.publish('positions.acct-2', envelope('b'));
      await publisher.publish('positions.acct-1', envelope('c'));
      expect((await gotExact).map((m) => m.message.id)).toEqual(['a', 'c']);
      expect((await gotPattern).map((m: RedisPubSubMessage) => [m.topic, m.message.id])).toEqual([
        ['positions.acct-1', 'a'],
        ['positions.acct-2', 'b'],
        ['positions.acct-1', 'c'],
      ]);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('drops (and logs) an invalid message without ending the stream', async () => {
    const warnings: string[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (fields: object | string, message?: string) => void warnings.push(message ?? String(fields)),
      error: () => {},
      child: () => logger,
    };
    const subscriber = createRedisSubscriber({ url: REDIS_URL }, { prefix, logger });
    const raw = new Redis(REDIS_URL);
    try {
      const sub = await subscriber.subscribe('fills.acct-9');
      const got = firstValueFrom(sub.messages$.pipe(take(1)));
      await raw.publish(redisKeys(prefix).channel('fills.acct-9'), 'not json');
      await raw.publish(redisKeys(prefix).channel('fills.acct-9'), JSON.stringify({ v: 2, id: 'x' }));
      await publisher.publish('fills.acct-9', envelope('ok'));
      expect((await got).message.id).toBe('ok');
      expect(warnings).toEqual(['dropped an invalid pub/sub message', 'dropped an invalid pub/sub message']);
    } finally {
      await subscriber.close();
      raw.disconnect();
    }
  });

  it('completes messages$ on unsubscribe and close, and stops receiving', async () => {
    const subscriber = createRedisSubscriber({ url: REDIS_URL }, { prefix });
    const first = await subscriber.subscribe('risk.state');
    const second = await subscriber.subscribe('risk.state');
    let firstDone = false;
    let secondDone = false;
    const seen: string[] = [];
    first.messages$.subscribe({
      complete: () => {
        firstDone = true;
      },
    });
    second.messages$.subscribe({
      next: (m) => seen.push(m.message.id),
      complete: () => {
        secondDone = true;
      },
    });
    await first.unsubscribe();
    await first.unsubscribe();
    expect(firstDone).toBe(true);
    // The other subscription to the same channel still receives.
    await publisher.publish('risk.state', envelope('still-here'));
    expect(await eventually(() => seen.length === 1)).toBe(true);
    await subscriber.close();
    await subscriber.close();
    expect(secondDone).toBe(true);
    expect(await publisher.publish('risk.state', envelope('nobody'))).toBe(0);
  });

  it('duplicates a client it was given for subscriber mode and leaves the original usable', async () => {
    const client = createRedisClient(REDIS_URL);
    try {
      const subscriber = createRedisSubscriber({ client }, { prefix });
      const sub = await subscriber.subscribe('orders.events.a');
      const got = firstValueFrom(sub.messages$.pipe(take(1)));
      const shared = createRedisPublisher({ client }, { prefix });
      await shared.publish('orders.events.a', envelope('shared'));
      expect((await got).message.id).toBe('shared');
      await subscriber.close();
      await shared.close();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('rejects an invalid envelope or topic before sending', async () => {
    await expect(publisher.publish('bad topic', envelope('x'))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      publisher.publish('ok', { ...envelope('x'), v: 2 } as unknown as BusEnvelope),
    ).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
    });
  });
});
