import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRxtradeError } from '../../errors';
import type { LockManager } from '../../ports/lock-manager';
import type { StateStore } from '../../ports/state-store';

export interface LockManagerContractOptions {
  /** A fresh lock manager (and the store its fencing tokens are checked against). */
  readonly create: () =>
    | Promise<{ locks: LockManager; store: StateStore }>
    | { locks: LockManager; store: StateStore };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The behaviour every {@link LockManager} must have, on real time (TTLs of a few hundred ms). */
export function lockManagerContract(options: LockManagerContractOptions): void {
  describe('LockManager contract', () => {
    let locks: LockManager;
    let store: StateStore;
    beforeEach(async () => {
      ({ locks, store } = await options.create());
    });
    afterEach(async () => {
      await locks.close();
      await store.close();
    });

    it('grants one holder at a time and hands over after release', async () => {
      const first = await locks.acquire('acct-a', { ttlMs: 5_000 });
      expect(first).toBeDefined();
      expect(await locks.acquire('acct-a', { ttlMs: 5_000 })).toBeUndefined();
      expect(await first?.release()).toBe(true);
      expect(await first?.release()).toBe(false);
      const second = await locks.acquire('acct-a', { ttlMs: 5_000 });
      expect(second?.token).toBeGreaterThan(first?.token ?? Number.POSITIVE_INFINITY);
      await second?.release();
    });

    it('lets a new holder in after the TTL, and the stale holder can neither release nor write', async () => {
      const stale = await locks.acquire('acct-b', { ttlMs: 150 });
      await sleep(300);
      const fresh = await locks.acquire('acct-b', { ttlMs: 5_000 });
      expect(fresh).toBeDefined();
      expect(await stale?.release()).toBe(false);
      expect(await stale?.renew(5_000)).toBe(false);
      const write = (token: number, owner: string) =>
        store.apply({
          fence: { resource: 'acct-b', token },
          ops: [{ op: 'set', key: 'position:b:X', fields: { owner } }],
        });
      expect(await write(fresh?.token ?? 0, 'fresh')).toEqual({ applied: true });
      expect(await write(stale?.token ?? 0, 'stale')).toEqual({
        applied: false,
        reason: 'STALE_FENCING_TOKEN',
      });
      expect(await store.get('position:b:X')).toEqual({ owner: 'fresh' });
      await fresh?.release();
    });

    it('renews a held lease past its first TTL', async () => {
      const lease = await locks.acquire('acct-c', { ttlMs: 200 });
      await sleep(100);
      expect(await lease?.renew(1_000)).toBe(true);
      await sleep(200);
      expect(await locks.acquire('acct-c', { ttlMs: 1_000 })).toBeUndefined();
      await lease?.release();
    });

    it('waits for a lease when asked to', async () => {
      const lease = await locks.acquire('acct-d', { ttlMs: 5_000 });
      setTimeout(() => void lease?.release(), 100);
      const next = await locks.acquire('acct-d', { ttlMs: 1_000, waitMs: 2_000, retryDelayMs: 20 });
      expect(next).toBeDefined();
      await next?.release();
    });

    it('rejects invalid arguments with a typed error', async () => {
      await expect(locks.acquire('', { ttlMs: 100 })).rejects.toSatisfy(
        (e) => isRxtradeError(e) && e.code === 'INVALID_ARGUMENT',
      );
      await expect(locks.acquire('x', { ttlMs: 0 })).rejects.toSatisfy(
        (e) => isRxtradeError(e) && e.code === 'INVALID_ARGUMENT',
      );
    });
  });
}
