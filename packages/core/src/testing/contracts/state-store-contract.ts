import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRxtradeError } from '../../errors';
import { compareKeys } from '../../ports/state-listing';
import type { StateStore } from '../../ports/state-store';

export interface StateStoreContractOptions {
  /** Creates a fresh, empty store (e.g. with a unique key prefix). Called before every test. */
  readonly create: () => StateStore | Promise<StateStore>;
}

/**
 * The behaviour every {@link StateStore} must have. Run it from the implementation's test file:
 * `stateStoreContract({ create: () => createRedisStateStore({ url, prefix: unique() }) })`.
 */
export function stateStoreContract(options: StateStoreContractOptions): void {
  describe('StateStore contract', () => {
    let store: StateStore;
    beforeEach(async () => {
      store = await options.create();
    });
    afterEach(async () => {
      await store.close();
    });

    it('reads back what was set, merges set and overwrites with replace', async () => {
      expect(await store.get('position:a:X')).toBeUndefined();
      await store.apply({ ops: [{ op: 'set', key: 'position:a:X', fields: { qty: '10', avgPx: '1.5' } }] });
      await store.apply({ ops: [{ op: 'set', key: 'position:a:X', fields: { qty: '12' } }] });
      expect(await store.get('position:a:X')).toEqual({ qty: '12', avgPx: '1.5' });
      await store.apply({ ops: [{ op: 'replace', key: 'position:a:X', fields: { qty: '1' } }] });
      expect(await store.get('position:a:X')).toEqual({ qty: '1' });
    });

    it('increments integer fields exactly, including beyond 2^31', async () => {
      await store.apply({ ops: [{ op: 'incrBy', key: 'account:a', field: 'cash', by: 3_000_000_000 }] });
      await store.apply({ ops: [{ op: 'incrBy', key: 'account:a', field: 'cash', by: -1 }] });
      expect(await store.get('account:a')).toEqual({ cash: '2999999999' });
    });

    it('lists by prefix in key order and deletes', async () => {
      await store.apply({
        ops: [
          { op: 'set', key: 'order:b', fields: { s: '2' } },
          { op: 'set', key: 'order:a', fields: { s: '1' } },
          { op: 'set', key: 'other:c', fields: { s: '3' } },
        ],
      });
      expect((await store.list('order:')).map(([k]) => k)).toEqual(['order:a', 'order:b']);
      await store.apply({ ops: [{ op: 'delete', key: 'order:a' }] });
      expect((await store.list('order:')).map(([k]) => k)).toEqual(['order:b']);
    });

    it('pages a prefix in key order with bounded pages, and list() is the same walk', async () => {
      const ops = [];
      for (let i = 0; i < 23; i++)
        ops.push({
          op: 'set',
          key: `order:${String(i).padStart(3, '0')}`,
          fields: { i: String(i) },
        } as const);
      ops.push({ op: 'set', key: 'orders-other', fields: { x: '1' } } as const);
      ops.push({ op: 'set', key: 'ord', fields: { x: '1' } } as const);
      await store.apply({ ops });
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listPage(
          'order:',
          cursor === undefined ? { limit: 5 } : { cursor, limit: 5 },
        );
        expect(page.entries.length).toBeLessThanOrEqual(5);
        for (const [key, record] of page.entries) {
          seen.push(key);
          expect(record).toEqual({ i: String(Number(key.slice(6))) });
        }
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined);
      expect(seen).toEqual(ops.slice(0, 23).map((op) => op.key));
      expect(pages).toBeLessThanOrEqual(6);
      expect((await store.list('order:')).map(([k]) => k)).toEqual(seen);
      expect(await store.listPage('nothing:')).toEqual({ entries: [], cursor: undefined });
      // Default page size 100; every record of a small prefix in one page.
      expect((await store.listPage('order:')).entries).toHaveLength(23);
    });

    it('returns every key present for the whole walk exactly once while keys are added and removed', async () => {
      const key = (i: number) => `position:acc:${String(i).padStart(4, '0')}`;
      const initial = [...Array(60).keys()].map((i) => i * 10);
      await store.apply({
        ops: initial.map((i) => ({ op: 'set', key: key(i), fields: { q: '1' } }) as const),
      });
      await store.apply({ ops: [{ op: 'set', key: 'position:acb:0', fields: { q: '1' } }] });
      const removed = new Set<string>();
      const added = new Set<string>();
      const seen: string[] = [];
      let cursor: string | undefined;
      let round = 0;
      do {
        const page = await store.listPage(
          'position:acc:',
          cursor === undefined ? { limit: 7 } : { cursor, limit: 7 },
        );
        expect(page.entries.length).toBeLessThanOrEqual(7);
        for (const [k] of page.entries) seen.push(k);
        cursor = page.cursor;
        round++;
        // Between pages: remove one key behind the cursor and one ahead, add one behind and one ahead.
        const behind = initial[Math.max(0, round * 7 - 3)] ?? 0;
        const ahead = initial[Math.min(initial.length - 1, round * 7 + 5)] ?? 0;
        const ops = [
          { op: 'delete', key: key(behind) },
          { op: 'delete', key: key(ahead) },
          { op: 'set', key: key(behind + 1), fields: { q: '2' } },
          { op: 'set', key: key(ahead + 1), fields: { q: '2' } },
        ] as const;
        for (const op of ops) (op.op === 'delete' ? removed : added).add(op.key);
        await store.apply({ ops });
      } while (cursor !== undefined);
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort(compareKeys)).toEqual(seen);
      for (const i of initial) if (!removed.has(key(i))) expect(seen).toContain(key(i));
      for (const k of seen) expect(initial.map(key).includes(k) || added.has(k)).toBe(true);
      expect(seen).not.toContain('position:acb:0');
    });

    it('refuses a bad page limit or a cursor of another prefix with INVALID_ARGUMENT', async () => {
      await store.apply({
        ops: [
          { op: 'set', key: 'a:1', fields: { x: '1' } },
          { op: 'set', key: 'a:2', fields: { x: '1' } },
        ],
      });
      const page = await store.listPage('a:', { limit: 1 });
      expect(page.cursor).toBeDefined();
      const bad = (e: unknown) => isRxtradeError(e) && e.code === 'INVALID_ARGUMENT';
      await expect(store.listPage('a:', { limit: 0 })).rejects.toSatisfy(bad);
      await expect(store.listPage('a:', { limit: 10_001 })).rejects.toSatisfy(bad);
      await expect(store.listPage('b:', { cursor: page.cursor as string })).rejects.toSatisfy(bad);
      await expect(store.listPage('a:', { cursor: '%%%' })).rejects.toSatisfy(bad);
    });

    it('applies an event id once', async () => {
      const batch = {
        eventId: 'fill-1',
        ops: [{ op: 'incrBy', key: 'position:a:X', field: 'qty', by: 5 }],
      } as const;
      expect(await store.apply(batch)).toEqual({ applied: true });
      expect(await store.apply(batch)).toEqual({ applied: false, reason: 'DUPLICATE_EVENT' });
      expect(await store.get('position:a:X')).toEqual({ qty: '5' });
    });

    it('applies a batch all-or-nothing when a field is not an integer', async () => {
      await store.apply({ ops: [{ op: 'set', key: 'account:a', fields: { cash: 'abc' } }] });
      const attempt = store.apply({
        eventId: 'e-corrupt',
        ops: [
          { op: 'set', key: 'position:a:Y', fields: { qty: '1' } },
          { op: 'incrBy', key: 'account:a', field: 'cash', by: 1 },
        ],
      });
      await expect(attempt).rejects.toSatisfy((e) => isRxtradeError(e) && e.code === 'CORRUPT_STATE');
      expect(await store.get('position:a:Y')).toBeUndefined();
      // The event was not consumed by the failed attempt.
      await store.apply({ ops: [{ op: 'set', key: 'account:a', fields: { cash: '0' } }] });
      expect(
        await store.apply({
          eventId: 'e-corrupt',
          ops: [{ op: 'incrBy', key: 'account:a', field: 'cash', by: 1 }],
        }),
      ).toEqual({ applied: true });
    });

    it('refuses a write with a stale fencing token', async () => {
      const write = (token: number, qty: string) =>
        store.apply({
          fence: { resource: 'acct-a', token },
          ops: [{ op: 'set', key: 'position:a:X', fields: { qty } }],
        });
      expect(await write(1, '1')).toEqual({ applied: true });
      expect(await write(2, '2')).toEqual({ applied: true });
      expect(await write(1, '99')).toEqual({ applied: false, reason: 'STALE_FENCING_TOKEN' });
      expect(await store.get('position:a:X')).toEqual({ qty: '2' });
    });

    it('rejects invalid input with a typed error and changes nothing', async () => {
      await expect(
        store.apply({ ops: [{ op: 'incrBy', key: 'account:a', field: 'cash', by: 0.5 }] }),
      ).rejects.toSatisfy((e) => isRxtradeError(e) && e.code === 'INVALID_ARGUMENT');
      await expect(store.apply({ ops: [{ op: 'set', key: '', fields: {} }] })).rejects.toSatisfy(
        (e) => isRxtradeError(e) && e.code === 'INVALID_ARGUMENT',
      );
      expect(await store.get('account:a')).toBeUndefined();
    });

    it('is closed after close(), and close() is idempotent', async () => {
      await store.close();
      await store.close();
      await expect(store.get('x')).rejects.toSatisfy((e) => isRxtradeError(e) && e.code === 'CLOSED');
    });
  });
}
