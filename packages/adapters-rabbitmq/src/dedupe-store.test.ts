import { isRxtradeError } from '@rxtrade/core';
import { describe, expect, it } from 'vitest';
import { createMemoryDedupeStore } from './dedupe-store';

describe('createMemoryDedupeStore', () => {
  it('remembers ids per scope', () => {
    const store = createMemoryDedupeStore();
    store.add('risk', 'm1');
    expect(store.has('risk', 'm1')).toBe(true);
    expect(store.has('audit', 'm1')).toBe(false);
    expect(store.has('risk', 'm2')).toBe(false);
  });

  it('forgets the least recently seen id first when full', () => {
    const store = createMemoryDedupeStore({ capacity: 2 });
    store.add('g', 'a');
    store.add('g', 'b');
    expect(store.has('g', 'a')).toBe(true); // a is now the most recent
    store.add('g', 'c');
    expect(store.has('g', 'b')).toBe(false);
    expect(store.has('g', 'a')).toBe(true);
    expect(store.has('g', 'c')).toBe(true);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => createMemoryDedupeStore({ capacity: 0 })).toThrow(
      expect.toSatisfy((e) => isRxtradeError(e) && e.code === 'INVALID_ARGUMENT'),
    );
  });
});
