import { describe, expect, it } from 'vitest';
import { loadConfig, namespace } from './config';

describe('loadConfig', () => {
  it('fills defaults from an empty environment', () => {
    const c = loadConfig({});
    expect(c.ACCOUNTS).toEqual([{ id: 'acc-1', weight: 1 }]);
    expect(c.STRATEGIES[0]).toMatchObject({ id: 'sma', module: 'examples/sma-crossover/src/strategy.ts' });
    expect(c.FLEET_MODE).toBe('barrier');
    expect(c.SYMBOLS).toBe(5);
  });

  it('parses accounts with weights and strategies as JSON', () => {
    const c = loadConfig({
      ACCOUNTS: 'a:1, b:3',
      STRATEGIES: '[{"id":"x","module":"./my.ts","params":{"fast":5},"symbols":["SPX1"]}]',
    });
    expect(c.ACCOUNTS).toEqual([
      { id: 'a', weight: 1 },
      { id: 'b', weight: 3 },
    ]);
    expect(c.STRATEGIES).toEqual([{ id: 'x', module: './my.ts', params: { fast: 5 }, symbols: ['SPX1'] }]);
  });

  it.each([
    { ACCOUNTS: 'a:0' },
    { ACCOUNTS: 'bad id:1' },
    { STRATEGIES: 'not json' },
    { STRATEGIES: '[{"id":"x","kind":"sma-crossover"}]' },
    { STRATEGIES: '[{"id":"x","module":"a.ts"},{"id":"x","module":"b.ts"}]' },
    { FLEET_MODE: 'fast' },
    { SYMBOLS: '0' },
    { FLEET_PREFIX: 'Upper' },
    { LOG_LEVEL: 'loud' },
  ])('refuses %o with INVALID_CONFIG', (env) => {
    expect(() => loadConfig(env)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });

  it('derives every name from the prefix', () => {
    expect(namespace({ FLEET_PREFIX: 'x1' })).toEqual({
      exchange: 'rxt-fleet-x1',
      redisPrefix: 'rxt-fleet:x1:',
      pgSchema: 'fleet_x1',
      runId: 'fleet-x1',
    });
  });
});
