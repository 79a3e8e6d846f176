import { describe, expect, it } from 'vitest';
import { isRxtradeError } from '../errors';
import { gridParamSets, randomParamSets, rangeValues } from './param-space';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return isRxtradeError(error) ? error.code : 'other';
  }
  return 'none';
};

describe('parameter spaces', () => {
  it('expands lists and stepped ranges, without float noise', () => {
    expect(rangeValues('a', [5, 10, 20])).toEqual([5, 10, 20]);
    expect(rangeValues('b', { min: 20, max: 60, step: 10 })).toEqual([20, 30, 40, 50, 60]);
    expect(rangeValues('c', { min: 0.1, max: 0.5, step: 0.1 })).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(rangeValues('d', { min: 1, max: 4, int: true })).toEqual([1, 2, 3, 4]);
    expect(rangeValues('e', { min: 0, max: 1, step: 0.3 })).toEqual([0, 0.3, 0.6, 0.9]);
    expect(codeOf(() => rangeValues('f', { min: 0, max: 1 }))).toBe('INVALID_ARGUMENT');
  });

  it('a grid is the Cartesian product, first parameter slowest', () => {
    expect(gridParamSets({ fast: [5, 10], slow: { min: 20, max: 30, step: 10 }, mode: ['a'] })).toEqual([
      { fast: 5, slow: 20, mode: 'a' },
      { fast: 5, slow: 30, mode: 'a' },
      { fast: 10, slow: 20, mode: 'a' },
      { fast: 10, slow: 30, mode: 'a' },
    ]);
  });

  it('random search: reproducible from the seed, distinct, inside the ranges', () => {
    const space = {
      fast: { min: 2, max: 50, int: true },
      slow: { min: 20, max: 200, step: 5 },
      k: { min: 0, max: 1 },
    };
    const a = randomParamSets(space, { samples: 50, seed: 42 });
    expect(randomParamSets(space, { samples: 50, seed: 42 })).toEqual(a);
    expect(randomParamSets(space, { samples: 50, seed: 43 })).not.toEqual(a);
    expect(new Set(a.map((s) => JSON.stringify(s))).size).toBe(50);
    for (const s of a) {
      expect(Number.isInteger(s['fast'])).toBe(true);
      expect((s['slow'] as number) % 5).toBe(0);
      expect(s['k']).toBeGreaterThanOrEqual(0);
      expect(s['k']).toBeLessThan(1);
    }
    // A space smaller than the samples yields each set once.
    expect(randomParamSets({ x: [1, 2, 3] }, { samples: 10 })).toHaveLength(3);
  });

  it('refuses bad spaces with INVALID_ARGUMENT', () => {
    expect(codeOf(() => gridParamSets({}))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => gridParamSets({ a: [] }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => gridParamSets({ a: { min: 5, max: 1, step: 1 } }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => randomParamSets({ a: [1] }, { samples: 0 }))).toBe('INVALID_ARGUMENT');
  });
});
