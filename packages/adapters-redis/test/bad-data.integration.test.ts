import type { BusEnvelope, RxtradeError } from '@rxtrade/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../src/keys';
import { createRedisLockManager } from '../src/lock-manager';
import { createRedisMarketDataCache } from '../src/market-data-cache';
import { openStateStore } from '../src/state-store';
import { createRedisStreamConsumer } from '../src/streams';
import { applyScriptVariants, eventually } from './helpers';
import { requireRedisServerBinary, type SpawnedRedis, spawnRedis } from './redis-server';

const binary = await requireRedisServerBinary();
const prefix = 'f5:';
const keys = redisKeys(prefix);

/** The rejection of `promise`, which must be a CORRUPT_STATE RxtradeError. */
async function corruption(promise: Promise<unknown>): Promise<RxtradeError> {
  const error = await promise.then(
    () => {
      throw new Error('expected CORRUPT_STATE, but the call succeeded');
    },
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ name: 'RxtradeError', code: 'CORRUPT_STATE' });
  return error as RxtradeError;
}

describe.skipIf(!binary)('fault: bad data in Redis', () => {
  let server: SpawnedRedis;
  let admin: Redis;
  beforeAll(async () => {
    server = await spawnRedis();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.cleanup();
  });

  it.each(applyScriptVariants)(
    'StateStore ($script script): a record of the wrong type or an unparsable field is CORRUPT_STATE naming the key; nothing is written',
    async ({ internals }) => {
      await admin.flushall();
      const store = openStateStore({ url: server.url }, { prefix }, internals);
      try {
        await admin.set(keys.state('position:acct-1:BTC'), 'not a hash');
        await admin.hset(keys.state('account:acct-1'), 'cash', '12.50');

        const onGet = await corruption(store.get('position:acct-1:BTC'));
        expect(onGet.message).toContain('position:acct-1:BTC');
        expect(onGet.details).toMatchObject({ key: 'position:acct-1:BTC' });
        const onList = await corruption(store.list('position:'));
        expect(onList.details).toMatchObject({ key: 'position:acct-1:BTC' });

        const onSet = await corruption(
          store.apply({
            eventId: 'e-1',
            ops: [
              { op: 'set', key: 'order:1', fields: { status: 'FILLED' } },
              { op: 'set', key: 'position:acct-1:BTC', fields: { qty: '1' } },
            ],
          }),
        );
        expect(onSet.details).toMatchObject({ key: 'position:acct-1:BTC' });
        expect(onSet.message).toMatch(/position:acct-1:BTC.*string, not a hash/);

        const asFirstWrite = await corruption(
          store.apply({
            eventId: 'e-1',
            ops: [
              { op: 'set', key: 'position:acct-1:BTC', fields: { qty: '1' } },
              { op: 'set', key: 'order:1', fields: { status: 'FILLED' } },
            ],
          }),
        );
        expect(asFirstWrite.details).toMatchObject({ key: 'position:acct-1:BTC' });

        const onIncr = await corruption(
          store.apply({ ops: [{ op: 'incrBy', key: 'account:acct-1', field: 'cash', by: 100 }] }),
        );
        expect(onIncr.details).toMatchObject({ key: 'account:acct-1', field: 'cash' });

        // All-or-nothing: the batch's other op and its event id were not applied.
        expect(await store.get('order:1')).toBeUndefined();
        expect(await admin.exists(keys.event('e-1'))).toBe(0);

        // A corrupt fence value or event marker is named too.
        await admin.set(keys.fence('acct-9'), 'seven');
        const onFence = await corruption(
          store.apply({
            fence: { resource: 'acct-9', token: 1 },
            ops: [{ op: 'set', key: 'x', fields: { a: '1' } }],
          }),
        );
        expect(onFence.details).toMatchObject({ key: keys.fence('acct-9') });
        await admin.hset(keys.event('e-2'), 'a', 'b');
        const onEvent = await corruption(
          store.apply({ eventId: 'e-2', ops: [{ op: 'set', key: 'x', fields: { a: '1' } }] }),
        );
        expect(onEvent.details).toMatchObject({ key: keys.event('e-2') });

        // The store is still fine for everything else, and delete repairs a wrong-type record.
        await store.apply({ ops: [{ op: 'delete', key: 'position:acct-1:BTC' }] });
        expect(
          await store.apply({ ops: [{ op: 'set', key: 'position:acct-1:BTC', fields: { qty: '1' } }] }),
        ).toEqual({
          applied: true,
        });
        expect(await store.list('position:')).toEqual([['position:acct-1:BTC', { qty: '1' }]]);
      } finally {
        await store.close();
      }
    },
  );

  it('LockManager: a corrupt fence counter or lease key is CORRUPT_STATE naming the key', async () => {
    const locks = createRedisLockManager({ url: server.url }, { prefix });
    try {
      await admin.set(keys.fence('acct-x'), 'NaN');
      const onToken = await corruption(locks.acquire('acct-x', { ttlMs: 1_000 }));
      expect(onToken.message).toContain(keys.fence('acct-x'));
      await admin.rpush(keys.lease('acct-y'), 'a');
      const onLease = await corruption(locks.acquire('acct-y', { ttlMs: 1_000 }));
      expect(onLease.message).toContain(keys.lease('acct-y'));
    } finally {
      await locks.close();
    }
  });

  it('MarketDataCache: garbage bars and quotes are CORRUPT_STATE naming the key (and index)', async () => {
    const cache = createRedisMarketDataCache({ url: server.url }, { prefix });
    try {
      const good = { symbol: 'ETH', ts: 1, open: 1, high: 2, low: 1, close: 2, volume: 1 };
      await admin.rpush(keys.bars('ETH'), JSON.stringify(good), '{"symbol":"ETH","ts":2,"open":"x"}');
      const onBars = await corruption(cache.bars('ETH'));
      expect(onBars.details).toMatchObject({ key: 'ETH', redisKey: keys.bars('ETH'), index: 1 });
      expect(onBars.message).toContain(`${keys.bars('ETH')}[1]`);
      // The newest bar does not parse: pushing next to it is refused rather than guessed.
      await admin.rpush(keys.bars('ETH'), '}{');
      await corruption(cache.pushBar({ ...good, ts: 3 }));
      await admin.set(keys.bars('SOL'), 'x');
      await corruption(cache.bars('SOL'));
      await admin.set(keys.quote('ETH'), 'not json');
      const onQuote = await corruption(cache.quote('ETH'));
      expect(onQuote.details).toMatchObject({ key: 'ETH', redisKey: keys.quote('ETH') });
      await admin.hset(keys.quote('SOL'), 'a', 'b');
      await corruption(cache.quote('SOL'));
    } finally {
      await cache.close();
    }
  });

  it('Streams: an entry that is not a valid envelope is dead-lettered; the consumer keeps going', async () => {
    const seen: string[] = [];
    const consumer = createRedisStreamConsumer(
      { url: server.url },
      {
        prefix,
        stream: 'fills',
        group: 'g',
        consumer: 'c',
        blockMs: 100,
        handler: (m) => void seen.push(m.id),
      },
    );
    const ok: BusEnvelope = { v: 1, type: 'Fill', id: 'ok-1', ts: 1, correlationId: 'c', payload: {} };
    await admin.xadd(keys.stream('fills'), '*', 'm', '][');
    await admin.xadd(keys.stream('fills'), '*', 'other', 'field');
    await admin.xadd(keys.stream('fills'), '*', 'm', JSON.stringify(ok));
    try {
      await consumer.start();
      expect(await eventually(() => seen.length === 1)).toBe(true);
      expect(seen).toEqual(['ok-1']);
      expect(await eventually(async () => (await admin.xlen(keys.deadLetter('fills'))) === 2)).toBe(true);
    } finally {
      await consumer.stop();
    }
  });
});
