import { type ApplyResult, isRxtradeError, type StateBatch, type StateStore } from '@rxtrade/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisKeys } from '../src/keys';
import { createRedisStateStore, openStateStore, type RedisStateStoreOptions } from '../src/state-store';
import { applyScriptVariants } from './helpers';
import { requireRedisServerBinary, suiteRedis } from './redis-server';

// A server of our own: the tests count the script calls Redis ran (INFO commandstats).
const binary = await requireRedisServerBinary();

/** What each call came to: its result, or its error's code (and message). */
type Outcome = ApplyResult | { readonly code: string; readonly message: string };
const settle = (call: Promise<ApplyResult>): Promise<Outcome> =>
  call.then(
    (result) => result,
    (error: unknown) => {
      if (!isRxtradeError(error)) throw error;
      return { code: error.code, message: error.message };
    },
  );

const APPLIED = { applied: true };
const DUPLICATE = { applied: false, reason: 'DUPLICATE_EVENT' };
const STALE = { applied: false, reason: 'STALE_FENCING_TOKEN' };

describe.skipIf(!binary).each(applyScriptVariants)(
  'StateStore.apply ($script script): concurrent applies share a script call',
  ({ internals }) => {
    const own = suiteRedis();
    let store: StateStore;
    let run = 0;
    let prefix: string;
    beforeEach(async () => {
      prefix = `b${++run}:`;
      await own.admin.config('RESETSTAT');
    });
    afterEach(() => store?.close());

    const open = async (options: RedisStateStoreOptions = {}): Promise<StateStore> => {
      store = openStateStore({ url: own.server.url }, { prefix, ...options }, internals);
      await store.get('warm-up'); // connected, so every call below is queued in the same turn
      await own.admin.config('RESETSTAT');
      return store;
    };
    /** Script calls Redis ran since the last RESETSTAT (EVALSHA, and EVAL after a NOSCRIPT). */
    const scriptCalls = async (): Promise<{ evalsha: number; eval: number }> => {
      const stats = await own.admin.info('commandstats');
      const calls = (name: string): number =>
        Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      return { evalsha: calls('evalsha'), eval: calls('eval') };
    };
    const hash = (key: string) => own.admin.hgetall(redisKeys(prefix).state(key));

    it('gives each apply its own result: refusals and errors of some leave the others applied', async () => {
      await open();
      const keys = redisKeys(prefix);
      await store.apply({ eventId: 'seen', ops: [{ op: 'set', key: 'order:0', fields: { s: 'NEW' } }] });
      await own.admin.set(keys.fence('acct-2'), '9');
      await own.admin.hset(keys.state('account:bad'), 'cash', '12.50');
      await own.admin.hset(keys.state('account:big'), 'cash', '9223372036854775000');
      await own.admin.set(keys.state('position:not-a-hash'), 'x');
      await own.admin.config('RESETSTAT');

      const calls: StateBatch[] = [
        { eventId: 'f1', ops: [{ op: 'incrBy', key: 'position:acct-1:BTC', field: 'qty', by: 5 }] },
        { eventId: 'seen', ops: [{ op: 'set', key: 'order:0', fields: { s: 'FILLED' } }] },
        {
          fence: { resource: 'acct-2', token: 8 },
          ops: [{ op: 'set', key: 'account:acct-2', fields: { a: '1' } }],
        },
        {
          eventId: 'f2',
          ops: [
            { op: 'set', key: 'order:2', fields: { s: 'FILLED' } },
            { op: 'incrBy', key: 'account:bad', field: 'cash', by: 1 },
          ],
        },
        { ops: [{ op: 'incrBy', key: 'account:big', field: 'cash', by: 1_000 }] },
        {
          eventId: 'f3',
          ops: [
            { op: 'set', key: 'order:3', fields: { s: 'FILLED' } },
            { op: 'set', key: 'position:not-a-hash', fields: { qty: '1' } },
          ],
        },
        {
          fence: { resource: 'acct-2', token: 9 },
          ops: [{ op: 'set', key: 'account:acct-2', fields: { b: '2' } }],
        },
        {
          eventId: 'f4',
          ops: [
            { op: 'incrBy', key: 'position:acct-1:BTC', field: 'qty', by: 2 },
            { op: 'set', key: 'order:4', fields: { s: 'FILLED' } },
          ],
        },
      ];
      const outcomes = await Promise.all(calls.map((batch) => settle(store.apply(batch))));

      expect(outcomes).toEqual([
        APPLIED,
        DUPLICATE,
        STALE,
        expect.objectContaining({
          code: 'CORRUPT_STATE',
          message: expect.stringContaining('account:bad.cash'),
        }),
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
        expect.objectContaining({
          code: 'CORRUPT_STATE',
          message: expect.stringContaining('position:not-a-hash'),
        }),
        APPLIED,
        APPLIED,
      ]);
      expect(await scriptCalls()).toEqual({ evalsha: 1, eval: 0 });
      // Exactly the applied calls' writes, markers and fence raises; nothing of the refused ones.
      expect(await hash('position:acct-1:BTC')).toEqual({ qty: '7' });
      expect(await hash('order:0')).toEqual({ s: 'NEW' });
      expect(await hash('account:acct-2')).toEqual({ b: '2' });
      expect(await hash('account:bad')).toEqual({ cash: '12.50' });
      expect(await hash('account:big')).toEqual({ cash: '9223372036854775000' });
      expect(await hash('order:2')).toEqual({});
      expect(await hash('order:3')).toEqual({});
      expect(await hash('order:4')).toEqual({ s: 'FILLED' });
      expect(
        await own.admin.exists(keys.event('f1'), keys.event('f2'), keys.event('f3'), keys.event('f4')),
      ).toBe(2);
      expect(await own.admin.exists(keys.event('f2'), keys.event('f3'))).toBe(0);
      expect(await own.admin.get(keys.fence('acct-2'))).toBe('9');
    });

    it('mixes the upsert layout (event id, no fence, one set) with the general one in a call', async () => {
      await open();
      const keys = redisKeys(prefix);
      await store.apply({ eventId: 'u0', ops: [{ op: 'set', key: 'u:0', fields: { a: '0' } }] });
      await own.admin.set(keys.state('bad'), 'not a hash');
      await own.admin.config('RESETSTAT');
      const wide = Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`f${i}`, String(i)]));
      const calls: StateBatch[] = [
        { eventId: 'u1', ops: [{ op: 'set', key: 'u:1', fields: { a: '1', b: '2' } }] },
        {
          eventId: 'g1',
          fence: { resource: 'r', token: 3 },
          ops: [
            { op: 'set', key: 'u:1', fields: { c: '3' } },
            { op: 'incrBy', key: 'g:1', field: 'n', by: 2 },
          ],
        },
        { eventId: 'u0', ops: [{ op: 'set', key: 'u:0', fields: { a: 'again' } }] },
        { eventId: 'u2', ops: [{ op: 'set', key: 'bad', fields: { a: '1' } }] },
        // Not upserts: no fields, more fields than one HSET takes, no event id.
        { eventId: 'u3', ops: [{ op: 'set', key: 'u:3', fields: {} }] },
        { eventId: 'u4', ops: [{ op: 'set', key: 'u:4', fields: wide }] },
        { ops: [{ op: 'set', key: 'u:5', fields: { a: '5' } }] },
        // Sees g1's write to the same record, then u1's marker from the start of the call.
        { eventId: 'u6', ops: [{ op: 'set', key: 'u:1', fields: { a: '6' } }] },
        { eventId: 'u1', ops: [{ op: 'set', key: 'u:1', fields: { a: 'dup' } }] },
      ];
      const outcomes = await Promise.all(calls.map((batch) => settle(store.apply(batch))));
      expect(outcomes).toEqual([
        APPLIED,
        APPLIED,
        DUPLICATE,
        expect.objectContaining({ code: 'CORRUPT_STATE', message: expect.stringContaining('bad') }),
        APPLIED,
        APPLIED,
        APPLIED,
        APPLIED,
        DUPLICATE,
      ]);
      expect(await scriptCalls()).toEqual({ evalsha: 1, eval: 0 });
      expect(await hash('u:1')).toEqual({ a: '6', b: '2', c: '3' });
      expect(await hash('g:1')).toEqual({ n: '2' });
      expect(await hash('u:0')).toEqual({ a: '0' });
      expect(await hash('u:4')).toEqual(wide);
      expect(await hash('u:5')).toEqual({ a: '5' });
      expect(await own.admin.get(keys.state('bad'))).toBe('not a hash');
      expect(await own.admin.get(keys.fence('r'))).toBe('3');
      const markers = ['u1', 'g1', 'u3', 'u4', 'u6'].map((id) => keys.event(id));
      expect(await own.admin.exists(...markers)).toBe(markers.length);
      expect(await own.admin.exists(keys.event('u2'))).toBe(0);
    });

    it('runs the applies of one call in issue order, each seeing the ones before it', async () => {
      await open();
      const outcomes = await Promise.all(
        [
          {
            eventId: 'e1',
            fence: { resource: 'r', token: 5 },
            ops: [{ op: 'set', key: 'p', fields: { qty: 'x' } }],
          },
          // Sees e1's write: not an integer.
          { eventId: 'e2', ops: [{ op: 'incrBy', key: 'p', field: 'qty', by: 1 }] },
          // e1 raised the fence to 5 within this very call.
          { fence: { resource: 'r', token: 4 }, ops: [{ op: 'set', key: 'p', fields: { qty: '0' } }] },
          { fence: { resource: 'r', token: 5 }, ops: [{ op: 'replace', key: 'p', fields: { qty: '10' } }] },
          { eventId: 'e2', ops: [{ op: 'incrBy', key: 'p', field: 'qty', by: 1 }] },
          // e2 was applied just before (the failed first e2 left no marker).
          { eventId: 'e2', ops: [{ op: 'incrBy', key: 'p', field: 'qty', by: 100 }] },
          { ops: [{ op: 'delete', key: 'p' }] },
          { ops: [{ op: 'incrBy', key: 'p', field: 'qty', by: 3 }] },
        ].map((batch) => settle(store.apply(batch as StateBatch))),
      );
      expect(outcomes).toEqual([
        APPLIED,
        expect.objectContaining({ code: 'CORRUPT_STATE' }),
        STALE,
        APPLIED,
        APPLIED,
        DUPLICATE,
        APPLIED,
        APPLIED,
      ]);
      expect(await scriptCalls()).toEqual({ evalsha: 1, eval: 0 });
      expect(await hash('p')).toEqual({ qty: '3' });
    });

    it('keeps one caller’s order across calls, batch boundaries and reads in between', async () => {
      await open({ maxBatchSize: 7 });
      const n = 300;
      const applies: Array<Promise<ApplyResult>> = [];
      const reads: Array<Promise<unknown>> = [];
      for (let i = 1; i <= n; i++) {
        applies.push(
          store.apply({
            eventId: `o${i}`,
            ops: [
              { op: 'set', key: 'order:seq', fields: { last: String(i) } },
              { op: 'incrBy', key: 'order:seq', field: 'count', by: 1 },
            ],
          }),
        );
        // A read issued after apply i sees apply i and nothing later.
        if (i % 50 === 0) reads.push(store.get('order:seq'));
      }
      expect(await Promise.all(applies)).toEqual(Array.from({ length: n }, () => APPLIED));
      expect(await Promise.all(reads)).toEqual(
        Array.from({ length: n / 50 }, (_, r) => ({
          last: String((r + 1) * 50),
          count: String((r + 1) * 50),
        })),
      );
      expect(await hash('order:seq')).toEqual({ last: String(n), count: String(n) });
      // 300 applies, cut by 6 reads into runs of 50, each run in calls of at most 7.
      expect(await scriptCalls()).toEqual({ evalsha: 6 * Math.ceil(50 / 7), eval: 0 });
    });

    it('bounds a call by maxBatchSize, and by its size (a call of many ops goes on its own)', async () => {
      await open({ maxBatchSize: 16 });
      const small = (i: number): StateBatch => ({ ops: [{ op: 'incrBy', key: 'k', field: 'n', by: i }] });
      const huge: StateBatch = {
        ops: Array.from({ length: 12_000 }, (_, i) => ({
          op: 'set' as const,
          key: `h:${i % 10}`,
          fields: { [`f${i}`]: 'v' },
        })),
      };
      const outcomes = await Promise.all([
        ...Array.from({ length: 40 }, (_, i) => store.apply(small(i))),
        store.apply(huge),
        store.apply(small(1_000)),
      ]);
      expect(outcomes.every((o) => o.applied)).toBe(true);
      // 40 small ones in 16 + 16 + 8 (the last takes the huge one too: it had room), then the next one alone.
      expect(await scriptCalls()).toEqual({ evalsha: 4, eval: 0 });
      expect(await hash('k')).toEqual({ n: String((39 * 40) / 2 + 1_000) });
      expect(Object.keys(await hash('h:3'))).toHaveLength(1_200);
    });

    it('writes a set of more fields than one HSET takes (chunks of 500), beside other applies', async () => {
      await open();
      const fields = Object.fromEntries(Array.from({ length: 1_234 }, (_, i) => [`f${i}`, `v${i}`]));
      const outcomes = await Promise.all([
        store.apply({ eventId: 'w1', ops: [{ op: 'set', key: 'wide', fields }] }),
        store.apply({
          ops: [
            { op: 'set', key: 'narrow', fields: { a: '1' } },
            { op: 'set', key: 'wide', fields },
          ],
        }),
      ]);
      expect(outcomes).toEqual([APPLIED, APPLIED]);
      expect(await hash('wide')).toEqual(fields);
      expect(await hash('narrow')).toEqual({ a: '1' });
    });

    it('sends each apply on its own with maxBatchSize 1', async () => {
      await open({ maxBatchSize: 1 });
      await Promise.all(Array.from({ length: 10 }, (_, i) => store.apply({ eventId: `s${i}`, ops: [] })));
      expect(await scriptCalls()).toEqual({ evalsha: 10, eval: 0 });
    });

    it('recovers from an empty script cache (NOSCRIPT): the whole call is re-sent as EVAL, applied once', async () => {
      await open();
      await store.apply({ ops: [] }); // the script is loaded
      await own.admin.script('FLUSH');
      await own.admin.config('RESETSTAT');
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          settle(
            store.apply({
              eventId: `n${i % 10}`, // the second ten are duplicates of the first ten
              ops: [{ op: 'incrBy', key: 'account:a', field: 'cash', by: 1 }],
            }),
          ),
        ),
      );
      expect(outcomes).toEqual([
        ...Array.from({ length: 10 }, () => APPLIED),
        ...Array.from({ length: 10 }, () => DUPLICATE),
      ]);
      expect(await scriptCalls()).toEqual({ evalsha: 1, eval: 1 });
      expect(await hash('account:a')).toEqual({ cash: '10' });
      // The EVAL loaded the script again: the next call is an EVALSHA.
      await store.apply({ ops: [] });
      expect(await scriptCalls()).toEqual({ evalsha: 2, eval: 1 });
    });

    it('keeps one caller’s order through NOSCRIPT with several calls in flight (fence tokens rise with each apply)', async () => {
      await open();
      await store.apply({ ops: [] });
      await own.admin.script('FLUSH');
      // One apply per event-loop turn, never awaited: each goes out in its own pipeline while the ones
      // before it are still in flight. A later apply overtaking an earlier one would make that one STALE.
      const calls: Array<Promise<Outcome>> = [];
      for (let token = 1; token <= 200; token++) {
        calls.push(
          settle(
            store.apply({
              fence: { resource: 'r', token },
              ops: [{ op: 'set', key: 'seq', fields: { last: String(token) } }],
            }),
          ),
        );
        if (token % 40 === 0) await own.admin.script('FLUSH');
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(await Promise.all(calls)).toEqual(Array.from({ length: 200 }, () => APPLIED));
      expect(await hash('seq')).toEqual({ last: '200' });
      expect((await scriptCalls()).eval).toBeGreaterThan(0);
    });

    it('out of memory (noeviction): ADAPTER_FAILURE for each apply, nothing written; then applies again', async () => {
      await open();
      await own.admin.config('SET', 'maxmemory-policy', 'noeviction');
      await own.admin.config('SET', 'maxmemory', '1');
      try {
        const outcomes = await Promise.all(
          Array.from({ length: 3 }, (_, i) =>
            settle(
              store.apply({ eventId: `m${i}`, ops: [{ op: 'set', key: `m:${i}`, fields: { a: '1' } }] }),
            ),
          ),
        );
        expect(outcomes).toEqual(
          Array.from({ length: 3 }, () =>
            expect.objectContaining({ code: 'ADAPTER_FAILURE', message: expect.stringContaining('OOM') }),
          ),
        );
      } finally {
        await own.admin.config('SET', 'maxmemory', '0');
      }
      expect(
        await own.admin.exists(
          ...[0, 1, 2].flatMap((i) => [redisKeys(prefix).state(`m:${i}`), redisKeys(prefix).event(`m${i}`)]),
        ),
      ).toBe(0);
      expect(
        await store.apply({ eventId: 'm0', ops: [{ op: 'set', key: 'm:0', fields: { a: '1' } }] }),
      ).toEqual(APPLIED);
    });

    it('refuses a bad maxBatchSize', () => {
      for (const maxBatchSize of [0, 1.5, -1]) {
        expect(() => createRedisStateStore({ url: own.server.url }, { maxBatchSize })).toThrow(
          expect.objectContaining({ code: 'INVALID_CONFIG' }),
        );
      }
    });
  },
);
