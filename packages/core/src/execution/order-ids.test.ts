import { describe, expect, it } from 'vitest';
import { createMemoryStateStore } from '../ports/state-store';
import { ClientOrderIds, VENUE_CLIENT_ORDER_ID } from './order-ids';

describe('ClientOrderIds', () => {
  it('is deterministic: {prefix}-{runId}-{seq}', async () => {
    const ids = await ClientOrderIds.create({ store: createMemoryStateStore(), prefix: 'rx' });
    expect([ids.next(), ids.next(), ids.next()]).toEqual(['rx-1-1', 'rx-1-2', 'rx-1-3']);
    expect(ids.orderIdPrefix).toBe('rx-1-');
  });

  it('never reissues an id after a restart on the same store', async () => {
    const store = createMemoryStateStore();
    const seen = new Set<string>();
    for (let restart = 0; restart < 40; restart++) {
      const ids = await ClientOrderIds.create({ store, prefix: 'rx' });
      for (let i = 0; i < 50; i++) {
        const id = ids.next();
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
    expect(seen.size).toBe(2000);
  });

  it('gives processes starting at the same moment different runs', async () => {
    const store = createMemoryStateStore();
    const all = await Promise.all(
      Array.from({ length: 10 }, () => ClientOrderIds.create({ store, prefix: 'rx' })),
    );
    expect(new Set(all.map((ids) => ids.runId)).size).toBe(10);
  });

  it('keeps ids within what venues accept', async () => {
    const store = createMemoryStateStore();
    await store.apply({ ops: [{ op: 'set', key: 'order-ids:abcdefghijkl', fields: { run: '999999999' } }] });
    const ids = await ClientOrderIds.create({ store, prefix: 'abcdefghijkl' });
    for (let i = 0; i < 1000; i++) ids.next();
    expect(ids.next()).toMatch(VENUE_CLIENT_ORDER_ID);
    expect(`${ids.orderIdPrefix}SmaCrossover-123`).toMatch(VENUE_CLIENT_ORDER_ID);
  });

  it('refuses a prefix that would make ids ambiguous', async () => {
    await expect(
      ClientOrderIds.create({ store: createMemoryStateStore(), prefix: 'a-b' }),
    ).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});
