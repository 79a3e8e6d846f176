import { isRxtradeError, RxtradeError } from '../errors';
import type { BaseStrategy } from './base-strategy';
import { paramKeysOf } from './strategy-params';

type StrategyClass = (new (options: {
  params?: Record<string, unknown>;
}) => BaseStrategy<object>) & { paramsSchema?: unknown };

/** Builds a strategy from parameters. */
export type StrategyMaker = (params: Record<string, unknown>) => BaseStrategy<object>;

/** The strategy a module exports, ready to build: see {@link strategyFromModule}. */
export interface ModuleStrategy {
  /** Builds the strategy with parameters (validated by its `paramsSchema`, if it has one). */
  readonly make: StrategyMaker;
  /** The parameter names its `paramsSchema` declares; undefined for factories and other schemas. */
  readonly paramKeys: readonly string[] | undefined;
  /** The export it came from (`default` for the default export). */
  readonly exportName: string;
}

const isStrategyClass = (value: unknown): value is StrategyClass =>
  typeof value === 'function' &&
  typeof (value as { prototype?: { onBar?: unknown } }).prototype?.onBar === 'function';

const isStrategyInstance = (value: unknown): value is BaseStrategy<object> =>
  typeof value === 'object' && value !== null && typeof (value as { onBar?: unknown }).onBar === 'function';

const invalid = (message: string, cause?: unknown): RxtradeError =>
  new RxtradeError({ code: 'INVALID_ARGUMENT', message, ...(cause === undefined ? {} : { cause }) });

/** Builds, turning a plain error thrown by the user's constructor or factory into one naming the file. */
function guarded(make: StrategyMaker, file: string): StrategyMaker {
  return (params) => {
    try {
      return make(params);
    } catch (error) {
      // The strategy's own typed errors (unknown or invalid params) already say what to change.
      if (isRxtradeError(error)) throw error;
      throw invalid(`the strategy in ${file} threw while being built: ${(error as Error).message}`, error);
    }
  };
}

function fromValue(value: unknown, exportName: string, file: string): ModuleStrategy | undefined {
  if (isStrategyClass(value)) {
    return {
      make: guarded((params) => new value({ params }), file),
      paramKeys: paramKeysOf(value.paramsSchema),
      exportName,
    };
  }
  if (isStrategyInstance(value)) {
    return {
      make: (params) => {
        if (Object.keys(params).length > 0) {
          throw invalid(`${file} exports a ready strategy instance (${exportName}); it takes no parameters`);
        }
        return value;
      },
      paramKeys: [],
      exportName,
    };
  }
  if (typeof value === 'function') {
    const factory = value as StrategyMaker;
    return {
      make: guarded((params) => {
        const made = factory(params);
        if (!isStrategyInstance(made)) {
          throw invalid(`${file}: export ${exportName} is a function that did not return a strategy`);
        }
        return made;
      }, file),
      paramKeys: undefined,
      exportName,
    };
  }
  return undefined;
}

/**
 * The strategy of a loaded module, by one rule for the CLI and the optimiser's workers: the named
 * export when `exportName` is given; otherwise the default export, else the first exported
 * BaseStrategy subclass, else the first exported instance. An export may be a BaseStrategy subclass
 * (built with `{ params }`), a factory `(params) => strategy`, or a ready instance (no parameters).
 * Throws `INVALID_ARGUMENT` naming the file and what it does export.
 */
export function strategyFromModule(
  module: Readonly<Record<string, unknown>>,
  options: { readonly file: string; readonly exportName?: string | undefined },
): ModuleStrategy {
  const { file, exportName } = options;
  const exported = Object.entries(module).filter(
    ([, v]) => isStrategyClass(v) || isStrategyInstance(v) || typeof v === 'function',
  );
  const listing = (): string => {
    const names = exported.filter(([, v]) => isStrategyClass(v) || isStrategyInstance(v)).map(([k]) => k);
    return names.length > 0 ? `its strategy exports: ${names.join(', ')}` : 'it exports no strategy';
  };
  if (exportName !== undefined) {
    if (!Object.hasOwn(module, exportName))
      throw invalid(`${file} has no export ${exportName}; ${listing()}`);
    const found = fromValue(module[exportName], exportName, file);
    if (!found) {
      throw invalid(
        `${file}: export ${exportName} is not a strategy (a BaseStrategy subclass, a factory (params) => strategy, or an instance)`,
      );
    }
    return found;
  }
  const byDefault = fromValue(module['default'], 'default', file);
  if (byDefault) return byDefault;
  const named = exported.filter(([k]) => k !== 'default');
  for (const test of [isStrategyClass, isStrategyInstance]) {
    const hit = named.find(([, v]) => test(v));
    if (hit) return fromValue(hit[1], hit[0], file) as ModuleStrategy;
  }
  throw invalid(
    `${file} exports no strategy: export a BaseStrategy subclass, a factory (params) => strategy, or an instance`,
  );
}
