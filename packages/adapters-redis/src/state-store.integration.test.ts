import { isRxtradeError, type StateStore } from '@rxtrade/core';
import { stateStoreContract } from '@rxtrade/core/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyScriptVariants, deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from '../test/helpers';
import { createRedisClient } from './connection';
import { redisKeys } from './keys';
import { createRedisStateStore, openStateStore } from './state-store';

const redisUp = await requireRedis();
const run = uniquePrefix('state');

const code = (expected: string) => (e: unknown) => isRxtradeError(e) && e.code === expected;

describe.skipIf(!redisUp).each(applyScriptVariants)('RedisStateStore, $script script', ({ internals }) => {
  afterAll(() => deletePrefix(REDIS_URL, run));

  stateStoreContract({
    create: () =>
      openStateStore(
        { url: REDIS_URL },
        { prefix: `${run}${Math.random().toString(36).slice(2)}:` },
        internals,
      ),
  });

  describe('beyond the contract', () => {
    let admin: Redis;
    let store: StateStore;
    let prefix: string;
    beforeAll(() => {
      admin = new Redis(REDIS_URL);
    });
    afterAll(() => admin.quit());
    afterEach(() => store?.close());
    const open = (options: { dedupeTtlSeconds?: number } = {}) => {
      prefix = `${run}${Math.random().toString(36).slice(2)}:`;
      store = openStateStore({ url: REDIS_URL }, { prefix, ...options }, internals);
      return store;
    };

    it('stores each record as a hash under the documented key, and the event marker with its TTL', async () => {
      open({ dedupeTtlSeconds: 120 });
      await store.apply({
        eventId: 'fill-7',
        fence: { resource: 'acct-1', token: 3 },
        ops: [{ op: 'set', key: 'position:acct-1:SPX', fields: { qty: '5', avgPx: '101.25' } }],
      });
      const keys = redisKeys(prefix);
      expect(await admin.type(keys.state('position:acct-1:SPX'))).toBe('hash');
      expect(await admin.hgetall(keys.state('position:acct-1:SPX'))).toEqual({ qty: '5', avgPx: '101.25' });
      const ttl = await admin.ttl(keys.event('fill-7'));
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
      expect(await admin.get(keys.fence('acct-1'))).toBe('3');
      expect(await admin.ttl(keys.fence('acct-1'))).toBe(-1);
    });

    it('keeps applications with different prefixes apart', async () => {
      const a = open();
      const b = createRedisStateStore({ url: REDIS_URL }, { prefix: `${prefix}other:` });
      try {
        await a.apply({ eventId: 'e1', ops: [{ op: 'set', key: 'order:1', fields: { s: 'a' } }] });
        expect(await b.get('order:1')).toBeUndefined();
        expect(
          await b.apply({ eventId: 'e1', ops: [{ op: 'set', key: 'order:1', fields: { s: 'b' } }] }),
        ).toEqual({
          applied: true,
        });
        expect(await a.get('order:1')).toEqual({ s: 'a' });
      } finally {
        await b.close();
      }
    });

    it('increments exactly beyond 2^53 (64-bit integers in Redis) and refuses a 64-bit overflow unchanged', async () => {
      open();
      const max = Number.MAX_SAFE_INTEGER;
      await store.apply({ ops: [{ op: 'incrBy', key: 'account:a', field: 'cash', by: max }] });
      await store.apply({ ops: [{ op: 'incrBy', key: 'account:a', field: 'cash', by: max }] });
      expect(await store.get('account:a')).toEqual({ cash: '18014398509481982' });
      await admin.hset(redisKeys(prefix).state('account:a'), 'cash', '9223372036854775000');
      await expect(
        store.apply({
          ops: [
            { op: 'set', key: 'account:a', fields: { note: 'x' } },
            { op: 'incrBy', key: 'account:a', field: 'cash', by: 1_000 },
          ],
        }),
      ).rejects.toSatisfy(code('INVALID_ARGUMENT'));
      expect(await store.get('account:a')).toEqual({ cash: '9223372036854775000' });
    });

    it('checks incrBy targets against the batch’s own earlier ops (all-or-nothing inside one batch)', async () => {
      open();
      await expect(
        store.apply({
          ops: [
            { op: 'set', key: 'position:p', fields: { qty: 'oops', side: 'long' } },
            { op: 'incrBy', key: 'position:p', field: 'qty', by: 1 },
          ],
        }),
      ).rejects.toSatisfy(code('CORRUPT_STATE'));
      expect(await store.get('position:p')).toBeUndefined();
      await store.apply({
        ops: [
          { op: 'replace', key: 'position:p', fields: { qty: '10' } },
          { op: 'incrBy', key: 'position:p', field: 'qty', by: 5 },
          { op: 'incrBy', key: 'position:p', field: 'qty', by: -2 },
          { op: 'incrBy', key: 'position:p', field: 'fills', by: 1 },
        ],
      });
      expect(await store.get('position:p')).toEqual({ qty: '13', fills: '1' });
      await store.apply({
        ops: [
          { op: 'delete', key: 'position:p' },
          { op: 'incrBy', key: 'position:p', field: 'qty', by: 1 },
        ],
      });
      expect(await store.get('position:p')).toEqual({ qty: '1' });
    });

    it('names the corrupt key and field in a CORRUPT_STATE error', async () => {
      open();
      await store.apply({ ops: [{ op: 'set', key: 'account:z', fields: { cash: '1.5' } }] });
      const error = await store
        .apply({ ops: [{ op: 'incrBy', key: 'account:z', field: 'cash', by: 1 }] })
        .catch((e: unknown) => e);
      expect(error).toSatisfy(code('CORRUPT_STATE'));
      expect((error as Error).message).toContain('account:z.cash');
      expect((error as { details: Record<string, unknown> }).details).toMatchObject({
        key: 'account:z',
        field: 'cash',
      });
    });

    it('lists literally (glob characters in keys) across many SCAN pages, sorted', async () => {
      open();
      const ops = Array.from({ length: 2_500 }, (_, i) => ({
        op: 'set' as const,
        key: `order:${String(i).padStart(5, '0')}`,
        fields: { i: String(i) },
      }));
      for (let i = 0; i < ops.length; i += 500) await store.apply({ ops: ops.slice(i, i + 500) });
      await store.apply({
        ops: [
          { op: 'set', key: 'odd:*[x]?', fields: { a: '1' } },
          { op: 'set', key: 'odd:a', fields: { a: '2' } },
        ],
      });
      const listed = await store.list('order:');
      expect(listed).toHaveLength(2_500);
      expect(listed[0]).toEqual(['order:00000', { i: '0' }]);
      expect(listed.at(-1)).toEqual(['order:02499', { i: '2499' }]);
      expect((await store.list('odd:*')).map(([k]) => k)).toEqual(['odd:*[x]?']);
    });

    it('finishes calls issued before close(), and keeps issue order for un-awaited calls', async () => {
      open();
      await store.get('warm-up'); // connected
      const first = store.apply({ ops: [{ op: 'set', key: 'k', fields: { v: '1' } }] });
      const read = store.get('k');
      const second = store.apply({ ops: [{ op: 'set', key: 'k', fields: { v: '2' } }] });
      const listed = store.list('k');
      await store.close();
      expect(await first).toEqual({ applied: true });
      expect(await read).toEqual({ v: '1' });
      expect(await second).toEqual({ applied: true });
      expect(await listed).toEqual([['k', { v: '2' }]]);
      await expect(store.get('k')).rejects.toSatisfy(code('CLOSED'));
    });

    it('rejects calls still waiting for the first connection with CLOSED when closed', async () => {
      const unreachable = createRedisStateStore({ url: 'redis://127.0.0.1:1' }, { prefix: 'never:' });
      const pending = unreachable.get('k');
      await unreachable.close();
      await expect(pending).rejects.toSatisfy(code('CLOSED'));
    });

    it('does not quit a client it was given, and refuses ioredis keyPrefix on a client or in redisOptions', async () => {
      const client = createRedisClient(REDIS_URL);
      try {
        const shared = createRedisStateStore({ client }, { prefix: `${run}shared:` });
        await shared.apply({ ops: [{ op: 'set', key: 'k', fields: { a: '1' } }] });
        await shared.close();
        expect(await client.ping()).toBe('PONG');
        await expect(shared.get('k')).rejects.toSatisfy(code('CLOSED'));
      } finally {
        client.disconnect();
      }
      const prefixed = new Redis(REDIS_URL, { keyPrefix: 'x:', lazyConnect: true });
      expect(() => createRedisStateStore({ client: prefixed })).toThrow(
        expect.objectContaining({ code: 'INVALID_CONFIG' }),
      );
      expect(() => createRedisStateStore({ url: REDIS_URL, redisOptions: { keyPrefix: 'x:' } })).toThrow(
        expect.objectContaining({
          code: 'INVALID_CONFIG',
          message: expect.stringContaining('redisOptions set'),
        }),
      );
      expect(() => createRedisStateStore({ url: REDIS_URL }, { dedupeTtlSeconds: -1 })).toThrow(
        expect.objectContaining({ code: 'INVALID_CONFIG' }),
      );
    });
  });
});
