import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BaseStrategy, RxtradeError } from '@rxtrade/core';

type StrategyClass = new (options: { params?: Record<string, unknown> }) => BaseStrategy<object>;
type StrategyFactory = (params: Record<string, unknown>) => BaseStrategy<object>;

const isStrategyClass = (value: unknown): value is StrategyClass =>
  typeof value === 'function' &&
  typeof (value as { prototype?: { onBar?: unknown } }).prototype?.onBar === 'function';

const isStrategyInstance = (value: unknown): value is BaseStrategy<object> =>
  typeof value === 'object' && value !== null && typeof (value as { onBar?: unknown }).onBar === 'function';

/**
 * Loads a user's strategy file (TypeScript through tsx, or JavaScript) and builds the strategy
 * with `params`. The module may export, as default or under any name: a BaseStrategy subclass, a
 * factory `(params) => strategy`, or a ready instance (then `params` must be empty).
 */
export async function loadStrategy(
  file: string,
  options: { cwd: string; params: Record<string, unknown> },
): Promise<BaseStrategy<object>> {
  const path = isAbsolute(file) ? file : resolve(options.cwd, file);
  let module: Record<string, unknown>;
  try {
    if (/\.[cm]?tsx?$/.test(path)) {
      const { tsImport } = await import('tsx/esm/api');
      module = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
    } else {
      module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    }
  } catch (error) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `cannot load strategy file ${file}: ${(error as Error).message}`,
      cause: error,
    });
  }
  const candidates = [
    module['default'],
    ...Object.entries(module)
      .filter(([k]) => k !== 'default')
      .map(([, v]) => v),
  ];
  for (const candidate of candidates) {
    if (isStrategyClass(candidate)) return new candidate({ params: options.params });
  }
  for (const candidate of candidates) {
    if (isStrategyInstance(candidate)) {
      if (Object.keys(options.params).length > 0) {
        throw new RxtradeError({
          code: 'INVALID_ARGUMENT',
          message: `${file} exports a ready strategy instance; it takes no --params`,
        });
      }
      return candidate;
    }
  }
  const factory = module['default'];
  if (typeof factory === 'function') {
    const made = (factory as StrategyFactory)(options.params);
    if (isStrategyInstance(made)) return made;
  }
  throw new RxtradeError({
    code: 'INVALID_ARGUMENT',
    message: `${file} exports no strategy: export a BaseStrategy subclass, a factory (params) => strategy, or an instance`,
  });
}
