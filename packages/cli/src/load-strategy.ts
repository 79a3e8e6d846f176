import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BaseStrategy, isRxtradeError, RxtradeError } from '@rxtrade/core';

type StrategyClass = new (options: { params?: Record<string, unknown> }) => BaseStrategy<object>;
type StrategyFactory = (params: Record<string, unknown>) => BaseStrategy<object>;

const isStrategyClass = (value: unknown): value is StrategyClass =>
  typeof value === 'function' &&
  typeof (value as { prototype?: { onBar?: unknown } }).prototype?.onBar === 'function';

const isStrategyInstance = (value: unknown): value is BaseStrategy<object> =>
  typeof value === 'object' && value !== null && typeof (value as { onBar?: unknown }).onBar === 'function';

const invalid = (message: string, cause?: unknown): RxtradeError =>
  new RxtradeError({ code: 'INVALID_ARGUMENT', message, ...(cause === undefined ? {} : { cause }) });

/** Options of {@link loadStrategy}. */
export interface LoadStrategyOptions {
  readonly cwd: string;
  readonly params: Record<string, unknown>;
  /** The export to use; default: the default export, else the first BaseStrategy subclass. */
  readonly export?: string;
}

/** Absolute path of a user's file, or an error naming both what was given and where it was looked for. */
export function resolveUserFile(file: string, cwd: string, what: string): string {
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  if (!existsSync(path)) {
    throw invalid(
      `${what} ${file} not found${path === file ? '' : ` (looked at ${path})`}; check the path, relative to the current directory`,
    );
  }
  return path;
}

/** Imports a user's module: TypeScript through tsx, JavaScript as it is. */
export async function importUserModule(path: string, file: string): Promise<Record<string, unknown>> {
  try {
    if (/\.[cm]?tsx?$/.test(path)) {
      const { tsImport } = await import('tsx/esm/api');
      return (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
    }
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    // Only the first line: a compiler's code frame follows it, and --debug shows the whole error.
    const first = ((error as Error).message ?? String(error)).split('\n')[0];
    throw invalid(`cannot load strategy file ${file}: ${first}`, error);
  }
}

/** The names of a module's exports that look like strategies (classes, factories, instances). */
function strategyExports(module: Record<string, unknown>): string[] {
  return Object.entries(module)
    .filter(([, v]) => isStrategyClass(v) || isStrategyInstance(v))
    .map(([k]) => k);
}

function build(make: () => BaseStrategy<object>, file: string): BaseStrategy<object> {
  try {
    return make();
  } catch (error) {
    // The strategy's own errors (bad params) already say what to change.
    if (isRxtradeError(error)) throw error;
    throw invalid(`the strategy in ${file} threw while being built: ${(error as Error).message}`, error);
  }
}

/**
 * Loads a user's strategy file (TypeScript through tsx, or JavaScript) and builds the strategy
 * with `params`. The module may export, as default or under any name: a BaseStrategy subclass, a
 * factory `(params) => strategy`, or a ready instance (then `params` must be empty). `export` picks
 * one by name.
 */
export async function loadStrategy(
  file: string,
  options: LoadStrategyOptions,
): Promise<BaseStrategy<object>> {
  const path = resolveUserFile(file, options.cwd, 'strategy file');
  const module = await importUserModule(path, file);
  const hasParams = Object.keys(options.params).length > 0;
  if (options.export !== undefined && !(options.export in module)) {
    const found = strategyExports(module);
    throw invalid(
      `${file} has no export ${options.export}; ${found.length > 0 ? `its strategy exports: ${found.join(', ')}` : 'it exports no strategy'}`,
    );
  }
  const candidates =
    options.export !== undefined
      ? [module[options.export]]
      : [
          module['default'],
          ...Object.entries(module)
            .filter(([k]) => k !== 'default')
            .map(([, v]) => v),
        ];
  for (const candidate of candidates) {
    if (isStrategyClass(candidate)) return build(() => new candidate({ params: options.params }), file);
  }
  for (const candidate of candidates) {
    if (isStrategyInstance(candidate)) {
      if (hasParams) throw invalid(`${file} exports a ready strategy instance; it takes no --params`);
      return candidate;
    }
  }
  const factory = options.export !== undefined ? module[options.export] : module['default'];
  if (typeof factory === 'function') {
    const made = build(() => (factory as StrategyFactory)(options.params), file);
    if (isStrategyInstance(made)) return made;
  }
  throw invalid(
    options.export !== undefined
      ? `${file}: export ${options.export} is not a strategy (a BaseStrategy subclass, a factory (params) => strategy, or an instance)`
      : `${file} exports no strategy: export a BaseStrategy subclass, a factory (params) => strategy, or an instance`,
  );
}
