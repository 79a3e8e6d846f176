import { isRxtradeError, noopLogger, type StateStore } from '@rxtrade/core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openConnection, redisVersionAtLeast } from '../src/connection';
import { redisKeys } from '../src/keys';
import { openStateStore, type StateStoreInternals } from '../src/state-store';
import { APPLY_SCRIPT, APPLY_SCRIPT_PRE_7 } from '../src/state-store-script';
import { applyScriptVariants, eventually } from './helpers';
import { requireRedisServerBinary, suiteRedis } from './redis-server';

// A server of our own: the tests count the commands the scripts ran (INFO commandstats).
const binary = await requireRedisServerBinary();

describe.skipIf(!binary)('StateStore.apply: the script each server gets', () => {
  const own = suiteRedis();
  let version: string;
  let store: StateStore;
  let run = 0;
  let prefix: string;
  beforeAll(async () => {
    version = /^redis_version:(\S+)/m.exec(await own.admin.info('server'))?.[1] ?? '';
  });
  beforeEach(() => {
    prefix = `s${++run}:`;
  });
  afterEach(() => store?.close());

  const open = async (internals: StateStoreInternals): Promise<StateStore> => {
    store = openStateStore({ url: own.server.url }, { prefix }, internals);
    await store.get('warm-up'); // connected, and the server's version known (asked before this)
    await own.admin.config('RESETSTAT');
    return store;
  };
  /** How many times the scripts (and anyone) ran each command since the last RESETSTAT. */
  const commandCalls = async (): Promise<Record<'get' | 'set' | 'hset' | 'zadd', number>> => {
    const stats = await own.admin.info('commandstats');
    const calls = (name: string): number =>
      Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    return { get: calls('get'), set: calls('set'), hset: calls('hset'), zadd: calls('zadd') };
  };
  const upsert = (i: number) => ({
    eventId: `e-${i}`,
    ops: [{ op: 'set' as const, key: `position:${i % 7}`, fields: { qty: String(i), side: 'long' } }],
  });

  it('asks the server version on every connect (INFO server), and forgets it while disconnected', async () => {
    const handle = openConnection(
      { url: own.server.url },
      {
        component: 'test',
        logger: noopLogger,
        askServerVersion: true,
      },
    );
    try {
      expect(await eventually(() => handle.serverVersion() === version)).toBe(true);
      await own.admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      expect(await eventually(() => handle.serverVersion() === undefined, 2_000, 1)).toBe(true);
      expect(await eventually(() => handle.serverVersion() === version)).toBe(true);
    } finally {
      await handle.close();
    }
  });

  it('on Redis ≥ 7.0, claims the event marker with one SET … NX GET: no GET per apply', async () => {
    expect(redisVersionAtLeast(version, 7, 0)).toBe(true);
    await open({});
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => store.apply(upsert(i))));
    for (let i = 40; i < 50; i++) results.push(await store.apply(upsert(i)));
    expect(results.every((r) => r.applied)).toBe(true);
    // The index gains each of the 7 records once: an HSET that adds no field skips its ZADD.
    expect(await commandCalls()).toEqual({ get: 0, set: 50, hset: 50, zadd: 7 });
    // A redelivery is still a duplicate: SET NX found the marker and wrote nothing.
    expect(await store.apply(upsert(3))).toEqual({ applied: false, reason: 'DUPLICATE_EVENT' });
    expect(await own.admin.get(redisKeys(prefix).event('e-3'))).toMatch(/:\d+$/);
  });

  it('with the pre-7.0 script forced, GETs the marker before and SETs it after the writes', async () => {
    await open({ forcePre7Script: true });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.apply(upsert(i))));
    expect(results.every((r) => r.applied)).toBe(true);
    expect(await commandCalls()).toEqual({ get: 50, set: 50, hset: 50, zadd: 7 });
  });

  describe.each(applyScriptVariants)('$script script', ({ internals }) => {
    it('a failed apply leaves no event marker behind; its retry applies once the data is repaired', async () => {
      await open(internals);
      const keys = redisKeys(prefix);
      await own.admin.set(keys.state('position:bad'), 'not a hash');
      await own.admin.hset(keys.state('account:1'), 'cash', '1.5');
      const failures = await Promise.allSettled([
        // The first record write fails (after the marker was claimed, on Redis ≥ 7.0).
        store.apply({ eventId: 'a', ops: [{ op: 'set', key: 'position:bad', fields: { qty: '1' } }] }),
        // A check fails before any record write.
        store.apply({
          eventId: 'b',
          ops: [
            { op: 'set', key: 'order:1', fields: { s: 'FILLED' } },
            { op: 'incrBy', key: 'account:1', field: 'cash', by: 5 },
          ],
        }),
        // Applied, between the two failures and in the same script call.
        store.apply({ eventId: 'c', ops: [{ op: 'set', key: 'order:2', fields: { s: 'NEW' } }] }),
      ]);
      expect(
        failures.map((f) => (f.status === 'rejected' && isRxtradeError(f.reason) ? f.reason.code : f.status)),
      ).toEqual(['CORRUPT_STATE', 'CORRUPT_STATE', 'fulfilled']);
      expect(await own.admin.exists(keys.event('a'), keys.event('b'), keys.state('order:1'))).toBe(0);
      expect(await own.admin.exists(keys.event('c'))).toBe(1);

      await own.admin.del(keys.state('position:bad'));
      await own.admin.hset(keys.state('account:1'), 'cash', '1');
      expect(
        await store.apply({ eventId: 'a', ops: [{ op: 'set', key: 'position:bad', fields: { qty: '1' } }] }),
      ).toEqual({
        applied: true,
      });
      expect(await store.get('position:bad')).toEqual({ qty: '1' });
    });

    it('the upsert layout: a call re-sent after its reply was lost (same nonce) is applied, once', async () => {
      // The script called directly, as a client that re-sends an unanswered command would.
      const source = 'forcePre7Script' in internals ? APPLY_SCRIPT_PRE_7 : APPLY_SCRIPT;
      const keys = redisKeys(prefix);
      const call = (nonce: string, qty: string) =>
        own.admin.eval(
          source,
          2,
          keys.event('e'),
          keys.state('p'),
          '60',
          keys.stateIndex(),
          '-2',
          nonce,
          'qty',
          qty,
          'side',
          'long',
        );
      expect(await call('n:1', '5')).toEqual(['OK']);
      expect(await call('n:1', '5')).toEqual(['OK']);
      expect(await call('n:2', '6')).toEqual(['DUP']);
      expect(await own.admin.hgetall(keys.state('p'))).toEqual({ qty: '5', side: 'long' });
      expect(await own.admin.get(keys.event('e'))).toBe('n:1');
      expect(await own.admin.ttl(keys.event('e'))).toBeGreaterThan(50);
      expect(await own.admin.zrange(keys.stateIndex(), 0, -1)).toEqual([keys.state('p')]);
    });

    it('a fence refusal wins over a duplicate and writes no marker', async () => {
      await open(internals);
      const keys = redisKeys(prefix);
      const fill = (eventId: string, token: number) => ({
        eventId,
        fence: { resource: 'acct-1', token },
        ops: [{ op: 'set' as const, key: 'position:acct-1:X', fields: { qty: eventId } }],
      });
      expect(await store.apply(fill('f-1', 5))).toEqual({ applied: true });
      expect(await store.apply(fill('f-1', 5))).toEqual({ applied: false, reason: 'DUPLICATE_EVENT' });
      await own.admin.set(keys.fence('acct-1'), '9');
      expect(await store.apply(fill('f-1', 5))).toEqual({ applied: false, reason: 'STALE_FENCING_TOKEN' });
      expect(await store.apply(fill('f-2', 5))).toEqual({ applied: false, reason: 'STALE_FENCING_TOKEN' });
      expect(await own.admin.exists(keys.event('f-2'))).toBe(0);
      expect(await store.apply(fill('f-2', 9))).toEqual({ applied: true });
      expect(await store.get('position:acct-1:X')).toEqual({ qty: 'f-2' });
    });
  });
});
