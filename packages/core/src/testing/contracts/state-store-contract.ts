import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRxtradeError } from '../../errors';
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
