import type { Logger as CoreLogger } from '@rxtrade/core';
import { noopLogger } from '@rxtrade/core';
import pino from 'pino';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { componentLogger, withCorrelation } from './correlation';
import { createLogger } from './create-logger';

// Type-level: checked by `tsc -p packages/logging/tsconfig.json` (npm run typecheck), run by vitest as a smoke test.
describe('pino and the core Logger port', () => {
  it('a pino logger, and ours, are assignable to core Logger', () => {
    expectTypeOf<pino.Logger>().toExtend<CoreLogger>();
    expectTypeOf<ReturnType<typeof createLogger>>().toExtend<CoreLogger>();
    expectTypeOf<ReturnType<pino.Logger['child']>>().toExtend<CoreLogger>();

    const lines: string[] = [];
    const core: CoreLogger = createLogger({ destination: { write: (l: string) => void lines.push(l) } });
    core.info({ clientOrderId: 'O-1' }, 'fields then message');
    core.warn('message only');
    core.child({ component: 'risk' }).error({ reason: 'X' }, 'child');
    expect(lines).toHaveLength(3);
  });

  it('the check has teeth: a logger without child is not a core Logger', () => {
    const { child: _child, ...withoutChild } = noopLogger;
    // @ts-expect-error child() is part of the port
    const broken: CoreLogger = withoutChild;
    expect(broken).toBeDefined();
  });

  it('the helpers keep the logger type they are given', () => {
    expectTypeOf(withCorrelation(noopLogger, 'c')).toEqualTypeOf<CoreLogger>();
    const child = componentLogger(pino({ level: 'silent' }), 'risk');
    // Still a pino logger: pino-only members are there.
    expectTypeOf(child.level).toEqualTypeOf<pino.LevelWithSilentOrString>();
    expectTypeOf(child.isLevelEnabled).toBeFunction();
  });
});
