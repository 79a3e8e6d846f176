import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Bar } from '../model/market-data';
import { BaseStrategy } from './base-strategy';
import { strategyFromModule } from './strategy-module';

const params = z.object({ n: z.number().default(1) });
class A extends BaseStrategy<z.output<typeof params>> {
  static override paramsSchema = params;
  override onBar(_bar: Bar): void {}
}
class B extends BaseStrategy {
  override onBar(_bar: Bar): void {}
}
const file = 's.ts';

describe('strategyFromModule', () => {
  it('picks the named export, else the default, else the first subclass, else the first instance', () => {
    expect(strategyFromModule({ A, B }, { file, exportName: 'B' }).make({}).id).toBe('B');
    expect(strategyFromModule({ A, default: B }, { file }).exportName).toBe('default');
    const first = strategyFromModule({ helper: 1, A, B }, { file });
    expect(first).toMatchObject({ exportName: 'A', paramKeys: ['n'] });
    expect(first.make({ n: 3 }).params).toEqual({ n: 3 });
    const instance = new B();
    expect(strategyFromModule({ instance }, { file }).make({})).toBe(instance);
    expect(() => strategyFromModule({ instance }, { file }).make({ n: 1 })).toThrow(/takes no parameters/);
    const factory = strategyFromModule(
      { default: (p: Record<string, unknown>) => new A({ params: p }) },
      { file },
    );
    expect(factory.paramKeys).toBeUndefined();
    expect(factory.make({ n: 2 }).params).toEqual({ n: 2 });
  });

  it('says what a module does export, and names the file when building throws', () => {
    expect(() => strategyFromModule({ A }, { file, exportName: 'Nope' })).toThrow(
      's.ts has no export Nope; its strategy exports: A',
    );
    expect(() => strategyFromModule({ x: 1 }, { file })).toThrow('s.ts exports no strategy');
    expect(() => strategyFromModule({ x: 1 }, { file, exportName: 'x' })).toThrow(
      'export x is not a strategy',
    );
    class Broken extends BaseStrategy {
      constructor() {
        super();
        throw new Error('no config');
      }
      override onBar(): void {}
    }
    expect(() => strategyFromModule({ Broken }, { file }).make({})).toThrow(
      'the strategy in s.ts threw while being built: no config',
    );
    expect(() => strategyFromModule({ A }, { file }).make({ m: 1 })).toThrow(/unknown parameter m/);
  });
});
