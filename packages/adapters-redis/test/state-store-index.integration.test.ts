import { listAll, type StateStore } from '@rxtrade/core';
import { afterEach, describe, expect, it } from 'vitest';
import { redisKeys } from '../src/keys';
import { openStateStore } from '../src/state-store';
import { applyScriptVariants } from './helpers';
import { requireRedisServerBinary, suiteRedis } from './redis-server';

// A server of our own: the tests count the commands a listing runs (INFO commandstats).
const binary = await requireRedisServerBinary();

const UNRELATED = 100_000;

describe.skipIf(!binary)('StateStore index: listing a prefix costs the page, not the keyspace', () => {
  const own = suiteRedis();
  let store: StateStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  const calls = async (): Promise<Record<string, number>> => {
    const stats = await own.admin.info('commandstats');
    const out: Record<string, number> = {};
    for (const match of stats.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g))
      out[match[1] ?? ''] = Number(match[2]);
    return out;
  };

  it.each(applyScriptVariants)(
    'keeps the index in step with every kind of write ($script)',
    async ({ internals }) => {
      const prefix = `ix-${'forcePre7Script' in internals ? 'pre7' : 'v7'}:`;
      const keys = redisKeys(prefix);
      store = openStateStore({ url: own.server.url }, { prefix }, internals);
      await store.apply({ eventId: 'e1', ops: [{ op: 'set', key: 'p:a', fields: { q: '1' } }] });
      await store.apply({ ops: [{ op: 'incrBy', key: 'p:b', field: 'q', by: 2 }] });
      await store.apply({ ops: [{ op: 'replace', key: 'p:c', fields: { q: '3' } }] });
      await store.apply({ ops: [{ op: 'set', key: 'p:d', fields: {} }] }); // creates nothing
      const members = () => own.admin.zrange(keys.stateIndex(), 0, -1);
      expect(await members()).toEqual(['p:a', 'p:b', 'p:c'].map(keys.state));
      await store.apply({
        ops: [
          { op: 'delete', key: 'p:a' },
          { op: 'replace', key: 'p:b', fields: {} },
          { op: 'set', key: 'p:e', fields: { q: '5' } },
        ],
      });
      expect(await members()).toEqual(['p:c', 'p:e'].map(keys.state));
      expect((await store.list('p:')).map(([k]) => k)).toEqual(['p:c', 'p:e']);
      // An increment of an existing non-zero field needs no index write; one that creates the record does.
      await own.admin.config('RESETSTAT');
      await store.apply({ ops: [{ op: 'incrBy', key: 'p:c', field: 'q', by: 1 }] });
      expect((await calls())['zadd']).toBeUndefined();
      await store.apply({ ops: [{ op: 'incrBy', key: 'p:f', field: 'q', by: 1 }] });
      expect((await calls())['zadd']).toBe(1);
      expect(await members()).toEqual(['p:c', 'p:e', 'p:f'].map(keys.state));
    },
  );

  it.each(applyScriptVariants)(
    'leaves no key under its prefix once every record is deleted ($script)',
    async ({ internals }) => {
      const prefix = `empty-${'forcePre7Script' in internals ? 'pre7' : 'v7'}:`;
      store = openStateStore({ url: own.server.url }, { prefix }, internals);
      await store.apply({ ops: [{ op: 'replace', key: 'r:a', fields: { q: '1' } }] });
      await store.apply({ ops: [{ op: 'replace', key: 'r:b', fields: { q: '2' } }] });
      expect((await store.list('r:')).map(([k]) => k)).toEqual(['r:a', 'r:b']); // marks the index complete
      await store.apply({ ops: [{ op: 'delete', key: 'r:a' }] });
      expect(await own.admin.exists(redisKeys(prefix).stateIndexReady())).toBe(1);
      await store.apply({ ops: [{ op: 'delete', key: 'r:b' }] });
      expect(await own.admin.keys(`${prefix}*`)).toEqual([]);
      // A store opened later finds the records written after, as before.
      await store.apply({ ops: [{ op: 'replace', key: 'r:c', fields: { q: '3' } }] });
      await store.close();
      store = openStateStore({ url: own.server.url }, { prefix }, internals);
      expect((await store.list('r:')).map(([k]) => k)).toEqual(['r:c']);
    },
  );

  it('indexes records written before the index existed, once, then never scans again', async () => {
    const prefix = 'legacy:';
    const keys = redisKeys(prefix);
    // As an older version left them: hashes, no index.
    for (let i = 0; i < 30; i++)
      await own.admin.hset(keys.state(`order:${String(i).padStart(2, '0')}`), 's', 'NEW');
    store = openStateStore({ url: own.server.url }, { prefix }, {});
    await own.admin.config('RESETSTAT');
    expect((await store.list('order:')).map(([k]) => k)).toHaveLength(30);
    expect((await calls())['scan']).toBeGreaterThan(0);
    await store.close();
    // Another process later: the index is marked complete in Redis, so no SCAN.
    store = openStateStore({ url: own.server.url }, { prefix }, {});
    await own.admin.config('RESETSTAT');
    expect((await store.list('order:')).map(([k]) => k)).toHaveLength(30);
    expect((await calls())['scan']).toBeUndefined();
  });

  it(`lists 10 records among ${UNRELATED.toLocaleString('en')} unrelated keys in a fixed number of commands`, async () => {
    const prefix = 'big:';
    store = openStateStore({ url: own.server.url }, { prefix }, {});
    // Unrelated keys: other applications, and this store's own records under other prefixes.
    for (let start = 0; start < UNRELATED; start += 10_000) {
      const pipeline = own.admin.pipeline();
      for (let i = start; i < start + 10_000; i++) pipeline.set(`other-app:${i}`, 'x');
      await pipeline.exec();
    }
    const ops = [];
    for (let i = 0; i < 2_000; i++) ops.push({ op: 'set', key: `order:${i}`, fields: { s: 'NEW' } } as const);
    await store.apply({ ops });
    await store.apply({
      ops: [...Array(10).keys()].map(
        (i) => ({ op: 'set', key: `position:acc-1:S${i}`, fields: { q: '1' } }) as const,
      ),
    });
    await store.list('warm-up:'); // the one-time check for records older than the index

    await own.admin.config('RESETSTAT');
    const listed = await store.list('position:acc-1:');
    expect(listed.map(([k]) => k)).toEqual([...Array(10).keys()].map((i) => `position:acc-1:S${i}`));
    const listing = await calls();
    // One ZRANGEBYLEX for the page, one HGETALL per record, the exists check is cached: nothing scans.
    expect(listing['scan']).toBeUndefined();
    expect(listing['zrangebylex']).toBe(1);
    expect(listing['hgetall']).toBe(10);

    // The same walk by pages of 4: ceil(10 / 4) page reads, still no scan.
    await own.admin.config('RESETSTAT');
    expect(await listAll(store, 'position:acc-1:', 4)).toEqual(listed);
    expect((await calls())['zrangebylex']).toBe(3);

    // What the SCAN-based list used to cost for the same 10 records, for the record.
    await own.admin.config('RESETSTAT');
    let cursor = '0';
    do {
      [cursor] = await own.admin.scan(cursor, 'MATCH', 'big:state:position:acc-1:*', 'COUNT', 1_000);
    } while (cursor !== '0');
    const scans = (await calls())['scan'] ?? 0;
    expect(scans).toBeGreaterThan(UNRELATED / 1_000);
    console.info(
      `list of 10 records among ${(await own.admin.dbsize()).toLocaleString('en')} keys: 1 ZRANGEBYLEX + 10 HGETALL (was ${scans} SCAN calls + 10 HGETALL)`,
    );
  });
});
