import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isRxtradeError } from '../errors';
import type { Bar } from '../model/market-data';
import { BaseStrategy } from './base-strategy';
import { paramKeysOf, unknownParamKeys } from './strategy-params';

const params = z.object({
  rsiPeriod: z.number().int().positive().default(14),
  quantity: z.number().default(1),
});

class Rsi extends BaseStrategy<z.output<typeof params>> {
  static override paramsSchema = params;
  override onBar(_bar: Bar): void {}
}

function thrown(make: () => unknown): unknown {
  try {
    make();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('strategy params', () => {
  it('refuses a misspelt parameter, naming the known ones and the likely one', () => {
    const error = thrown(() => new Rsi({ params: { rsiPerod: 3 } as never }));
    expect(isRxtradeError(error) && error.code).toBe('INVALID_CONFIG');
    expect((error as Error).message).toBe(
      'unknown parameter rsiPerod (did you mean rsiPeriod?): strategy Rsi takes rsiPeriod, quantity',
    );
  });

  it('lists every unknown name, without a guess when none is close', () => {
    const error = thrown(() => new Rsi({ params: { foo: 1, barBazQux: 2 } as never }));
    expect((error as Error).message).toBe(
      'unknown parameters foo, barBazQux: strategy Rsi takes rsiPeriod, quantity',
    );
  });

  it('still applies defaults and the schema rules to known names', () => {
    expect(new Rsi({ params: { rsiPeriod: 3 } }).params).toEqual({ rsiPeriod: 3, quantity: 1 });
    const error = thrown(() => new Rsi({ params: { rsiPeriod: -1 } }));
    expect((error as Error).message).toContain('invalid parameters for strategy Rsi');
    expect((error as Error).message).toContain('rsiPeriod');
  });

  it('takes any key when the schema says so (loose objects), and sees through wrappers', () => {
    const loose = z.looseObject({ a: z.number().default(1) });
    expect(unknownParamKeys(loose, { b: 2 })).toEqual([]);
    const wrapped = params.default({ rsiPeriod: 14, quantity: 1 });
    expect(unknownParamKeys(wrapped, { x: 1 })).toEqual(['x']);
    expect(paramKeysOf(params.transform((p) => p))).toEqual(['rsiPeriod', 'quantity']);
    expect(paramKeysOf(z.number())).toBeUndefined();
    expect(unknownParamKeys(z.number(), { x: 1 })).toEqual([]);
  });
});
